#!/usr/bin/env bash
# Install the real feedback SDKs listed in tests/sdk/clients.txt, each into .sdk/<directory>.
# A directory that finished installing is kept (marked by .installed), so reruns are instant.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
mkdir -p .sdk
grep -v '^\s*#' tests/sdk/clients.txt | while read -r dir installer spec; do
  [ -z "${dir:-}" ] && continue
  target=".sdk/$dir"
  [ -f "$target/.installed" ] && continue
  echo "installing $spec into $target"
  rm -rf "$target"
  case "$installer" in
    pip) "$python" -m pip install --quiet --disable-pip-version-check --target "$target" "$spec" ;;
    npm) mkdir -p "$target" && npm install --silent --no-audit --no-fund --prefix "$target" "$spec" ;;
    *) echo "unknown installer $installer in tests/sdk/clients.txt" >&2; exit 1 ;;
  esac
  touch "$target/.installed"
done
