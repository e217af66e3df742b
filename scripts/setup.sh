#!/usr/bin/env bash
# Installs what a fresh clone needs: npm packages, and redis-server from the OS package manager
# when it is not on PATH (unless REDIS_URL points at a Redis already). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  # `npm install`, not `npm ci`: npm 11 writes lockfiles without the other platforms' optional
  # packages (rollup, msgpackr-extract) and then refuses them in `npm ci` as out of sync.
  npm install --no-audit --no-fund
fi

if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  echo "setup: redis-server is missing; installing it"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
    # the package may start a system-wide redis; berth runs its own
    ($sudo systemctl disable --now redis-server >/dev/null 2>&1 || true)
  elif command -v dnf >/dev/null 2>&1; then
    $sudo dnf install -y redis
  elif command -v brew >/dev/null 2>&1; then
    brew install redis
  else
    echo "setup: no supported package manager found; install redis-server (7 or newer) yourself, or set REDIS_URL" >&2
    exit 1
  fi
fi
command -v redis-server >/dev/null 2>&1 && echo "setup: $(redis-server --version | cut -d' ' -f1-3)"
command -v kubectl >/dev/null 2>&1 || echo "setup: note: kubectl is not on PATH; the cluster works, but you'll want kubectl to talk to it"
echo "setup: done"
