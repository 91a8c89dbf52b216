#!/usr/bin/env bash
# Makes Debian's chromium available for the headless browser tests: prints its path, installing it with apt-get (as root) when missing.
# Exit 0 with the path on stdout, or 1 with the reason on stderr. apt may be held by another apt process: retried for about a minute.
set -u

found() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null; }

if p=$(found); then echo "$p"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "chromium is not installed and installing it needs root (apt-get install chromium)" >&2; exit 1; fi
if ! command -v apt-get >/dev/null 2>&1; then echo "chromium is not installed and there is no apt-get to install it" >&2; exit 1; fi

log=$(mktemp)
updated=0
for attempt in $(seq 1 12); do
  if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >"$log" 2>&1; then
    rm -f "$log"
    if p=$(found); then echo "$p"; exit 0; fi
    echo "apt-get installed chromium but no chromium binary is on PATH" >&2; exit 1
  fi
  if grep -qiE 'could not get lock|unable to acquire|is another process using it' "$log"; then
    sleep 5 # another apt process holds the lock
  elif [ "$updated" = 0 ]; then
    updated=1 # package lists missing or stale
    DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 || true
  else
    echo "apt-get install chromium failed: $(tail -n 3 "$log" | tr '\n' ' ')" >&2; rm -f "$log"; exit 1
  fi
done
echo "apt-get install chromium: apt stayed locked for a minute" >&2
rm -f "$log"
exit 1
