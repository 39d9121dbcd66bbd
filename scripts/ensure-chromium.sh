#!/usr/bin/env bash
# Make sure a Chromium the browser tests can launch exists. Playwright's own browser download
# does not work on our machines, so we use Debian's package unless one is named explicitly.
set -euo pipefail
browser="${FEEDBACK_WIDGET_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
if [ -n "${FEEDBACK_WIDGET_CHROMIUM:-}" ]; then
  echo "FEEDBACK_WIDGET_CHROMIUM=$browser is not an executable file" >&2
  exit 1
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "no Chromium at $browser: install Debian's 'chromium' package (as root: apt-get install -y chromium)," >&2
echo "or set FEEDBACK_WIDGET_CHROMIUM to a Chromium/Chrome executable" >&2
exit 1
