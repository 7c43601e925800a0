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
exec .venv/bin/python -m pytest "$@"
