#!/usr/bin/env bash
# Rehearses the Parley image builds without Docker: for each service, the steps of its
# Dockerfile, in order, on the build context Docker would get, then starts the service from the
# assembled runtime tree and asks /readyz. scripts/check-compose.py dockerfiles checks that the
# Dockerfiles run exactly these steps.
#
#   scripts/rehearse-image.sh                 # gateway (the one with the most steps: web UI too)
#   scripts/rehearse-image.sh --all           # gateway, chat-service, safety-service, llm-sim
#   scripts/rehearse-image.sh chat-service    # any of them
#
# Stage by stage (<svc>/Dockerfile):
#   context    the repository filtered by .dockerignore   (scripts/check-compose.py context)
#   manifests  COPY . . ; image-build.sh manifests /manifests
#   build      COPY --from=manifests ; image-build.sh install <svc> ; COPY . . ; image-build.sh build <svc> /out
#   runtime    COPY --from=build /out /app ; WORKDIR /app/<dir> ; CMD node ... dist/main.js
# Not rehearsed: the base image, USER node (the process runs as the caller), BuildKit's cache
# mounts (npm uses the caller's cache). Needs the npm registry (npm ci), python3, curl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WITH_NODE="$ROOT/scripts/with-node.sh"

services=("$@")
if [ "${#services[@]}" -eq 0 ]; then services=(gateway); fi
if [ "${services[0]}" = "--all" ]; then services=(gateway chat-service safety-service llm-sim); fi

TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

dir_of() {
  case "$1" in
    gateway|chat-service|safety-service) echo "$1" ;;
    llm-sim) echo packages/llm-sim ;;
    *) echo "rehearse-image: unknown service $1" >&2; exit 2 ;;
  esac
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
step() { printf '  [%s] %s\n' "$1" "$2"; }

python3 scripts/check-compose.py context "$TMP/context" >/dev/null
# The secrets the services read through *_FILE, as compose mounts them.
head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$TMP/internal_secret"
head -c 24 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$TMP/admin_api_key"

for svc in "${services[@]}"; do
  dir="$(dir_of "$svc")"
  S="$TMP/$svc"
  mkdir -p "$S/src"
  start=$SECONDS

  step "$svc" "manifests"
  (cd "$TMP/context" && "$WITH_NODE" scripts/image-build.sh manifests "$S/manifests")
  cp -a "$S/manifests/." "$S/src/"
  step "$svc" "install (npm ci of what $svc needs to build)"
  (cd "$S/src" && "$WITH_NODE" scripts/image-build.sh install "$svc")
  cp -a "$TMP/context/." "$S/src/"
  step "$svc" "build and assemble /out"
  (cd "$S/src" && "$WITH_NODE" scripts/image-build.sh build "$svc" "$S/out")

  # Only production dependencies and no sources in the runtime tree.
  for dev in typescript vitest vite eslint playwright-core @vitejs/plugin-vue; do
    if [ -e "$S/out/node_modules/$dev" ]; then echo "rehearse-image: $svc: dev dependency $dev in the runtime tree" >&2; exit 1; fi
  done
  if find "$S/out" -path "$S/out/node_modules" -prune -o -name '*.ts' ! -name '*.d.ts' -print | grep -q .; then
    echo "rehearse-image: $svc: TypeScript sources in the runtime tree" >&2; exit 1
  fi

  step "$svc" "start from /app/$dir and ask /readyz"
  port="$(free_port)"
  env_args=(NODE_ENV=production PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn)
  case "$svc" in
    # No WEB_DIST_DIR (compose sets /app/web/dist): its default, web/dist next to gateway/ in
    # the tree, is the same folder, and is what this finds.
    gateway) env_args+=(INTERNAL_SECRET_FILE="$TMP/internal_secret" ADMIN_API_KEY_FILE="$TMP/admin_api_key") ;;
    chat-service|safety-service) env_args+=(INTERNAL_SECRET_FILE="$TMP/internal_secret") ;;
  esac
  (cd "$S/out/$dir" && exec env -i PATH="$PATH" HOME="${HOME:-/tmp}" "${env_args[@]}" \
    "$WITH_NODE" node --enable-source-maps --import ./dist/instrumentation.js dist/main.js) >"$S/log" 2>&1 &
  PIDS+=("$!")
  pid=$!
  status=""
  for _ in $(seq 1 100); do
    status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)"
    [ "$status" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if [ "$status" != 200 ]; then
    echo "rehearse-image: $svc: /readyz answered '${status:-nothing}'; its log:" >&2
    sed 's/^/    /' "$S/log" >&2
    exit 1
  fi
  if [ "$svc" = gateway ]; then
    page="$(curl -s "http://127.0.0.1:$port/")"
    case "$page" in
      *'<div id="app"'*|*'<!doctype html>'*|*'<!DOCTYPE html>'*) ;;
      *) echo "rehearse-image: gateway: GET / does not serve the web UI" >&2; exit 1 ;;
    esac
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "  [$svc] ready on /readyz from the assembled tree ($(du -sh "$S/out" | cut -f1), $((SECONDS - start)) s)"
done
