#!/usr/bin/env bash
# Validates the deployment assets that can be checked without a Docker engine,
# Grafana or k6: Prometheus config, rules and rule unit tests (promtool), the
# Alertmanager config, its route tests for every alert and its inhibitions (amtool),
# the compose file (compose-spec schema, files, variables, dependencies, limits,
# pinned images, secrets; scripts/check-compose.py), YAML syntax and structure of
# the other configs, Grafana dashboards, the k6 scenarios (typecheck), and the images
# (Dockerfiles, build context, and a rehearsal of the build without Docker).
# Prints every check; exits non-zero if any fails. Needs promtool, amtool
# (prometheus-alertmanager), docker compose (v2) or docker-compose, python3 with
# PyYAML and jsonschema, curl, and node; the image rehearsal needs the npm
# registry. With CI=true and root, missing Debian packages are installed.
#
#   scripts/check-deploy.sh
#   REHEARSE_IMAGES=all scripts/check-deploy.sh    # rehearse every image (default: gateway)
#   REHEARSE_IMAGES=none scripts/check-deploy.sh   # offline: skip the rehearsal (said in the summary)
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
have_jsonschema() { command -v python3 >/dev/null 2>&1 && python3 -c 'import jsonschema' >/dev/null 2>&1; }

find_compose
missing_pkgs=()
command -v promtool >/dev/null 2>&1 || missing_pkgs+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing_pkgs+=(prometheus-alertmanager)
[ "${#COMPOSE[@]}" -gt 0 ] || missing_pkgs+=(docker-compose)
have_pyyaml || missing_pkgs+=(python3-yaml)
have_jsonschema || missing_pkgs+=(python3-jsonschema)
command -v curl >/dev/null 2>&1 || missing_pkgs+=(curl)
if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  if [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "  installing missing Debian packages (CI=true, root): ${missing_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
    find_compose
  else
    echo "check-deploy: missing tools; install the Debian/Ubuntu packages: ${missing_pkgs[*]}" >&2
    echo "  (promtool comes with 'prometheus', amtool with 'prometheus-alertmanager'; 'docker compose' v2 also works instead of docker-compose)" >&2
    echo "  or run as root with CI=true and this script installs them with apt-get." >&2
    exit 1
  fi
fi
command -v promtool >/dev/null 2>&1 || { echo "check-deploy: promtool still missing" >&2; exit 1; }
command -v amtool >/dev/null 2>&1 || { echo "check-deploy: amtool still missing" >&2; exit 1; }
have_jsonschema || { echo "check-deploy: python3 with jsonschema still missing" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "check-deploy: curl still missing" >&2; exit 1; }
[ "${#COMPOSE[@]}" -gt 0 ] || { echo "check-deploy: docker compose / docker-compose still missing" >&2; exit 1; }
have_pyyaml || { echo "check-deploy: python3 with PyYAML still missing" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "check-deploy: node is required (see scripts/node-env.sh)" >&2; exit 1; }

echo "  promtool: $(promtool --version 2>&1 | head -n1)"
echo "  amtool:   $(amtool --version 2>&1 | head -n1)"
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
check "alerts go to alertmanager:9093, which is scraped as job alertmanager" node -e '
  const c = require(process.argv[1]);
  const errs = [];
  const am = ((c.alerting || {}).alertmanagers || []).flatMap((a) => (a.static_configs || []).flatMap((s) => s.targets || []));
  if (!am.includes("alertmanager:9093")) errs.push("alerting.alertmanagers does not list alertmanager:9093 (has " + JSON.stringify(am) + ")");
  const sc = (c.scrape_configs || []).find((s) => s.job_name === "alertmanager");
  if (!sc || !(sc.static_configs || []).some((s) => (s.targets || []).includes("alertmanager:9093"))) errs.push("no job alertmanager scraping alertmanager:9093");
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

# --- Alertmanager ---------------------------------------------------------------------------------
section "Alertmanager (deploy/alertmanager; scripts/check-alertmanager.py)"

check "amtool check-config deploy/alertmanager/alertmanager.yml (templates included)" \
  python3 scripts/check-alertmanager.py config
check "routes: amtool config routes test for every case of routes.test.yml; every alert of the rule files, with each severity it can carry, has a case; every receiver is reached" \
  python3 scripts/check-alertmanager.py routes
check "inhibitions: the cases of routes.test.yml hold; every inhibit rule silences something in a case" \
  python3 scripts/check-alertmanager.py inhibitions
check "templates: parley.title and parley.text render summary, description and runbook_url (amtool template render)" \
  python3 scripts/check-alertmanager.py template
check "scripts/check-alertmanager.py catches deliberately broken copies (--self-test)" \
  python3 scripts/check-alertmanager.py --self-test

# --- Compose -------------------------------------------------------------------------------------
section "Compose (docker-compose.yml, .env; scripts/check-compose.py)"

# Only the committed .env: a developer's shell variables are kept out of the result.
compose_with() { local envfile=$1; shift; env -i PATH="$PATH" HOME="${HOME:-/tmp}" "${COMPOSE[@]}" --env-file "$envfile" -f docker-compose.yml "$@"; }
compose() { compose_with .env "$@"; }

check "${COMPOSE[*]} config -q (with the committed .env: profile sim)" compose config -q
check "${COMPOSE[*]} --profile load config -q" compose --profile load config -q
grep -v '^GRAFANA_VERSION=' .env >"$TMP/no-version.env"
check "compose refuses to run when an image version is missing from .env (GRAFANA_VERSION)" \
  bash -c '! "$@"' _ compose_with "$TMP/no-version.env" config -q

if [ "${COMPOSE[*]}" = "docker compose" ]; then
  compose --profile sim --profile load config --format json >"$TMP/compose.json" 2>"$TMP/compose.err" &&
    compose --profile sim --profile load config >"$TMP/compose.yml" 2>>"$TMP/compose.err" || true
else
  compose --profile sim --profile load config >"$TMP/compose.yml" 2>"$TMP/compose.err" &&
    yaml2json "$TMP/compose.yml" >"$TMP/compose.json" || true
fi
if [ ! -s "$TMP/compose.json" ]; then
  fail "${COMPOSE[*]} config did not render docker-compose.yml:"
  sed 's/^/        /' "$TMP/compose.err"
  rm -f "$TMP/compose.json"
fi

check "compose-spec JSON schema: docker-compose.yml as loaded and interpolated, and the ${COMPOSE[*]} config output" \
  python3 scripts/check-compose.py schema "$TMP/compose.yml"
# (docker-compose v1 lists every service in `config --services`; read the profiles instead.)
check "compose: llm-sim is in the sim profile, k6 in the load profile, every other service runs by default" node -e '
  const c = require(process.argv[1]);
  const want = { "llm-sim": "sim", "k6": "load" };
  const errs = [];
  for (const [name, s] of Object.entries(c.services)) {
    const profiles = (s.profiles || []).join();
    if (profiles !== (want[name] || "")) errs.push(name + ": profiles " + JSON.stringify(s.profiles || []));
  }
  for (const name of Object.keys(want)) if (!c.services[name]) errs.push("no " + name + " service");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/compose.json"
check "compose: only gateway and grafana publish ports" node -e '
  const c = require(process.argv[1]);
  const published = Object.entries(c.services).filter(([, s]) => (s.ports || []).length > 0).map(([n]) => n).sort();
  if (published.join(",") !== "gateway,grafana") { console.error("published: " + published.join(", ")); process.exit(1); }
' "$TMP/compose.json"
check "compose: Parley services are health-checked on /readyz; secrets come from compose secrets (*_FILE), never from variables" node -e '
  const c = require(process.argv[1]);
  const ports = { "gateway": 8080, "chat-service": 8081, "safety-service": 8082, "llm-sim": 8090 };
  const envOf = (s) => Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => [e.split("=")[0], e.split("=").slice(1).join("=")])) : s.environment || {};
  const secretsOf = (s) => (s.secrets || []).map((x) => (typeof x === "string" ? x : x.source));
  const errs = [];
  for (const [name, port] of Object.entries(ports)) {
    const s = c.services[name];
    if (!s) { errs.push("missing service " + name); continue; }
    const test = [].concat((s.healthcheck || {}).test || []).join(" ");
    if (!test.includes("http://127.0.0.1:" + port + "/readyz")) errs.push(name + ": healthcheck does not fetch 127.0.0.1:" + port + "/readyz");
  }
  for (const name of ["gateway", "chat-service", "safety-service"]) {
    const s = c.services[name] || {};
    if (envOf(s).INTERNAL_SECRET_FILE !== "/run/secrets/internal_secret" || !secretsOf(s).includes("internal_secret")) errs.push(name + ": INTERNAL_SECRET_FILE is not the mounted secret internal_secret");
  }
  const gw = c.services.gateway || {};
  if (envOf(gw).ADMIN_API_KEY_FILE !== "/run/secrets/admin_api_key" || !secretsOf(gw).includes("admin_api_key")) errs.push("gateway: ADMIN_API_KEY_FILE is not the mounted secret admin_api_key");
  const gf = c.services.grafana || {};
  if (envOf(gf).GF_SECURITY_ADMIN_PASSWORD__FILE !== "/run/secrets/grafana_admin_password" || !secretsOf(gf).includes("grafana_admin_password")) errs.push("grafana: GF_SECURITY_ADMIN_PASSWORD__FILE is not the mounted secret grafana_admin_password");
  for (const [name, s] of Object.entries(c.services))
    for (const k of ["INTERNAL_SECRET", "ADMIN_API_KEY", "GF_SECURITY_ADMIN_PASSWORD", "SESSION_TOKEN_SECRET", "API_KEY_PEPPER"])
      if (envOf(s)[k]) errs.push(name + ": " + k + " is set as a variable");
  if (!String(envOf(c.services["chat-service"] || {}).OPENAI_BASE_URL).includes("llm-sim:8090")) errs.push("chat-service does not default to llm-sim");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/compose.json"
