// Parley's benchmarks: `npm run bench` (build, then every section) or
// `node bench/run.mjs [section...] [--quick]`. Every figure is measured in one run on this
// machine; only ratios and differences measured in the same run compare across machines.
// Prints one table and writes bench/results/latest.json.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { BrokenRunError } from './lib/load.mjs';
import { renderTable } from './lib/table.mjs';

const SECTIONS = ['gateway', 'chat-service', 'full-stack', 'safety', 'web'];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--quick');
const wanted = args.filter((a) => !a.startsWith('-'));
const unknownSections = wanted.filter((s) => !SECTIONS.includes(s));
if (unknownFlags.length > 0 || unknownSections.length > 0) {
  process.stderr.write(`bench: unknown ${[...unknownFlags, ...unknownSections].join(', ')}\nusage: node bench/run.mjs [${SECTIONS.join('|')}...] [--quick]\n`);
  process.exit(2);
}
const sections = wanted.length > 0 ? wanted : SECTIONS;

const log = (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** Everything started and not yet stopped, newest last; stopped in reverse on exit, failure or SIGINT. */
const running = new Map();

async function stop(resource) {
  const entry = running.get(resource);
  if (!entry) return;
  running.delete(resource);
  try {
    await entry.stop(resource);
  } catch (err) {
    log(`stopping ${entry.name} failed: ${err.message}`);
  }
}

async function stopAll() {
  for (const resource of [...running.keys()].reverse()) await stop(resource);
}

const ctx = {
  quick,
  log,
  durations: quick
    ? { latencyWarmupMs: 1_000, latencyMs: 2_000, throughputWarmupSec: 1, throughputSec: 2 }
    : { latencyWarmupMs: 2_000, latencyMs: 7_000, throughputWarmupSec: 2, throughputSec: 6 },
  /** Starts something (a process, a server) and remembers to stop it; `stopFn` defaults to `resource.stop()`. */
  async start(name, startFn, stopFn = (r) => r.stop()) {
    const resource = await startFn();
    running.set(resource, { name, stop: stopFn });
    return resource;
  },
  stop,
};

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything`);
    void stopAll().finally(() => process.exit(130));
  });
}

const started = Date.now();
// Anything else running on the machine shares its cores with the bench: say so in the report.
const loadAtStart = os.loadavg()[0];
if (loadAtStart > 1) log(`the 1-minute load average is ${loadAtStart.toFixed(2)} before the bench starts: other work on this machine will skew the figures`);
const results = [];
const legends = [];
let exitCode = 0;
try {
  for (const section of sections) {
    log(`section ${section}${quick ? ' (--quick: short runs, for checking the harness only)' : ''}`);
    const module = await import(`./sections/${section}.mjs`);
    const { rows, legend = [] } = await module.run(ctx);
    results.push(...rows);
    legends.push(...legend);
  }
} catch (err) {
  exitCode = 1;
  if (err instanceof BrokenRunError) log(`BROKEN RUN, no figures are reported: ${err.message}`);
  else log(`bench failed: ${err.stack ?? err}`);
} finally {
  await stopAll();
}

if (exitCode === 0 && !interrupted) {
  const cpus = os.cpus();
  const report = {
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', node: process.version },
    date: new Date().toISOString(),
    load_average_1m_at_start: Number(loadAtStart.toFixed(2)),
    quick,
    durations: ctx.durations,
    results,
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  const header = `Parley bench, ${report.date}, ${report.machine.cpus} x ${report.machine.model}, Node ${report.machine.node}, load average ${loadAtStart.toFixed(2)} at start${quick ? ', --quick (not for comparison)' : ''}, ${Math.round((Date.now() - started) / 1000)} s`;
  process.stdout.write(`\n${header}\n\n${renderTable(results)}\n\n${legends.map((l) => `- ${l}`).join('\n')}\n\nwritten: bench/results/latest.json\n`);
}
process.exit(interrupted ? 130 : exitCode);
