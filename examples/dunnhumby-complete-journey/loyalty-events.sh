#!/bin/sh
# Builds the events of the loyalty example (campaign/loyalty.journey):
# imports the baskets and the rewards of households 1 to 800 and merges
# them into one stream in time order, as `parcours run` replays it.
#
#   sh examples/dunnhumby-complete-journey/loyalty-events.sh OUT.jsonl
#
# PARCOURS names the binary (`parcours` on the PATH by default; the
# README's build leaves it at `build/parcours`). The output
# is the same, byte for byte, on every run.
set -eu

here=$(dirname "$0")
out=$1
parcours=${PARCOURS:-parcours}
if ! command -v "$parcours" >/dev/null 2>&1; then
  echo "loyalty-events.sh: cannot run \`$parcours\`;" \
    "set PARCOURS, e.g. PARCOURS=build/parcours" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$parcours" import csv --mapping "$here/transactions-mapping.json" \
  "$here/loyalty-transactions.csv" --out "$work/baskets.jsonl" \
  --dead-letter "$work/baskets.dead.jsonl" >&2
"$parcours" import csv --mapping "$here/reward-redemptions-mapping.json" \
  "$here/loyalty-coupon-redemptions.csv" --out "$work/rewards.jsonl" \
  --dead-letter "$work/rewards.dead.jsonl" >&2

for dead in "$work/baskets.dead.jsonl" "$work/rewards.dead.jsonl"; do
  if [ -s "$dead" ]; then
    echo "loyalty-events.sh: rows that did not import:" >&2
    cat "$dead" >&2
    exit 1
  fi
done

# Both imports are in time order; merge them on the UTC timestamp (text in
# one fixed format, so it sorts as time), baskets before rewards at the
# same second, and each file's own order otherwise.
tab=$(printf '\t')
awk -v OFS="$tab" -v baskets="$work/baskets.jsonl" '{
  match($0, /"timestamp":"[^"]*"/)
  print substr($0, RSTART + 13, RLENGTH - 14), (FILENAME == baskets ? 0 : 1),
        FNR, $0
}' "$work/baskets.jsonl" "$work/rewards.jsonl" |
  LC_ALL=C sort -t "$tab" -k1,1 -k2,2n -k3,3n | cut -f4- >"$out"
