#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser test (test/serve-browser.test.ts) when it is missing.
# Exit 0 when /usr/bin/chromium runs afterwards; otherwise a one-line reason on stderr and exit 1 (the test then skips).
set -uo pipefail
if [[ -x /usr/bin/chromium ]] && /usr/bin/chromium --headless=new --version >/dev/null 2>&1; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then echo "install-chromium: not root, cannot apt-get install chromium" >&2; exit 1; fi
if ! command -v apt-get >/dev/null; then echo "install-chromium: no apt-get on this machine" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || { echo "install-chromium: apt-get update failed" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1 || { echo "install-chromium: apt-get install chromium failed" >&2; exit 1; }
/usr/bin/chromium --headless=new --version >/dev/null 2>&1 || { echo "install-chromium: chromium installed but does not start" >&2; exit 1; }
echo "install-chromium: $(/usr/bin/chromium --version 2>/dev/null)" >&2
