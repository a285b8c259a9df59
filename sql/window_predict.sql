-- rnn_predict as an aggregate and as a window function (one-step backtest)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;

CREATE TABLE wp AS
SELECT i, 5 + sin(i * 2 * pi() / 10) AS v FROM generate_series(1, 150) i;
CREATE TABLE wpm AS
SELECT rnn_train(v, rnn_config(cell => 'gru', hidden_size => 8, "window" => 10, epochs => 40) ORDER BY i) AS m FROM wp;

-- aggregate: forecasts after the rows given
SELECT array_length(rnn_predict(v, m, 3 ORDER BY i), 1) AS steps FROM wp, wpm;
SELECT rnn_predict(v, m, 2 ORDER BY i) = rnn_forecast(m, array_agg(v ORDER BY i), 2) AS same_as_array FROM wp, wpm GROUP BY m;

-- window function: NULL until the frame holds a full window, then a forecast per row
CREATE TABLE backtest AS
SELECT i, v,
       (rnn_predict(v, m, 1) OVER (ORDER BY i ROWS BETWEEN 9 PRECEDING AND CURRENT ROW))[1] AS next
FROM wp, wpm;
SELECT count(*) FILTER (WHERE next IS NULL) AS nulls, count(*) FILTER (WHERE next IS NOT NULL) AS forecasts FROM backtest;
-- the forecast made at row i predicts row i + 1 well
SELECT avg(abs(b2.v - b1.next)) < 0.1 AS one_step_accurate
FROM backtest b1 JOIN backtest b2 ON b2.i = b1.i + 1 WHERE b1.next IS NOT NULL;
-- the window result equals the array form on the same rows
SELECT b.next = (rnn_forecast(m, (SELECT array_agg(v ORDER BY i) FROM wp WHERE i BETWEEN 41 AND 50), 1))[1] AS same
FROM backtest b, wpm WHERE b.i = 50;

-- NULL values inside a window are interpolated
SELECT rnn_predict(CASE WHEN i = 145 THEN NULL ELSE v END, m, 1 ORDER BY i) IS NOT NULL AS filled FROM wp, wpm;
-- different models in one group are refused
SELECT rnn_predict(v, CASE WHEN i < 100 THEN m ELSE m || '\x00'::bytea END, 1 ORDER BY i) FROM wp, wpm;
-- a NULL model (a failed training with on_error => 'null', joined) gives NULL, as a strict
-- function does; a group mixing it with a model, and a NULL horizon, are errors
SELECT rnn_predict(v, NULL, 1) IS NULL AS null_model FROM wp;
SELECT count(*) FILTER (WHERE f IS NULL) AS null_rows
FROM (SELECT rnn_predict(v, NULL, 1) OVER (ORDER BY i ROWS BETWEEN 5 PRECEDING AND CURRENT ROW) AS f FROM wp) x;
SELECT rnn_predict(v, CASE WHEN i < 100 THEN m END, 1 ORDER BY i) FROM wp, wpm;
SELECT rnn_predict(v, m, NULL ORDER BY i) FROM wp, wpm;

-- groups with different models in one query forecast each with its own (a call site keeps
-- the first model it sees for the query; a group with another one copies that)
CREATE TABLE wpm2 AS
SELECT 1 AS k, m FROM wpm
UNION ALL
SELECT 2, rnn_train(v, rnn_config(cell => 'lstm', hidden_size => 4, "window" => 10, epochs => 5,
                                  deseasonalize => false, theta_weight => 0) ORDER BY i) FROM wp;
SELECT count(DISTINCT (rnn_forecast(m, (SELECT array_agg(v ORDER BY i) FROM wp WHERE i > 140), 1))[1]) AS distinct_forecasts
FROM wpm2;
SELECT k, rnn_predict(v, m, 2 ORDER BY i) = rnn_forecast(m, array_agg(v ORDER BY i), 2) AS same_as_array
FROM wp, wpm2 GROUP BY k, m ORDER BY k;
SELECT k, count(*) AS forecasts, bool_and(f = (rnn_forecast(m, h, 1))[1]) AS same_as_array
FROM (SELECT k, m, i, (rnn_predict(v, m, 1) OVER w)[1] AS f, array_agg(v) OVER w AS h
      FROM wp, wpm2 WINDOW w AS (PARTITION BY k ORDER BY i ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)) s
WHERE i >= 10 GROUP BY k ORDER BY k;

-- the season's phase of a growing frame is read row by row as the rows come (the state
-- keeps it): every row's forecast is the aggregate's over the same rows, and, up to the
-- first row missing inside the frame, the history array's; missing last rows (141-143)
-- move the forecast back to the last known row, a missing row inside (146) is filled in
CREATE TABLE wpn AS
SELECT i, CASE WHEN i IN (141, 142, 143, 146) THEN NULL ELSE v END AS v FROM wp WHERE i > 100;
SELECT count(*) AS forecasts,
       bool_and(f = (SELECT rnn_predict(v, m, 1 ORDER BY i) FROM wpn w WHERE w.i <= s.i)[1]) AS same_as_aggregate,
       bool_and(f = (rnn_forecast(m, (SELECT array_agg(v ORDER BY i) FROM wp WHERE wp.i > 100 AND wp.i <= s.i - g),
                                  1 + g))[1 + g]) FILTER (WHERE i <= 143) AS same_as_array
FROM (SELECT i, m, (rnn_predict(v, m, 1) OVER (ORDER BY i))[1] AS f,
             CASE WHEN i BETWEEN 141 AND 143 THEN i - 140 ELSE 0 END AS g
      FROM wpn, wpm) s WHERE i >= 131;
-- a frame of more rows than Theta reads (1,000) is placed by all of them, as the array is
CREATE TABLE wpl AS
SELECT i, 5 + sin(i * 2 * pi() / 10) + 0.2 * sin(i * 0.37) AS v FROM generate_series(1, 1200) i;
SELECT rnn_predict(v, m, 3 ORDER BY i) = rnn_forecast(m, array_agg(v ORDER BY i), 3) AS long_same_as_array
FROM wpl, wpm GROUP BY m;
