-- Expected sends for the UCI Online Retail example campaign, computed in
-- plain SQLite (3.40+: JSON1 json_extract, window functions, unixepoch)
-- without any Parcours code, so the engine's output can be checked against
-- an independent model of the same rules.
--
-- Input: a table raw(line TEXT) holding one JSON event per row, with rowid
-- following the order of lines in the events file. Load it with the
-- sqlite3 shell in "ascii" import mode, which does no quote processing,
-- using the unit separator (0x1F, octal 037) as the column separator. A
-- valid JSON line cannot contain a raw 0x1F (control characters must be
-- escaped inside JSON strings), so each line lands whole in one column,
-- whatever commas or quotes it holds:
--
--   CREATE TABLE raw(line TEXT);
--   .mode ascii
--   .separator "\037" "\n"
--   .import examples/uci-online-retail/events-small.jsonl raw
--   .mode list
--   .separator "," "\n"
--   .read tests/e2e/uci_reference.sql
--
-- (".mode list" with that separator prints plain "a,b,c" lines; ".mode
-- csv" would end them with CRLF.) Paths are relative to the repo root.
--
-- Output: rows (profile, template, at), ordered by at, profile, template,
-- where at is an ISO-8601 UTC string such as 2011-02-03T10:00:00Z.
--
-- Campaign rules modelled here:
--   * Events are handled in file order, which is assumed to be timestamp
--     order (the import writes it so); "next order" means the next one in
--     the file. The replay ends at the final clock, the largest timestamp
--     in the file. A timer due at or before the final clock fires; later
--     timers stay pending and send nothing.
--   * thank_you: on a customer's first "Order Completed", send email
--     "thank_you" at that event's timestamp.
--   * we_miss_you: each "Order Completed" at time t cancels the customer's
--     waiting instance (if any) and starts a new one that sends email
--     "we_miss_you_vip" (when the customer's orders so far total at least
--     1000 GBP, the `big_spender` segment) or "we_miss_you" at t + 60 days (exactly 60 * 86400 s). It fires when
--     the customer's next "Order Completed" comes at or after t + 60 days
--     (or there is none) and t + 60 days <= final clock. A next order at
--     exactly t + 60 days does not cancel it: due timers fire before the
--     event that shares their instant is handled.
--   * Both journeys follow the policy retail_pressure. Every profile is in
--     Europe/London (the import sets that zone for all), so "local" is UK
--     time: UTC, plus one hour from 01:00 UTC on the last Sunday of March
--     to 01:00 UTC on the last Sunday of October (the dates of 2010 to
--     2012 are written out below, so no time-zone code is involved). A
--     send due from Sunday 22:00 to before Monday 08:00 local is
--     suppressed (quiet hours; the policy drops what it holds back). Of the
--     remaining sends, a customer gets at most 3 per calendar week (Monday
--     00:00 to the next, local); the first 3 of the week in time order go,
--     later ones are suppressed and not counted.
--     Two sends at one instant would go in journey order (thank_you is
--     written first).
--   * "Order Refunded" and "identify" events move the clock but trigger
--     nothing.
--   * Lines that are not valid JSON are skipped (the engine dead-letters
--     them), and a repeated messageId counts once, as the contract makes
--     messageId the idempotency key.

WITH
events AS (
  SELECT
    rowid AS seq,
    json_extract(line, '$.type') AS type,
    json_extract(line, '$.event') AS event,
    json_extract(line, '$.userId') AS profile,
    json_extract(line, '$.messageId') AS message_id,
    unixepoch(json_extract(line, '$.timestamp')) AS ts,
    -- Totals have two decimals; whole pennies keep the sums exact.
    CAST(round(json_extract(line, '$.properties.total') * 100) AS INTEGER)
      AS pennies
  FROM raw
  WHERE json_valid(line)
),
unique_events AS (
  -- Keep the first copy of each messageId; events without one all count.
  SELECT * FROM (
    SELECT events.*,
           row_number() OVER (PARTITION BY message_id ORDER BY seq) AS copy
    FROM events
  )
  WHERE copy = 1 OR message_id IS NULL
),
final_clock AS (
  SELECT max(ts) AS ts FROM unique_events
),
orders AS (
  SELECT
    profile,
    ts,
    row_number() OVER (PARTITION BY profile ORDER BY seq) AS nth,
    lead(ts) OVER (PARTITION BY profile ORDER BY seq) AS next_ts,
    sum(pennies) OVER (PARTITION BY profile ORDER BY seq
                       ROWS UNBOUNDED PRECEDING) AS spent_pennies
  FROM unique_events
  WHERE type = 'track' AND event = 'Order Completed'
),
due_sends AS (
  SELECT profile, 'thank_you' AS template, ts AS due, 1 AS journey_order
  FROM orders
  WHERE nth = 1
  UNION ALL
  SELECT profile,
         CASE WHEN spent_pennies >= 100000 THEN 'we_miss_you_vip'
              ELSE 'we_miss_you' END,
         ts + 60 * 86400,
         2
  FROM orders
  WHERE (next_ts IS NULL OR next_ts >= ts + 60 * 86400)
    AND ts + 60 * 86400 <= (SELECT ts FROM final_clock)
),
local_due AS (
  -- The wall-clock time in London, as seconds counted like UTC's.
  SELECT *,
         due + CASE
           WHEN due >= unixepoch('2010-03-28T01:00:00Z')
                AND due < unixepoch('2010-10-31T01:00:00Z') THEN 3600
           WHEN due >= unixepoch('2011-03-27T01:00:00Z')
                AND due < unixepoch('2011-10-30T01:00:00Z') THEN 3600
           WHEN due >= unixepoch('2012-03-25T01:00:00Z')
                AND due < unixepoch('2012-10-28T01:00:00Z') THEN 3600
           ELSE 0 END AS local
  FROM due_sends
),
not_quiet AS (
  -- strftime('%w') counts Sunday as 0 and Monday as 1.
  SELECT * FROM local_due
  WHERE NOT (
    (strftime('%w', local, 'unixepoch') = '0'
       AND strftime('%H:%M:%S', local, 'unixepoch') >= '22:00:00')
    OR (strftime('%w', local, 'unixepoch') = '1'
       AND strftime('%H:%M:%S', local, 'unixepoch') < '08:00:00'))
),
weeks AS (
  -- The local Monday 00:00 starting each send's week: its local day's
  -- midnight, less the days since Monday.
  SELECT *,
         local - local % 86400
           - ((CAST(strftime('%w', local, 'unixepoch') AS INTEGER) + 6) % 7)
             * 86400 AS week
  FROM not_quiet
),
sends AS (
  SELECT * FROM (
    SELECT weeks.*,
           row_number() OVER (PARTITION BY profile, week
                              ORDER BY due, journey_order) AS nth_in_week
    FROM weeks
  )
  WHERE nth_in_week <= 3
)
SELECT
  profile,
  template,
  strftime('%Y-%m-%dT%H:%M:%SZ', due, 'unixepoch') AS at
FROM sends
ORDER BY at, profile, template;
