#!/usr/bin/env bash
# The build recipe of the Parley images, run by the per-service Dockerfiles
# (gateway/Dockerfile, chat-service/Dockerfile, safety-service/Dockerfile,
# packages/llm-sim/Dockerfile) and rehearsed without Docker by scripts/rehearse-image.sh.
# Run from the root of a build context (the repository, as .dockerignore filters it).
#
#   image-build.sh manifests <dir>          copy what decides `npm ci` (root and workspace
#                                           package.json files, the lockfile, this script)
#   image-build.sh install <service>        npm ci of the workspaces <service> needs to build
#   image-build.sh build <service> <out>    compile, then assemble <out>: the runtime tree with
#                                           production dependencies only
#   image-build.sh all <service> <out>      install + build
#
# Services: gateway (with the web UI it serves), chat-service, safety-service, llm-sim.
# The runtime tree (<out>, /app in the image) holds package.json, package-lock.json, the pruned
# node_modules (workspace links point at ../../<workspace>), and per workspace the service needs
# at runtime its package.json and dist/ (plus its runtime assets: safety-service/policies,
# web/dist). The service starts from <out>/<service dir>:
#   node --enable-source-maps --import ./dist/instrumentation.js dist/main.js
set -euo pipefail

die() { echo "image-build: $*" >&2; exit 1; }

# service -> workspace name, folder, extra workspaces needed to build it, runtime assets
service_info() {
  case "$1" in
    gateway)        WS=@parley/gateway;        DIR=gateway;          BUILD_ALSO=(@parley/web); ASSETS=(web/dist) ;;
    chat-service)   WS=@parley/chat-service;   DIR=chat-service;     BUILD_ALSO=();            ASSETS=() ;;
    safety-service) WS=@parley/safety-service; DIR=safety-service;   BUILD_ALSO=();            ASSETS=(safety-service/policies) ;;
    llm-sim)        WS=@parley/llm-sim;        DIR=packages/llm-sim; BUILD_ALSO=();            ASSETS=() ;;
    *) die "unknown service '$1' (gateway, chat-service, safety-service, llm-sim)" ;;
  esac
}

npm_quiet() { npm --no-audit --no-fund --loglevel=warn "$@"; }

# Folders of the workspaces <ws> depends on at runtime, itself included (from package.json
# "dependencies", transitively; devDependencies such as @parley/testkit are left out).
runtime_workspace_dirs() {
  node -e '
    const fs = require("fs");
    const root = JSON.parse(fs.readFileSync("package.json", "utf8"));
    const dirs = new Map(root.workspaces.map((d) => [JSON.parse(fs.readFileSync(d + "/package.json", "utf8")).name, d]));
    const seen = new Set();
    const visit = (name) => {
      if (seen.has(name) || !dirs.has(name)) return;
      seen.add(name);
      const pkg = JSON.parse(fs.readFileSync(dirs.get(name) + "/package.json", "utf8"));
      Object.keys(pkg.dependencies || {}).forEach(visit);
    };
    visit(process.argv[1]);
    if (!seen.size) { console.error("no workspace " + process.argv[1]); process.exit(1); }
    console.log([...seen].map((n) => dirs.get(n)).join("\n"));
  ' "$1"
}

workspace_dirs() { node -p 'require("./package.json").workspaces.join("\n")'; }

cmd_manifests() {
  local dest=$1
  [ -f package.json ] && [ -f package-lock.json ] || die "run from the build context root (no package.json/package-lock.json here)"
  mkdir -p "$dest/scripts"
  cp package.json package-lock.json "$dest/"
  cp scripts/image-build.sh "$dest/scripts/"
  local ws
  while IFS= read -r ws; do
    mkdir -p "$dest/$ws"
    cp "$ws/package.json" "$dest/$ws/package.json"
  done < <(workspace_dirs)
}

cmd_install() {
  service_info "$1"
  local args=(-w "$WS")
  local extra
  for extra in "${BUILD_ALSO[@]}"; do args+=(-w "$extra"); done
  # The root's devDependencies hold the compiler (typescript, @types/*): --include-workspace-root.
  npm_quiet ci --include-workspace-root "${args[@]}"
}

cmd_build() {
  service_info "$1"
  local out=$2
  [ -d node_modules ] || die "run '$0 install $1' first"
  # Project references: compiles the referenced packages (platform) first.
  npx tsc -b "$DIR"
  if [ "$1" = gateway ]; then npm_quiet run build -w @parley/web; fi

  rm -rf "$out"
  mkdir -p "$out"
  cp package.json package-lock.json "$out/"
  # npm ci needs every workspace's package.json to read the lockfile; the ones this service
  # does not run are removed again below.
  local ws
  while IFS= read -r ws; do
    mkdir -p "$out/$ws"
    cp "$ws/package.json" "$out/$ws/"
  done < <(workspace_dirs)
  local runtime=()
  mapfile -t runtime < <(runtime_workspace_dirs "$WS")
  for ws in "${runtime[@]}"; do
    [ -d "$ws/dist" ] || die "$ws/dist was not built"
    cp -R "$ws/dist" "$out/$ws/dist"
  done
  local asset
  for asset in "${ASSETS[@]}"; do
    [ -e "$asset" ] || die "runtime asset $asset is missing"
    mkdir -p "$out/$(dirname "$asset")"
    cp -R "$asset" "$out/$asset"
  done
  find "$out" -name '*.tsbuildinfo' -delete

  # Production dependencies of this service only. No install scripts: nothing it runs needs one.
  (cd "$out" && npm_quiet ci --omit=dev --ignore-scripts -w "$WS")

  # Drop the workspaces this service does not run: their manifests and links (web stays for
  # its dist/ when it is an asset).
  while IFS= read -r ws; do
    local keep=0 r
    for r in "${runtime[@]}"; do [ "$r" = "$ws" ] && keep=1; done
    [ "$keep" = 1 ] && continue
    local name
    name=$(node -p 'require(process.argv[1]).name' "$out/$ws/package.json")
    rm -f "$out/node_modules/$name"
    rm -f "$out/$ws/package.json"
    local d=$ws
    while [ "$d" != . ] && rmdir "$out/$d" 2>/dev/null; do d=$(dirname "$d"); done
  done < <(workspace_dirs)
  [ -f "$out/$DIR/dist/main.js" ] || die "$out/$DIR/dist/main.js is missing"
  echo "image-build: $1 assembled in $out ($(du -sh "$out" | cut -f1))"
}

case "${1:-}" in
  manifests) [ $# -eq 2 ] || die "usage: $0 manifests <dir>"; cmd_manifests "$2" ;;
  install)   [ $# -eq 2 ] || die "usage: $0 install <service>"; cmd_install "$2" ;;
  build)     [ $# -eq 3 ] || die "usage: $0 build <service> <out>"; cmd_build "$2" "$3" ;;
  all)       [ $# -eq 3 ] || die "usage: $0 all <service> <out>"; cmd_install "$2"; cmd_build "$2" "$3" ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
