import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from './wait.js';

export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  /** Parsed JSON log lines from stdout. */
  logs(): Record<string, unknown>[];
  /** Sends `signal` and resolves with the exit code (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface StartServiceOptions {
  name: string;
  cwd: string;
  /** Arguments for `node` (the current process's binary). */
  args: string[];
  env: Record<string, string>;
  url: string;
  /** Path polled until it answers 200. */
  readyPath?: string;
  timeoutMs?: number;
}

/** Starts a real service process with `node` and waits for its readiness route. */
export async function startService(options: StartServiceOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = once(child, 'exit');
  const proc: ServiceProcess = {
    name: options.name,
    url: options.url,
    child,
    output: () => out,
    logs: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      return child.exitCode;
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}:\n${out}`);
        const res = await fetch(`${options.url}${options.readyPath ?? '/readyz'}`);
        return res.ok;
      },
      { what: `${options.name} to become ready`, timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 50 },
    );
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- ${options.name} output ---\n${out}`, { cause: err });
  }
  return proc;
}
