-- Entries and goals of the win-back journey of examples/crm-starter over
-- the UCI Online Retail events, computed in plain SQLite (3.40+) without
-- any Parcours code. Input: raw(line TEXT) as in uci_reference.sql.
--
-- Output: two rows, "entered,N" and "goals,N".
--
-- Rules modelled (winback.journey):
--   * `lapsed` holds from exactly 120 days (120 * 86400 s) after a
--     customer's latest "Order Completed" while their lifecycle is still
--     `active`. The file is in time order, so the latest order is the
--     latest in the file. A customer enters when they lapse, if that
--     moment is at or before the final clock (the latest event).
--   * An order ends the lapse. One at exactly the moment of lapsing comes
--     after it (due timers fire before the event of the same instant):
--     the customer enters, and that order is the journey's goal.
--   * `goal OrderPlaced within 60d`: an order at or after the entry and
--     before entry + 60 days is a goal. Otherwise the journey reaches its
--     end at entry + 60 days (if at or before the final clock) and marks
--     the customer dormant: no later lapse of theirs enters again.

WITH
events AS (
  SELECT
    rowid AS seq,
    json_extract(line, '$.event') AS event,
    json_extract(line, '$.userId') AS profile,
    json_extract(line, '$.messageId') AS message_id,
    unixepoch(json_extract(line, '$.timestamp')) AS ts
  FROM raw
  WHERE json_valid(line) AND json_extract(line, '$.type') = 'track'
),
unique_events AS (
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
  SELECT profile, ts,
         lead(ts) OVER (PARTITION BY profile ORDER BY seq) AS next_ts
  FROM unique_events
  WHERE event = 'Order Completed'
),
lapses AS (
  SELECT profile, ts + 120 * 86400 AS entry, next_ts
  FROM orders
  WHERE (next_ts IS NULL OR next_ts >= ts + 120 * 86400)
    AND ts + 120 * 86400 <= (SELECT ts FROM final_clock)
),
outcomes AS (
  SELECT *,
         next_ts IS NOT NULL AND next_ts < entry + 60 * 86400 AS goal,
         (next_ts IS NULL OR next_ts >= entry + 60 * 86400)
           AND entry + 60 * 86400 <= (SELECT ts FROM final_clock)
           AS made_dormant
  FROM lapses
),
entered AS (
  SELECT * FROM outcomes o
  WHERE NOT EXISTS (SELECT 1 FROM outcomes d
                    WHERE d.profile = o.profile AND d.made_dormant
                      AND d.entry < o.entry)
)
SELECT 'entered', count(*) FROM entered
UNION ALL
SELECT 'goals', sum(goal) FROM entered;
