#!/usr/bin/env bash
# The main job: set up, then `runtime demo`: the example plugins in a gateway chain on the
# default embedded setup, what each one did, and `runtime bench --quick` figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/runtime info
.venv/bin/runtime demo "$@"
