-- The liability of the Complete Journey loyalty example
-- (examples/dunnhumby-complete-journey/campaign/loyalty.journey), computed
-- in plain SQLite (3.38+: json_extract, window functions, unixepoch) from
-- the rules of docs/loyalty.md, without any Parcours code, so that the
-- engine's `parcours report loyalty` can be checked against an independent
-- model.
--
-- Input:
--   raw(line TEXT)                 one JSON event per row, rowid in file
--                                  order (load it as tests/e2e/
--                                  uci_reference.sql explains);
--   report_period(from_at, as_of)  one row, two UTC instants such as
--                                  '2017-10-01T04:00:00Z'. The figures
--                                  at an instant count every movement at
--                                  or before it, as `parcours report
--                                  loyalty --from T1 --as-of T2` does
--                                  with exact times.
--
-- Output: rows (figure, value), money in USD with two decimals, points as
-- whole numbers, in a fixed order (see the final SELECT).
--
-- The program's rules, as modelled here:
--   * `earn 10 points per 1 USD of OrderCompleted.total`: an order of C
--     cents earns floor(C x 10 / 100) points, rounded down once; zero
--     earns nothing. The data has no returns, so there are no refunds.
--   * Each earning is a lot that expires 6 months after it, on the
--     member's calendar. The profile declares no time zone, so that is
--     UTC: same day of the month 6 months on, or the last day of that
--     month when it is shorter, at the same time of day.
--   * `burn on RewardRedeemed.points`: a redemption draws from the lots
--     that expire first. Lots expire in the order they were earned, so
--     whatever leaves the balance (burnt or expired) leaves from the
--     front of one queue: a member's state is one number, the position
--     `gone` in the cumulative points earned up to which everything has
--     left. A lot is expired at its expiry instant exactly, before any
--     event at that instant. A redemption larger than the balance is
--     refused and changes nothing.
--   * Tiers on the points earned within the last 12 months: Silver 1000,
--     Gold 2500, Platinum 5000; an upgrade is immediate and a tier is kept
--     until a review 12 months after it was reached. The data spans less
--     than a year, so no review falls due by the report's date: the figure
--     `reviews_due` counts them and must be 0 for the tier column to hold.
--   * value 0.002 USD per point, breakage 20%. At an instant T:
--       outstanding  = earned - redeemed - expired, by T
--       face value   = outstanding x value
--       breakage     = face value x 20%
--       deferred     = points issued x value
--       recognised   = deferred x redeemed / (redeemed + outstanding x 80%)
--                      (all of deferred once nothing is outstanding)
--       liability    = deferred - recognised
--     and the revenue recognised in the period is recognised(as_of) -
--     recognised(from_at). Money is exact in millionths of a dollar until
--     it is shown, then rounded half away from zero to cents; the
--     liability and the period's figure are differences of the figures
--     shown (in cents), so that they add up to the cent.
--   * Outstanding points by the age of their lot in whole days at T
--     (0-90, 91-180, 181-365, 366-730, over 730) and by the member's tier.
WITH RECURSIVE
rules AS (
  SELECT 10 AS points_per_usd, 6 AS expiry_months, 12 AS window_months,
         2000 AS micro_usd_per_point, 80 AS redeemed_share_percent,
         20 AS breakage_percent, 12 AS keep_tier_months
),
period AS (
  SELECT unixepoch(from_at) AS from_t, unixepoch(as_of) AS as_of_t
  FROM report_period
),
-- A messageId seen before is a duplicate, skipped (docs/runtime.md): the
-- coupon data has a few rows twice.
lines AS (
  SELECT rowid AS seq,
         json_extract(line, '$.userId') AS member,
         json_extract(line, '$.event') AS event,
         json_extract(line, '$.timestamp') AS at,
         json_extract(line, '$.properties.total') AS total,
         json_extract(line, '$.properties.points') AS points,
         row_number() OVER (PARTITION BY json_extract(line, '$.messageId')
                            ORDER BY rowid) AS copy
  FROM raw
  WHERE json_extract(line, '$.type') = 'track'
),
events AS (
  SELECT seq, member, event, at, unixepoch(at) AS t, total, points
  FROM lines
  WHERE copy = 1 AND event IN ('Order Completed', 'Reward Redeemed')
),
-- Each earning: its points and its expiry instant (months added on the
-- calendar, the day of the month kept or clamped to the month's end).
earnings AS (
  SELECT seq, member, at, t,
         CAST(round(total * 100) AS INTEGER) * points_per_usd / 100
           AS points,
         unixepoch(at, 'start of month',
                   '+' || expiry_months || ' months')
           + (min(CAST(strftime('%d', at) AS INTEGER),
                  CAST(julianday(at, 'start of month',
                                 '+' || (expiry_months + 1) || ' months')
                       - julianday(at, 'start of month',
                                   '+' || expiry_months || ' months')
                       AS INTEGER)) - 1) * 86400
           + (t - unixepoch(at, 'start of day')) AS expires_t
  FROM events, rules
  WHERE event = 'Order Completed'
),
-- The lots in queue order, with the cumulative points up to and
-- including each one.
lots AS (
  SELECT seq, member, t, expires_t, points,
         sum(points) OVER (PARTITION BY member ORDER BY seq) AS upto
  FROM earnings
  WHERE points > 0
),
-- Every member's events and lot expiries on one time line; a lot
-- expires before the events at its instant. Along it, the running
-- maximum of `upto` over expiries is the queue position expired by then.
marks AS (
  SELECT member, expires_t AS t, 0 AS phase, 0 AS seq, upto,
         NULL AS event, NULL AS points
  FROM lots
  UNION ALL
  SELECT member, t, 1, seq, NULL, event, points FROM events
),
marked AS (
  SELECT member, seq, event, t, points,
         coalesce(max(upto) OVER (PARTITION BY member ORDER BY t, phase),
                  0) AS expired_upto
  FROM marks
),
-- Every member's events in file order, numbered from 1, with the points
-- earned so far and expired by the event's instant: queue positions that
-- do not depend on redemptions.
timeline AS (
  SELECT m.member, m.seq, m.event, m.t, m.points, m.expired_upto,
         row_number() OVER (PARTITION BY m.member ORDER BY m.seq) AS n,
         coalesce(sum(l.points) OVER (PARTITION BY m.member
                                      ORDER BY m.seq), 0) AS earned
  FROM marked m LEFT JOIN lots l ON l.seq = m.seq
  WHERE m.seq > 0
),
-- The queue position `gone` after each event: expiries due by the
-- event's instant first, then a redemption if the balance covers it.
walk(member, n, t, gone, burnt) AS (
  SELECT DISTINCT member, 0, NULL, 0, 0 FROM timeline
  UNION ALL
  SELECT e.member, e.n, e.t,
         max(w.gone, e.expired_upto)
           + CASE WHEN e.event = 'Reward Redeemed'
                       AND e.points <= e.earned
                                       - max(w.gone, e.expired_upto)
                  THEN e.points ELSE 0 END,
         CASE WHEN e.event = 'Reward Redeemed'
                   AND e.points <= e.earned - max(w.gone, e.expired_upto)
              THEN e.points ELSE 0 END
  FROM walk w
  JOIN timeline e ON e.member = w.member AND e.n = w.n + 1
),
-- The two instants of the report.
-- The period includes its first instant: the start figures are those of
-- the second before it.
instants(which, at_t) AS (
  SELECT 'start', from_t - 1 FROM period
  UNION ALL
  SELECT 'end', as_of_t FROM period
),
-- Each member at each instant: earned, redeemed and the queue position
-- after the expiries due by then.
members_at AS (
  SELECT i.which, i.at_t, m.member,
         coalesce((SELECT max(l.upto) FROM lots l
                   WHERE l.member = m.member AND l.t <= i.at_t), 0)
           AS earned,
         coalesce((SELECT sum(w.burnt) FROM walk w
                   WHERE w.member = m.member AND w.n > 0
                     AND w.t <= i.at_t), 0) AS redeemed,
         max(coalesce((SELECT w.gone FROM walk w
                       WHERE w.member = m.member AND w.n > 0
                         AND w.t <= i.at_t
                       ORDER BY w.n DESC LIMIT 1), 0),
             coalesce((SELECT max(l.upto) FROM lots l
                       WHERE l.member = m.member
                         AND l.expires_t <= i.at_t), 0)) AS gone
  FROM instants i, (SELECT DISTINCT member FROM timeline) m
),
totals AS (
  SELECT which,
         sum(earned) AS issued,
         sum(redeemed) AS redeemed,
         sum(earned - gone) AS outstanding,
         sum(gone - redeemed) AS expired
  FROM members_at
  GROUP BY which
),
-- Recognised to date in exact millionths of a dollar, rounded half away
-- from zero (all values are positive): deferred x R / (R + O x 80%).
recognised AS (
  SELECT which, issued, redeemed, outstanding, expired,
         issued * micro_usd_per_point AS deferred_micro,
         CASE
           WHEN outstanding = 0 THEN issued * micro_usd_per_point
           ELSE (2 * issued * micro_usd_per_point * redeemed * 100
                 + (redeemed * 100 + outstanding * redeemed_share_percent))
                / (2 * (redeemed * 100
                        + outstanding * redeemed_share_percent))
         END AS recognised_micro
  FROM totals, rules
),
-- The outstanding part of each lot at the end: the part of its queue
-- span (upto - points, upto] beyond the member's position `gone`.
lots_left AS (
  SELECT l.member, l.t,
         l.upto - max(l.upto - l.points, m.gone) AS points_left,
         (m.at_t - l.t) / 86400 AS age_days
  FROM lots l
  JOIN members_at m ON m.member = l.member AND m.which = 'end'
  WHERE l.t <= m.at_t AND l.upto > m.gone
),
-- Qualifying points at each earning: those earned within the 12 months
-- up to it (the window start clamped like the expiry).
qualifying AS (
  SELECT l.member, l.t,
         (SELECT sum(q.points) FROM lots q
          WHERE q.member = l.member AND q.t <= l.t
            AND q.t > unixepoch(datetime(l.t, 'unixepoch'), 'start of month',
                                '-' || window_months || ' months')
                      + (min(CAST(strftime('%d', l.t, 'unixepoch')
                                  AS INTEGER),
                             CAST(julianday(datetime(l.t, 'unixepoch'),
                                            'start of month',
                                            '-' || (window_months - 1)
                                              || ' months')
                                  - julianday(datetime(l.t, 'unixepoch'),
                                              'start of month',
                                              '-' || window_months
                                                || ' months')
                                  AS INTEGER)) - 1) * 86400
                      + (l.t - unixepoch(datetime(l.t, 'unixepoch'),
                                         'start of day'))) AS points
  FROM lots l, rules
),
-- The highest tier reached by the end, and when it was first reached.
tiers AS (
  SELECT member,
         CASE WHEN max(points) >= 5000 THEN 'Platinum'
              WHEN max(points) >= 2500 THEN 'Gold'
              WHEN max(points) >= 1000 THEN 'Silver'
              ELSE 'Member' END AS tier,
         min(CASE WHEN points >= 1000 THEN t END) AS first_upgrade_t
  FROM qualifying, period
  WHERE t <= as_of_t
  GROUP BY member
),
by_age AS (
  SELECT CASE WHEN age_days <= 90 THEN '0-90'
              WHEN age_days <= 180 THEN '91-180'
              WHEN age_days <= 365 THEN '181-365'
              WHEN age_days <= 730 THEN '366-730'
              ELSE 'over 730' END AS bucket,
         sum(points_left) AS points
  FROM lots_left
  GROUP BY bucket
),
by_tier AS (
  SELECT coalesce(t.tier, 'Member') AS tier, sum(ll.points_left) AS points
  FROM lots_left ll LEFT JOIN tiers t ON t.member = ll.member
  GROUP BY 1
),
-- Cents from millionths, half away from zero (for positive amounts).
shown AS (
  SELECT r.which, r.issued, r.redeemed, r.outstanding, r.expired,
         r.deferred_micro, r.recognised_micro,
         r.outstanding * rules.micro_usd_per_point AS face_micro,
         r.outstanding * rules.micro_usd_per_point
           * rules.breakage_percent AS breakage_micro_x100
  FROM recognised r, rules
)
SELECT figure, value FROM (
  SELECT 1 AS ord, 'points issued' AS figure, issued AS value
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 2, 'points redeemed', redeemed
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 3, 'points expired', expired
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 4, 'points outstanding', outstanding
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 5, 'face value', printf('%.2f', ((face_micro + 5000)
                                                    / 10000) / 100.0)
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 6, 'expected breakage',
         printf('%.2f', ((breakage_micro_x100 + 500000) / 1000000) / 100.0)
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 7, 'revenue deferred to date',
         printf('%.2f', ((deferred_micro + 5000) / 10000) / 100.0)
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 8, 'revenue recognised to date',
         printf('%.2f', ((recognised_micro + 5000) / 10000) / 100.0)
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 9, 'contract liability',
         printf('%.2f', (((deferred_micro + 5000) / 10000)
                         - ((recognised_micro + 5000) / 10000)) / 100.0)
  FROM shown WHERE which = 'end'
  UNION ALL SELECT 10, 'revenue recognised in period',
         printf('%.2f', (((e.recognised_micro + 5000) / 10000)
                         - ((s.recognised_micro + 5000) / 10000)) / 100.0)
  FROM shown e, shown s WHERE e.which = 'end' AND s.which = 'start'
  UNION ALL SELECT 11, 'points issued at start', issued
  FROM shown WHERE which = 'start'
  UNION ALL SELECT 12, 'points redeemed at start', redeemed
  FROM shown WHERE which = 'start'
  UNION ALL SELECT 13, 'points expired at start', expired
  FROM shown WHERE which = 'start'
  UNION ALL SELECT 14, 'points outstanding at start', outstanding
  FROM shown WHERE which = 'start'
  UNION ALL SELECT 15, 'revenue recognised to start',
         printf('%.2f', ((recognised_micro + 5000) / 10000) / 100.0)
  FROM shown WHERE which = 'start'
  UNION ALL
  SELECT 20 + CASE bucket WHEN '0-90' THEN 0 WHEN '91-180' THEN 1
                          WHEN '181-365' THEN 2 WHEN '366-730' THEN 3
                          ELSE 4 END,
         'age ' || bucket, points
  FROM by_age
  UNION ALL
  SELECT 30 + CASE tier WHEN 'Member' THEN 0 WHEN 'Silver' THEN 1
                        WHEN 'Gold' THEN 2 ELSE 3 END,
         'tier ' || tier, points
  FROM by_tier
  UNION ALL
  SELECT 40, 'members by tier ' || tier, count(*) FROM tiers GROUP BY tier
  UNION ALL
  SELECT 50, 'reviews due', count(*)
  FROM tiers, period, rules
  WHERE first_upgrade_t IS NOT NULL
    AND unixepoch(datetime(first_upgrade_t, 'unixepoch'),
                  '+' || keep_tier_months || ' months') <= as_of_t
)
ORDER BY ord, figure
