import { connect } from 'node:net';

/**
 * Commands the redis-server on 127.0.0.1:port has executed so far, from INFO commandstats:
 * `total` (commands run inside Lua scripts included) and `scripts` (EVAL and EVALSHA calls).
 */
export function redisCommandCounts(port) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('redis INFO timed out')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('INFO commandstats\r\n'));
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      const header = /^\$(\d+)\r\n/.exec(buffer);
      if (!header) {
        if (buffer.includes('\r\n')) reject(new Error(`unexpected INFO reply: ${buffer.slice(0, 200)}`));
        return;
      }
      if (Buffer.byteLength(buffer) < header[0].length + Number(header[1])) return;
      socket.end();
      const counts = { total: 0, scripts: 0 };
      for (const [, command, calls] of buffer.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
        if (command === 'info') continue;
        counts.total += Number(calls);
        if (command === 'eval' || command === 'evalsha') counts.scripts += Number(calls);
      }
      resolve(counts);
    });
  });
}
