#!/usr/bin/env bash
# The speed benchmark of issue 8: builds the release binary, makes N variants of
# tests/blueprints/full-stack.hcl (default 1000) and times generate, check and diff over them
# against cp -r, diff -r and terraform fmt on the same tree. Prints a Markdown report.
#
#   bash bench/run.sh [N]            N blueprints (default 1000); needs cargo and python3
#   BENCH_RUNS=5 bash bench/run.sh   runs per measurement (default 3, the median is reported)
#   BENCH_DIR=/some/dir              where the blueprints and trees go (default: a temp folder,
#                                    removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec python3 bench/bench.py "${1:-1000}"
