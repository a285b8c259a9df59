-- rnn_forecast demo: the monthly Mauna Loa CO2 series (data/co2.csv, 468 months).
-- Hold out the last 18 months, train on the rest, forecast them, score the forecast.
SET TimeZone = 'UTC';
\pset footer off

SELECT count(*) AS months, min(ts), max(ts) FROM co2;

-- Train: the aggregate sorts by ts, infers a monthly step and a season of 12.
CREATE TABLE models AS
SELECT 'co2' AS series, rnn_train(ts, value, rnn_config()) AS model
FROM co2 WHERE ts < DATE '1996-07-01';

SELECT jsonb_pretty(rnn_model_info(model) - 'training') AS model FROM models;
SELECT rnn_model_info(model)->'training'->'rows' AS rows,
       rnn_model_info(model)->'training'->'epochs_run' AS epochs,
       rnn_model_info(model)->'training'->'validation_loss' AS validation_loss,
       rnn_model_info(model)->'training'->'training_seconds' AS seconds
FROM models;

-- Forecast the 18 held-out months with a 90% interval, next to the actual values.
SELECT f.step, f.ts::date AS month, round(f.forecast::numeric, 2) AS forecast,
       round(f.lower::numeric, 2) AS lower, round(f.upper::numeric, 2) AS upper, c.value AS actual
FROM models, rnn_forecast(model, 18, 0.9) f JOIN co2 c ON c.ts = f.ts_local::date
ORDER BY f.step;

-- Mean absolute error against the seasonal naive forecast (same month last year).
SELECT round(avg(abs(f.forecast - c.value))::numeric, 3) AS rnn_mae,
       round(avg(abs(l.value - c.value))::numeric, 3) AS seasonal_naive_mae,
       round(avg((c.value BETWEEN f.lower AND f.upper)::int)::numeric, 2) AS interval_coverage
FROM models, rnn_forecast(model, 18) f
JOIN co2 c ON c.ts = f.ts_local::date
JOIN co2 l ON l.ts = (DATE '1996-06-01' - INTERVAL '11 months' + ((f.step - 1) % 12) * INTERVAL '1 month')::date;

-- A one-step-ahead forecast for every month with the window function: the frame
-- holds the values the model reads (its window), and each row gets the forecast
-- of the month after it.
SELECT rnn_model_info(model)->'window' AS "window" FROM models;
SELECT ts, value, round(lag(next_month, 1) OVER (ORDER BY ts)::numeric, 2) AS forecast_made_a_month_before
FROM (SELECT ts, value,
             (rnn_predict(value, (SELECT model FROM models), 1)
                OVER (ORDER BY ts ROWS BETWEEN 35 PRECEDING AND CURRENT ROW))[1] AS next_month
      FROM co2) t
ORDER BY ts DESC LIMIT 6;

-- Anomalies (0.8.0): every month against the one-step forecast from the months before it
-- on the model's own calendar (a month with no row would be a gap, not a shift) and its
-- 99% interval: how many months fall outside, in the training period and the held-out one.
SELECT CASE WHEN ts > DATE '1996-06-01' THEN 'held out' ELSE 'training' END AS period,
       count((a).is_anomaly) AS months, count(*) FILTER (WHERE (a).is_anomaly) AS outside_99pct,
       round(avg(abs(value - (a).expected))::numeric, 3) AS one_step_mae
FROM (SELECT ts, value, rnn_anomaly(ts, value, (SELECT model FROM models), 0.99) OVER (ORDER BY ts) AS a
      FROM co2) t
GROUP BY 1 ORDER BY 1 DESC;