check "compose: k6 (profile load) runs a scenario from ./k6/scenarios (load by default) against http://gateway:8080 with Prometheus remote write and trend stats p50/p95/p99/max" node -e '
  const c = require(process.argv[1]);
  const k6 = c.services.k6 || {};
  const env = Array.isArray(k6.environment) ? Object.fromEntries(k6.environment.map((e) => [e.split("=")[0], e.split("=").slice(1).join("=")])) : k6.environment || {};
  const cmd = [].concat(k6.command || []).join(" ");
  const errs = [];
  if (env.BASE_URL !== "http://gateway:8080") errs.push("BASE_URL is " + env.BASE_URL);
  if (env.K6_PROMETHEUS_RW_SERVER_URL !== "http://prometheus:9090/api/v1/write") errs.push("K6_PROMETHEUS_RW_SERVER_URL is " + env.K6_PROMETHEUS_RW_SERVER_URL);
  if (env.K6_PROMETHEUS_RW_TREND_STATS !== "p(50),p(95),p(99),max") errs.push("K6_PROMETHEUS_RW_TREND_STATS is " + env.K6_PROMETHEUS_RW_TREND_STATS + " (the load dashboard reads p50, p95, p99 and max)");
  if (!/(^|\s)(-o|--out)\s+experimental-prometheus-rw(\s|$)/.test(cmd)) errs.push("command does not output to experimental-prometheus-rw: " + cmd);
  const script = /(?:^|\s)\/scripts\/scenarios\/([\w-]+)\.ts$/.exec(cmd);
  if (!script) errs.push("command does not end with a scenario /scripts/scenarios/<name>.ts: " + cmd);
  else if (script[1] !== "load") errs.push("the default scenario (K6_SCRIPT unset) is " + script[1] + ", not load");
  else if (!require("fs").existsSync("k6/scenarios/load.ts")) errs.push("k6/scenarios/load.ts (the default scenario) does not exist");
  if (!(k6.volumes || []).some((v) => /(^|\/)k6$/.test(String(typeof v === "string" ? v.split(":")[0] : v.source)))) errs.push("./k6 is not mounted");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/compose.json"

