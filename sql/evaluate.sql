-- rnn_backtest, rnn_evaluate, ensembles, strategies, inferred seasons
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
SET TimeZone = 'UTC';

CREATE TABLE ev AS
SELECT (DATE '2010-01-01' + make_interval(months => i))::date AS d,
       100 + 10 * sin(i * 2 * pi() / 12) + 0.5 * i AS v
FROM generate_series(0, 95) i;

-- rolling-origin backtest: folds, origins, metrics
CREATE TABLE bt AS
SELECT rnn_backtest(d, v, rnn_config(hidden_size => 8, epochs => 30), 6, 3) AS r FROM ev;
SELECT r->'horizon' AS horizon, r->'folds' AS folds, r->'points' AS points,
       jsonb_path_query_array(r, '$.per_fold[*].origin') AS origins,
       jsonb_path_query_array(r, '$.per_fold[*].train_rows') AS train_rows,
       (r->>'mase')::float8 < 1 AS beats_seasonal_naive,
       (r->>'coverage')::float8 BETWEEN 0 AND 1 AS coverage_is_share,
       abs((r->>'msis')::float8 - (SELECT avg((x->>'msis')::float8) FROM jsonb_array_elements(r->'per_fold') x))
         < 1e-4 * (r->>'msis')::float8 AS msis_mean_of_folds,
       (r->>'rmse')::float8 >= (r->>'mae')::float8 AS rmse_ge_mae
FROM bt;
-- a step without a value in a fold's horizon is not scored (it was scored against the value
-- interpolated for it): the backtest above with a NULL in its last fold's horizon (October
-- 2017, not the last row) keeps the other folds and scores 5 points in the last, whose MAE is
-- that of a training on the rows before its origin and rnn_forecast, over those 5 months
-- (to the 6 significant digits the result prints)
CREATE TABLE bt_null AS
SELECT rnn_backtest(d, CASE WHEN d = DATE '2017-10-01' THEN NULL ELSE v END,
                    rnn_config(hidden_size => 8, epochs => 30), 6, 3) AS r FROM ev;
SELECT n.r->'points' AS points, jsonb_path_query_array(n.r, '$.per_fold[*].points') AS fold_points,
       n.r->'per_fold'->0->'mae' = b.r->'per_fold'->0->'mae' AND n.r->'per_fold'->1->'mae' = b.r->'per_fold'->1->'mae'
         AS other_folds_same,
       abs((n.r->'per_fold'->2->>'mae')::float8 - x.mae) < 1e-5 * x.mae AS last_fold_mae_without_the_null
FROM bt_null n, bt b,
     (SELECT avg(abs(f.forecast - e.v)) AS mae
      FROM (SELECT rnn_train(d, v, rnn_config(hidden_size => 8, epochs => 30, horizon => 6)) AS m
            FROM ev WHERE d < DATE '2017-07-01') t, rnn_forecast(t.m, 6) f
      JOIN ev e ON e.d = f.ts_local::date
      WHERE e.d <> DATE '2017-10-01') x;
