-- Global models forecasting series they never saw (m3_unseen.sh): on the M3 training parts
-- only, half of each period's series (every second by id) train one global model per period
-- on their fitting part (the training part less its last h points), and the other half are
-- forecast with rnn_forecast(model, history, h) from their own fitting part; sMAPE over
-- those last h points, beside the naive forecast's on the same points.
-- Expects m3_series (id, ts text, value, part) and m3_meta loaded.
SET client_min_messages = warning;

-- the training parts in order (ts is a date, or an integer for "other": padded to sort)
CREATE TABLE u_fit AS
SELECT x.id, m.period, m.h, m.season, x.k, x.value, x.k > m.n - m.h AS target
FROM (SELECT id, value, row_number() OVER (PARTITION BY id ORDER BY lpad(ts, 12, '0')) AS k
      FROM m3_series WHERE part = 'train') x
JOIN m3_meta m USING (id)
WHERE m.n - m.h >= 3;

CREATE TABLE u_role AS
SELECT id, period, row_number() OVER (PARTITION BY period ORDER BY id) % 2 = 0 AS kept
FROM (SELECT DISTINCT id, period FROM u_fit) d;

-- one model per period over the kept half's fitting parts (step numbers, the period's season)
CREATE TABLE u_model AS
SELECT f.period, rnn_train(f.id, f.k::bigint, f.value, rnn_config(horizon => f.h, season => f.season)) AS model
FROM u_fit f JOIN u_role r USING (id)
WHERE r.kept AND NOT f.target
GROUP BY f.period, f.h, f.season;

CREATE TABLE u_result AS
SELECT f.period, f.id,
       rnn_forecast(g.model, array_agg(f.value ORDER BY f.k) FILTER (WHERE NOT f.target), f.h) AS fc,
       (array_agg(f.value ORDER BY f.k) FILTER (WHERE NOT f.target))[count(*) FILTER (WHERE NOT f.target)] AS last,
       array_agg(f.value ORDER BY f.k) FILTER (WHERE f.target) AS actual
FROM u_fit f JOIN u_role r USING (id) JOIN u_model g ON g.period = f.period
WHERE NOT r.kept
GROUP BY f.period, f.id, f.h, g.model;

SELECT coalesce(period, 'ALL') AS period, count(*) AS series,
       round(avg((SELECT avg(200 * abs(a - p) / (abs(a) + abs(p))) FROM unnest(actual, fc) u(a, p)))::numeric, 2) AS smape,
       round(avg((SELECT avg(200 * abs(a - last) / (abs(a) + abs(last))) FROM unnest(actual) u(a)))::numeric, 2) AS naive_smape
FROM u_result
GROUP BY ROLLUP (period)
ORDER BY array_position(ARRAY['YEARLY', 'QUARTERLY', 'MONTHLY', 'OTHER'], period) NULLS LAST;
