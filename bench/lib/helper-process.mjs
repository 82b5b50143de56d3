import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Forks one of bench/servers/*.mjs and waits for it to report `{ ready: url }` over IPC.
 * `ask(message)` sends a message and resolves with the child's next reply.
 */
export async function startHelper(name, args = [], timeoutMs = 10_000) {
  const script = fileURLToPath(new URL(`../servers/${name}.mjs`, import.meta.url));
  const child = fork(script, args, { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m.ready);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    });
  });
  return {
    name,
    url,
    child,
    ask(message) {
      const reply = once(child, 'message').then(([m]) => m);
      child.send(message);
      return reply;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