DROP TABLE bt_null;
-- a fold whose training part ends in steps without a value trains up to its last value
-- and forecasts that many steps further (it trained on values interpolated toward its
-- horizon's): NULLs in May and June 2017, the last fold's origin July, train on the 88 rows
-- before May; that fold's MAE is a model's trained on them, scored on steps 3 to 8 of its
-- rnn_forecast; fold 2 scores the 4 points of its horizon that have values
CREATE TABLE bt_tail AS
SELECT rnn_backtest(d, CASE WHEN d IN (DATE '2017-05-01', DATE '2017-06-01') THEN NULL ELSE v END,
                    rnn_config(hidden_size => 8, epochs => 30), 6, 3) AS r FROM ev;
SELECT jsonb_path_query_array(n.r, '$.per_fold[*].train_rows') AS train_rows,
       jsonb_path_query_array(n.r, '$.per_fold[*].points') AS fold_points,
       n.r->'per_fold'->2->'origin' AS last_origin,
       abs((n.r->'per_fold'->2->>'mae')::float8 - x.mae) < 1e-5 * x.mae AS last_fold_from_its_last_value
FROM bt_tail n,
     (SELECT avg(abs(f.forecast - e.v)) AS mae
      FROM (SELECT rnn_train(d, v, rnn_config(hidden_size => 8, epochs => 30, horizon => 6)) AS m
            FROM ev WHERE d < DATE '2017-05-01') t, rnn_forecast(t.m, 8) f
      JOIN ev e ON e.d = f.ts_local::date
      WHERE f.step > 2) x;
DROP TABLE bt_tail;
-- a fold's origin is ISO 8601 in the rows' own type whatever the DateStyle (2026-12-07: it
-- followed the session's, "21/02/2024" under SQL, DMY; before that a timestamptz for every type)
SET DateStyle = 'German';
SELECT r.k, r.b->'per_fold'->0->>'origin' AS origin
FROM (SELECT 'timestamp' AS k, rnn_backtest(timestamp '2024-01-01 09:30' + make_interval(hours => i), (i % 7)::float8 + i * 0.1,
                                            rnn_config(hidden_size => 2, epochs => 1, ensemble => 1), 2, 1) AS b
      FROM generate_series(0, 39) i
      UNION ALL
      SELECT 'timestamptz', rnn_backtest(timestamptz '2024-01-01 09:30+00' + make_interval(hours => i), (i % 7)::float8 + i * 0.1,
                                         rnn_config(hidden_size => 2, epochs => 1, ensemble => 1), 2, 1)
      FROM generate_series(0, 39) i) r ORDER BY r.k;
RESET DateStyle;
-- a fold left too few steps by its gap is an error that names the fold
SELECT rnn_backtest(d, CASE WHEN d = DATE '2010-01-01' OR d >= DATE '2017-01-01' THEN v END,
                    rnn_config(hidden_size => 4, epochs => 1, ensemble => 1), 6, 2)
FROM ev;
SELECT rnn_backtest(d, v, NULL, 30, 4) FROM ev;
SELECT rnn_backtest(d, v, NULL, 0, 1) FROM ev;
SELECT rnn_backtest(d, v, NULL, 6, 0) FROM ev;

-- rnn_evaluate: the forecast of a model against the rows after its training data
CREATE TABLE evm AS
SELECT rnn_train(d, v, rnn_config(hidden_size => 8, epochs => 30)) AS m FROM ev WHERE d < DATE '2017-01-01';
SELECT (r->>'points')::int AS points, r->'max_step' AS max_step, (r->>'mase')::float8 < 1 AS beats_seasonal_naive
FROM (SELECT rnn_evaluate(m, d, v) r FROM evm, ev WHERE d >= DATE '2017-01-01') t;
-- its 90% interval's mean scaled interval score (MSIS: the width plus 20 times the miss, over
-- the in-sample seasonal naive MAE) and MASE, recomputed from rnn_forecast's rows
SELECT abs((r->>'msis')::float8 - x.msis) < 1e-4 * x.msis AS msis_as_recomputed,
       abs((r->>'mase')::float8 - x.mase) < 1e-4 * x.mase AS mase_as_recomputed
FROM (SELECT rnn_evaluate(m, d, v) r FROM evm, ev WHERE d >= DATE '2017-01-01') t,
     (SELECT avg((f.upper - f.lower) + 20 * greatest(f.lower - e.v, 0) + 20 * greatest(e.v - f.upper, 0))
               / (rnn_model_info(evm.m)->>'naive_scale')::float8 AS msis,
             avg(abs(e.v - f.forecast)) / (rnn_model_info(evm.m)->>'naive_scale')::float8 AS mase
      FROM evm, rnn_forecast(evm.m, 24, 0.9) f JOIN ev e ON e.d = f.ts::date
      GROUP BY evm.m) x;
-- the same score whatever the row order and with NULL values skipped
SELECT rnn_evaluate(m, d, v) = rnn_evaluate(m, d, v ORDER BY d DESC) AS order_free,
       (rnn_evaluate(m, d, CASE WHEN d = DATE '2017-03-01' THEN NULL ELSE v END)->>'points')::int AS points_without_null
FROM evm, ev WHERE d >= DATE '2017-01-01';
-- rows off the model's grid, before its end, or of another type are errors
-- a NULL model scores nothing (NULL); a group mixing it with a model is an error
SELECT rnn_evaluate(NULL, d, v) IS NULL AS null_model FROM ev WHERE d >= DATE '2017-01-01';
SELECT rnn_evaluate(CASE WHEN d > DATE '2017-03-01' THEN m END, d, v) FROM evm, ev WHERE d >= DATE '2017-01-01';
SELECT rnn_evaluate(m, DATE '2017-01-15', 1.0) FROM evm;
-- a global model is not for rnn_evaluate (the hint names what scores one), nor a model
-- imported without its history
SELECT rnn_evaluate(g.m, d, v)
FROM (SELECT rnn_train(k::text, d, v + k, rnn_config(epochs => 1, hidden_size => 2, ensemble => 1)) AS m
      FROM ev, generate_series(1, 2) k WHERE d < DATE '2017-01-01') g, ev WHERE d >= DATE '2017-01-01' GROUP BY g.m;
SELECT rnn_evaluate(rnn_model_from_json(rnn_model_to_json(m) - 'history'), d, v) FROM evm, ev WHERE d >= DATE '2017-01-01' GROUP BY m;
SELECT rnn_evaluate(m, DATE '2016-12-01', 1.0) FROM evm;
SELECT rnn_evaluate(m, TIMESTAMP '2017-01-01', 1.0) FROM evm;
-- every row must pass the same model; infinite actuals and duplicate timestamps are errors
SELECT rnn_evaluate(CASE WHEN d = DATE '2017-02-01' THEN (SELECT rnn_train(d, v, rnn_config(hidden_size => 2, epochs => 1)) FROM ev) ELSE m END, d, v)
FROM evm, ev WHERE d >= DATE '2017-01-01';
SELECT rnn_evaluate(m, d, CASE WHEN d = DATE '2017-02-01' THEN 'Infinity' ELSE v END) FROM evm, ev WHERE d >= DATE '2017-01-01';
SELECT rnn_evaluate(m, d, v) FROM evm, (SELECT d, v FROM ev WHERE d >= DATE '2017-01-01' UNION ALL SELECT DATE '2017-03-01', 1.0) x;
-- training and backtests take the first row's configuration, horizon and folds only when
-- every row passes the same
SELECT rnn_train(d, v, CASE WHEN d = DATE '2011-01-01' THEN rnn_config(hidden_size => 3) ELSE rnn_config(hidden_size => 2) END) FROM ev;
SELECT rnn_train(d, v, rnn_config(epochs => 1, hidden_size => 2), CASE WHEN d = DATE '2011-01-01' THEN NULL ELSE m END) FROM ev, evm;
SELECT rnn_backtest(d, v, rnn_config(epochs => 1), CASE WHEN d = DATE '2011-01-01' THEN 5 ELSE 6 END, 2) FROM ev;

-- ensembles: k members from different seeds, averaged
CREATE TABLE ens AS
SELECT rnn_train(d, v, rnn_config(hidden_size => 6, epochs => 10, ensemble => 3)) AS m FROM ev;
SELECT rnn_model_info(m)->'members' AS members,
       (rnn_model_info(m)->>'parameters')::int = 3 * (rnn_model_info(rnn_train(d, v, rnn_config(hidden_size => 6, epochs => 1, ensemble => 1)))->>'parameters')::int AS three_times_the_weights,
       jsonb_array_length(rnn_model_to_json(m)->'ensemble_state_dicts') AS extra_state_dicts
FROM ens, ev GROUP BY m;
-- the JSON round trip keeps every member
SELECT (SELECT array_agg(forecast) FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), 4))
       = (SELECT array_agg(forecast) FROM rnn_forecast(m, 4)) AS same_forecasts
