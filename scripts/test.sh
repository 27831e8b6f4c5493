#!/usr/bin/env bash
# Runs the whole test suite as CI does: installs what it needs, builds the dev
# preset and the ASan/UBSan preset, and runs ctest on both (unit tests, then
# integration tests against real PostgreSQL 15, Redis and nginx on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --skip-bench
jobs=$(nproc)
for preset in asan dev; do
  echo "== $preset: build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: test"
  # Integration suites each start their own servers; two at a time suits 2 cores.
  ctest --preset "$preset" -j 2
done
