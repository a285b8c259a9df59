-- load.sh: forecasts from the newest stored model of a series (pgbench script)
\set s random(1, 50)
SELECT f.step, f.forecast, f.lower, f.upper
FROM (SELECT model FROM load_models WHERE series = :s ORDER BY id DESC LIMIT 1) m,
     LATERAL rnn_forecast(m.model, 12, 0.9) f;
SELECT rnn_forecast((SELECT model FROM load_models WHERE series = :s ORDER BY id DESC LIMIT 1),
                    (SELECT array_agg(v ORDER BY t) FROM load_series WHERE series = :s AND t >= 150), 6);
