-- The cart and browse abandonment journeys of examples/crm-starter over
-- the Taobao behaviour sample, computed in plain SQLite (3.40+) without
-- any Parcours code, so the engine's backtest can be checked against an
-- independent model of the same rules.
--
-- Input: raw(line TEXT), one JSON event per row, rowid in file order (see
-- uci_reference.sql for loading it with the sqlite3 shell). The events
-- file is sorted by time (examples/crm-starter/README.md says how it is
-- made), so file order is time order.
--
-- Output: one row per fact, as (kind, key, value):
--   entered  <journey>  contacts who entered
--   exited   <journey>  contacts who left on an exit event, by event
--            name in `key` as "<journey> on <event wire name>"
--   waiting  <journey>  contacts still inside at the final clock
--   send     <profile>,<template>,<at>   every send, in time order
--
-- Rules modelled (abandonment.journey, policy.journey):
--   * The stream has no consent events, so `consent(push)` and
--     `consent(sms)` are false: only the emails go out.
--   * cart_abandonment: on "Product Added"; `reentry after 3d` lets a
--     cart enter when it comes at least 3 days after the profile's
--     previous entry (the journey lasts 49 hours, so a contact has
--     always left by then). The email is due 25 hours after entry
--     (wait 1h, wait 1d); the journey ends at 49 hours. A "Product
--     Purchased" or "Order Completed" after the entry and before a due
--     time exits the contact first; one at exactly the due time comes
--     after it (due timers fire before the event of the same instant).
--   * browse_abandonment: on "Product Viewed", `reentry after 7d`; the
--     email is due at 2 days, when the journey ends; "Product Added",
--     "Product Purchased" and "Order Completed" exit.
--   * A timer due after the final clock (the latest event) has not
--     fired: its contact is still waiting.
--   * The policy: profiles have no time zone, so local time is UTC. A
--     send due from Sunday 22:00 to before Monday 08:00 is suppressed
--     (quiet); of the rest, the first 3 of a profile's calendar week
--     (from Monday 00:00) go, in due order, then journey order (cart
--     before browse, as declared); later ones are suppressed.

WITH RECURSIVE
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
journeys(journey, journey_order, trigger_event, reentry, email_due, ends,
         template) AS (
  VALUES ('cart_abandonment', 1, 'Product Added', 3 * 86400, 25 * 3600,
          49 * 3600, 'cart_reminder'),
         ('browse_abandonment', 2, 'Product Viewed', 7 * 86400, 2 * 86400,
          2 * 86400, 'browse_reminder')
),
exit_events(journey, event) AS (
  VALUES ('cart_abandonment', 'Product Purchased'),
         ('cart_abandonment', 'Order Completed'),
         ('browse_abandonment', 'Product Added'),
         ('browse_abandonment', 'Product Purchased'),
         ('browse_abandonment', 'Order Completed')
),
triggers AS (
  SELECT j.journey, e.profile, e.seq, e.ts
  FROM journeys j JOIN unique_events e ON e.event = j.trigger_event
),
-- Each entry, then the profile's first trigger at least `reentry` later.
entries(journey, profile, seq, ts) AS (
  SELECT journey, profile, min(seq), ts FROM triggers
  GROUP BY journey, profile
  UNION ALL
  SELECT t.journey, t.profile, t.seq, t.ts
  FROM entries e
  JOIN journeys j ON j.journey = e.journey
  JOIN triggers t ON t.journey = e.journey AND t.profile = e.profile
  WHERE t.seq = (SELECT min(n.seq) FROM triggers n
                 WHERE n.journey = e.journey AND n.profile = e.profile
                   AND n.seq > e.seq AND n.ts >= e.ts + j.reentry)
),
-- The first exit event after each entry, if it comes before the end.
outcomes AS (
  SELECT e.*, j.journey_order, j.template,
         e.ts + j.email_due AS email_at,
         e.ts + j.ends AS end_at,
         (SELECT x.seq FROM unique_events x
          JOIN exit_events xe ON xe.journey = e.journey AND xe.event = x.event
          WHERE x.profile = e.profile AND x.seq > e.seq
            AND x.ts < e.ts + j.ends
          ORDER BY x.seq LIMIT 1) AS exit_seq
  FROM entries e JOIN journeys j ON j.journey = e.journey
),
exits AS (
  SELECT o.*, x.event AS exit_event, x.ts AS exit_ts
  FROM outcomes o LEFT JOIN unique_events x ON x.seq = o.exit_seq
),
due_sends AS (
  SELECT profile, template, email_at AS due, journey_order FROM exits
  WHERE (exit_ts IS NULL OR exit_ts >= email_at)
    AND email_at <= (SELECT ts FROM final_clock)
),
not_quiet AS (
  SELECT * FROM due_sends
  WHERE NOT (
    (strftime('%w', due, 'unixepoch') = '0'
       AND strftime('%H:%M:%S', due, 'unixepoch') >= '22:00:00')
    OR (strftime('%w', due, 'unixepoch') = '1'
       AND strftime('%H:%M:%S', due, 'unixepoch') < '08:00:00'))
),
sends AS (
  SELECT * FROM (
    SELECT not_quiet.*,
           row_number() OVER (
             PARTITION BY profile,
               due - due % 86400
                 - ((CAST(strftime('%w', due, 'unixepoch') AS INTEGER) + 6)
                    % 7) * 86400
             ORDER BY due, journey_order) AS nth_in_week
    FROM not_quiet
  )
  WHERE nth_in_week <= 3
)
SELECT kind, key, value FROM (
  SELECT 1 AS part, 'entered' AS kind, journey AS key,
         count(*) AS value, '' AS sort_key
  FROM entries GROUP BY journey
  UNION ALL
  SELECT 2, 'exited', journey || ' on ' || exit_event, count(*), ''
  FROM exits WHERE exit_event IS NOT NULL
  GROUP BY journey, exit_event
  UNION ALL
  SELECT 3, 'waiting', journey, count(*), ''
  FROM exits
  WHERE exit_event IS NULL AND end_at > (SELECT ts FROM final_clock)
  GROUP BY journey
  UNION ALL
  SELECT 4, 'send',
         profile || ',' || template || ','
           || strftime('%Y-%m-%dT%H:%M:%SZ', due, 'unixepoch'),
         1, strftime('%Y-%m-%dT%H:%M:%SZ', due, 'unixepoch') || profile
           || template
  FROM sends
)
ORDER BY part, sort_key, key;