check "compose: every variable set on a Parley service is read by its code or the OpenTelemetry SDK" \
  python3 scripts/check-compose.py env
check "compose: restart policy and memory limit on every service, healthchecks where the image can run one, depends_on conditions, images pinned through .env" \
  python3 scripts/check-compose.py services
check ".env: only image versions and non-secret defaults (allow-listed keys, nothing secret-looking), every key used, NODE_VERSION = .nvmrc; git tracks .env and ignores deploy/secrets/" \
  python3 scripts/check-compose.py dotenv

# A fresh copy of the repository (what a clone has) plus the secrets script: every file the
# compose file references must then exist.
FRESH="$TMP/fresh"
mkdir -p "$FRESH"
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
  [ -f "$f" ] && mkdir -p "$FRESH/$(dirname "$f")" && cp -p "$f" "$FRESH/$f"
done
check "scripts/compose-secrets.sh (fresh copy): --check fails first; creates every compose secret (dir 0700, files 0444, >= 24 characters, internal_secret >= 32); a second run keeps them" bash -c '
  cd "$1" || exit 1
  if scripts/compose-secrets.sh --check >/dev/null; then echo "--check passed without secrets"; exit 1; fi
  scripts/compose-secrets.sh >/dev/null || exit 1
  scripts/compose-secrets.sh --check || exit 1
  [ "$(stat -c %a deploy/secrets)" = 700 ] || { echo "deploy/secrets is $(stat -c %a deploy/secrets)"; exit 1; }
  before="$(cat deploy/secrets/* | sha256sum)"
  for name in $(python3 -c "import json, sys; print(\" \".join(json.load(open(sys.argv[1]))[\"secrets\"]))" "$2"); do
    f="deploy/secrets/$name"
    [ -f "$f" ] || { echo "$f not created"; exit 1; }
    [ "$(stat -c %a "$f")" = 444 ] || { echo "$f is $(stat -c %a "$f")"; exit 1; }
    min=24; [ "$name" = internal_secret ] && min=32
    [ "$(wc -c <"$f")" -ge "$min" ] || { echo "$f is shorter than $min characters"; exit 1; }
  done
  scripts/compose-secrets.sh >/dev/null && [ "$(cat deploy/secrets/* | sha256sum)" = "$before" ] || { echo "a second run changed the secrets"; exit 1; }
