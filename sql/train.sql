-- rnn_train: every form, GROUP BY, determinism
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;

CREATE TABLE sine AS
SELECT i, (DATE '2020-01-01' + i) AS d, sin(i * 2 * pi() / 12) + 0.01 * i AS v
FROM generate_series(0, 199) i;

-- value-only form, rows in the aggregate's ORDER BY order
CREATE TABLE models AS
SELECT 'plain'::text AS name,
       rnn_train(v, rnn_config(cell => 'gru', hidden_size => 8, "window" => 12, epochs => 30)
                 ORDER BY i) AS model
FROM sine;

-- (the Theta weight and its validation errors follow the trained weights, whose last bits
-- follow the CPU's BLAS kernels: checked below, not printed)
SELECT (rnn_model_info(model) - 'training' - 'bytes' - 'theta_validation' #- '{config,theta_weight}'
        #- '{combination,weight}') AS info FROM models;
SELECT abs((i->'combination'->>'weight')::float8 - (i->'config'->>'theta_weight')::float8) < 1e-14 AS config_says_weight,
       abs((i->'combination'->>'weight')::float8
           - (i->'theta_validation'->>'network_error')::float8
             / ((i->'theta_validation'->>'network_error')::float8 + (i->'theta_validation'->>'theta_error')::float8))
         < 1e-6 AS inverse_error_weight,
       (i->'combination'->>'weight')::float8 < 0.01 AS network_carries_the_sine
FROM (SELECT rnn_model_info(model) AS i FROM models) x;
SELECT (rnn_model_info(model)->'training'->>'rows')::int AS rows,
       (rnn_model_info(model)->'training'->>'epochs_run')::int <= 30 AS epochs_ok,
       (rnn_model_info(model)->'training'->>'train_loss')::float8 < 0.05 AS fits,
       (rnn_model_info(model)->'training'->>'validation_loss')::float8 < 0.05 AS validates,
       jsonb_array_length(rnn_model_info(model)->'training'->'loss_per_epoch') =
         (rnn_model_info(model)->'training'->>'epochs_run')::int AS losses_kept
FROM models;

-- rnn_train(value) with defaults
SELECT rnn_model_info(rnn_train(v ORDER BY i))->>'cell' AS default_cell FROM sine;

-- determinism: same seed and data, same weights and forecasts
WITH a AS (SELECT rnn_train(d, v, rnn_config(cell => 'lstm', hidden_size => 6, epochs => 10, seed => 7)) m FROM sine),
     b AS (SELECT rnn_train(d, v, rnn_config(cell => 'lstm', hidden_size => 6, epochs => 10, seed => 7)) m FROM sine),
     c AS (SELECT rnn_train(d, v, rnn_config(cell => 'lstm', hidden_size => 6, epochs => 10, seed => 8)) m FROM sine)
SELECT rnn_model_to_json(a.m)->'state_dict' = rnn_model_to_json(b.m)->'state_dict' AS same_seed_same_weights,
       rnn_model_to_json(a.m)->'state_dict' = rnn_model_to_json(c.m)->'state_dict' AS other_seed_same_weights,
       (SELECT array_agg(forecast) FROM rnn_forecast(a.m, 5)) = (SELECT array_agg(forecast) FROM rnn_forecast(b.m, 5)) AS same_forecasts,
       -- the same bytes but for the training time (bytes 133-140) and the checksum (last 4)
       length(a.m) = length(b.m) AND substr(a.m, 1, 132) = substr(b.m, 1, 132)
         AND substr(a.m, 141, length(a.m) - 144) = substr(b.m, 141, length(b.m) - 144) AS same_bytes_but_time
FROM a, b, c;

-- every cell, stacked and bidirectional
SELECT c AS cell, l AS layers, bi,
       rnn_model_info(rnn_train(v, rnn_config(cell => c, hidden_size => 4, num_layers => l, bidirectional => bi,
                                              "window" => 8, epochs => 3) ORDER BY i))->>'parameters' AS parameters
FROM sine, (VALUES ('rnn_tanh'), ('rnn_relu'), ('lstm'), ('gru')) cells(c),
     (VALUES (1), (2)) layers(l), (VALUES (false), (true)) b(bi)
GROUP BY c, l, bi ORDER BY c, l, bi;

-- GROUP BY trains one model per group
CREATE TABLE multi AS
SELECT s AS series, i, sin(i * 2 * pi() / 12 + s) * s AS v
FROM generate_series(1, 3) s, generate_series(0, 79) i;
CREATE TABLE per_series AS
SELECT series, rnn_train(i::bigint, v, rnn_config(hidden_size => 8, epochs => 20, deseasonalize => false)) AS model
FROM multi GROUP BY series;
-- each series has its own scale: the spread of its changes
SELECT series, (rnn_model_info(model)->'scaling'->>'std')::numeric(6,3) AS std,
       rnn_model_info(model)->'time'->>'kind' AS kind
FROM per_series ORDER BY series;
-- by default a seasonal series is adjusted by its own seasonal indices (amplitude s here;
-- the values are not all positive, so no log)
SELECT series, rnn_model_info(m)->'pipeline'->>'log' AS log,
       (SELECT max(x::float8) FROM jsonb_array_elements_text(rnn_model_info(m)->'pipeline'->'seasonal_indices') x)::numeric(6,3) AS amplitude
FROM (SELECT series, rnn_train(i::bigint, v, rnn_config(hidden_size => 8, epochs => 2)) AS m
      FROM multi GROUP BY series) t ORDER BY series;

-- the indices are shrunk by their noise: a noisy season keeps them (its amplitude is 1),
-- this noise none (null: not adjusted; deseasonalize => true keeps the zeros)
SELECT setseed(0.25);
CREATE TABLE noisy AS
SELECT k, i, 10 + CASE k WHEN 'season' THEN sin(i * 2 * pi() / 12) ELSE 0 END + (random() - 0.5) * 3 AS v
FROM (VALUES ('season'), ('noise')) s(k), generate_series(0, 119) i;
SELECT k, d, (SELECT max(abs(x::float8)) FROM jsonb_array_elements_text(
                  CASE WHEN jsonb_typeof(rnn_model_info(m)->'pipeline'->'seasonal_indices') = 'array'
                       THEN rnn_model_info(m)->'pipeline'->'seasonal_indices' END) x)::numeric(6,3) AS amplitude
FROM (SELECT k, d, rnn_train(i::bigint, v, rnn_config(hidden_size => 4, epochs => 1, season => 12, log => false,
                                                   deseasonalize => d)) AS m
      FROM noisy, (VALUES (NULL::bool), (true)) dd(d) GROUP BY k, d) t ORDER BY k, d;

-- deseasonalize => true where no indices can be estimated is an error, as log => true on a
-- non-positive value is (it was silently dropped): 20 rows of season 12, season 1, and a
-- global model without a season; a global model's short series goes without and is counted
SELECT rnn_train(i::bigint, v, rnn_config(hidden_size => 4, epochs => 1, season => 12, deseasonalize => true))
FROM noisy WHERE k = 'season' AND i < 20;
SELECT rnn_train(i::bigint, v, rnn_config(hidden_size => 4, epochs => 1, season => 1, deseasonalize => true))
FROM noisy WHERE k = 'season';
SELECT rnn_train(k, i::bigint, v, rnn_config(hidden_size => 4, epochs => 1, season => 1, deseasonalize => true))
FROM noisy;
SELECT rnn_model_info(rnn_train(k, i::bigint, v, rnn_config(hidden_size => 4, epochs => 1, season => 12,
                                                        deseasonalize => true)))->'pipeline'->'series_deseasonalized' AS deseasonalized
FROM noisy WHERE k = 'season' OR i < 20;
-- a backtest's early folds, fewer rows than the series, go without (the series trains with them)
SET client_min_messages = warning;
SELECT jsonb_array_length(rnn_backtest(i::bigint, v, rnn_config(hidden_size => 4, epochs => 1, season => 12,
                                                                 deseasonalize => true), 3, 3)->'per_fold') AS folds
FROM noisy WHERE k = 'season' AND i < 30;
RESET client_min_messages;

-- the trained model beats the naive (last value) forecast on the next 12 steps
WITH actual AS (SELECT h, sin((199 + h) * 2 * pi() / 12) + 0.01 * (199 + h) AS a FROM generate_series(1, 12) h)
SELECT avg(abs(f.forecast - a)) < 0.5 * avg(abs((SELECT v FROM sine WHERE i = 199) - a)) AS beats_naive
FROM models, rnn_forecast(model, 12) f JOIN actual ON h = f.step;

-- progress notices
SET rnn_forecast.progress = on;
SELECT rnn_train(v, rnn_config(hidden_size => 4, "window" => 8, epochs => 2, validation_fraction => 0) ORDER BY i) IS NOT NULL
FROM sine;
RESET rnn_forecast.progress;

-- every scaling: auto (default), seasonal, difference, window, level, zscore, none
SELECT s AS scaling, rnn_model_info(m)->'scaling'->>'method' AS method,
       (SELECT count(*) FROM rnn_forecast(m, 3)) AS steps,
       (SELECT bool_and(forecast BETWEEN 7 AND 11) FROM rnn_forecast(m, 3)) AS plausible
FROM (SELECT s, rnn_train(v + 7, rnn_config(hidden_size => 4, "window" => 14, epochs => 10, scaling => s, theta_weight => 0) ORDER BY i) m
      FROM sine, (VALUES ('auto'), ('seasonal'), ('difference'), ('window'), ('level'), ('zscore'), ('none')) v(s) GROUP BY s) t ORDER BY s;
-- level divides by the window's mean: the series must be positive
SELECT rnn_train(v, rnn_config(scaling => 'level') ORDER BY i) FROM sine;
-- rows without timestamps are named by their place among the rows given, rows without a value
-- before the first one counted (row 10, not 7), and a backtest fold's dates by the fold's
-- own end (January 11, not January 21)
SELECT rnn_train(CASE WHEN i <= 3 THEN NULL WHEN i = 10 THEN -1 ELSE 2 + sin(i) END,
                 rnn_config(epochs => 1, hidden_size => 4, scaling => 'level') ORDER BY i)
FROM generate_series(1, 50) i;
SELECT rnn_backtest(DATE '2020-01-01' + i, CASE WHEN i = 10 THEN -1 ELSE 2 + sin(i) END,
                    rnn_config(epochs => 1, hidden_size => 4, scaling => 'level'), 5, 2)
FROM generate_series(1, 50) i;
SELECT rnn_train(v, rnn_config(scaling => 'seasonal', season => 12, "window" => 12) ORDER BY i) FROM sine;

-- every loss trains and forecasts
SELECT l AS loss, rnn_model_info(m)->'training'->>'epochs_run' IS NOT NULL AS trained,
       (SELECT count(*) FROM rnn_forecast(m, 2)) AS steps
FROM (SELECT l, rnn_train(v, rnn_config(hidden_size => 4, "window" => 8, epochs => 2, loss => l,
                                         quantile => CASE l WHEN 'pinball' THEN 0.9 ELSE 0.5 END) ORDER BY i) m
      FROM sine, (VALUES ('mse'), ('mae'), ('huber'), ('pinball')) v(l) GROUP BY l) t ORDER BY l;
-- the pinball loss at a high quantile puts forecasts above those at a low one
SELECT avg(hi.forecast - lo.forecast) > 0 AS ordered_quantiles
FROM (SELECT rnn_train(v, rnn_config(hidden_size => 8, "window" => 12, epochs => 40, loss => 'pinball', quantile => 0.9) ORDER BY i) m FROM sine) a,
     (SELECT rnn_train(v, rnn_config(hidden_size => 8, "window" => 12, epochs => 40, loss => 'pinball', quantile => 0.1) ORDER BY i) m FROM sine) b,
     rnn_forecast(a.m, 6) hi JOIN rnn_forecast(b.m, 6) lo USING (step);
-- progress notices name the group's rows: count, first and last timestamp
SET rnn_forecast.progress = on;
SELECT rnn_train(date '2024-01-01' + i, sin(i / 3.0), rnn_config(epochs => 1, ensemble => 1, validation_fraction => 0))
       IS NOT NULL AS trained
FROM generate_series(1, 40) i;
RESET rnn_forecast.progress;

-- rnn_forecast.threads = 2: every mini-batch split between two threads; for each cell the
-- same bytes from run to run (but for the training time and the checksum), other weights
-- than one thread's (sums in parts), and forecasts within float sums of one thread's; a
-- global model too
SET rnn_forecast.threads = 2;
CREATE TEMP TABLE threaded AS
SELECT c AS cell,
       rnn_train(d, v, rnn_config(cell => c, hidden_size => 6, epochs => 8, batch_size => 9, seed => 7, ensemble => 1)) AS m2,
       rnn_train(d, v, rnn_config(cell => c, hidden_size => 6, epochs => 8, batch_size => 9, seed => 7, ensemble => 1)) AS m2b
FROM sine, (VALUES ('rnn_tanh'), ('lstm'), ('gru')) cells(c) GROUP BY c;
SET rnn_forecast.threads = 1;
CREATE TEMP TABLE single AS
SELECT c AS cell,
       rnn_train(d, v, rnn_config(cell => c, hidden_size => 6, epochs => 8, batch_size => 9, seed => 7, ensemble => 1)) AS m1
FROM sine, (VALUES ('rnn_tanh'), ('lstm'), ('gru')) cells(c) GROUP BY c;
SELECT cell,
       length(m2) = length(m2b) AND substr(m2, 1, 132) = substr(m2b, 1, 132)
         AND substr(m2, 141, length(m2) - 144) = substr(m2b, 141, length(m2b) - 144) AS same_bytes_but_time,
       rnn_model_to_json(m2)->'state_dict' <> rnn_model_to_json(m1)->'state_dict' AS summed_in_parts,
       (SELECT max(abs(x.forecast - y.forecast)) FROM rnn_forecast(m2, 5) x JOIN rnn_forecast(m1, 5) y USING (step)) < 1e-3
         AS forecasts_as_one_thread
FROM threaded JOIN single USING (cell) ORDER BY cell;
SET rnn_forecast.threads = 2;
SELECT a.m IS NOT NULL AS global_trained,
       substr(a.m, 141, length(a.m) - 144) = substr(b.m, 141, length(b.m) - 144) AS global_same_bytes
FROM (SELECT rnn_train(s::text, d, v, rnn_config(hidden_size => 6, epochs => 4, ensemble => 1)) m
      FROM sine, generate_series(1, 3) s) a,
     (SELECT rnn_train(s::text, d, v, rnn_config(hidden_size => 6, epochs => 4, ensemble => 1)) m
      FROM sine, generate_series(1, 3) s) b;
RESET rnn_forecast.threads;

-- an ensemble's training figures: best_epoch, epochs_run and the curves are the first
-- member's; train_loss and validation_loss the means over the members of their kept weights'
-- losses, where a member that kept its untrained weights (best_epoch 0) has a validation loss
-- but no training loss (null; it was counted as 0); member k is the model of seed 42 + 7919 k
CREATE TABLE ens_rows AS
SELECT date '2024-01-01' + d AS day,
       round((100 + 10 * sin(2 * pi() * d / 7) + d / 10.0 + 5 * sin(d * 1.3))::numeric, 2)::float8 AS v
FROM generate_series(0, 119) d;
CREATE TABLE ens AS
SELECT e, sd, rnn_model_info(rnn_train(day, v, rnn_config(epochs => 5, hidden_size => 4, ensemble => e, seed => sd)))->'training' AS t
FROM ens_rows, (VALUES (1, 42), (1, 42 + 7919), (1, 42 + 2 * 7919), (3, 42)) x(e, sd) GROUP BY e, sd;
SELECT bool_and(((t->>'best_epoch')::int > 0) = (t->'train_loss' <> 'null')) AS null_when_untrained FROM ens WHERE e = 1;
SELECT abs(coalesce((b.t->>'train_loss')::float8, -1)
           - coalesce((SELECT avg((t->>'train_loss')::float8) FROM ens WHERE e = 1 AND (t->>'best_epoch')::int > 0), -1)) < 1e-6 AS train_mean,
       abs((b.t->>'validation_loss')::float8 - (SELECT avg((t->>'validation_loss')::float8) FROM ens WHERE e = 1)) < 1e-6 AS validation_mean,
       b.t->'best_epoch' = a.t->'best_epoch' AND b.t->'epochs_run' = a.t->'epochs_run'
       AND b.t->'validation_loss_per_epoch' = a.t->'validation_loss_per_epoch' AS first_members_history
FROM ens a, ens b WHERE a.e = 1 AND a.sd = 42 AND b.e = 3;
-- a step of 10 by plain SGD never beats the untrained weights: null, also through JSON and back
CREATE TABLE ens_m AS
SELECT rnn_train(day, v, rnn_config(epochs => 2, hidden_size => 4, ensemble => 1, learning_rate => 10, optimizer => 'sgd')) AS m
FROM ens_rows;
SELECT rnn_model_info(m)->'training'->'best_epoch' AS best_epoch,
       rnn_model_to_json(rnn_model_from_json(rnn_model_to_json(m)))->'training'->'train_loss' AS train_loss
FROM ens_m;
SELECT rnn_model_from_json(rnn_model_to_json(m) || jsonb_build_object('training', rnn_model_to_json(m)->'training' || '{"train_loss": -1}'))
FROM ens_m;
DROP TABLE ens, ens_rows, ens_m;
