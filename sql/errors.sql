-- training and forecasting errors: each with its message and errcode
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
\set VERBOSITY default

-- no rows: NULL, like other aggregates
SELECT rnn_train(v) IS NULL AS no_rows FROM (SELECT 1.0::float8 v WHERE false) t;

-- too few rows for window + horizon
SELECT rnn_train(v, rnn_config("window" => 10, horizon => 3, strategy => 'direct') ORDER BY i)
FROM (SELECT i, i::float8 v FROM generate_series(1, 12) i) t;
-- all values NULL
SELECT rnn_train(NULL::float8 ORDER BY i) FROM generate_series(1, 50) i;
SELECT rnn_train(i::bigint, 'NaN'::float8, NULL) FROM generate_series(1, 50) i;
-- an infinity names its row
SELECT rnn_train(i::bigint, CASE WHEN i = 17 THEN 'Infinity'::float8 ELSE i END, NULL)
FROM generate_series(1, 50) i;
SELECT rnn_train(CASE WHEN i = 5 THEN '-Infinity'::float8 ELSE i END ORDER BY i) FROM generate_series(1, 50) i;
-- an infinite value is numeric_value_out_of_range (22003) in every form that reads values, as an
-- infinite feature is (2026-12-07; before, 22000, the class's generic code); a NaN in a history
-- array stays 22000 ("must contain finite values")
CREATE FUNCTION pg_temp.state_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
CREATE TEMP TABLE inf_m AS
SELECT rnn_train(i::bigint, sin(i)::float8, rnn_config(epochs => 1, ensemble => 1, hidden_size => 2, "window" => 3)) AS m
FROM generate_series(1, 40) i;
SELECT form, pg_temp.state_of(q) AS sqlstate
FROM (VALUES
  ('rnn_train', $q$SELECT rnn_train(i::bigint, CASE WHEN i = 17 THEN 'Infinity'::float8 ELSE i END, NULL) FROM generate_series(1, 50) i$q$),
  ('rnn_evaluate', $q$SELECT rnn_evaluate(m, i::bigint, CASE WHEN i = 42 THEN '-Infinity'::float8 ELSE 0 END) FROM inf_m, generate_series(41, 43) i GROUP BY m$q$),
  ('rnn_predict', $q$SELECT rnn_predict(CASE WHEN i = 2 THEN 'Infinity'::float8 ELSE i END, m, 1 ORDER BY i) FROM inf_m, generate_series(1, 5) i GROUP BY m$q$),
  ('rnn_predict_rows', $q$SELECT rnn_predict_rows(CASE WHEN i = 2 THEN 'Infinity'::float8 ELSE i END, (SELECT m FROM inf_m), 1) OVER (ORDER BY i) FROM generate_series(1, 5) i$q$),
  ('history array, infinity', $q$SELECT rnn_forecast((SELECT m FROM inf_m), ARRAY[1, 2, 'Infinity', 3]::float8[], 2)$q$),
  ('history array, NaN', $q$SELECT rnn_forecast((SELECT m FROM inf_m), ARRAY[1, 2, 'NaN', 3]::float8[], 2)$q$)
) t(form, q);
DROP TABLE inf_m;
-- NULL timestamp
SELECT rnn_train(CASE WHEN i = 3 THEN NULL ELSE i END::bigint, i::float8, NULL) FROM generate_series(1, 50) i;
-- infinite timestamp
SELECT rnn_train(CASE WHEN i = 3 THEN 'infinity'::date ELSE DATE '2020-01-01' + i END, i::float8, NULL)
FROM generate_series(1, 50) i;
-- sizes above the limits
SELECT rnn_train(i::float8, rnn_config(hidden_size => 1024, num_layers => 8, bidirectional => true) ORDER BY i)
FROM generate_series(1, 50) i;
-- divergence is reported, not stored as NaN weights
SELECT rnn_train(v, rnn_config(cell => 'rnn_relu', learning_rate => 10, optimizer => 'sgd', clip_norm => 0,
                               scaling => 'none', "window" => 4, epochs => 50) ORDER BY i)
FROM (SELECT i, (i * 1e3)::float8 v FROM generate_series(1, 40) i) t;
-- bad configuration inside the aggregate
SELECT rnn_train(i::float8, '{"cells": "gru"}' ORDER BY i) FROM generate_series(1, 50) i;

-- forecasting errors
CREATE TABLE em AS
SELECT rnn_train(i::bigint, sin(i / 4.0), rnn_config(hidden_size => 4, "window" => 6, epochs => 2)) AS m
FROM generate_series(1, 60) i;
SELECT * FROM em, rnn_forecast(m, 0);
SELECT * FROM em, rnn_forecast(m, 1000000);
SELECT * FROM em, rnn_forecast(m, 3, 1.5);
SELECT rnn_forecast(m, ARRAY[1, 2]::float8[], 1) FROM em;
SELECT rnn_forecast(m, ARRAY[1, 2, 3, NULL, 5, 6]::float8[], 1) FROM em;
SELECT rnn_forecast(m, ARRAY[1, 2, 3, 'NaN', 5, 6]::float8[], 1) FROM em;
SELECT rnn_forecast(m, ARRAY[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]::float8[], 1) FROM em;
SELECT rnn_forecast(m, ARRAY[[[1]]]::float8[], 1) FROM em;
-- STRICT: NULL in, NULL out
SELECT rnn_forecast(NULL::bytea, ARRAY[1]::float8[], 1) IS NULL AS strict_null;

-- limits a superuser can change; an over-limit request is refused before allocating
SELECT rnn_train(i::float8, rnn_config(hidden_size => 1024, num_layers => 4, ensemble => 1) ORDER BY i) FROM generate_series(1, 50) i;
SELECT rnn_train(sin(i / 5.0), rnn_config(hidden_size => 256, "window" => 5000, batch_size => 512) ORDER BY i)
FROM generate_series(1, 6000) i;
SET rnn_forecast.max_parameters = 100;
SELECT rnn_train(i::float8, rnn_config(hidden_size => 8) ORDER BY i) FROM generate_series(1, 50) i;
SELECT rnn_model_info(m) FROM em;
RESET rnn_forecast.max_parameters;
-- a regular grid may have at most 10 points per row: (0, 1, 29) fills to 30 points,
-- (0, 1, 1021) would need 1,022 and is refused
SELECT (rnn_model_info(rnn_train(k, k::float8, rnn_config(epochs => 1, hidden_size => 2, ensemble => 1)))->'training'->>'rows')::int AS grid
FROM unnest(ARRAY[0, 1, 29]::bigint[]) k;
SELECT rnn_train(k, k::float8, rnn_config(epochs => 1)) FROM unnest(ARRAY[0, 1, 1021]::bigint[]) k;
-- the rows an aggregate collects count against max_training_memory while they come in, and a
-- bad configuration is refused at the first row
SET rnn_forecast.max_training_memory = 1;
SELECT rnn_train(i::bigint, i::float8, rnn_config(epochs => 1)) FROM generate_series(1, 100000) i;
RESET rnn_forecast.max_training_memory;
SELECT rnn_train(i::bigint, i::float8, '{"hidden_size": 0}') FROM generate_series(1, 3) i;
SET rnn_forecast.max_training_seconds = 1;
SELECT rnn_train(sin(i / 5.0), rnn_config(hidden_size => 64, epochs => 100000, patience => 0) ORDER BY i)
FROM generate_series(1, 3000) i;
RESET rnn_forecast.max_training_seconds;
-- ordinary roles cannot raise them
CREATE ROLE rnn_limits_user;
SET ROLE rnn_limits_user;
SET rnn_forecast.max_parameters = 67108864;
SET rnn_forecast.max_training_seconds = 0;
RESET ROLE;
DROP ROLE rnn_limits_user;

-- a history far outside the model's scale is an error, not an infinite or NaN forecast
SELECT rnn_forecast(m, ARRAY[1e308, -1e308, 1e308, -1e308, 1e308, -1e308]::float8[], 3) FROM em;
