#!/usr/bin/env bash
# Runs a command with Node.js 24 first on PATH (see scripts/node-env.sh).
set -euo pipefail
# shellcheck source=scripts/node-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
exec "$@"
