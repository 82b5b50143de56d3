# shellcheck shell=bash
# Puts Node.js 24 LTS first on PATH for this shell, without touching the system Node.
#   source scripts/node-env.sh        # developers: once per shell
#   scripts/with-node.sh <command>    # scripts and CI
# If the node on PATH is already >= 22 nothing happens. Otherwise the official
# binary is fetched from the npm registry (package node-<os>-<arch>, the version
# in .nvmrc) into .tools/, which is git-ignored.

parley_node_env() {
  local root version major current os arch dir tmp
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  version="$(tr -d ' \nv' < "$root/.nvmrc")"
  major="${version%%.*}"
  current="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$current" -ge 22 ] && [ "${PARLEY_FORCE_NODE_BOOTSTRAP:-}" != 1 ]; then
    return 0
  fi
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "node-env: unsupported OS $(uname -s); install Node $major yourself" >&2; return 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "node-env: unsupported CPU $(uname -m)" >&2; return 1 ;; esac
  dir="$root/.tools/node-v$version-$os-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    echo "node-env: Node $current on PATH is too old; fetching node-$os-$arch@$version from the npm registry into .tools/" >&2
    tmp="$(mktemp -d)"
    if ! (cd "$tmp" && npm pack --silent "node-$os-$arch@$version" >/dev/null); then
      echo "node-env: could not download node-$os-$arch@$version" >&2; rm -rf "$tmp"; return 1
    fi
    mkdir -p "$dir.partial" && tar -xzf "$tmp"/node-*.tgz -C "$dir.partial" --strip-components=1 && rm -rf "$dir" && mv "$dir.partial" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  # Native addons build against this Node's headers, not the system one's.
  export npm_config_nodedir="$dir"
  hash -r 2>/dev/null || true
}

parley_node_env
