import { readFile, readdir, readlink } from 'node:fs/promises';

/** /proc/net/tcp{,6} rows by socket inode: state and ports (Linux). */
async function tcpTable(pid) {
  const rows = new Map();
  for (const file of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (address) => parseInt(address.split(':').at(-1), 16);
      rows.set(f[9], { localPort: port(f[1]), remotePort: port(f[2]), established: f[3] === '01' });
    }
  }
  return rows;
}

/**
 * The established TCP connections process `pid` holds, counted by what is at the other end
 * (Linux only: reads /proc). `listenPort` is the process's own port: connections to it are its
 * clients. `peers` names the ports it calls, e.g. `{ llm: 8090, safety: 8082 }`. Returns
 * `{ clients, <peer>..., other }`.
 */
export async function connectionsOf(pid, listenPort, peers) {
  const counts = { clients: 0, ...Object.fromEntries(Object.keys(peers).map((k) => [k, 0])), other: 0 };
  const table = await tcpTable(pid);
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    const row = inode === undefined ? undefined : table.get(inode);
    if (!row?.established) continue;
    const peer = Object.keys(peers).find((k) => peers[k] === row.remotePort);
    if (row.localPort === listenPort) counts.clients++;
    else if (peer) counts[peer]++;
    else counts.other++;
  }
  return counts;
}
