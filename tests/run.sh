#!/usr/bin/env bash
# Sets up a fresh machine and runs every check: bash tests/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,mlflow,cluster]"

# The browser tests drive Debian's chromium (Playwright's own browser download is not possible).
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Lint, format and the import layers (pyproject.toml) before any test.
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports

# Build the C kernel from scratch, as a fresh machine would.
export L1VIZ_CACHE_DIR="${L1VIZ_CACHE_DIR:-$(mktemp -d)}"
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest --durations=25 "$@"
fi
# Every test: those without a browser on both cores at once (they compute), then the browser
# tests one at a time on a quiet machine (they time what a user sees). Both phases always run.
status=0
.venv/bin/python -m pytest -m "not browser" -n 2 --durations=15 || status=$?
.venv/bin/python -m pytest -m browser --durations=15 || status=$?
exit "$status"
