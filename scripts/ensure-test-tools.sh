#!/usr/bin/env bash
# Make sure the programs the tests drive exist: a Chromium for the browser tests (Playwright's
# own browser download does not work on our machines) and the mosquitto broker binary that the
# MQTT tests start on free ports. Debian packages are installed when missing and we are root.
set -euo pipefail

missing=()
browser="${FEEDBACK_WIDGET_CHROMIUM-/usr/bin/chromium}"
if [ -n "$browser" ] && [ ! -x "$browser" ]; then
  if [ -n "${FEEDBACK_WIDGET_CHROMIUM:-}" ]; then
    echo "FEEDBACK_WIDGET_CHROMIUM=$browser is not an executable file" >&2
    exit 1
  fi
  missing+=(chromium)
fi
# The screenshots of the Japanese widget need a font with Japanese glyphs (Arabic's are in
# DejaVu, which Chromium brings).
command -v fc-list >/dev/null && [ -n "$(fc-list :lang=ja)" ] || missing+=(fonts-ipafont-gothic)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
# The VoltAgent SDK is JavaScript; its test drives it with Node.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages for the tests: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing for the tests: ${missing[*]}. Install the Debian packages (as root:" >&2
echo "apt-get install -y ${missing[*]}), or set FEEDBACK_WIDGET_CHROMIUM to a browser" >&2
exit 1
