#!/usr/bin/env bash
# Installs what a fresh clone needs: npm packages, and redis-server from the OS package manager
# when it is not on PATH (unless REDIS_URL points at a Redis already); as root with apt, a Math::BigInt
# that can run the seeds' job-pi. Safe to run again.
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
# The seeds' job-pi runs `perl -Mbignum=bpi -wle 'print bpi(2000)'`. Debian 12's perl 5.36 ships
# Math::BigInt 1.999830, whose bpi(2000) dies ("Can't use an undefined value as an ARRAY reference");
# the packaged 1.999838 computes it. Best effort: the demo and tests run without it.
if command -v perl >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] &&
  ! perl -MMath::BigInt -e 'exit($Math::BigInt::VERSION >= 1.999838 ? 0 : 1)' 2>/dev/null; then
  echo "setup: perl's Math::BigInt is too old for job-pi's bpi(2000); installing libmath-bigint-perl"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmath-bigint-perl >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmath-bigint-perl >/dev/null 2>&1; } ||
    echo "setup: note: could not install libmath-bigint-perl; the job-pi test will say why it skips" >&2
fi

command -v redis-server >/dev/null 2>&1 && echo "setup: $(redis-server --version | cut -d' ' -f1-3)"
command -v kubectl >/dev/null 2>&1 || echo "setup: note: kubectl is not on PATH; the cluster works, but you'll want kubectl to talk to it"
echo "setup: done"
