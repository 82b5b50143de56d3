#!/usr/bin/env bash
# Validates the deployment assets that can be checked without a Docker engine,
# Grafana or k6: Prometheus config, rules and rule unit tests (promtool), the
# compose file (docker compose / docker-compose), YAML syntax and structure of
# the other configs, Grafana dashboards (shape, data source, metric names, PromQL
# syntax) and the k6 script's syntax. Prints every check; exits non-zero if any
# fails. Needs promtool, docker compose (v2) or docker-compose, python3 with
# PyYAML, and node. With CI=true and root, missing Debian packages are installed.
#
#   scripts/check-deploy.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

FAILED=0
PASSED=0
pass() { PASSED=$((PASSED + 1)); printf '  ok    %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL  %s\n' "$*"; }
section() { printf '\n== %s\n' "$*"; }
# Runs a command quietly; on failure shows its output.
check() {
  local what=$1; shift
  if "$@" >"$TMP/out" 2>&1; then
    pass "$what"
  else
    fail "$what"
    sed 's/^/        /' "$TMP/out"
  fi
}

# --- Tools -----------------------------------------------------------------------------
section "Tools"

COMPOSE=()
find_compose() {
  COMPOSE=()
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  fi
}
have_pyyaml() { command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' >/dev/null 2>&1; }

find_compose
missing_pkgs=()
command -v promtool >/dev/null 2>&1 || missing_pkgs+=(prometheus)
[ "${#COMPOSE[@]}" -gt 0 ] || missing_pkgs+=(docker-compose)
have_pyyaml || missing_pkgs+=(python3-yaml)
if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  if [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "  installing missing Debian packages (CI=true, root): ${missing_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
    find_compose
  else
    echo "check-deploy: missing tools; install the Debian/Ubuntu packages: ${missing_pkgs[*]}" >&2
    echo "  (promtool comes with 'prometheus'; 'docker compose' v2 also works instead of docker-compose)" >&2
    echo "  or run as root with CI=true and this script installs them with apt-get." >&2
    exit 1
  fi
fi
command -v promtool >/dev/null 2>&1 || { echo "check-deploy: promtool still missing" >&2; exit 1; }
[ "${#COMPOSE[@]}" -gt 0 ] || { echo "check-deploy: docker compose / docker-compose still missing" >&2; exit 1; }
have_pyyaml || { echo "check-deploy: python3 with PyYAML still missing" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "check-deploy: node is required (see scripts/node-env.sh)" >&2; exit 1; }

echo "  promtool: $(promtool --version 2>&1 | head -n1)"
echo "  compose:  ${COMPOSE[*]} ($("${COMPOSE[@]}" version 2>&1 | head -n1))"
echo "  python3:  $(python3 --version 2>&1), PyYAML $(python3 -c 'import yaml; print(yaml.__version__)')"
echo "  node:     $(node --version)"

# YAML file -> JSON on stdout.
yaml2json() { python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)' "$1"; }

# Metric names the services are known to expose (see ARCHITECTURE.md and the
# platform library). Dashboards and rules may use only these, plus names the
# rules record themselves. Extend when new metrics land (GenAI, breakers, safety).
KNOWN_METRICS="http_server_request_duration_seconds_bucket http_server_request_duration_seconds_count http_server_request_duration_seconds_sum process_cpu_seconds_total process_resident_memory_bytes nodejs_eventloop_lag_seconds gen_ai_client_operation_time_to_first_chunk_seconds_bucket gen_ai_client_operation_time_to_first_chunk_seconds_count gen_ai_client_operation_time_to_first_chunk_seconds_sum parley_circuit_breaker_state gateway_limit_store_degraded chat_safety_fail_closed_total audit_writes_total gateway_cost_budget_used_ratio gateway_kill_switch_engaged gateway_auth_decisions_total up parley_chat_time_to_first_text_seconds_bucket parley_chat_time_to_first_text_seconds_count parley_chat_time_to_first_text_seconds_sum"
export KNOWN_METRICS

# Shared JS: metric names referenced by a PromQL expression (strings, label
# matchers, ranges, grouping clauses, numbers, functions and keywords removed).
PROMQL_NAMES_JS='
const KEYWORDS = new Set(["by","without","on","ignoring","group_left","group_right","offset","bool","and","or","unless","inf","nan"]);
function metricNames(expr) {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|\x27(?:[^\x27\\]|\\.)*\x27|`[^`]*`/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, " ")
    .replace(/\boffset\s+-?[\w$]+/gi, " ")
    .replace(/\$\{?\w+\}?/g, " ")
    .replace(/(?<![\w:.])(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/gi, " ");
  const names = [];
  const re = /[A-Za-z_:][\w:]*/g;
  let m;
  while ((m = re.exec(s))) {
    if (/^\s*\(/.test(s.slice(re.lastIndex))) continue;
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}
'

# --- Prometheus ----------------------------------------------------------------------------
section "Prometheus (deploy/prometheus)"

PROM_DIR=deploy/prometheus
RULE_FILES=()
TEST_FILES=()
for f in "$PROM_DIR"/rules/*.yml; do
  case "$f" in
    *.test.yml) TEST_FILES+=("$f") ;;
    *) RULE_FILES+=("$f") ;;
  esac
done

# promtool resolves rule_files relative to the config file, and checks them too.
check "promtool check config $PROM_DIR/prometheus.yml" promtool check config "$PROM_DIR/prometheus.yml"

if [ "${#RULE_FILES[@]}" -eq 0 ]; then
  fail "no rule files in $PROM_DIR/rules"
else
  check "promtool check rules ${RULE_FILES[*]}" promtool check rules "${RULE_FILES[@]}"
fi
if [ "${#TEST_FILES[@]}" -eq 0 ]; then
  fail "no rule unit tests (*.test.yml) in $PROM_DIR/rules"
else
  check "promtool test rules ${TEST_FILES[*]}" promtool test rules "${TEST_FILES[@]}"
fi

# Every rule file is loaded by Prometheus and has a unit test file.
yaml2json "$PROM_DIR/prometheus.yml" >"$TMP/prometheus.json"
for f in "${RULE_FILES[@]}"; do
  rel="rules/$(basename "$f")"
  check "$f is listed in prometheus.yml rule_files" \
    node -e 'const c=require(process.argv[1]); process.exit((c.rule_files||[]).includes(process.argv[2])?0:1)' "$TMP/prometheus.json" "$rel"
  t="${f%.yml}.test.yml"
  check "$f has unit tests in $(basename "$t")" test -f "$t"
done

check "Parley jobs scraped as gateway, chat-service, safety-service, llm-sim every 15s" node -e '
  const c = require(process.argv[1]);
  const want = { "gateway": "gateway:8080", "chat-service": "chat-service:8081", "safety-service": "safety-service:8082", "llm-sim": "llm-sim:8090" };
  const errs = [];
  if ((c.global || {}).scrape_interval !== "15s") errs.push("global scrape_interval is not 15s");
  for (const [job, target] of Object.entries(want)) {
    const sc = (c.scrape_configs || []).find((s) => s.job_name === job);
    if (!sc) { errs.push("no job " + job); continue; }
    const targets = (sc.static_configs || []).flatMap((s) => s.targets || []);
    if (!targets.includes(target)) errs.push(job + " does not scrape " + target);
    if ((sc.metrics_path || "/metrics") !== "/metrics") errs.push(job + " metrics_path is not /metrics");
    if (sc.scrape_interval && sc.scrape_interval !== "15s") errs.push(job + " scrape_interval is not 15s");
  }
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/prometheus.json"

# Alerts carry summary, description and a runbook that exists; metric names are known.
for f in "${RULE_FILES[@]}"; do
  yaml2json "$f" >"$TMP/rules.json"
  check "$f: alerts have summary, description and an existing runbook_url (deploy/runbooks/<alert>.md)" node -e '
    const doc = require(process.argv[1]);
    const fs = require("fs");
    const errs = [];
    for (const g of doc.groups || []) for (const r of g.rules || []) {
      if (!r.alert) continue;
      const a = r.annotations || {};
      for (const k of ["summary", "description", "runbook_url"]) if (!a[k]) errs.push(r.alert + ": missing annotation " + k);
      const m = /(deploy\/runbooks\/[^/?#]+\.md)$/.exec(a.runbook_url || "");
      if (!m) { errs.push(r.alert + ": runbook_url does not end in deploy/runbooks/<file>.md"); continue; }
      if (m[1] !== "deploy/runbooks/" + r.alert + ".md") errs.push(r.alert + ": runbook should be deploy/runbooks/" + r.alert + ".md");
      if (!fs.existsSync(m[1])) errs.push(r.alert + ": " + m[1] + " does not exist");
    }
    if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
  ' "$TMP/rules.json"
  check "$f: expressions use only known metric names" node -e "$PROMQL_NAMES_JS"'
    const doc = require(process.argv[1]);
    const rules = (doc.groups || []).flatMap((g) => g.rules || []);
    const allowed = new Set(process.env.KNOWN_METRICS.split(" ").concat(rules.filter((r) => r.record).map((r) => r.record)));
    const errs = [];
    for (const r of rules) for (const n of metricNames(String(r.expr))) if (!allowed.has(n)) errs.push((r.record || r.alert) + ": unknown metric " + n);
    if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
  ' "$TMP/rules.json"
done

# --- Compose -------------------------------------------------------------------------------------
section "Compose (docker-compose.yml)"

# A private env file keeps a developer's .env and shell out of the result.
DUMMY_ENV=(
  INTERNAL_SECRET=check-deploy-dummy-internal-secret-0123456789abcdef
  ADMIN_API_KEY=check-deploy-dummy-admin-key
  GRAFANA_ADMIN_PASSWORD=check-deploy-dummy-grafana-password
)
: >"$TMP/empty.env"
compose_clean() {
  env -u INTERNAL_SECRET -u ADMIN_API_KEY -u GRAFANA_ADMIN_PASSWORD -u COMPOSE_PROFILES \
    -u OPENAI_API_KEY -u OPENAI_BASE_URL "$@"
}
compose() { compose_clean "${DUMMY_ENV[@]}" "${COMPOSE[@]}" --env-file "$TMP/empty.env" -f docker-compose.yml "$@"; }

check "${COMPOSE[*]} -f docker-compose.yml config -q (dummy INTERNAL_SECRET, ADMIN_API_KEY, GRAFANA_ADMIN_PASSWORD)" compose config -q
check "${COMPOSE[*]} --profile sim -f docker-compose.yml config -q" compose --profile sim config -q
for var in INTERNAL_SECRET ADMIN_API_KEY GRAFANA_ADMIN_PASSWORD; do
  env_without=()
  for kv in "${DUMMY_ENV[@]}"; do [ "${kv%%=*}" = "$var" ] || env_without+=("$kv"); done
  check "compose refuses to start without $var" \
    bash -c '! "$@"' _ compose_clean "${env_without[@]}" "${COMPOSE[@]}" --env-file "$TMP/empty.env" -f docker-compose.yml config -q
done

if [ "${COMPOSE[*]}" = "docker compose" ]; then
  compose --profile sim config --format json >"$TMP/compose.json"
else
  compose --profile sim config >"$TMP/compose.yml" && yaml2json "$TMP/compose.yml" >"$TMP/compose.json"
fi
# (docker-compose v1 lists every service in `config --services`; read the profiles instead.)
check "compose: llm-sim is in the sim profile, every other service runs by default" node -e '
  const c = require(process.argv[1]);
  const errs = [];
  for (const [name, s] of Object.entries(c.services)) {
    const profiles = s.profiles || [];
    if (name === "llm-sim" ? profiles.join() !== "sim" : profiles.length > 0) errs.push(name + ": profiles " + JSON.stringify(profiles));
  }
  if (!c.services["llm-sim"]) errs.push("no llm-sim service");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/compose.json"
check "compose: only gateway and grafana publish ports" node -e '
  const c = require(process.argv[1]);
  const published = Object.entries(c.services).filter(([, s]) => (s.ports || []).length > 0).map(([n]) => n).sort();
  if (published.join(",") !== "gateway,grafana") { console.error("published: " + published.join(", ")); process.exit(1); }
' "$TMP/compose.json"
check "compose: Parley services are health-checked on /readyz and start after healthy dependencies" node -e '
  const c = require(process.argv[1]);
  const ports = { "gateway": 8080, "chat-service": 8081, "safety-service": 8082, "llm-sim": 8090 };
  const errs = [];
  for (const [name, port] of Object.entries(ports)) {
    const s = c.services[name];
    if (!s) { errs.push("missing service " + name); continue; }
    const test = [].concat((s.healthcheck || {}).test || []).join(" ");
    if (!test.includes("http://127.0.0.1:" + port + "/readyz")) errs.push(name + ": healthcheck does not fetch 127.0.0.1:" + port + "/readyz");
  }
  for (const [name, s] of Object.entries(c.services)) {
    const deps = s.depends_on || {};
    for (const [dep, d] of Object.entries(Array.isArray(deps) ? Object.fromEntries(deps.map((x) => [x, {}])) : deps)) {
      const target = c.services[dep];
      if (!target) { errs.push(name + " depends on unknown " + dep); continue; }
      const cond = (d || {}).condition;
      if (target.healthcheck && !target.healthcheck.disable && cond !== "service_healthy") errs.push(name + " -> " + dep + ": condition should be service_healthy, is " + cond);
    }
  }
  const secrets = ["gateway", "chat-service", "safety-service"].map((n) => (c.services[n].environment || {}).INTERNAL_SECRET);
  if (new Set(secrets).size !== 1 || !secrets[0]) errs.push("INTERNAL_SECRET differs between gateway, chat-service and safety-service");
  if (!String((c.services["chat-service"].environment || {}).OPENAI_BASE_URL).includes("llm-sim:8090")) errs.push("chat-service does not default to llm-sim");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/compose.json"
check "no .env file is tracked by git" bash -c '[ -z "$(git ls-files -- .env "*/.env" 2>/dev/null)" ]'
check "deploy/compose.env.example leaves every secret empty" \
  bash -c '! grep -E "^(INTERNAL_SECRET|ADMIN_API_KEY|GRAFANA_ADMIN_PASSWORD|OPENAI_API_KEY)=." deploy/compose.env.example'

# --- Other configs -------------------------------------------------------------------------------
section "YAML configs (deploy/**)"

while IFS= read -r f; do
  check "YAML parses: $f" python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f"
done < <(find deploy -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)

yaml2json deploy/otel-collector/config.yaml >"$TMP/otelcol.json"
check "otel-collector: pipelines reference defined components; connectors are wired both ways" node -e '
  const c = require(process.argv[1]);
  const errs = [];
  const defined = (kind) => new Set(Object.keys(c[kind] || {}));
  const rec = defined("receivers"), proc = defined("processors"), exp = defined("exporters"), con = defined("connectors"), ext = defined("extensions");
  const svc = c.service || {};
  for (const e of svc.extensions || []) if (!ext.has(e)) errs.push("extension " + e + " not defined");
  const asExporter = new Set(), asReceiver = new Set();
  for (const [name, p] of Object.entries(svc.pipelines || {})) {
    for (const r of p.receivers || []) { if (con.has(r)) asReceiver.add(r); else if (!rec.has(r)) errs.push(name + ": receiver " + r + " not defined"); }
    for (const x of p.processors || []) if (!proc.has(x)) errs.push(name + ": processor " + x + " not defined");
    for (const x of p.exporters || []) { if (con.has(x)) asExporter.add(x); else if (!exp.has(x)) errs.push(name + ": exporter " + x + " not defined"); }
    if (!(p.receivers || []).length || !(p.exporters || []).length) errs.push(name + ": needs receivers and exporters");
    if ((p.processors || [])[0] !== "memory_limiter") errs.push(name + ": memory_limiter should come first");
    if (!(p.processors || []).includes("batch")) errs.push(name + ": no batch processor");
  }
  for (const x of con) if (!asExporter.has(x) || !asReceiver.has(x)) errs.push("connector " + x + " must be an exporter in one pipeline and a receiver in another");
  const used = new Set(Object.values(svc.pipelines || {}).flatMap((p) => [...(p.receivers || []), ...(p.processors || []), ...(p.exporters || [])]));
  for (const k of [...rec, ...proc, ...exp, ...con]) if (!used.has(k)) errs.push(k + " is defined but unused");
  if (!(((c.receivers || {}).otlp || {}).protocols || {}).grpc || !c.receivers.otlp.protocols.http) errs.push("otlp receiver needs grpc and http");
  if (!((c.receivers.otlp.protocols.http || {}).cors)) errs.push("otlp http receiver has no CORS settings");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/otelcol.json"
check "otel-collector: redaction, tail sampling, span metrics by remote write, audit log stream (scripts/check-collector.mjs)" \
  node scripts/check-collector.mjs
check "scripts/check-collector.mjs catches deliberately broken configs (--self-test)" \
  node scripts/check-collector.mjs --self-test

yaml2json deploy/grafana/provisioning/datasources/parley.yaml >"$TMP/datasources.json"
check "grafana: Prometheus, Tempo and Loki provisioned with fixed uids and trace<->log links" node -e '
  const c = require(process.argv[1]);
  const by = Object.fromEntries((c.datasources || []).map((d) => [d.uid, d]));
  const errs = [];
  for (const [uid, type] of [["prometheus", "prometheus"], ["tempo", "tempo"], ["loki", "loki"]])
    if (!by[uid] || by[uid].type !== type) errs.push("missing " + type + " data source with uid " + uid);
  const t2l = ((by.tempo || {}).jsonData || {}).tracesToLogsV2 || {};
  if (t2l.datasourceUid !== "loki" || !/trace_id/.test(t2l.query || "")) errs.push("Tempo -> Loki link by trace_id missing");
  const df = (((by.loki || {}).jsonData || {}).derivedFields || []).find((d) => d.datasourceUid === "tempo");
  if (!df || !/trace_id/.test(df.matcherRegex || "")) errs.push("Loki -> Tempo derived field on trace_id missing");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/datasources.json"

# --- Dashboards ----------------------------------------------------------------------------------------
section "Grafana dashboards (dashboards/*.json)"

shopt -s nullglob
DASHBOARDS=(dashboards/*.json)
shopt -u nullglob
if [ "${#DASHBOARDS[@]}" -eq 0 ]; then
  fail "no dashboards in dashboards/"
fi
for f in "${DASHBOARDS[@]}"; do
  check "$f: valid JSON with uid, title, schemaVersion >= 39, datasource and service variables; every panel has targets and uses \${datasource}" node -e '
    const fs = require("fs");
    const file = process.argv[1];
    let d;
    try { d = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { console.error("invalid JSON: " + e.message); process.exit(1); }
    const errs = [];
    if (typeof d.uid !== "string" || !/^[A-Za-z0-9_-]{1,40}$/.test(d.uid)) errs.push("uid missing or not a valid Grafana uid");
    if (typeof d.title !== "string" || !d.title) errs.push("title missing");
    if (!(d.schemaVersion >= 39)) errs.push("schemaVersion " + d.schemaVersion + " < 39");
    const vars = (d.templating || {}).list || [];
    const dsVar = vars.find((v) => v.type === "datasource" && v.query === "prometheus");
    if (!dsVar) errs.push("no templated prometheus datasource variable");
    const dsName = dsVar ? dsVar.name : "datasource";
    const refs = new Set(["${" + dsName + "}", "$" + dsName]);
    if (!vars.find((v) => v.name === "service")) errs.push("no service variable");
    for (const v of vars) if (v.type === "query" && !(v.datasource && refs.has(v.datasource.uid))) errs.push("variable " + v.name + " does not use $" + dsName);
    const all = [];
    const walk = (ps) => { for (const p of ps || []) { all.push(p); walk(p.panels); } };
    walk(d.panels);
    if (!all.some((p) => p.type !== "row")) errs.push("no panels");
    const ids = new Set();
    for (const p of all) {
      const name = "panel " + p.id + " (" + (p.title || p.type) + ")";
      if (ids.has(p.id)) errs.push(name + ": duplicate id"); ids.add(p.id);
      if (!p.gridPos) errs.push(name + ": no gridPos");
      if (p.type === "row" || p.type === "text") continue;
      if (!p.datasource || !refs.has(p.datasource.uid)) errs.push(name + ": datasource is not $" + dsName);
      if (!Array.isArray(p.targets) || p.targets.length === 0) errs.push(name + ": no targets");
      for (const t of p.targets || []) {
        if (!t.expr) errs.push(name + " target " + t.refId + ": no expr");
        if (t.datasource && !refs.has(t.datasource.uid)) errs.push(name + " target " + t.refId + ": datasource is not $" + dsName);
      }
    }
    if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
  ' "$f"
done
if [ "${#DASHBOARDS[@]}" -gt 0 ]; then
  check "dashboard uids are unique" node -e '
    const uids = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")).uid);
    if (new Set(uids).size !== uids.length) { console.error("duplicate uids: " + uids.join(", ")); process.exit(1); }
  ' "${DASHBOARDS[@]}"
  # All PromQL of all dashboards, Grafana variables replaced, as a rule file promtool can parse.
  node -e "$PROMQL_NAMES_JS"'
    const fs = require("fs");
    const allowed = new Set(process.env.KNOWN_METRICS.split(" "));
    const rules = [], unknown = [];
    for (const file of process.argv.slice(2)) {
      const d = JSON.parse(fs.readFileSync(file, "utf8"));
      const walk = (ps) => { for (const p of ps || []) { for (const t of p.targets || []) if (t.expr) {
        for (const n of metricNames(t.expr)) if (!allowed.has(n)) unknown.push(file + " panel " + p.id + " (" + p.title + "): " + n);
        const expr = t.expr.replace(/\$\{?__(?:rate_interval|interval|range)\}?/g, "5m").replace(/\$\{?\w+(?::\w+)?\}?/g, ".*");
        rules.push({ record: "dashboard:expr:" + rules.length, expr });
      } walk(p.panels); } };
      walk(d.panels);
    }
    fs.writeFileSync(process.argv[1], JSON.stringify({ groups: [{ name: "dashboards", rules }] }, null, 1));
    fs.writeFileSync(process.argv[1] + ".unknown", unknown.join("\n"));
  ' "$TMP/dashboard-exprs.yml" "${DASHBOARDS[@]}"
  check "dashboards use only known metric names ($KNOWN_METRICS)" bash -c '! [ -s "$1" ] || { cat "$1"; echo; false; }' _ "$TMP/dashboard-exprs.yml.unknown"
  check "dashboard PromQL parses (promtool, Grafana variables substituted)" promtool check rules "$TMP/dashboard-exprs.yml"
fi

# --- k6 ------------------------------------------------------------------------------------------------
section "k6 (syntax only: k6 itself is not run here)"

shopt -s nullglob
for f in k6/*.js; do
  check "node --check $f" node --check "$f"
  check "$f reads BASE_URL and defines thresholds and checks" \
    bash -c 'grep -q "__ENV.BASE_URL" "$1" && grep -q "thresholds" "$1" && grep -q "check(" "$1"' _ "$f"
done
shopt -u nullglob

# --- Image ---------------------------------------------------------------------------------------------
section "Image (Dockerfile, .dockerignore: static checks; the image is not built here)"

check "Dockerfile: multi-stage, npm ci, build, prune, NODE_ENV=production, non-root" bash -c '
  f=Dockerfile
  [ "$(grep -c "^FROM " "$f")" -ge 2 ] && grep -q "npm ci" "$f" && grep -q "npm run build:ts" "$f" &&
  grep -q "npm prune --omit=dev" "$f" && grep -q "^ENV NODE_ENV=production" "$f" && grep -Eq "^USER (node|[1-9][0-9]*)" "$f"'
check "Dockerfile's Node image matches .nvmrc ($(tr -d ' \nv' < .nvmrc 2>/dev/null || echo missing))" bash -c '
  v="$(tr -d " \nv" < .nvmrc)" && grep -Eq "^ARG NODE_IMAGE=node:${v//./\\.}-" Dockerfile'
check ".dockerignore keeps node_modules, dist and .env out of the build context" bash -c '
  grep -qx "\*\*/node_modules" .dockerignore && grep -qx "\*\*/dist" .dockerignore && grep -qx ".env" .dockerignore'

# --- Summary ---------------------------------------------------------------------------------------------
section "Not validated here"
cat <<'EOF'
  - otel-collector config semantics (needs: otelcol-contrib validate --config deploy/otel-collector/config.yaml)
  - Tempo and Loki config semantics (needs: tempo / loki -verify-config)
  - Grafana actually loading the provisioning and the dashboard (needs Grafana)
  - docker build and the running stack (needs a Docker engine); k6 run (needs k6)
EOF

printf '\n%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
