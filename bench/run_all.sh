#!/usr/bin/env bash
# Run every benchmark (python -m bench); pass --quick for a short run, or names to pick some.
# Output: the tables on stdout, copies in test-artifacts/bench/, filled databases cached in
# bench/.data/ (PostgreSQL: databases lumbar_bench_*; set BENCH_PG_URL for another server).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
exec python -m bench "$@"
