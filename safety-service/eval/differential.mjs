// The differential check: a change meant to make the engine faster must not change a single
// decision. Runs the built engine (createModerator, as POST /v1/moderate does) and every
// built-in detector on its own over a fixed text set, and compares everything (action,
// findings with rule ids and spans, redacted text, and each detector's raw matches) with a
// snapshot taken from the code before the change.
//
//   node safety-service/eval/differential.mjs --write .cache/safety-snapshot.json [--extra ../shared/datasets]
//   (change, rebuild)
//   node safety-service/eval/differential.mjs --against .cache/safety-snapshot.json [--extra ../shared/datasets]
//
// Texts: every text of datasets/*.jsonl (and of --extra), each also in upper case and with
// zero-width spaces inside words (other views, other mappings); the bench's 4 KB texts
// (bench/sections/safety.mjs builds them the same way); and 208-character windows of those,
// as the output guard sends them. The engine runs in both directions. Exit 1 on any
// difference; differences are printed by case key and field, never with the text.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModerator } from '../dist/domain/engine.js';
import { DEFAULT_DETECTORS } from '../dist/domain/detectors/index.js';
import { createViews } from '../dist/domain/normalize.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const writeTo = option('--write');
const against = option('--against');
const extraDir = option('--extra');
if (!writeTo === !against) {
  process.stderr.write('usage: node safety-service/eval/differential.mjs (--write FILE | --against FILE) [--extra DIR]\n');
  process.exit(2);
}

const BENCH_FILES = ['parley-cases.jsonl', 'overblocking-xstest.jsonl', 'pii-presidio.jsonl', 'secrets-gitleaks.jsonl'];
const BENCH_BYTES = 4_096;
const WINDOW_CHARS = 160 + 48;
const WINDOW_STRIDE = 101;

async function readSet(dir, file) {
  const lines = (await readFile(join(dir, file), 'utf8')).split('\n').filter((l) => l.trim());
  return lines.map((l) => JSON.parse(l));
}

/** The bench's 4 KB texts, built as bench/sections/safety.mjs builds them. */
async function benchTexts() {
  const texts = [];
  for (const file of BENCH_FILES) for (const c of await readSet(join(here, 'datasets'), file)) texts.push(c.text);
  const out = [];
  for (let start = 0; out.length < 400; start += 7) {
    let text = '';
    for (let i = start; Buffer.byteLength(text) < BENCH_BYTES; i++) text += `${texts[i % texts.length]}\n`;
    while (Buffer.byteLength(text) > BENCH_BYTES) text = text.slice(0, -1);
    out.push(text);
  }
  return out;
}

/** Keyed texts: the key names where a text came from, so a difference can be traced without printing it. */
async function cases() {
  const out = [];
  const seen = new Set();
  for (const dir of [join(here, 'datasets'), ...(extraDir ? [extraDir] : [])]) {
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort()) {
      if (seen.has(file)) continue;
      seen.add(file);
      for (const [i, c] of (await readSet(dir, file)).entries()) {
        const key = `${file}:${i + 1}:${c.id ?? ''}`;
        const language = c.language ?? 'en';
        out.push({ key, text: c.text, language });
        out.push({ key: `${key}:upper`, text: c.text.toUpperCase(), language });
        out.push({ key: `${key}:zwsp`, text: c.text.replace(/(\w{3})(?=\w)/g, '$1\u200b'), language });
      }
    }
  }
  for (const [i, text] of (await benchTexts()).entries()) {
    out.push({ key: `bench:${i}`, text, language: 'en' });
    for (let at = 0; at < text.length; at += WINDOW_STRIDE) out.push({ key: `bench:${i}:window@${at}`, text: text.slice(at, at + WINDOW_CHARS), language: 'en' });
  }
  return out;
}

/** Everything the engine and the detectors say about one text. */
function observe(moderator, { text, language }) {
  const view = createViews(text);
  const detectors = {};
  for (const detector of DEFAULT_DETECTORS) {
    // No built-in detector reads the context's direction; the engine below runs both.
    const matches = detector.detect(view(detector.view).text, { direction: 'input', language });
    if (matches.length) detectors[detector.category] = matches;
  }
  const engine = {};
  for (const direction of ['input', 'output']) {
    const { text: redacted, ...rest } = moderator.moderate({ text, direction, language });
    // The redacted text as a digest: the snapshot must not hold the secrets it redacts.
    engine[direction] = { ...rest, text: redacted === text ? '(unchanged)' : createHash('sha256').update(redacted).digest('hex') };
  }
  return { engine, detectors };
}

/** Paths (a.b[2].c) at which two JSON values differ, at most `limit`. */
function differences(a, b, path = '', out = [], limit = 5) {
  if (out.length >= limit) return out;
  if (a === b) return out;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    out.push(`${path || '.'}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
    return out;
  }
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) differences(a[k], b[k], `${path}.${k}`, out, limit);
  return out;
}

const moderator = createModerator();
const all = await cases();
const started = performance.now();
const observed = Object.fromEntries(all.map((c) => [c.key, observe(moderator, c)]));
const ms = performance.now() - started;

if (writeTo) {
  await writeFile(writeTo, JSON.stringify({ policy: moderator.policyVersion, cases: observed }));
  process.stdout.write(`differential: wrote ${all.length} cases to ${writeTo} (${ms.toFixed(0)} ms)\n`);
} else {
  const snapshot = JSON.parse(await readFile(against, 'utf8')).cases;
  let differing = 0;
  const lines = [];
  for (const key of new Set([...Object.keys(snapshot), ...Object.keys(observed)])) {
    const found = differences(snapshot[key], observed[key]);
    if (found.length === 0) continue;
    differing += 1;
    if (differing <= 50) lines.push(`  ${key}`, ...found.map((d) => `    ${d}`));
  }
  const keys = Object.keys(observed).length;
  process.stdout.write(
    `differential: ${keys} cases against ${against} (${ms.toFixed(0)} ms): ${differing ? `${differing} DIFFER` : 'all identical'}\n${lines.join('\n')}${lines.length ? '\n' : ''}`,
  );
  if (differing) process.exit(1);
}