' _ "$FRESH" "$TMP/compose.json"
check "compose: every referenced file exists in a fresh copy after scripts/compose-secrets.sh (bind mounts, secrets, build contexts and Dockerfiles, paths the services read from their mounts)" \
  python3 scripts/check-compose.py files "$FRESH"
check "scripts/check-compose.py catches deliberately broken copies (--self-test)" \
  python3 scripts/check-compose.py --self-test

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
check "grafana: Prometheus, Tempo, Loki and Alertmanager provisioned with fixed uids and trace<->log links" node -e '
  const c = require(process.argv[1]);
  const by = Object.fromEntries((c.datasources || []).map((d) => [d.uid, d]));
  const errs = [];
  for (const [uid, type] of [["prometheus", "prometheus"], ["tempo", "tempo"], ["loki", "loki"], ["alertmanager", "alertmanager"]])
    if (!by[uid] || by[uid].type !== type) errs.push("missing " + type + " data source with uid " + uid);
  const am = by.alertmanager || {};
  if (am.url !== "http://alertmanager:9093" || (am.jsonData || {}).implementation !== "prometheus") errs.push("the Alertmanager data source is not the Prometheus implementation at http://alertmanager:9093");
  const t2l = ((by.tempo || {}).jsonData || {}).tracesToLogsV2 || {};
  if (t2l.datasourceUid !== "loki" || !/trace_id/.test(t2l.query || "")) errs.push("Tempo -> Loki link by trace_id missing");
  const df = (((by.loki || {}).jsonData || {}).derivedFields || []).find((d) => d.datasourceUid === "tempo");
  if (!df || !/trace_id/.test(df.matcherRegex || "")) errs.push("Loki -> Tempo derived field on trace_id missing");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/datasources.json"

# --- Dashboards ----------------------------------------------------------------------------------------
section "Grafana dashboards (dashboards/generated/*.json, generated from dashboards/src)"

