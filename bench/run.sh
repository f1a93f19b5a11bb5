#!/usr/bin/env bash
# The speed benchmark of issue 8: builds the release binary, makes N variants of
# tests/blueprints/full-stack.hcl (default 1000) and times generate, check and diff over them
# against cp -r, diff -r and terraform fmt on the same tree. Prints a Markdown report.
#
#   bash bench/run.sh [N]            N blueprints (default 1000); needs cargo and python3
#   BENCH_RUNS=5 bash bench/run.sh   runs per measurement (default 3, the median is reported)
#   BENCH_DIR=/some/dir              where the blueprints and trees go (default: a temp folder,
#                                    removed at the end)
#   BENCH_LARGE=10000                the large run: generate and check of this many blueprints
#                                    (default 10000; 0 leaves it out), with their peak memory
#                                    and the ratios to cp -r and diff -r
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BENCH_LARGE="${BENCH_LARGE:-10000}" exec python3 bench/bench.py "${1:-1000}"
