/**
 * A minimal Chrome DevTools Protocol client for a Node.js process started with
 * `--inspect=127.0.0.1:<port>`: the bench uses it to force a full garbage collection before
 * reading a process's memory, so "memory used" means live objects, not garbage V8 has not
 * collected yet (on an otherwise idle process it may wait minutes). Connect only at the
 * moments of measurement: a process with no inspector session attached runs as usual.
 */
export async function connectInspector(port, timeoutMs = 5_000) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) })).json();
  const wsUrl = targets[0]?.webSocketDebuggerUrl;
  if (typeof wsUrl !== 'string') throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${wsUrl}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map();
  socket.addEventListener('message', (message) => {
    const reply = JSON.parse(String(message.data));
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error) waiter.reject(new Error(`inspector: ${reply.error.message}`));
    else waiter.resolve(reply.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`inspector: ${method} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    /** A full, blocking garbage collection in the target process. */
    collectGarbage: () => send('HeapProfiler.collectGarbage'),
    /** One full collection through the target's own `gc()` (it must run with --expose-gc). */
    async gc() {
      const { exceptionDetails } = await send('Runtime.evaluate', { expression: 'gc()' });
      if (exceptionDetails) throw new Error(`inspector: gc() failed: ${exceptionDetails.text} (is --expose-gc set?)`);
    },
    /** V8's JavaScript heap: `{ usedSize, totalSize }` in bytes. */
    heapUsage: () => send('Runtime.getHeapUsage'),
    close() {
      socket.close();
    },
  };
}
