-- Many series with GROUP BY: one bad group, under on_error => 'error' (the default) and
-- 'null'; messages that name the group's rows; the forms without a configuration; the
-- epoch_size key and the automatic window of long seasons.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
-- groups in store order, so that the warnings come in a fixed order
SET enable_hashagg = off;

-- store 2 has two rows, store 4 a duplicate timestamp
CREATE TABLE store_sales AS
SELECT s AS store, date '2024-01-01' + g AS day, 10 + s + sin(g / 3.0) AS sales
FROM generate_series(1, 4) s, generate_series(1, 40) g
WHERE s <> 2 OR g <= 2
UNION ALL SELECT 4, date '2024-01-05', 1;

-- the default: the statement fails, and the error says which rows
SELECT store, rnn_train(day, sales, rnn_config(epochs => 2, ensemble => 1)) IS NOT NULL AS trained
FROM store_sales GROUP BY store ORDER BY store;

-- on_error => 'null': the bad groups give NULL and a WARNING, the others train
SELECT store, rnn_train(day, sales, rnn_config(epochs => 2, ensemble => 1, on_error => 'null')) IS NOT NULL AS trained
FROM store_sales GROUP BY store ORDER BY store;

-- the nightly-job pattern: models of the groups that trained, then their forecasts
CREATE TABLE store_models AS
SELECT store, rnn_train(day, sales, rnn_config(horizon => 3, epochs => 2, ensemble => 1, on_error => 'null')) AS model
FROM store_sales GROUP BY store;
SELECT m.store, count(f.*) AS steps
FROM store_models m, rnn_forecast(m.model, 3) f
WHERE m.model IS NOT NULL GROUP BY m.store ORDER BY m.store;

-- stores joined to their rows (LEFT JOIN): a store without rows gets one row without a
-- timestamp or value, which is no row; its group has none and trains to NULL, in both modes
-- and without a warning (it ended the statement: 'a timestamp is NULL'); the global form
-- leaves such a store out
SELECT st.store, rnn_train(s.day, s.sales, rnn_config(epochs => 2, ensemble => 1)) IS NOT NULL AS trained
FROM (VALUES (1), (3), (5)) st(store) LEFT JOIN store_sales s USING (store) GROUP BY st.store ORDER BY st.store;
SELECT (SELECT array_agg(x ORDER BY x) FROM rnn_model_series(m) x) AS series
FROM (SELECT rnn_train(st.store::text, s.day, s.sales, rnn_config(epochs => 2, ensemble => 1)) AS m
      FROM (VALUES (1), (3), (5)) st(store) LEFT JOIN store_sales s USING (store)) x;
-- ... and so is a store with rows but no value (a calendar of days LEFT JOINed to the sales,
-- before the store's first sale): left out of a global model (it ended the whole model:
-- 'all values are NULL or NaN'); a feature NULL on every row of a series is named so
SELECT (SELECT array_agg(x ORDER BY x) FROM rnn_model_series(m) x) AS series
FROM (SELECT rnn_train(st.store::text, d.day, s.sales, rnn_config(epochs => 2, ensemble => 1)) AS m
      FROM (VALUES (1), (3), (5)) st(store)
      CROSS JOIN (SELECT DISTINCT day FROM store_sales) d
      LEFT JOIN store_sales s ON s.store = st.store AND s.day = d.day) x;
SELECT rnn_train(store::text, day, sales, ARRAY[CASE WHEN store = 3 THEN NULL ELSE 1 END::float8],
                 rnn_config(epochs => 2, ensemble => 1))
FROM store_sales WHERE store IN (1, 3);
-- a row's own error (a NULL timestamp with a value, a features array of another length) is
-- its group's under on_error => 'null': NULL and a warning, the other groups train (it
-- ended the statement, as the rows are read before any group trains)
SELECT store, rnn_train(CASE WHEN store = 3 AND day = date '2024-01-20' THEN NULL ELSE day END, sales,
                        rnn_config(epochs => 1, ensemble => 1, on_error => 'null') ORDER BY day) IS NOT NULL AS trained
FROM store_sales WHERE store IN (1, 3) GROUP BY store ORDER BY store;
SELECT store, rnn_train(day, sales, CASE WHEN store = 1 AND day = date '2024-01-20' THEN ARRAY[1.0, 2.0] ELSE ARRAY[1.0] END,
                        rnn_config(epochs => 1, ensemble => 1, on_error => 'null') ORDER BY day) IS NOT NULL AS trained
FROM store_sales WHERE store IN (1, 3) GROUP BY store ORDER BY store;
-- ... the first array's too (2-D, empty), which fixes their count; the row numbers count the
-- rows given, those left out too
SELECT store, rnn_train(day, sales, CASE WHEN store = 1 AND day = date '2024-01-02' THEN ARRAY[]::float8[]
                                         WHEN store = 3 AND day = date '2024-01-02' THEN ARRAY[[1.0], [2.0]]
                                         ELSE ARRAY[1.0] END,
                        rnn_config(epochs => 1, ensemble => 1, on_error => 'null') ORDER BY day) IS NOT NULL AS trained
