#!/usr/bin/env bash
# Test setup: makes sure Debian's redis-server is installed (the sweep queue tests start their own on 127.0.0.1).
# Installs it with apt-get when it is missing and we are root with apt; otherwise says why not and exits 0, so the
# queue tests skip with that reason instead of failing the run.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server present: $(redis-server --version)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server missing and cannot be installed here (needs root and apt-get): the sweep queue tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# the package's service is not wanted: tests start their own server on a free port
if ! (apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server >/dev/null); then
  echo "apt-get could not install redis-server: the sweep queue tests will skip" >&2
  exit 0
fi
# a service the package may have started (where an init system runs) is not needed by the tests
if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
echo "redis-server installed: $(redis-server --version)"
