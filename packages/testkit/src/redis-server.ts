import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** The client settings tests vary; everything else uses the test defaults. */
export interface TestClientOptions {
  enableOfflineQueue?: boolean;
  commandTimeout?: number;
  maxRetriesPerRequest?: number;
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL): clients see a dead Redis. */
  kill(): Promise<void>;
  /** Starts it again on the same port: data is gone, unless started with `appendonly` (then it reloads its AOF). */
  restart(): Promise<void>;
  /**
   * An ioredis client for this server, closed by stop(). Test defaults: one retry per
   * command, reconnect every 50 ms, and connection errors ignored (tests kill Redis on purpose).
   */
  client(options?: TestClientOptions): Redis;
  stop(): Promise<void>;
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface RedisServerOptions {
  binary?: string;
  /** Listen on this port (e.g. to stand in for a server that was killed); a free one by default. */
  port?: number;
  /** Keep an append-only file, so that restart() (and a kill) keeps what was acknowledged. Off by default. */
  appendonly?: boolean;
  /** When the AOF is fsynced (with `appendonly`): Redis's default is `everysec`, as docker-compose.yml runs it. */
  appendfsync?: 'always' | 'everysec' | 'no';
}

/** Starts a private `redis-server` (from PATH) on a loopback port, without persistence unless asked for. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'parley-redis-'));
  const persistence = options.appendonly ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'everysec'] : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(
      options.binary ?? 'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const spawnError = once(proc, 'error').then(([err]) => {
      throw new Error(`cannot start redis-server (is it installed?): ${(err as Error).message}`);
    });
    child = proc;
    await Promise.race([
      spawnError,
      waitFor(() => ping(port), { what: `redis-server on port ${port} ${stderr}`, timeoutMs: 10_000 }),
    ]);
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  };

  const clients: Redis[] = [];
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    client(options = {}) {
      const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 50, ...options });
      redis.on('error', () => {});
      clients.push(redis);
      return redis;
    },
    stop: async () => {
      for (const c of clients.splice(0)) c.disconnect();
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
