import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface PrometheusOptions {
  /** job name → base URL of a service that serves /metrics. */
  targets: Record<string, string>;
  /** Absolute paths of rule files to load (recording rules and alerts). */
  ruleFiles?: string[];
  /** Scrape and rule evaluation interval; short so a test sees rates within seconds. */
  interval?: string;
  binary?: string;
}

/** One sample of an instant vector (value as Prometheus sends it: a string, maybe "NaN"). */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query; throws with Prometheus's error on a bad query. */
  query(expr: string): Promise<{ resultType: string; result: PromSample[] | [number, string] }>;
  /** Everything the server wrote (it logs to stderr). */
  output(): string;
  stop(): Promise<void>;
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

/**
 * Starts the real `prometheus` (Debian's package) on a free loopback port with a throwaway
 * TSDB, scraping `targets` (and itself, as job `prometheus`) with exemplar storage on, the way
 * deploy/prometheus/prometheus.yml runs it in the compose stack.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'parley-prometheus-'));
  const interval = options.interval ?? '1s';
  const url = `http://127.0.0.1:${port}`;
  const job = (name: string, target: string) => {
    const { host, protocol } = new URL(target);
    return { job_name: name, scheme: protocol.replace(':', ''), static_configs: [{ targets: [host] }] };
  };
  // JSON is YAML: no YAML library needed to write the config.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [job('prometheus', url), ...Object.entries(options.targets).map(([name, target]) => job(name, target))],
  };
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, JSON.stringify(config, null, 2));

  let out = '';
  const child: ChildProcess = spawn(
    options.binary ?? 'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit');
  const spawnError = once(child, 'error').then(([err]) => {
    throw new Error(`cannot start prometheus (Debian package "prometheus"): ${(err as Error).message}`);
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await Promise.race([
      spawnError,
      waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${out}`);
          return (await fetch(`${url}/-/ready`)).ok;
        },
        { what: `prometheus on port ${port}`, timeoutMs: 20_000, intervalMs: 100 },
      ),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    output: () => out,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
      const body = (await res.json()) as ApiResponse<{ resultType: string; result: PromSample[] | [number, string] }>;
      if (body.status !== 'success' || !body.data) throw new Error(`query failed (${body.errorType ?? res.status}): ${body.error ?? ''}\n  ${expr}`);
      return body.data;
    },
    stop,
  };
}
