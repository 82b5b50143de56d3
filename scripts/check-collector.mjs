#!/usr/bin/env node
// Checks the OpenTelemetry Collector config (deploy/otel-collector/config.yaml) and the parts of
// docker-compose.yml it depends on, without an otelcol binary: pipeline wiring, processor order,
// the redaction patterns (run against sample secrets), the tail-sampling keep rules, the span
// metrics / service graph path into Prometheus remote write, the audit log stream, Prometheus's
// flags and the services' head sampling. Prints every check; exits 1 if any fails.
//
//   node scripts/check-collector.mjs [--config FILE] [--compose FILE]
//   node scripts/check-collector.mjs --self-test   # breaks copies of both files in a temp dir
//                                                  # and makes sure each break is caught
//
// YAML is read with the `yaml` package already in node_modules (a dependency of
// @opentelemetry/configuration) or, failing that, with python3 + PyYAML as check-deploy.sh does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SCRIPT), '..');
const DEFAULT_CONFIG = join(ROOT, 'deploy/otel-collector/config.yaml');
const DEFAULT_COMPOSE = join(ROOT, 'docker-compose.yml');

// --- YAML ------------------------------------------------------------------------------------

let yamlLib;
try {
  yamlLib = (await import('yaml')).default;
} catch {
  yamlLib = undefined;
}

function loadYaml(file) {
  const text = readFileSync(file, 'utf8');
  if (yamlLib) return yamlLib.parse(text, { merge: true, maxAliasCount: -1 });
  const py = spawnSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)', file], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`cannot parse ${file}: no 'yaml' package in node_modules and python3/PyYAML failed: ${py.stderr || py.error}`);
  return JSON.parse(py.stdout);
}

// --- Helpers ---------------------------------------------------------------------------------

/** KEY=VALUE lines of <root>/.env, which docker compose reads for ${...} in docker-compose.yml. */
function dotenv(root) {
  const file = join(root, '.env');
  if (!existsSync(file)) return {};
  return Object.fromEntries(readFileSync(file, 'utf8').split('\n').map((l) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l.trim())).filter(Boolean).map((m) => [m[1], m[2]]));
}

const typeOf = (id) => String(id).split('/')[0];
const signalOf = (pipelineId) => typeOf(pipelineId);
const asList = (x) => (Array.isArray(x) ? x : x === undefined || x === null ? [] : [x]);

/** `${env:NAME:-default}` / `${NAME:-default}` -> { name, def }; otherwise undefined. */
function envRef(value) {
  const m = /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?\}$/.exec(String(value).trim());
  return m ? { name: m[1], def: m[2] } : undefined;
}
/** A config value with a collector/compose env reference resolved to its default. */
function resolved(value) {
  const ref = typeof value === 'string' ? envRef(value) : undefined;
  if (!ref) return value;
  return ref.def === undefined ? undefined : ref.def;
}
function durationMs(value) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(value ?? '').trim());
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]];
}

/** Go strconv.Unquote for an OTTL string literal (the escapes OTTL strings use). */
function unquoteOttl(lit) {
  const body = lit.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') { out += c; continue; }
    const n = body[++i];
    const map = { '\\': '\\', '"': '"', n: '\n', t: '\t', r: '\r', "'": "'" };
    if (!(n in map)) throw new Error(`escape "\\${n}" in OTTL string ${lit} is not a regex escape once the string is unquoted (write "\\\\${n}")`);
    out += map[n];
  }
  return out;
}
/** RE2 pattern -> JS RegExp (only the leading (?i) flag needs translating for these patterns). */
function toJsRegex(pattern) {
  let flags = 'g';
  let src = pattern;
  const m = /^\(\?([a-z]+)\)/.exec(src);
  if (m) {
    if (m[1].includes('i')) flags += 'i';
    src = src.slice(m[0].length);
  }
  return new RegExp(src, flags);
}

const OTTL_LIT = '"(?:[^"\\\\]|\\\\.)*"';
const REPLACE_RE = new RegExp(
  `^\\s*(replace_all_patterns|replace_pattern)\\(\\s*([A-Za-z_.]+(?:\\[[^\\]]*\\])?)\\s*,\\s*(?:"(key|value)"\\s*,\\s*)?(${OTTL_LIT})\\s*,\\s*(${OTTL_LIT})\\s*\\)\\s*(?:where\\s+(.*))?$`,
);

/**
 * The value-masking rules of every redaction-type processor: [{ processor, target, regex, replacement }].
 * target: span.attributes, spanevent.attributes, span.status.message, log.body, log.body(map), log.attributes.
 */