FROM ens;

-- strategies: direct outputs the horizon at once, recursive one step fed back
SELECT s, rnn_model_info(m)->'output_size' AS outputs, rnn_model_info(m)->>'strategy' AS strategy,
       (SELECT count(*) FROM rnn_forecast(m, 12)) AS steps
FROM (SELECT s, rnn_train(d, v, rnn_config(hidden_size => 6, epochs => 5, horizon => 6, strategy => s)) m
      FROM ev, (VALUES ('direct'), ('recursive'), ('seq2seq')) x(s) GROUP BY s) t ORDER BY s;
-- seq2seq: encoder and decoder weights under PyTorch names, kept by the JSON round trip
CREATE TABLE s2s AS
SELECT rnn_train(d, v, rnn_config(hidden_size => 5, num_layers => 2, epochs => 5, horizon => 4,
                                  strategy => 'seq2seq', ensemble => 1)) AS m FROM ev;
SELECT array_agg(k ORDER BY k) AS tensors FROM s2s, jsonb_object_keys(rnn_model_to_json(m)->'state_dict') k;
SELECT (SELECT array_agg(forecast) FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), 9))
       = (SELECT array_agg(forecast) FROM rnn_forecast(m, 9)) AS same_forecasts
FROM s2s;
SELECT rnn_train(d, v, rnn_config(strategy => 'seq2seq', bidirectional => true)) FROM ev;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{bidirectional}', 'true')) FROM s2s;
SELECT rnn_config(strategy => 'seq3seq');
SELECT rnn_config(ensemble => 65);

-- seasons: from the step for calendar data, from the autocorrelation for integer steps
SELECT rnn_model_info(rnn_train(i::bigint, sin(i * 2 * pi() / 7) + 0.01 * i, rnn_config(hidden_size => 4, epochs => 1)))->'season' AS weekly_by_acf
FROM generate_series(1, 200) i;
SELECT rnn_model_info(rnn_train(v, rnn_config(hidden_size => 4, epochs => 1) ORDER BY i))->'season' AS acf_ordered
FROM (SELECT i, sin(i * 2 * pi() / 24) AS v FROM generate_series(1, 300) i) t;
SELECT rnn_model_info(rnn_train(i::bigint, i::float8 * i, rnn_config(hidden_size => 4, epochs => 1)))->'season' AS trend_only
FROM generate_series(1, 100) i;
-- MASE scale is stored with the model
SELECT (rnn_model_info(m)->>'naive_scale')::float8 > 0 AS has_naive_scale FROM evm;
-- a model trained without timestamps numbers its steps from 1: a step past the limit says so
SELECT rnn_evaluate(m, 200000::bigint, 1.0::float8)
FROM (SELECT rnn_train(v, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1) ORDER BY d) AS m FROM ev) t;
