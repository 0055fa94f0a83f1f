#!/usr/bin/env python3
"""Turn the UCI "Online Retail" CSV into Parcours input events (JSON lines).

Usage (from the repository root):

    python3 examples/uci-online-retail/convert.py \\
        ../shared/data/uci-online-retail/online-retail-dataset.csv.gz \\
        > examples/uci-online-retail/events.jsonl

    python3 examples/uci-online-retail/convert.py --first-customers 150 \\
        ../shared/data/uci-online-retail/online-retail-dataset.csv.gz \\
        > examples/uci-online-retail/events-small.jsonl

One event per invoice, not per line: a CRM journey reacts to "an order
happened", and the dataset's lines are just the basket contents. Invoices
whose number starts with "C" are cancellations and become "Order Refunded".
Each customer gets one "identify" event just before their first invoice so
the engine knows the profile's country and time zone from the start.

The output depends only on the input: events are sorted by (timestamp,
invoice number), so reruns produce byte-identical files. Counts go to stderr.
"""

import argparse
import csv
import gzip
import json
import sys
from collections import Counter
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
PENNY = Decimal("0.01")


def to_utc(local_text, stats):
    """'2010-12-01 08:26:00' (UK wall-clock time) -> '2010-12-01T08:26:00Z'."""
    naive = datetime.strptime(local_text, "%Y-%m-%d %H:%M:%S")
    early = naive.replace(tzinfo=LONDON, fold=0)
    late = naive.replace(tzinfo=LONDON, fold=1)
    # A wall time in the autumn overlap or the spring gap has two readings.
    # The shop trades between 06:00 and 21:00, so this should never happen;
    # if it does we take the earlier reading and say so on stderr.
    if early.utcoffset() != late.utcoffset():
        stats["ambiguous local times (took first reading)"] += 1
    return early.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def customer_id(raw):
    """'17850.0' -> '17850'; '' -> None (guest).

    The snapshot went through Spark, which wrote the integer IDs as floats.
    """
    raw = raw.strip()
    if not raw:
        return None
    return str(int(Decimal(raw)))


def to_json(value):
    """Serialise like json.dumps(separators=(",", ":"), ensure_ascii=False),
    except that Decimal values are written as exact two-decimal numbers.

    json.dumps cannot write a Decimal as a number without passing through
    float, and float is exactly what could turn 15.30 into 15.299999999.
    """
    if isinstance(value, dict):
        members = (
            json.dumps(key, ensure_ascii=False) + ":" + to_json(item)
            for key, item in value.items()
        )
        return "{" + ",".join(members) + "}"
    if isinstance(value, Decimal):
        if value == 0:
            value = Decimal(0)  # never print "-0.00"
        return format(value, ".2f")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def read_invoices(path, stats):
    """Group the CSV lines by invoice number, dropping guest lines."""
    invoices = {}
    guest_invoices = set()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            stats["input rows"] += 1
            user = customer_id(row["CustomerID"])
            if user is None:
                # Without an ID there is no profile to run a journey for.
                stats["guest rows skipped"] += 1
                guest_invoices.add(row["InvoiceNo"])
                continue
            invoices.setdefault(row["InvoiceNo"], []).append((user, row))
    # An invoice counts as skipped only if none of its lines had an ID.
    stats["guest invoices skipped"] = len(guest_invoices - invoices.keys())
    return invoices


def invoice_event(number, lines, stats):
    """Build one track event from the (customer, csv row) lines of an invoice.

    Returns (sort key, user id, country, event dict).
    """
    users = [user for user, _ in lines]
    rows = [row for _, row in lines]
    user = users[0]
    if len(set(users)) > 1:
        # Not seen in this dataset; if it happens, the invoice goes to the
        # customer on its first line rather than being split or dropped.
        stats["invoices with disagreeing customers (kept, first line)"] += 1

    # A few invoices straddle a minute boundary (lines stamped 16:57 and
    # 16:58). The order was placed when it was opened: use the earliest.
    times = sorted({row["InvoiceDate"] for row in rows})
    if len(times) > 1:
        stats["invoices spanning several minutes (took earliest)"] += 1
    timestamp = to_utc(times[0], stats)

    total = sum(
        (Decimal(row["Quantity"]) * Decimal(row["UnitPrice"]) for row in rows),
        Decimal(0),
    )
    # Pounds have no sub-penny unit, but four lines are priced at 0.001
    # (placeholder "PADS" / "Bank Charges"); round those sums to the penny.
    pennies = total.quantize(PENNY, rounding=ROUND_HALF_UP)
    if pennies != total:
        stats["totals rounded to the penny"] += 1

    refund = number.startswith("C")
    if refund:
        stats["refunds"] += 1
        pennies = -pennies  # cancellations carry negative quantities
    else:
        stats["orders"] += 1
    if pennies == 0:
        # Kept: the customer still placed (or cancelled) an invoice, which
        # matters for recency; a journey can filter on total if it cares.
        stats["zero-total invoices (kept)"] += 1
    if pennies < 0:
        stats["invoices with unexpected sign (kept as is)"] += 1

    country = rows[0]["Country"]
    event = {
        "type": "track",
        "event": "Order Refunded" if refund else "Order Completed",
        "userId": user,
        "messageId": "uci-" + number,
        "timestamp": timestamp,
        "properties": {
            "order_id": number,
            "total": pennies,
            "currency": "GBP",
            "items": len(rows),
            "country": country,
        },
    }
    return (timestamp, number), user, country, event


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv_gz", help="online-retail-dataset.csv.gz")
    parser.add_argument(
        "--first-customers", type=int, metavar="N",
        help="keep only the N customers whose first invoice comes first "
             "(all of their events), for a small test file")
    args = parser.parse_args()

    stats = Counter()
    invoices = read_invoices(args.csv_gz, stats)
    # Invoice numbers are unique, so (timestamp, number) is a total order.
    events = sorted(
        (invoice_event(number, lines, stats)
         for number, lines in invoices.items()),
        key=lambda entry: entry[0],
    )
    stats["invoices"] = len(events)

    # Walking the events in output order, a customer's first appearance is
    # their first invoice; that is where the identify event belongs.
    seen = set()
    out = sys.stdout
    for _, user, country, event in events:
        if user not in seen:
            if (args.first_customers is not None
                    and len(seen) >= args.first_customers):
                continue
            seen.add(user)
            identify = {
                "type": "identify",
                "userId": user,
                "messageId": "uci-id-" + user,
                "timestamp": event["timestamp"],
                "traits": {"country": country, "timezone": "Europe/London"},
            }
            out.write(to_json(identify) + "\n")
        out.write(to_json(event) + "\n")
    stats["customers"] = len({user for _, user, _, _ in events})
    stats["customers written"] = len(seen)

    # Fixed order first so the summary reads the same run after run; any
    # data anomaly counted above follows only when it actually occurred.
    headline = ["input rows", "guest rows skipped", "guest invoices skipped",
                "invoices", "orders", "refunds", "customers",
                "customers written"]
    for name in headline + sorted(stats.keys() - set(headline)):
        print(f"{name}: {stats[name]}", file=sys.stderr)


if __name__ == "__main__":
    main()
