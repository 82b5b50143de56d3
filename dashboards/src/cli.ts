/**
 * Writes, checks and lints the dashboards.
 *
 *   node dashboards/dist/cli.js                       write dashboards/generated/<uid>.json (stale ones removed), then lint
 *   node dashboards/dist/cli.js --check               regenerate in memory: fail on any file that differs, is missing or
 *                                                     is extra, and on any lint problem (CI)
 *   node dashboards/dist/cli.js --lint [file.json…]   lint JSON files as they are (default: dashboards/generated/*.json)
 *   node dashboards/dist/cli.js --metrics             the metric names each dashboard queries
 *   node dashboards/dist/cli.js --promql-rules FILE   the PromQL of dashboards/generated/*.json as a rule file, for
 *                                                     `promtool check rules` (Grafana variables substituted)
 *
 * Exit code 1 when anything is wrong, 2 on bad usage.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from './catalog.js';
import { diffGenerated, renderDashboards, writeGenerated } from './generate.js';
import { buildDashboards } from './index.js';
import { formatProblem, lintDashboards, prometheusQueries } from './lint.js';
import { metricNames, tokenize } from './promql-scan.js';
import { loadRepoFacts } from './repo-facts.js';

// dist/cli.js (or src/cli.ts) → the repository root.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATED = join(ROOT, 'dashboards/generated');
const build = () => buildDashboards(loadRepoFacts(ROOT));

const generatedFiles = (): string[] =>
  readdirSync(GENERATED)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(GENERATED, f));
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

function lint(dashboards: readonly unknown[]): string[] {
  return lintDashboards(dashboards, loadCatalog(ROOT)).map((p) => `lint: ${formatProblem(p)}`);
}

/** Grafana variables replaced so promtool can parse the expression. */
const forPromtool = (expr: string): string => expr.replace(/\$\{?__(?:rate_interval|interval|range)\}?/g, '5m').replace(/\$\{\w+(?::\w+)?\}|\$\w+/g, '.*');

function run(args: readonly string[]): number {
  const [command, ...rest] = args;
  const rel = (path: string): string => relative(process.cwd(), path) || '.';
  let problems: string[];
  switch (command) {
    case undefined: {
      const dashboards = build();
      const { written, removed } = writeGenerated(GENERATED, renderDashboards(dashboards));
      console.log(`wrote ${written.length} dashboards to ${rel(GENERATED)}: ${written.join(', ')}${removed.length ? `; removed ${removed.join(', ')}` : ''}`);
      problems = lint(dashboards);
      break;
    }
    case '--check': {
      const dashboards = build();
      problems = [...diffGenerated(GENERATED, renderDashboards(dashboards), ROOT).map((p) => `diff: ${p}`), ...lint(dashboards)];
      if (!problems.length) console.log(`${dashboards.length} dashboards in ${rel(GENERATED)} match dashboards/src and pass the lint`);
      break;
    }
    case '--lint': {
      const files = rest.length ? rest : generatedFiles();
      problems = lint(files.map(readJson));
      if (!problems.length) console.log(`${files.length} dashboards pass the lint`);
      break;
    }
    case '--metrics': {
      for (const d of build()) {
        const names = new Set(prometheusQueries(d).flatMap((q) => metricNames(tokenize(q.expr))));
        console.log(`${d.uid}: ${[...names].sort().join(' ')}`);
      }
      return 0;
    }
    case '--promql-rules': {
      const [file] = rest;
      if (!file) return usage();
      const rules = generatedFiles().flatMap((f) => prometheusQueries(readJson(f)).map((q) => ({ record: 'dashboard:expr', expr: forPromtool(q.expr), labels: { file: relative(ROOT, f), where: q.where } })));
      writeFileSync(file, `${JSON.stringify({ groups: [{ name: 'dashboards', rules }] }, null, 1)}\n`);
      console.log(`${rules.length} PromQL queries written to ${file}`);
      return 0;
    }
    default:
      return usage();
  }
  for (const p of problems) console.error(p);
  if (problems.length) console.error(`${problems.length} problem(s)`);
  return problems.length ? 1 : 0;
}

function usage(): number {
  console.error('usage: node dashboards/dist/cli.js [--check | --lint [file.json ...] | --metrics | --promql-rules FILE]');
  return 2;
}

process.exitCode = run(process.argv.slice(2));
