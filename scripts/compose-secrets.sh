#!/usr/bin/env bash
# Creates the secrets docker-compose.yml mounts (its top-level `secrets:`), as random values in
# deploy/secrets/ (git-ignored). Existing files are kept: run it again any time; delete a file
# to rotate that secret (then recreate the containers that use it).
#
#   scripts/compose-secrets.sh            # creates what is missing, lists every file
#   scripts/compose-secrets.sh --check    # only says whether every secret is there (exit 1 if not)
#
#   internal_secret          gateway, chat-service, safety-service (INTERNAL_SECRET_FILE; >= 32 chars)
#   admin_api_key            gateway's bootstrap admin key (ADMIN_API_KEY_FILE; >= 24 chars)
#   grafana_admin_password   Grafana's "admin" (GF_SECURITY_ADMIN_PASSWORD__FILE; only applied when
#                            the grafana-data volume is created)
#
# Permissions: the directory is 0700, so other users of this machine cannot read the secrets.
# The files are 0444 because Compose bind-mounts them unchanged (without Swarm it ignores a
# secret's uid/gid/mode), and the containers read them as their own non-root users (node,
# grafana), which are not the owner on the host.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/deploy/secrets"

# name:bytes of randomness (hex-encoded, so twice as many characters)
SECRETS=(internal_secret:32 admin_api_key:24 grafana_admin_password:18)

random_hex() { od -An -vtx1 -N"$1" /dev/urandom | tr -d ' \n'; }

if [ "${1:-}" = "--check" ]; then
  missing=0
  for entry in "${SECRETS[@]}"; do
    name="${entry%%:*}"
    [ -s "$DIR/$name" ] || { echo "missing: deploy/secrets/$name (run scripts/compose-secrets.sh)"; missing=1; }
  done
  exit "$missing"
fi

umask 077
mkdir -p "$DIR"
chmod 0700 "$DIR"
for entry in "${SECRETS[@]}"; do
  name="${entry%%:*}"
  bytes="${entry##*:}"
  file="$DIR/$name"
  if [ -s "$file" ]; then
    state="kept"
  else
    # Written under a temporary name and renamed: an interrupted run leaves no half-written secret.
    random_hex "$bytes" >"$file.tmp"
    mv "$file.tmp" "$file"
    state="created"
  fi
  chmod 0444 "$file"
  printf '  %-8s deploy/secrets/%s\n' "$state" "$name"
done
