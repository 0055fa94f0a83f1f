#!/usr/bin/env bash
# Everything CI should check in a folder of campaigns, in the order a
# reviewer cares about: the program compiles without warnings, it is
# formatted, its `test` blocks pass, and (given events) a backtest runs and
# prints its report.
#
#   campaign-checks.sh CAMPAIGN_DIR [EVENTS_FILE]
#
# PARCOURS names the parcours program (default: `parcours` on the PATH).
# Exits non-zero at the first check that fails, after printing why.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 CAMPAIGN_DIR [EVENTS_FILE]" >&2
  exit 2
fi
parcours="${PARCOURS:-parcours}"
campaigns="$1"
events="${2:-}"

echo "== check (warnings are errors)"
"$parcours" check --werror "$campaigns"

echo "== format"
"$parcours" fmt --check "$campaigns"

echo "== tests"
"$parcours" test "$campaigns"

if [ -n "$events" ]; then
  echo "== backtest on $events"
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  "$parcours" run "$campaigns" --events "$events" \
    --state "$scratch/state.db" --out "$scratch/actions.jsonl"
  "$parcours" report backtest --state "$scratch/state.db"
fi
