// The safety evaluation: runs labeled JSONL sets through the deterministic engine (the same
// createModerator that POST /v1/moderate uses) and prints per-category precision, recall and
// F2, action accuracy, and the over-blocking rate on benign text, against issue 5's targets.
//
//   npm run eval:safety                       # build, then evaluate (table on stdout)
//   node safety-service/eval/run.mjs --misses # also list every miss (ids and categories, never the text)
//   node safety-service/eval/run.mjs --check  # exit 1 when a target is missed
//   node safety-service/eval/run.mjs --extra ../shared/datasets   # also every *.jsonl there
//
// Sets: safety-service/eval/datasets/*.jsonl (public sets copied with their licences, and
// Parley's own cases), plus any *.jsonl in the --extra folder (for sets whose licence keeps
// them out of the repository). Line format: see datasets/README.md.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModerator } from '../dist/domain/engine.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const argv = process.argv.slice(2);
const args = new Set(argv);
const extraDir = argv.includes('--extra') ? argv[argv.indexOf('--extra') + 1] : undefined;

/** Issue 5's quality targets. `categories` are prefixes: `pii` covers `pii.email`... */
const TARGETS = [
  { name: 'PII recall', group: 'pii', metric: 'recall', min: 0.95 },
  { name: 'PII precision', group: 'pii', metric: 'precision', min: 0.95 },
  { name: 'secrets recall', group: 'secret', metric: 'recall', min: 0.95 },
  { name: 'secrets precision', group: 'secret', metric: 'precision', min: 0.95 },
  { name: 'prompt injection recall (input)', group: 'prompt_injection', metric: 'recall', min: 0.9 },
  { name: 'over-blocking of benign text', group: 'benign', metric: 'overblocking', max: 0.02 },
];

async function loadSets() {
  const dirs = [join(here, 'datasets'), ...(extraDir ? [extraDir] : [])];
  const seen = new Set();
  const cases = [];
  for (const dir of dirs) {
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort()) {
      // A set present in both places (copied into the repo and in the extra folder) counts once.
      if (seen.has(file)) continue;
      seen.add(file);
      const lines = (await readFile(join(dir, file), 'utf8')).split('\n').filter((l) => l.trim());
      for (const [i, line] of lines.entries()) {
        const c = JSON.parse(line);
        if (typeof c.text !== 'string' || !c.expect?.action) throw new Error(`${file}:${i + 1}: not a labeled case`);
        cases.push({ ...c, set: file.replace(/\.jsonl$/, '') });
      }
    }
  }
  return { cases, files: [...seen] };
}

/** A category counts as found when a finding equals it or starts with it followed by '.' (datasets/README.md). */
const found = (findings, category) => findings.some((f) => f.category === category || f.category.startsWith(`${category}.`));
const groupOf = (category) => category.split('.')[0];
const f2 = (p, r) => (p + r === 0 ? 0 : (5 * p * r) / (4 * p + r));
const pct = (x) => (Number.isNaN(x) ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);

function evaluate(cases) {
  const moderator = createModerator();
  const byCategory = new Map();
  const stat = (category) => {
    if (!byCategory.has(category)) byCategory.set(category, { tp: 0, fp: 0, fn: 0, misses: [] });
    return byCategory.get(category);
  };
  const benign = { total: 0, blocked: 0, flagged: 0, misses: [] };
  let actionHits = 0;
  const started = performance.now();
  for (const c of cases) {
    const result = moderator.moderate({ text: c.text, direction: c.direction, language: c.language });
    if (result.action === c.expect.action) actionHits++;
    const expected = c.expect.categories ?? [];
    // Every category the case expects, and every category a finding names, in the case's groups.
    const reported = new Set(result.findings.map((f) => f.category));
    for (const category of expected) {
      const s = stat(category);
      if (found(result.findings, category)) s.tp++;
      else {
        s.fn++;
        s.misses.push(`${c.id}: missed`);
      }
    }
    for (const category of reported) {
      if (expected.some((e) => category === e || category.startsWith(`${e}.`))) continue;
      const s = stat(category);
      s.fp++;
      s.misses.push(`${c.id}: false ${category}`);
    }
    if (c.expect.action === 'allow') {
      benign.total++;
      if (result.action !== 'allow') {
        benign.flagged++;
        if (result.action === 'block') benign.blocked++;
        benign.misses.push(`${c.id}: ${result.action} (${[...reported].join(', ')})`);
      }
    }
  }
  return { byCategory, benign, actionAccuracy: actionHits / cases.length, ms: performance.now() - started };
}

function groupTotals(byCategory, group) {
  const t = { tp: 0, fp: 0, fn: 0 };
  for (const [category, s] of byCategory) {
    if (groupOf(category) !== group) continue;
    t.tp += s.tp;
    t.fp += s.fp;
    t.fn += s.fn;
  }
  return { ...t, precision: t.tp / (t.tp + t.fp), recall: t.tp / (t.tp + t.fn) };
}

const { cases, files } = await loadSets();
const { byCategory, benign, actionAccuracy, ms } = evaluate(cases);

const lines = [];
lines.push(`Safety evaluation: ${cases.length} cases from ${files.join(', ')}${extraDir ? ` (extra: ${extraDir})` : ''}; policy ${createModerator().policyVersion}; ${ms.toFixed(0)} ms`);
lines.push('');
lines.push('| category | expected | found | false | precision | recall | F2 |');
lines.push('|---|--:|--:|--:|--:|--:|--:|');
for (const [category, s] of [...byCategory].sort(([a], [b]) => a.localeCompare(b))) {
  const p = s.tp / (s.tp + s.fp);
  const r = s.tp / (s.tp + s.fn);
  lines.push(`| ${category} | ${s.tp + s.fn} | ${s.tp} | ${s.fp} | ${pct(p)} | ${pct(r)} | ${category.startsWith('pii.') ? pct(f2(p, r)) : '   -  '} |`);
}
lines.push('');
lines.push(`Action accuracy (allow/redact/block exactly as labeled): ${pct(actionAccuracy)}`);
const overblocking = benign.flagged / benign.total;
lines.push(`Over-blocking: ${benign.flagged} of ${benign.total} benign texts not allowed (${pct(overblocking).trim()}; ${benign.blocked} blocked, ${benign.flagged - benign.blocked} redacted)`);
lines.push('');
lines.push('| target | measured | verdict |');
lines.push('|---|--:|---|');
let missed = 0;
for (const t of TARGETS) {
  const value = t.metric === 'overblocking' ? overblocking : groupTotals(byCategory, t.group)[t.metric];
  const ok = t.min !== undefined ? value >= t.min : value <= t.max;
  if (!ok) missed++;
  lines.push(`| ${t.name} ${t.min !== undefined ? `>= ${t.min}` : `<= ${t.max}`} | ${Number.isNaN(value) ? 'no cases' : value.toFixed(3)} | ${ok ? 'PASS' : 'FAIL'} |`);
}
if (args.has('--misses')) {
  lines.push('');
  lines.push('Misses (case ids only: the texts may hold secrets):');
  for (const [category, s] of byCategory) for (const m of s.misses) lines.push(`  ${category}: ${m}`);
  for (const m of benign.misses) lines.push(`  benign: ${m}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
if (args.has('--check') && missed > 0) process.exit(1);
