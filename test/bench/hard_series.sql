-- Series the defaults handle badly (README, Limits): one-series models trained with only a
-- horizon, each case against the same series without its difficulty and against a simple
-- baseline, on the last 12 months held out. Found by a black-box hunt on 2026-12-06.
--
--   psql -X -d DB -f test/bench/hard_series.sql      (a database with the extension)
--
-- Cases:
--   spike:  one month x4 two months before the end of training (the last value is normal;
--           replaced by despike since 2026-12-07);
--   phase:  the yearly season moves 3 months earlier 24 months before the end of training
--           (two seasons of the new shape: their own indices since 2026-12-08);
--   launch: 24 months of zeros before a product launched and grew 6% a month (left out since
--           2026-12-07: "hard" gives the same model as "plain").
-- Deterministic noise from md5 (no random()), so every run trains on the same values.
\set QUIET on
\pset footer off
SET client_min_messages = warning;
CREATE OR REPLACE FUNCTION pg_temp.noise(t int) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT (('x' || substr(md5(t::text), 1, 8))::bit(32)::int)::float8 / 2147483648.0 $$;

CREATE TEMP TABLE hs AS
SELECT 'spike' AS name, variant, t, (100 * (1 + 0.2 * sin(2 * pi() * t / 12)) + 0.3 * t + 5 * pg_temp.noise(t))
           * CASE WHEN variant = 'hard' AND t = 70 THEN 4 ELSE 1 END AS v, 72 AS cut
FROM generate_series(0, 83) t, unnest(ARRAY['hard', 'plain']) variant
UNION ALL
SELECT 'phase', variant, t, 100 * (1 + 0.3 * sin(2 * pi() * t / 12
                                                  + CASE WHEN variant = 'hard' AND t >= 72 THEN pi() / 2 ELSE 0 END))
                            + 3 * pg_temp.noise(t), 96
FROM generate_series(0, 107) t, unnest(ARRAY['hard', 'plain']) variant
UNION ALL
SELECT 'launch', variant, t, CASE WHEN t < 24 THEN 0 ELSE round(20 * exp(0.06 * (t - 24) + 0.05 * pg_temp.noise(t))) END, 72
FROM generate_series(0, 83) t, unnest(ARRAY['hard', 'plain']) variant
WHERE variant = 'hard' OR t >= 24;
ALTER TABLE hs ADD COLUMN ts date;
UPDATE hs SET ts = date '2010-01-01' + make_interval(months => t);

CREATE TEMP TABLE hs_models AS
SELECT name, variant, rnn_train(ts, v, rnn_config(horizon => 12)) AS m
FROM hs WHERE t < cut GROUP BY name, variant;

-- the model's holdout scores; the baselines' MAE: naive (the last training value) and
-- seasonal naive (the value 12 months before)
SELECT x.name, x.variant, rnn_model_info(x.m)->'pipeline'->>'log' AS log,
       round((e->>'mae')::numeric, 2) AS mae, round((e->>'smape')::numeric, 2) AS smape,
       round((e->>'coverage')::numeric, 3) AS coverage_90,
       (SELECT round(avg(abs(a.v - l.v))::numeric, 2)
        FROM hs a, hs l WHERE a.name = x.name AND a.variant = x.variant AND a.t >= a.cut
          AND l.name = x.name AND l.variant = x.variant AND l.t = l.cut - 1) AS naive_mae,
       (SELECT round(avg(abs(a.v - b.v))::numeric, 2)
        FROM hs a JOIN hs b ON b.name = a.name AND b.variant = a.variant AND b.t = a.t - 12
        WHERE a.name = x.name AND a.variant = x.variant AND a.t >= a.cut) AS seasonal_naive_mae
FROM hs_models x,
     LATERAL (SELECT rnn_evaluate(x.m, a.ts, a.v) AS e FROM hs a
              WHERE a.name = x.name AND a.variant = x.variant AND a.t >= a.cut) ev
ORDER BY x.name, x.variant;
