#!/usr/bin/env bash
# The main job on the bundled example: checks the crm-starter campaign
# (the six journeys a CRM team deploys first), then replays a year of real
# invoices (UCI Online Retail) through it, writes the actions to
# examples/crm-starter/out/ and prints the backtest report.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PARCOURS_BUILD_DIR:-build}"
example=examples/crm-starter
events=examples/uci-online-retail/events.jsonl
out="$example/out"

# The command alone: the test programs (most of a first build) wait for
# scripts/test.sh.
bash scripts/build.sh parcours >/dev/null
parcours="$build_dir/parcours"

"$parcours" check "$example/campaign"
rm -rf "$out" && mkdir -p "$out"
"$parcours" run "$example/campaign" --events "$events" \
  --state "$out/state.db" --out "$out/actions.jsonl"

echo
echo "first actions ($out/actions.jsonl):"
head -n 5 "$out/actions.jsonl"
echo
echo "sends by template:"
grep '"kind":"send"' "$out/actions.jsonl" |
  sed -E 's/.*"template":"([^"]*)".*/\1/' | sort | uniq -c | sort -rn
echo
"$parcours" report backtest --state "$out/state.db"