# dashboards/src (TypeScript, grafana-foundation-sdk) generates the JSON Grafana loads and lints
# it (dashboards/README.md). tsc -b is incremental: a stale dashboards/dist is rebuilt, an
# up-to-date one costs a second.
shopt -s nullglob
DASHBOARDS=(dashboards/generated/*.json)
shopt -u nullglob
if [ "${#DASHBOARDS[@]}" -eq 0 ]; then
  fail "no dashboards in dashboards/generated (npm run dashboards)"
fi
check "build the dashboard generator (npx tsc -b dashboards)" npx --no-install tsc -b dashboards
if [ -f dashboards/dist/cli.js ]; then
  check "dashboards/generated matches what dashboards/src generates, and the lint passes (node dashboards/dist/cli.js --check)" \
    node dashboards/dist/cli.js --check
  check "the committed dashboards pass the lint: provisioned data source uids, queries on every panel, unique ids, no overlaps, units, catalog metric names, rate() windows, LogQL/TraceQL shape (--lint)" \
    node dashboards/dist/cli.js --lint
  # All PromQL of the committed dashboards, Grafana variables replaced, as a rule file promtool can parse.
  check "extract the dashboards' PromQL (--promql-rules)" node dashboards/dist/cli.js --promql-rules "$TMP/dashboard-exprs.yml"
  check "dashboard PromQL parses (promtool, Grafana variables substituted)" promtool check rules "$TMP/dashboard-exprs.yml"
else
  fail "dashboards/dist/cli.js is missing: the dashboard generator did not build"
fi
yaml2json deploy/grafana/provisioning/dashboards/parley.yaml >"$TMP/grafana-dashboards.json"
if [ ! -s "$TMP/compose.json" ]; then
  fail "grafana: dashboard provider path against the compose mount not checked: docker-compose.yml did not render (see Compose above)"
else check "grafana: the dashboard provider reads ./dashboards/generated, the home dashboard is parley-slo.json" node -e '
  const c = require(process.argv[1]);
  const prov = require(process.argv[2]);
  const errs = [];
  const provider = (prov.providers || []).find((p) => p.type === "file");
  const path = String(((provider || {}).options || {}).path || "").replace(/\/$/, "");
  if (!path) errs.push("no file provider with options.path in deploy/grafana/provisioning/dashboards/parley.yaml");
  const g = (c.services || {}).grafana || {};
  const mounts = (g.volumes || []).map((v) => (typeof v === "string" ? { source: v.split(":")[0], target: v.split(":")[1] } : { source: v.source, target: v.target }));
  const m = mounts.find((v) => String(v.target).replace(/\/$/, "") === path);
  if (!m) errs.push("grafana mounts nothing at the provider path " + path);
  else if (!/(^|\/)dashboards\/generated\/?$/.test(String(m.source))) errs.push("grafana mounts " + m.source + " at " + path + ", not ./dashboards/generated");
  const env = Array.isArray(g.environment) ? Object.fromEntries(g.environment.map((e) => [e.split("=")[0], e.split("=").slice(1).join("=")])) : g.environment || {};
  const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
  if (home !== path + "/parley-slo.json") errs.push("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH is " + home + ", not " + path + "/parley-slo.json");
  if (!require("fs").existsSync("dashboards/generated/parley-slo.json")) errs.push("dashboards/generated/parley-slo.json is missing");
  if (errs.length) { console.error(errs.join("\n")); process.exit(1); }
' "$TMP/compose.json" "$TMP/grafana-dashboards.json"
fi

# --- k6 ------------------------------------------------------------------------------------------------
section "k6 (typechecked against @types/k6; k6 itself is not run here: test/e2e/k6-contract.test.ts sends every request of the scenarios to the real stack)"

check "k6 scenarios typecheck against @types/k6, the API of the pinned image (npx tsc -p k6/tsconfig.json)" \
  npx --no-install tsc -p k6/tsconfig.json
shopt -s nullglob
K6_SCENARIOS=(k6/scenarios/*.ts)
shopt -u nullglob
if [ "${#K6_SCENARIOS[@]}" -eq 0 ]; then
  fail "no k6 scenarios in k6/scenarios"
fi
for f in "${K6_SCENARIOS[@]}"; do
  check "$f exports options with the SLO thresholds, setup, a default (the iteration) and handleSummary; sends nothing past lib/k6-parley.ts" \
    bash -c 'grep -q "^export const options: Options" "$1" && grep -q "sloThresholds(" "$1" && grep -q "^export function setup()" "$1" &&
      grep -q "^export default " "$1" && grep -q "^export function handleSummary" "$1" && ! grep -q "from .k6/http." "$1"' _ "$f"
done
check "every scenario is documented: README.md names each k6/scenarios/<name>.ts" \
  bash -c 'for f in "$@"; do grep -q "k6/scenarios/$(basename "$f")" README.md || { echo "README.md does not name $f"; exit 1; }; done' _ "${K6_SCENARIOS[@]}"
check "compose: the k6 service passes through every knob the scenarios read, README.md documents each, and the gateway passes RATE_LIMIT_IP_PER_MINUTE through" \
  python3 - <<'EOF'
import glob, re, sys, yaml
services = yaml.safe_load(open("docker-compose.yml"))["services"]
def env(service):
    e = services.get(service, {}).get("environment") or {}
    return dict((x.split("=", 1) + [None])[:2] for x in e) if isinstance(e, list) else e
read = set()
for f in glob.glob("k6/**/*.ts", recursive=True):
    read |= set(re.findall(r"\b(?:env|numberEnv|durationEnv)\('([A-Z][A-Z0-9_]*)'", open(f).read()))
# SUMMARY_JSON names a file to write: /scripts is mounted read-only in compose.
read.discard("SUMMARY_JSON")
k6 = set(env("k6"))
errs = [f"k6 reads {k}, the compose k6 service does not pass it" for k in sorted(read - k6)]
errs += [f"the compose k6 service sets {k}, no scenario reads it" for k in sorted(k6 - read - {"K6_PROMETHEUS_RW_SERVER_URL", "K6_PROMETHEUS_RW_TREND_STATS"})]
readme = open("README.md").read()
errs += [f"README.md does not document {k}" for k in sorted(read) if f"`{k}`" not in readme]
if not read:
    errs.append("found no knob read by the scenarios (env/numberEnv/durationEnv): the pattern is stale")
if "RATE_LIMIT_IP_PER_MINUTE" not in env("gateway"):
    errs.append("the gateway does not pass RATE_LIMIT_IP_PER_MINUTE through: a k6 run from one address cannot raise it")
print("\n".join(errs))
sys.exit(1 if errs else 0)
EOF

# --- Images --------------------------------------------------------------------------------------------
section "Images (<service>/Dockerfile, .dockerignore, scripts/image-build.sh; no Docker engine here)"

check "Dockerfiles: multi-stage from node:\${NODE_VERSION} (= .nvmrc), the image-build.sh steps for their service, NODE_ENV=production, non-root USER, port, /readyz healthcheck, CMD" \
  python3 scripts/check-compose.py dockerfiles
check ".dockerignore: dependencies, builds, VCS state, .env and deploy/secrets stay out; sources, manifests and image-build.sh go in" \
  python3 scripts/check-compose.py dockerignore
# The rehearsal runs each Dockerfile's steps on the build context .dockerignore leaves (npm ci
# from the registry), starts the service from the assembled tree and asks /readyz: about 40 s per
# service, so CI does the gateway (the most steps: it builds the web UI too).
case "${REHEARSE_IMAGES:-gateway}" in
  none) REHEARSED="none" ;;
  all) REHEARSED="gateway chat-service safety-service llm-sim" ;;
  *) REHEARSED="${REHEARSE_IMAGES:-gateway}" ;;
esac
for svc in $REHEARSED; do
  [ "$svc" = none ] && break
  check "image rehearsal without Docker: $svc (build context, manifests, npm ci, build, production tree, /readyz from it; scripts/rehearse-image.sh)" \
    scripts/rehearse-image.sh "$svc"
done

# --- Summary ---------------------------------------------------------------------------------------------
section "Not validated here"
sed "s/REHEARSED_LIST/${REHEARSED:-none}/" <<'EOF'
  - otel-collector config semantics (needs: otelcol-contrib validate --config deploy/otel-collector/config.yaml)
  - Tempo and Loki config semantics (needs: tempo / loki -verify-config)
  - Grafana actually loading the provisioning and the dashboard (needs Grafana)
  - docker build itself: base images, USER, BuildKit cache mounts (the steps are rehearsed
    above for: REHEARSED_LIST; REHEARSE_IMAGES=all for every image)
  - the running stack (needs a Docker engine): healthchecks inside the images (wget in
    prom/*, grafana; `loki -health`), compose secrets mounted as files; k6 run (needs k6)
  - that the pinned image tags exist in their registries (no registry access here)
  - Alertmanager delivering notifications (its receivers have no integration; deploy/README.md)
EOF

printf '\n%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
