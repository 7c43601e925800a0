#!/usr/bin/env bash
# Set up everything the tests need, then run the whole suite (extra args go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-go.sh   # Go toolchain, go-plugin and our Go binaries (tests/goplugin)
bash scripts/setup-services.sh  # redis-server and PostgreSQL for the shared-state tests
.venv/bin/python scripts/gen_proto.py --check
.venv/bin/python scripts/gen_messages.py --check
.venv/bin/python scripts/gen_abi_tables.py --check
.venv/bin/python -m pytest "$@"
# The subinterpreter tier once more on the newest Python 3.12+ (a GIL per interpreter):
# its own tests and its param of the parity suite (no wasm builds in this run).
bash scripts/setup-py313.sh
.venv313/bin/python -m pytest tests/subinterpreter "$@"
exec .venv313/bin/python -m pytest tests/parity -k subinterpreter "$@"
