#!/usr/bin/env bash
# Make .venv313: the project (with its native subinterpreter helper) on the newest
# Python 3.12+ found (3.13 preferred), so the subinterpreter tier runs with a GIL per
# interpreter. Looks in $PY313, pyenv's versions, then PATH. Idempotent.
# Prints the interpreter it uses; exits 3 with a message when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."

is_312_plus() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}

candidates=()
[ -n "${PY313:-}" ] && candidates+=("$PY313")
roots=()
if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root)"); fi
roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
for root in "${roots[@]}"; do
    for minor in 13 12; do
        for dir in $(ls -d "$root"/versions/3."$minor".* 2>/dev/null | sort -V -r); do
            candidates+=("$dir/bin/python3")
        done
    done
done
for name in python3.13 python3.12; do
    if command -v "$name" >/dev/null 2>&1; then candidates+=("$(command -v "$name")"); fi
done

PY=""
for c in "${candidates[@]}"; do
    if [ -x "$c" ] && is_312_plus "$c"; then PY="$c"; break; fi
done
if [ -z "$PY" ]; then
    echo "error: no Python 3.12+ found (looked at \$PY313, pyenv versions 3.13.*/3.12.*, python3.13 and python3.12 on PATH);" >&2
    echo "       the subinterpreter tier's per-interpreter GIL needs one: install it (e.g. pyenv install 3.13) or set PY313" >&2
    exit 3
fi
echo "setup-py313: using $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"

if [ -x .venv313/bin/python ] && ! .venv313/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
    rm -rf .venv313
fi
if [ ! -x .venv313/bin/python ]; then
    "$PY" -m venv .venv313
fi
stamp=".venv313/.installed-$(cat pyproject.toml setup.py runtime/_native/*.c | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    .venv313/bin/python -m pip install --quiet --upgrade pip
    # the extension builds in place next to its source (one file per Python version)
    .venv313/bin/python -m pip install --quiet -e '.[dev]'
    rm -f .venv313/.installed-* && touch "$stamp"
fi
.venv313/bin/python -c 'from runtime.backends.subinterp import tier_status; print("setup-py313: subinterpreter tier:", tier_status())'
