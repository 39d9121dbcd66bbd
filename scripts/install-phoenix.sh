#!/usr/bin/env bash
# Install Arize Phoenix (the trace store the observability tests export to) into its own virtual
# environment, .tools/phoenix/, outside the project's: it pins hundreds of packages of its own.
# A finished install is kept (marked by .installed), so reruns are instant. About 3-5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${FEEDBACK_WIDGET_PHOENIX_HOME:-.tools/phoenix}"
spec="${PHOENIX_SPEC:-arize-phoenix==20.26.1}"
python="${PHOENIX_PYTHON:-python3}"
[ -f "$target/.installed" ] && exit 0
echo "installing $spec into $target"
rm -rf "$target"
"$python" -m venv "$target"
"$target/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
"$target/bin/phoenix" --help >/dev/null
touch "$target/.installed"
