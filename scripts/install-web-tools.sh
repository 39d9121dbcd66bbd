#!/usr/bin/env bash
# Install the npm checkers listed in tests/browser/tools.txt (axe-core, html-validate), each
# into .tools/<directory>. A directory that finished installing is kept (marked by .installed),
# so reruns are instant.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools
grep -v '^\s*#' tests/browser/tools.txt | while read -r dir spec; do
  [ -z "${dir:-}" ] && continue
  target=".tools/$dir"
  [ -f "$target/.installed" ] && continue
  echo "installing $spec into $target"
  rm -rf "$target"
  mkdir -p "$target"
  npm install --silent --no-audit --no-fund --prefix "$target" "$spec"
  touch "$target/.installed"
done