function redactionRules(id, cfg, errs) {
  const rules = [];
  const t = typeOf(id);
  if (t === 'redaction') {
    for (const v of asList(cfg?.blocked_values)) {
      try {
        for (const target of ['span.attributes', 'log.attributes']) rules.push({ processor: id, target, regex: toJsRegex(String(v)), replacement: '****' });
      } catch (e) { errs.push(`${id}: blocked value ${v} does not compile: ${e.message}`); }
    }
    return rules;
  }
  if (t !== 'transform') return rules;
  for (const [key, prefix] of [['trace_statements', 'span'], ['log_statements', 'log']]) {
    for (const group of asList(cfg?.[key])) {
      const statements = typeof group === 'string' ? [group] : asList(group?.statements);
      const context = typeof group === 'string' ? undefined : group?.context;
      for (const st of statements) {
        const m = REPLACE_RE.exec(String(st));
        if (!m) continue;
        const [, fn, rawTarget, mode, patLit, repLit, where = ''] = m;
        if (fn === 'replace_all_patterns' && mode === 'key') continue;
        let target = rawTarget;
        if (!/^(span|spanevent|log|resource|scope)\./.test(target)) target = `${context || prefix}.${target}`;
        if (target === 'log.body') {
          if (fn === 'replace_all_patterns' || /IsMap\(/.test(where)) target = 'log.body(map)';
        }
        try {
          rules.push({ processor: id, target, regex: toJsRegex(unquoteOttl(patLit)), replacement: unquoteOttl(repLit) });
        } catch (e) {
          errs.push(`${id}: ${e.message}\n    in: ${st}`);
        }
      }
    }
  }
  return rules;
}
const isRedactionProcessor = (id, cfg) =>
  typeOf(id) === 'redaction' ||
  (typeOf(id) === 'transform' && JSON.stringify(cfg ?? {}).match(/replace_(all_)?pattern/) !== null);

// Sample secrets: what must go, and (non-secret) text that must survive.
const SECRET_SAMPLES = [
  { what: 'e-mail address', text: 'contact jane.doe+test@mail.example.co.uk today', secret: 'jane.doe+test@mail.example.co.uk' },
  { what: 'bearer token', text: 'Authorization: Bearer Zm9vYmFyYmF6.qux-42_~+/=', secret: 'Zm9vYmFyYmF6' },
  { what: 'Parley API key (pk_)', text: `key=pk_abcdefghijkl_${'A1b2C3d4E5'.repeat(4)}xyz`, secret: `_${'A1b2C3d4E5'.repeat(4)}xyz` },
  { what: 'Parley session token (pst_)', text: `token pst_${'Qw9-_'.repeat(8)}abc.${'x'.repeat(22)}`, secret: `pst_${'Qw9-_'.repeat(8)}` },
  { what: 'OpenAI-style key (sk-)', text: 'OPENAI_API_KEY=sk-proj-AbCdEf0123456789AbCdEf', secret: 'AbCdEf0123456789AbCdEf' },
  { what: 'JWT', text: 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXNpZw', secret: 'eyJzdWIiOiIxMjM0NSJ9' },
  { what: 'e-mail inside a JSON log line', text: '{"level":"info","msg":"signup","user":"alice@example.com"}', secret: 'alice@example.com' },
];
const SAFE_SAMPLES = [
  '4bf92f3577b34da6a3ce929d0e0e4736',
  'principal pk_abcdefghijkl',
  'task-management-overview',
  'POST /v1/chat/completions',
  '{"level":"info","msg":"audit","audit":{"type":"auth.failure","principal":"sess-1"}}',
];
function applyRules(rules, text) {
  let out = text;
  for (const r of rules) out = out.replace(r.regex, r.replacement);
  return out;
}

// --- Checks ----------------------------------------------------------------------------------

/** Runs every check on parsed documents; returns [{ name, errors: string[] }]. */
export function runChecks(c, compose, { root = ROOT } = {}) {
  const results = [];
  const check = (name, fn) => {
    const errors = [];
    try {
      fn(errors);
    } catch (e) {
      errors.push(`check crashed: ${e.stack || e}`);
    }
    results.push({ name, errors });
  };

  c = c || {};
  const section = (k) => c[k] || {};
  const rec = section('receivers'), proc = section('processors'), exp = section('exporters'), con = section('connectors'), ext = section('extensions');
  const svc = c.service || {};
  const pipelines = Object.entries(svc.pipelines || {});
  const pl = (p) => ({ receivers: asList(p?.receivers), processors: asList(p?.processors), exporters: asList(p?.exporters) });
  // Connector -> pipelines that export to it / receive from it.
  const feeders = new Map(), consumers = new Map();
  for (const [name, p] of pipelines) {
    for (const e of pl(p).exporters) if (e in con) feeders.set(e, [...(feeders.get(e) || []), name]);
    for (const r of pl(p).receivers) if (r in con) consumers.set(r, [...(consumers.get(r) || []), name]);
  }
  const services = (compose && compose.services) || {};

  check('every pipeline references defined components; connectors are wired both ways; nothing defined is unused', (errs) => {
    if (pipelines.length === 0) errs.push('no service.pipelines');
    for (const e of asList(svc.extensions)) if (!(e in ext)) errs.push(`extension ${e} is not defined`);
    const used = new Set();
    for (const [name, p] of pipelines) {
      if (!['traces', 'metrics', 'logs', 'profiles'].includes(signalOf(name))) errs.push(`${name}: unknown signal type "${signalOf(name)}"`);
      const { receivers, processors, exporters } = pl(p);
      if (!receivers.length) errs.push(`${name}: no receivers`);
      if (!exporters.length) errs.push(`${name}: no exporters`);
      for (const r of receivers) { used.add(r); if (!(r in rec) && !(r in con)) errs.push(`${name}: receiver ${r} is not defined (receivers or connectors)`); }
      for (const x of processors) { used.add(x); if (!(x in proc)) errs.push(`${name}: processor ${x} is not defined`); }
      for (const x of exporters) { used.add(x); if (!(x in exp) && !(x in con)) errs.push(`${name}: exporter ${x} is not defined (exporters or connectors)`); }
      if (new Set(processors).size !== processors.length) errs.push(`${name}: a processor is listed twice`);
    }
    for (const k of Object.keys(con)) {
      if (!feeders.has(k)) errs.push(`connector ${k} is not an exporter in any pipeline`);
      if (!consumers.has(k)) errs.push(`connector ${k} is not a receiver in any pipeline`);
    }
    for (const k of [...Object.keys(rec), ...Object.keys(proc), ...Object.keys(exp), ...Object.keys(con)]) if (!used.has(k)) errs.push(`${k} is defined but not used in any pipeline`);
  });

  check('memory_limiter is the first processor of every pipeline', (errs) => {
    for (const [name, p] of pipelines) {
      const first = pl(p).processors[0];
      if (typeOf(first) !== 'memory_limiter') errs.push(`${name}: first processor is ${first ?? '(none)'}, not memory_limiter`);
    }
  });

  check('OTLP receiver: gRPC and HTTP, CORS on HTTP for the browser', (errs) => {
    const otlp = Object.entries(rec).filter(([k]) => typeOf(k) === 'otlp');
    if (!otlp.length) errs.push('no otlp receiver');
    for (const [k, r] of otlp) {
      const protocols = (r && r.protocols) || {};
      if (!('grpc' in protocols)) errs.push(`${k}: no grpc protocol`);
      if (!('http' in protocols)) errs.push(`${k}: no http protocol`);
      const cors = protocols.http && protocols.http.cors;
      if (!cors || !asList(cors.allowed_origins).length) errs.push(`${k}: http has no cors.allowed_origins`);
    }
  });

  // Redaction order: data reaching tail_sampling, a connector or an exporter must have passed a
  // redaction processor, in its own pipeline or upstream of every connector it receives from.
  const redactionIndex = (name) => pl(svc.pipelines[name]).processors.findIndex((x) => isRedactionProcessor(x, proc[x]));
  const cleanMemo = new Map();
  const upstreamClean = (name, seen = new Set()) => {
    if (cleanMemo.has(name)) return cleanMemo.get(name);
    if (seen.has(name)) return false;
    seen.add(name);
    let ok;
    if (redactionIndex(name) >= 0) ok = true;
    else {
      const receivers = pl(svc.pipelines[name]).receivers;
      ok = receivers.length > 0 && receivers.every((r) => r in con && (feeders.get(r) || []).length > 0 && feeders.get(r).every((f) => upstreamClean(f, seen)));
    }
    cleanMemo.set(name, ok);
    return ok;
  };
  check('redaction (redaction/transform processor) runs before tail_sampling, the connectors and every exporter of traces and logs', (errs) => {
    let any = false;
    for (const [name, p] of pipelines) {
      if (!['traces', 'logs'].includes(signalOf(name))) continue;
      const { processors } = pl(p);
      const r = redactionIndex(name);
      if (r >= 0) {
        any = true;
        processors.forEach((x, i) => { if (typeOf(x) === 'tail_sampling' && i < r) errs.push(`${name}: tail_sampling (${x}) runs before ${processors[r]}`); });
        continue;
      }
      if (!upstreamClean(name)) {
        const raw = pl(p).receivers.filter((x) => !(x in con));
        errs.push(`${name}: no redaction processor, and ${raw.length ? `receiver(s) ${raw.join(', ')} feed it directly` : 'a pipeline upstream of its connectors does not redact'}`);
      }
    }
    if (!any) errs.push('no traces or logs pipeline has a redaction or transform (replace_pattern) processor');
  });

  check('redaction patterns mask e-mails, bearer tokens, pk_/pst_ keys and tokens, sk- keys and JWTs in span attributes and log bodies (and keep ids)', (errs) => {
    const rules = [];
    const tracesProcs = new Set(), logsProcs = new Set();
    for (const [name, p] of pipelines) for (const x of pl(p).processors) {
      if (signalOf(name) === 'traces') tracesProcs.add(x);
      if (signalOf(name) === 'logs') logsProcs.add(x);
    }
    for (const [id, cfg] of Object.entries(proc)) if (isRedactionProcessor(id, cfg)) rules.push(...redactionRules(id, cfg, errs));
    const targets = [
      ['span.attributes', tracesProcs],
      ['log.body', logsProcs],
    ];
    for (const [target, used] of targets) {
      const rs = rules.filter((r) => r.target === target && used.has(r.processor));
      if (!rs.length) { errs.push(`no masking rule for ${target} in a processor of a ${target.startsWith('span') ? 'traces' : 'logs'} pipeline`); continue; }
      for (const s of SECRET_SAMPLES) {
        const out = applyRules(rs, s.text);
        if (out.includes(s.secret)) errs.push(`${target}: ${s.what} survives: "${s.text}" -> "${out}"`);
      }
      for (const safe of SAFE_SAMPLES) {
        const out = applyRules(rs, safe);
        if (out !== safe) errs.push(`${target}: non-secret text is changed: "${safe}" -> "${out}"`);
      }
    }
  });

  // Tail sampling: the keep rules are top-level policies (the trace is kept if any says so).
  const tailIds = Object.keys(proc).filter((k) => typeOf(k) === 'tail_sampling');
  check('traces reach their exporters only through tail_sampling; span metrics and the service graph see every span', (errs) => {
    if (!tailIds.length) errs.push('no tail_sampling processor defined');
    for (const [name, p] of pipelines) {
      const { processors, exporters } = pl(p);
      const hasTail = processors.some((x) => typeOf(x) === 'tail_sampling');
      if (hasTail && signalOf(name) !== 'traces') errs.push(`${name}: tail_sampling in a ${signalOf(name)} pipeline`);
      if (signalOf(name) !== 'traces') continue;
      const real = exporters.filter((x) => x in exp);
      if (real.length && !hasTail) errs.push(`${name}: exports to ${real.join(', ')} without tail_sampling`);
      const metricConnectors = exporters.filter((x) => ['spanmetrics', 'servicegraph'].includes(typeOf(x)));
      if (hasTail && metricConnectors.length) errs.push(`${name}: ${metricConnectors.join(', ')} after tail_sampling: span metrics would count only sampled traces`);
    }
  });

  check('tail_sampling always keeps errors, HTTP 401/403/429, traces slower than 2 s and safety blocks/redactions, plus a probabilistic share', (errs) => {
    const used = tailIds.filter((id) => pipelines.some(([, p]) => pl(p).processors.includes(id)));
    if (!used.length) { errs.push('no tail_sampling processor is used in a pipeline'); return; }
    const safetyKeys = safetyAttributeKeys(root);
    for (const id of used) {
      const cfg = proc[id] || {};
      const policies = asList(cfg.policies);
      const of = (type) => policies.filter((p) => p && p.type === type && !(p[type] || {}).invert_match);
      if (!of('status_code').some((p) => asList(p.status_code?.status_codes).includes('ERROR'))) errs.push(`${id}: no status_code policy with ERROR`);
      for (const code of [401, 403, 429]) {
        const hit = of('numeric_attribute').some((p) => {
          const n = p.numeric_attribute || {};
          const min = n.min_value === undefined ? -Infinity : Number(resolved(n.min_value));
          const max = n.max_value === undefined ? Infinity : Number(resolved(n.max_value));
          return n.key === 'http.response.status_code' && min <= code && code <= max;
        });
        if (!hit) errs.push(`${id}: no numeric_attribute policy on http.response.status_code that keeps ${code}`);
      }
      const latency = of('latency');
      if (!latency.length) errs.push(`${id}: no latency policy`);
      for (const p of latency) {
        const t = Number(resolved(p.latency?.threshold_ms));
        if (!(t > 0 && t <= 2000)) errs.push(`${id}: latency policy ${p.name}: threshold_ms ${p.latency?.threshold_ms} (want > 0 and <= 2000)`);
        if (p.latency?.upper_threshold_ms) errs.push(`${id}: latency policy ${p.name} has upper_threshold_ms: the slowest traces would be dropped`);
      }
      const wait = durationMs(cfg.decision_wait ?? '30s');
      const threshold = Math.min(...latency.map((p) => Number(p.latency?.threshold_ms) || Infinity));
      if (wait === undefined) errs.push(`${id}: decision_wait ${cfg.decision_wait} is not a duration`);
      else if (Number.isFinite(threshold) && wait <= threshold) errs.push(`${id}: decision_wait ${cfg.decision_wait} is not longer than the latency threshold (${threshold} ms)`);
      const safety = of('string_attribute').filter((p) => String(p.string_attribute?.key || '').startsWith('parley.safety.'));
      const values = new Set(safety.flatMap((p) => asList(p.string_attribute?.values).map(String)));
      const regex = safety.some((p) => p.string_attribute?.enabled_regex_matching);
      for (const v of ['block', 'redact']) {
        const hit = values.has(v) || (regex && [...values].some((pat) => { try { return new RegExp(`^(?:${pat})$`).test(v); } catch { return false; } }));
        if (!hit) errs.push(`${id}: no string_attribute policy on a parley.safety.* attribute that keeps "${v}"`);
      }
      for (const p of safety) {
        const key = p.string_attribute.key;
        if (safetyKeys && !safetyKeys.has(key)) errs.push(`${id}: policy ${p.name}: ${key} is not set anywhere in safety-service/src or chat-service/src (found: ${[...safetyKeys].join(', ') || 'none'})`);
      }
      const prob = of('probabilistic');
      if (!prob.length) errs.push(`${id}: no probabilistic policy for a share of the other traces`);
      for (const p of prob) {
        const raw = p.probabilistic?.sampling_percentage;
        const pct = Number(resolved(raw));
        if (!(pct > 0 && pct <= 100)) errs.push(`${id}: policy ${p.name}: sampling_percentage ${raw} (default) is not in (0, 100]`);
      }
      const names = policies.map((p) => p && p.name);
      if (names.some((n) => !n)) errs.push(`${id}: a policy has no name`);
      if (new Set(names).size !== names.length) errs.push(`${id}: duplicate policy names`);
    }
  });

  check('spanmetrics and servicegraph connectors: exporter side in traces, receiver side in a metrics pipeline exporting to prometheusremotewrite (/api/v1/write)', (errs) => {
    for (const type of ['spanmetrics', 'servicegraph']) {
      const ids = Object.keys(con).filter((k) => typeOf(k) === type);
      if (!ids.length) { errs.push(`no ${type} connector`); continue; }
      for (const id of ids) {
        const from = (feeders.get(id) || []).filter((n) => signalOf(n) === 'traces');
        if (!from.length) errs.push(`${id}: not an exporter of any traces pipeline`);
        const to = (consumers.get(id) || []).filter((n) => signalOf(n) === 'metrics');
        if (!to.length) errs.push(`${id}: not a receiver of any metrics pipeline`);
        for (const n of to) if (!pl(svc.pipelines[n]).exporters.some((x) => typeOf(x) === 'prometheusremotewrite')) errs.push(`${n}: receives ${id} but does not export to prometheusremotewrite`);
      }
    }
    const sm = Object.entries(con).find(([k]) => typeOf(k) === 'spanmetrics');
    if (sm && !(sm[1] && sm[1].exemplars && sm[1].exemplars.enabled)) errs.push(`${sm[0]}: exemplars.enabled is not true`);
    const prw = Object.entries(exp).filter(([k]) => typeOf(k) === 'prometheusremotewrite');
    if (!prw.length) errs.push('no prometheusremotewrite exporter');
    for (const [k, e] of prw) {
      let url;
      try { url = new URL(String(resolved(e && e.endpoint))); } catch { errs.push(`${k}: endpoint ${e && e.endpoint} is not a URL`); continue; }
      if (url.pathname !== '/api/v1/write') errs.push(`${k}: endpoint path ${url.pathname}, want /api/v1/write`);
      if (compose) {
        const target = services[url.hostname];
        if (!target) errs.push(`${k}: endpoint host ${url.hostname} is not a compose service`);
        else if (!/prom\/prometheus|prometheus/.test(String(target.image || ''))) errs.push(`${k}: compose service ${url.hostname} is not Prometheus (image ${target.image})`);
        if (url.port && url.port !== '9090') errs.push(`${k}: port ${url.port}, Prometheus listens on 9090`);
      }
    }
    for (const [name, p] of pipelines) for (const x of pl(p).exporters) if (typeOf(x) === 'prometheus') errs.push(`${name}: still exports to the scrape-based ${x} exporter (span metrics go by remote write)`);
  });

  check('audit log lines (msg "audit") get their own stream: a filelog operator sets resource parley.stream=audit', (errs) => {
    const logReceivers = new Set(pipelines.filter(([n]) => signalOf(n) === 'logs').flatMap(([, p]) => pl(p).receivers));
    const filelogs = Object.entries(rec).filter(([k]) => typeOf(k) === 'filelog' && logReceivers.has(k));
    if (!filelogs.length) { errs.push('no filelog receiver in a logs pipeline'); return; }
    const ops = filelogs.flatMap(([k, r]) => asList(r && r.operators).map((op, i) => ({ k, i, op: op || {} })));
    const audit = ops.filter(({ op }) => op.type === 'add' && /^resource\[["']parley\.stream["']\]$/.test(String(op.field || '')) && op.value === 'audit');
    if (!audit.length) { errs.push('no `add` operator with field resource["parley.stream"] and value audit'); return; }
    for (const { k, i, op } of audit) {
      if (!/\bmsg\s*==\s*"audit"/.test(String(op.if || ''))) errs.push(`${k} operator ${op.id || i}: its if (${op.if}) does not test msg == "audit": every line would be tagged`);
      const parse = ops.findIndex(({ k: kk, op: o }) => kk === k && o.type === 'json_parser' && String(o.parse_to || '') === 'attributes._app');
      const drop = ops.findIndex(({ k: kk, op: o }) => kk === k && o.type === 'remove' && String(o.field || '') === 'attributes._app');
      if (parse >= 0 && i < parse) errs.push(`${k} operator ${op.id || i}: runs before the app line is parsed`);
      if (drop >= 0 && i > drop) errs.push(`${k} operator ${op.id || i}: runs after attributes._app is removed`);
    }
  });

  check('compose: Prometheus accepts remote write (--web.enable-remote-write-receiver) and keeps exemplar storage', (errs) => {
    if (!compose) { errs.push('no compose file'); return; }
    const prom = services.prometheus;
    if (!prom) { errs.push('no prometheus service'); return; }
    const cmd = asList(prom.command).flatMap((x) => String(x).split(/\s+/)).filter(Boolean);
    if (!cmd.includes('--web.enable-remote-write-receiver')) errs.push('prometheus command lacks --web.enable-remote-write-receiver');
    const features = cmd.filter((a) => a.startsWith('--enable-feature=')).flatMap((a) => a.slice('--enable-feature='.length).split(','));
    if (!features.includes('exemplar-storage')) errs.push('prometheus command lacks --enable-feature=exemplar-storage');
  });

  check('compose: the collector is pinned, loads this config and gets every env var the config needs', (errs) => {
    if (!compose) { errs.push('no compose file'); return; }
    const entry = Object.entries(services).find(([, s]) => /opentelemetry-collector/.test(String(s.image || '')));
    if (!entry) { errs.push('no opentelemetry-collector service'); return; }
    const [name, s] = entry;
    // The tag may come from the committed .env (`image: repo:${OTELCOL_VERSION:?...}`).
    const tag = String(s.image).split(':').slice(1).join(':').replace(/^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::\?[^}]*)?\}$/, (_, v) => dotenv(root)[v] ?? '');
    if (!tag || tag === 'latest' || tag.startsWith('$')) errs.push(`${name}: image ${s.image} is not pinned to a version`);
    const cfgArg = asList(s.command).map(String).find((a) => a.startsWith('--config='));
    const cfgPath = cfgArg ? cfgArg.slice('--config='.length) : undefined;
    const targets = asList(s.volumes).map((v) => (typeof v === 'string' ? v.split(':')[1] : v && v.target));
    if (!cfgPath) errs.push(`${name}: no --config= in its command`);
    else if (!targets.includes(cfgPath)) errs.push(`${name}: ${cfgPath} is not mounted`);
    const env = s.environment || {};
    const envNames = new Set(Array.isArray(env) ? env.map((e) => String(e).split('=')[0]) : Object.keys(env));
    const refs = [...JSON.stringify(c).matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)];
    for (const [, v, def] of refs) if (!def && !envNames.has(v)) errs.push(`${name}: config needs \${env:${v}} (no default) but the service does not set it`);
  });

  check('compose: services head-sample 100% by default (tail sampling only sees what head sampling kept)', (errs) => {
    if (!compose) { errs.push('no compose file'); return; }
    const senders = Object.entries(services).filter(([, s]) => s && s.environment && !Array.isArray(s.environment) && s.environment.OTEL_EXPORTER_OTLP_ENDPOINT);
    if (!senders.length) errs.push('no service sets OTEL_EXPORTER_OTLP_ENDPOINT');
    for (const [name, s] of senders) {
      const env = s.environment;
      const sampler = String(resolved(env.OTEL_TRACES_SAMPLER) ?? '');
      const arg = resolved(env.OTEL_TRACES_SAMPLER_ARG);
      if (['always_on', 'parentbased_always_on'].includes(sampler)) continue;
      if (['traceidratio', 'parentbased_traceidratio'].includes(sampler) && Number(arg) === 1) continue;
      errs.push(`${name}: OTEL_TRACES_SAMPLER=${env.OTEL_TRACES_SAMPLER} OTEL_TRACES_SAMPLER_ARG=${env.OTEL_TRACES_SAMPLER_ARG}: by default not every trace reaches the collector`);
    }
  });

  return results;
}

/** Span attribute keys under parley.safety.* that the services' source sets. */
function safetyAttributeKeys(root) {
  const dirs = ['safety-service/src', 'chat-service/src'].map((d) => join(root, d)).filter((d) => existsSync(d));
  if (!dirs.length) return undefined;
  const keys = new Set();
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(f) && !/\.test\./.test(f)) for (const m of readFileSync(p, 'utf8').matchAll(/['"](parley\.safety\.[a-z_.]+)['"]/g)) keys.add(m[1]);
    }
  };
  dirs.forEach(walk);
  return keys;
}

// --- CLI -------------------------------------------------------------------------------------

function report(results) {
  let failed = 0;
  for (const { name, errors } of results) {
    if (errors.length) {
      failed++;
      console.log(`  FAIL  ${name}`);
      for (const e of errors) console.log(`        ${e.replace(/\n/g, '\n        ')}`);
    } else console.log(`  ok    ${name}`);
  }
  return failed;
}

function argValue(args, flag, def) {
  const i = args.indexOf(flag);
  if (i < 0) return def;
  if (!args[i + 1]) throw new Error(`${flag} needs a value`);
  return resolve(args[i + 1]);
}

function main(args) {
  if (args.includes('--self-test')) return selfTest();
  const configFile = argValue(args, '--config', DEFAULT_CONFIG);
  const composeFile = argValue(args, '--compose', DEFAULT_COMPOSE);
  console.log(`check-collector: ${configFile.replace(ROOT + '/', '')} + ${composeFile.replace(ROOT + '/', '')}`);
  const results = runChecks(loadYaml(configFile), loadYaml(composeFile));
  const failed = report(results);
  console.log(failed ? `check-collector: ${failed} of ${results.length} checks failed` : `check-collector: ${results.length} checks passed`);
  console.log('  (not checked here: that otelcol-contrib accepts the keys and OTTL; run `otelcol-contrib validate --config ...` where the binary exists)');
  return failed ? 1 : 0;
}

/**
 * Writes the real files and deliberately broken copies (as JSON, which is YAML) into a temp dir,
 * runs this script on each as a child process and expects: the real ones pass, each broken one
 * fails with the named check.
 */
function selfTest() {
  const config = loadYaml(DEFAULT_CONFIG);
  const compose = loadYaml(DEFAULT_COMPOSE);
  const clone = (x) => JSON.parse(JSON.stringify(x));
  const P = (c) => c.service.pipelines;
  const tailOf = (c) => c.processors[Object.keys(c.processors).find((k) => typeOf(k) === 'tail_sampling')];
  const redactId = (c) => Object.keys(c.processors).find((k) => isRedactionProcessor(k, c.processors[k]));
  const cases = [
    { name: 'unchanged copies', expect: null },
    { name: 'memory_limiter not first in logs', expect: 'memory_limiter is the first', mutate: (c) => { P(c).logs.processors = P(c).logs.processors.filter((x) => x !== 'memory_limiter').concat('memory_limiter'); } },
    { name: 'undefined exporter referenced', expect: 'every pipeline references defined components', mutate: (c) => { P(c).logs.exporters.push('otlp_http/nowhere'); } },
    { name: 'redaction moved after tail_sampling', expect: 'redaction (redaction/transform processor) runs before', mutate: (c) => {
      const r = redactId(c);
      for (const p of Object.values(P(c))) p.processors = p.processors.filter((x) => x !== r);
      const sampling = Object.values(P(c)).find((p) => p.processors.some((x) => typeOf(x) === 'tail_sampling'));
      sampling.processors.push(r);
      P(c).logs.processors.splice(1, 0, r);
    } },
    { name: 'no e-mail pattern', expect: 'redaction patterns mask', mutate: (c) => {
      const t = c.processors[redactId(c)];
      for (const k of ['trace_statements', 'log_statements']) for (const g of asList(t[k])) if (g && g.statements) g.statements = g.statements.filter((s) => !s.includes('redacted:email'));
    } },
    { name: 'single backslash in an OTTL string', expect: 'redaction patterns mask', mutate: (c) => {
      const g = asList(c.processors[redactId(c)].trace_statements)[0];
      g.statements = g.statements.map((s) => s.replace(/\\\\/g, '\\'));
    } },
    { name: '429 policy removed', expect: 'tail_sampling always keeps', mutate: (c) => { const t = tailOf(c); t.policies = t.policies.filter((p) => !(p.numeric_attribute && p.numeric_attribute.min_value <= 429 && 429 <= p.numeric_attribute.max_value)); } },
    { name: 'latency threshold 5 s', expect: 'tail_sampling always keeps', mutate: (c) => { for (const p of tailOf(c).policies) if (p.type === 'latency') p.latency.threshold_ms = 5000; } },
    { name: 'safety policy on an attribute nobody sets', expect: 'tail_sampling always keeps', mutate: (c) => { for (const p of tailOf(c).policies) if (p.type === 'string_attribute') p.string_attribute.key = 'parley.safety.verdict'; } },
    { name: 'errors policy removed', expect: 'tail_sampling always keeps', mutate: (c) => { const t = tailOf(c); t.policies = t.policies.filter((p) => p.type !== 'status_code'); } },
    { name: 'tail_sampling bypassed', expect: 'traces reach their exporters only through tail_sampling', mutate: (c) => {
      for (const p of Object.values(P(c))) p.processors = p.processors.filter((x) => typeOf(x) !== 'tail_sampling');
    } },
    { name: 'spanmetrics receiver side removed', expect: 'spanmetrics and servicegraph connectors', mutate: (c) => { for (const p of Object.values(P(c))) p.receivers = p.receivers.filter((x) => typeOf(x) !== 'spanmetrics'); } },
    { name: 'back to the scrape-based prometheus exporter', expect: 'spanmetrics and servicegraph connectors', mutate: (c) => {
      c.exporters.prometheus = { endpoint: '0.0.0.0:8889' };
      for (const [k, p] of Object.entries(P(c))) if (k.startsWith('metrics')) p.exporters = ['prometheus'];
      for (const k of Object.keys(c.exporters)) if (typeOf(k) === 'prometheusremotewrite') delete c.exporters[k];
    } },
    { name: 'audit operator removed', expect: 'audit log lines', mutate: (c) => { for (const r of Object.values(c.receivers)) if (r && r.operators) r.operators = r.operators.filter((o) => o.value !== 'audit'); } },
    { name: 'remote-write flag dropped', expect: 'Prometheus accepts remote write', mutateCompose: (d) => { d.services.prometheus.command = d.services.prometheus.command.filter((a) => a !== '--web.enable-remote-write-receiver'); } },
    { name: 'exemplar storage dropped', expect: 'Prometheus accepts remote write', mutateCompose: (d) => { d.services.prometheus.command = d.services.prometheus.command.filter((a) => !a.includes('exemplar-storage')); } },
    { name: 'head sampling at 10%', expect: 'head-sample 100%', mutateCompose: (d) => { d.services.gateway.environment.OTEL_TRACES_SAMPLER_ARG = '${OTEL_TRACES_SAMPLER_ARG:-0.1}'; } },
    { name: 'env var without default not set', expect: 'gets every env var', mutate: (c) => { tailOf(c).num_traces = '${env:PARLEY_UNSET_VAR}'; } },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'check-collector-'));
  let bad = 0;
  try {
    for (const [i, t] of cases.entries()) {
      const c = clone(config), d = clone(compose);
      if (t.mutate) t.mutate(c);
      if (t.mutateCompose) t.mutateCompose(d);
      const cf = join(dir, `config-${i}.yaml`), df = join(dir, `compose-${i}.yml`);
      writeFileSync(cf, JSON.stringify(c, null, 1));
      writeFileSync(df, JSON.stringify(d, null, 1));
      const run = spawnSync(process.execPath, [SCRIPT, '--config', cf, '--compose', df], { encoding: 'utf8' });
      const out = `${run.stdout}${run.stderr}`;
      const failedLines = out.split('\n').filter((l) => l.startsWith('  FAIL  '));
      let ok;
      if (t.expect === null) ok = run.status === 0;
      else ok = run.status === 1 && failedLines.some((l) => l.includes(t.expect));
      if (!ok) {
        bad++;
        console.log(`  FAIL  self-test: ${t.name}: expected ${t.expect === null ? 'a pass' : `a failure of "${t.expect}"`}, got exit ${run.status}`);
        console.log(out.replace(/^/gm, '        '));
      } else console.log(`  ok    self-test: ${t.name}${t.expect ? ` -> caught by "${t.expect}..."` : ' pass'}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(bad ? `check-collector self-test: ${bad} of ${cases.length} cases wrong` : `check-collector self-test: ${cases.length} cases as expected`);
  return bad ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`check-collector: ${e.message}`);
  process.exitCode = 2;
}
