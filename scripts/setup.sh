#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the project with its dev, wasm, shared-state
# (Redis, PostgreSQL) and gateway (Starlette, httpx, uvicorn) extras.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "error: $PY is older than Python 3.11; set PYTHON=/path/to/python3.11+" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
# (setup.py and runtime/_native: the native subinterpreter helper is built at install)
stamp=".venv/.installed-$(cat pyproject.toml setup.py runtime/_native/*.c | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev,wasm,shared-state,gateway]'
    rm -f .venv/.installed-* && touch "$stamp"
fi
