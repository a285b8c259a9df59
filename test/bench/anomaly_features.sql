-- The figures of the README's anomaly section for models with features: run by
-- test/bench/anomaly_features.sh after sql/anomaly_features.sql (which builds af_co2,
-- af_models and af_out), on the same server.
SET extra_float_digits = 0;
-- precision and recall at level 0.99 on the 68 months after training, with and without the
-- promotion flag, and the promotion months flagged
SELECT model,
       count(*) FILTER (WHERE is_anomaly AND kind IS NOT NULL) AS true_positives,
       count(*) FILTER (WHERE is_anomaly AND kind IS NULL) AS false_positives,
       count(*) FILTER (WHERE NOT is_anomaly AND kind IS NOT NULL) AS missed,
       round(count(*) FILTER (WHERE is_anomaly AND kind IS NOT NULL)::numeric
             / nullif(count(*) FILTER (WHERE is_anomaly), 0), 2) AS precision,
       round(count(*) FILTER (WHERE is_anomaly AND kind IS NOT NULL)::numeric
             / count(*) FILTER (WHERE kind IS NOT NULL), 2) AS recall,
       count(*) FILTER (WHERE is_anomaly AND promo = 1) AS promotions_flagged,
       round(avg(upper - lower)::numeric, 1) AS mean_width
FROM af_out WHERE k > 400 GROUP BY model ORDER BY model;
SELECT model, kind, count(*) AS injected, count(*) FILTER (WHERE is_anomaly) AS flagged
FROM af_out WHERE kind IS NOT NULL GROUP BY model, kind ORDER BY model, kind;
-- on every promotion month with a forecast (training and after): the one-step error, the
-- mean score, and the months flagged at 0.99 and at 0.9 (score above 0.95); the plain model
-- finds them unusual, the model with the flag does not
SELECT model, promo, count(*) AS months, round(avg(abs(value - expected))::numeric, 1) AS mean_abs_error,
       round(avg(score)::numeric, 2) AS mean_score,
       count(*) FILTER (WHERE is_anomaly) AS flagged_099, count(*) FILTER (WHERE score > 0.95) AS flagged_090
FROM af_out WHERE kind IS NULL AND score IS NOT NULL GROUP BY model, promo ORDER BY model, promo;
SELECT model, count(*) FILTER (WHERE (x.a).is_anomaly AND o.promo = 1) AS promotions_flagged_090,
       count(*) FILTER (WHERE (x.a).is_anomaly AND o.promo = 0 AND o.kind IS NULL) AS others_flagged_090,
       count(*) FILTER (WHERE (x.a).is_anomaly AND o.kind IS NOT NULL AND o.k > 400) AS anomalies_flagged_090
FROM af_out o JOIN
  (SELECT 'plain' AS model, k, rnn_anomaly(value, m.m, 0.9) OVER (ORDER BY ts) AS a
   FROM af_co2, af_models m WHERE m.kind = 'plain'
   UNION ALL
   SELECT 'features', k, rnn_anomaly(value, m.m, 0.9, ARRAY[promo]) OVER (ORDER BY ts)
   FROM af_co2, af_models m WHERE m.kind = 'features') x USING (model, k)
GROUP BY model ORDER BY model;


-- without promotions or anomalies: the plain CO2 series, a model that keeps the season
-- (deseasonalize => false, as above) and one with the default, which removes it; the
-- one-step intervals at 0.9 and 0.99 on the 400 training months (from the first window on)
-- and the 68 after: the share of months inside and the mean width. A model that keeps the
-- season floors its intervals by the lesser of the naive forecast's errors and the seasonal
-- naive's of the changes (before 2026-12-05 by the naive forecast's alone, which misses the
-- season)
CREATE TEMP TABLE kept_co2 (ts date, value float8);
\copy kept_co2 FROM 'data/co2.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE kept_models AS
SELECT ds AS deseasonalize, rnn_train(ts, value, rnn_config(horizon => 1, epochs => 30, hidden_size => 16, ensemble => 1, deseasonalize => ds)) AS m
FROM (SELECT *, row_number() OVER (ORDER BY ts) AS k FROM kept_co2) c, (VALUES (false), (true)) d(ds)
WHERE k <= 400 GROUP BY ds;
SELECT deseasonalize, level, k > 400 AS held_out, count(*) AS months,
       round(avg((value BETWEEN lower AND upper)::int), 3) AS inside, round(avg(upper - lower)::numeric, 2) AS mean_width
FROM (SELECT d.deseasonalize, l.level, c.k, c.value,
             (rnn_anomaly(c.value, (SELECT m FROM kept_models WHERE deseasonalize = d.deseasonalize), l.level)
                OVER (PARTITION BY d.deseasonalize, l.level ORDER BY c.ts)).*
      FROM (SELECT *, row_number() OVER (ORDER BY ts) AS k FROM kept_co2) c,
           (VALUES (false), (true)) d(deseasonalize), (VALUES (0.9::float8), (0.99)) l(level)) x
WHERE expected IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