FROM store_sales WHERE store IN (1, 3) GROUP BY store ORDER BY store;
SELECT rnn_train(CASE WHEN day = date '2024-01-02' THEN NULL ELSE day END, sales,
                 CASE WHEN day = date '2024-01-03' THEN ARRAY[1.0, 2.0, 3.0] ELSE ARRAY[1.0] END,
                 rnn_config(epochs => 1, ensemble => 1, on_error => 'null') ORDER BY day) IS NOT NULL AS trained
FROM store_sales WHERE store = 1;
-- so are a global model's row errors (a NULL or empty series name) and the limits a group
-- reaches while its rows are collected: rnn_forecast.max_training_memory, max_series (they
-- ended the statement, the other groups with it); the rows of a group past a limit are no
-- longer kept
SELECT k, rnn_train(CASE WHEN k = 'NULL name' AND day = date '2024-01-20' THEN NULL
                         WHEN k = 'empty name' AND day = date '2024-01-20' THEN '' ELSE 's' END,
                    day, sales, rnn_config(epochs => 1, ensemble => 1, on_error => 'null')) IS NOT NULL AS trained
FROM store_sales, (VALUES ('clean'), ('NULL name'), ('empty name')) v(k) WHERE store = 1 GROUP BY k ORDER BY k;
SET rnn_forecast.max_series = 2;
SELECT g, rnn_train(s, day, sales, rnn_config(epochs => 1, ensemble => 1, on_error => 'null')) IS NOT NULL AS trained
FROM store_sales, (VALUES ('three', 'a'), ('three', 'b'), ('three', 'c'), ('two', 'a'), ('two', 'b')) v(g, s)
WHERE store = 1 GROUP BY g ORDER BY g;
RESET rnn_forecast.max_series;
SET rnn_forecast.max_training_memory = 2;
SELECT k, rnn_train(i::bigint, sin(i / 10.0), rnn_config(epochs => 1, hidden_size => 2, ensemble => 1, on_error => 'null')) IS NOT NULL AS trained
FROM (VALUES ('big', 40000), ('small', 60)) v(k, n), generate_series(1, n) i GROUP BY k ORDER BY k;
RESET rnn_forecast.max_training_memory;
-- a group's warning keeps its error's detail, after which it names the group's rows
SELECT store, rnn_train(day, sales, rnn_config(epochs => 1, ensemble => 1, hidden_size => 8, on_error => 'null'), m) IS NOT NULL AS trained
FROM store_sales, (SELECT model AS m FROM store_models WHERE store = 1) k WHERE store = 3 GROUP BY store, m;

-- a bad configuration is not a group's failure: it ends the statement in both modes
SELECT store, rnn_train(day, sales, rnn_config(on_error => 'skip')) FROM store_sales GROUP BY store;
SELECT rnn_config(on_error => 'null')->>'on_error' AS on_error;

-- cancels are not swallowed by on_error => 'null'
SET statement_timeout = '300ms';
SELECT rnn_train(i::bigint, sin(i / 10.0), rnn_config(hidden_size => 64, epochs => 100000, patience => 0,
                                                        on_error => 'null'))
FROM generate_series(1, 2000) i;
RESET statement_timeout;

-- rnn_train(ts, value) and rnn_train(series, ts, value): the default configuration
SELECT rnn_model_info(m)->'output_size' AS outputs, rnn_model_info(m)->'members' AS members,
       (SELECT count(*) FROM rnn_forecast(m, 1)) AS steps
FROM (SELECT rnn_train(day, sales) AS m FROM store_sales WHERE store = 1) x;
SELECT rnn_model_info(m)->'series' AS series, (SELECT count(*) FROM rnn_forecast(m, '3', 1)) AS steps
FROM (SELECT rnn_train(store::text, day, sales) AS m FROM store_sales WHERE store IN (1, 3)) x;
SELECT rnn_train(ts, 1.0) FROM (VALUES (1::bigint)) v(ts);

-- epoch_size: null (automatic) trains on every window of a short series, as 0 does; a
-- sample of 8 windows per epoch trains another model
SELECT rnn_config(epoch_size => 0)->'epoch_size' AS all_windows, rnn_config()->'epoch_size' AS automatic;
SELECT rnn_config(epoch_size => -1);
CREATE TABLE epoch_models AS
SELECT e, rnn_train(day, sales, rnn_config(epochs => 3, ensemble => 1, hidden_size => 4, horizon => 2)
                                || jsonb_build_object('epoch_size', e)) AS m
FROM store_sales, (VALUES (NULL::int), (0), (8)) v(e) WHERE store = 1 GROUP BY e;
SELECT a.e AS epoch_size, b.e AS other,
       (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(a.m, 2)) =
       (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(b.m, 2)) AS same_forecast
FROM epoch_models a, epoch_models b WHERE a.e IS NULL AND b.e IS DISTINCT FROM a.e ORDER BY b.e;

-- the automatic window of a half-hourly series (season 48) is one season, not two
SELECT rnn_model_info(m)->'season' AS season, rnn_model_info(m)->'window' AS window
FROM (SELECT rnn_train(ts, v, rnn_config(epochs => 1, ensemble => 1, hidden_size => 2))
      FROM (SELECT timestamp '2024-01-01' + g * interval '30 min' AS ts, sin(g * pi() / 24) AS v
            FROM generate_series(1, 400) g) s) x(m);

DROP TABLE store_sales, store_models, epoch_models;
