-- A global model's window functions on series it never saw (the forms without a series):
-- rnn_anomaly at 0.99 on five stores a model of 20 others was not trained on (daily, a weekly
-- season, a trend, 300 days, a spike every 97 days), the flags on ordinary days and on the
-- spikes, the one-step error and the mean width of the 99% interval. The README's anomaly
-- section quotes this output. Runs on any database with the extension
-- (test/bench/unseen_windows.sh starts a throwaway server for it).
\set QUIET on
DROP TABLE IF EXISTS gw_sales, gw_model;
CREATE TABLE gw_sales AS
SELECT s, date '2024-01-01' + d AS day,
       ((50 + 20 * s) * (1 + 0.15 * sin(2 * pi() * d / 7) + d / 2000.0) + (abs(hashint4(s * 1000 + d)) % 100 - 50) / 10.0
        + CASE WHEN s > 20 AND d % 97 = 50 THEN 40 + 10 * s ELSE 0 END)::float8 AS v,
       s > 20 AND d % 97 = 50 AS spike
FROM generate_series(1, 25) s, generate_series(0, 299) d;
CREATE TABLE gw_model AS SELECT rnn_train(s::text, day, v, rnn_config(horizon => 7, epochs => 10, hidden_size => 16)) AS m
FROM gw_sales WHERE s <= 20 AND day < date '2024-01-01' + 250;
\set QUIET off
SELECT count(*) FILTER (WHERE NOT spike AND (a).is_anomaly) AS clean_flagged,
       count(*) FILTER (WHERE NOT spike AND (a).is_anomaly IS NOT NULL) AS clean_rows,
       count(*) FILTER (WHERE spike AND (a).is_anomaly) AS spikes_flagged,
       count(*) FILTER (WHERE spike AND (a).is_anomaly IS NOT NULL) AS spikes,
       round(avg(abs(v - (a).expected)) FILTER (WHERE NOT spike)::numeric, 3) AS mae_one_step,
       round(avg((a).upper - (a).lower) FILTER (WHERE NOT spike)::numeric, 2) AS mean_width_99
FROM (SELECT s, v, spike, rnn_anomaly(v, m, 0.99) OVER (PARTITION BY s ORDER BY day) AS a
      FROM gw_sales, gw_model WHERE s > 20) x;
DROP TABLE gw_sales, gw_model;
