#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the locked workspace into it.
# Safe to run again: it only installs what changed in requirements.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python_bin="$candidate"; break; fi
  done
fi
"$python_bin" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'

if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install --quiet "uv==0.13.9"
fi
# uv installs from the lock; the workspace packages are editable.
.venv/bin/uv pip sync --quiet --python .venv/bin/python requirements.lock
