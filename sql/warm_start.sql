-- warm start: continue training from a model's weights on new rows
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;

CREATE TABLE ws AS SELECT i::bigint AS t, sin(i / 5.0) AS v FROM generate_series(1, 120) i;
CREATE TABLE base AS
SELECT rnn_train(t, v, rnn_config(cell => 'gru', hidden_size => 6, "window" => 8, epochs => 5)) AS m FROM ws WHERE t <= 100;

-- continuing on new rows: the forecast origin moves, the weights change
CREATE TABLE cont AS
SELECT rnn_train(t, v, rnn_config(cell => 'gru', hidden_size => 6, "window" => 8, epochs => 5),
                 (SELECT m FROM base)) AS m
FROM ws;
SELECT rnn_model_info(c.m)->'time'->>'last_value' AS last_before, rnn_model_info(b.m)->'time'->>'last_value' AS last_after,
       rnn_model_to_json(c.m)->'state_dict' <> rnn_model_to_json(b.m)->'state_dict' AS weights_changed
FROM cont b, base c;
-- warm start keeps the scaling of the original model
SELECT rnn_model_info(b.m)->'scaling' = rnn_model_info(c.m)->'scaling' AS same_scaling FROM cont b, base c;

-- a different architecture is an error that says what differs
SELECT rnn_train(t, v, rnn_config(cell => 'lstm', hidden_size => 6, "window" => 8), (SELECT m FROM base)) FROM ws;
SELECT rnn_train(t, v, rnn_config(cell => 'gru', hidden_size => 7, "window" => 8), (SELECT m FROM base)) FROM ws;
SELECT rnn_train(t, v, rnn_config(cell => 'gru', hidden_size => 6, "window" => 9), (SELECT m FROM base)) FROM ws;
SELECT rnn_train(TIMESTAMP '2020-01-01' + t * INTERVAL '1 day', v, rnn_config(cell => 'gru', hidden_size => 6, "window" => 8),
                 (SELECT m FROM base)) FROM ws;
-- ... the strategy too, where the networks differ: an encoder-decoder has a decoder the
-- others have not (before 2026-12-06 a recursive model continued as seq2seq from its weights
-- read in the other layout, past their end: forecasts of 4e303), and a recursive model of
-- one output is no direct model of three (the error named the output size alone)
SELECT rnn_train(t, v, rnn_config(cell => 'gru', hidden_size => 6, "window" => 8, strategy => 'seq2seq'), (SELECT m FROM base)) FROM ws;
SELECT rnn_train(t, v, rnn_config(cell => 'gru', hidden_size => 6, "window" => 8, strategy => 'direct', horizon => 3), (SELECT m FROM base)) FROM ws;

-- exactly one torch.optim.SGD step: sgd, one batch, one epoch, no scaling,
-- no validation, no clipping.  The step equals w - lr * grad, checked on the
-- output bias, whose gradient is 2 * mean(prediction - target).
CREATE TABLE sgd_base AS
SELECT rnn_train(t, v, rnn_config(cell => 'rnn_tanh', hidden_size => 3, "window" => 4, epochs => 1, scaling => 'none',
                                  validation_fraction => 0, clip_norm => 0, optimizer => 'sgd', batch_size => 0,
                                  loss => 'mse', ensemble => 1,
                                  learning_rate => 1e-8, theta_weight => 0)) AS m
FROM ws WHERE t <= 30;
CREATE TABLE sgd_step AS
SELECT rnn_train(t, v, rnn_config(cell => 'rnn_tanh', hidden_size => 3, "window" => 4, epochs => 1, scaling => 'none',
                                  validation_fraction => 0, clip_norm => 0, optimizer => 'sgd', batch_size => 0,
                                  loss => 'mse', ensemble => 1,
                                  learning_rate => 0.1), (SELECT m FROM sgd_base)) AS m
FROM ws WHERE t <= 30;
WITH pred AS (
  -- predictions of the base model on every training window of the new rows
  SELECT k, (rnn_forecast((SELECT m FROM sgd_base), array_agg(v ORDER BY t), 1))[1] AS p,
         (SELECT v FROM ws w2 WHERE w2.t = k + 4) AS target
  FROM generate_series(1, 26) k JOIN ws ON ws.t BETWEEN k AND k + 3 GROUP BY k
)
SELECT abs(((rnn_model_to_json((SELECT m FROM sgd_base))->'state_dict'->'fc.bias'->>0)::float8
            - 0.1 * 2 * avg(p - target))
           - (rnn_model_to_json((SELECT m FROM sgd_step))->'state_dict'->'fc.bias'->>0)::float8) < 1e-5 AS one_sgd_step
FROM pred;

-- a warm start keeps the log its model works on: a configuration that says otherwise, and a
-- value at or below 0 for a logged model, are errors that say so (before: log => false was
-- dropped silently, and a non-positive value gave "log => true needs positive values" with a
-- hint to leave log unset, which the user had); on_init_mismatch => 'cold' trains from scratch
CREATE TABLE ws_log AS
SELECT rnn_train(date '2024-01-01' + i, 100 + 10 * sin(i / 3.0) + i / 10.0,
                 rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1)) AS m
FROM generate_series(0, 99) i;
SELECT rnn_model_info(m)->'pipeline'->'log' AS base_logged FROM ws_log;
SELECT rnn_train(date '2024-04-10' + i, 100 + i, rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, log => false),
                 (SELECT m FROM ws_log))
FROM generate_series(0, 40) i;
SELECT rnn_train(date '2024-04-10' + i, CASE WHEN i = 5 THEN -1 ELSE 100 + i END,
                 rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1), (SELECT m FROM ws_log))
FROM generate_series(0, 40) i;
SELECT rnn_model_info(rnn_train(date '2024-04-10' + i, CASE WHEN i = 5 THEN -1 ELSE 100 + i END,
                                rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, on_init_mismatch => 'cold'),
                                (SELECT m FROM ws_log)))->'pipeline'->'log' AS cold_logged
FROM generate_series(0, 40) i;
-- rows too few for the model's window: the error's hint says what works (it said 'choose a
-- smaller window', which is itself a mismatch), and 'cold' trains from scratch on a window
-- of its own (it raised the same error)
SELECT rnn_model_info(m)->'window' AS model_window FROM ws_log;
SELECT rnn_train(date '2024-04-10' + i, 100 + i, rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1),
                 (SELECT m FROM ws_log))
FROM generate_series(0, 9) i;
SELECT (rnn_model_info(rnn_train(date '2024-04-10' + i, 100 + i,
                                 rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, on_init_mismatch => 'cold'),
                                 (SELECT m FROM ws_log)))->>'window')::int < 7 AS cold_own_window
FROM generate_series(0, 9) i;
-- a warm start re-estimates its model's seasonal indices on the rows; on fewer than two
-- seasons (two and a step before 2026-12-07) it keeps the model's, placed by the time axis
-- (before 2026-12-06 it fed the network, trained on adjusted values, the raw ones, silently):
-- the new last row, 14 days after the model's, takes the model's index 14 steps on, and the
-- forecast keeps the
-- weekly pattern; rows without timestamps cannot be placed: a mismatch, 'cold' a training
-- from scratch
SET client_min_messages = warning;
CREATE TABLE ws_season AS
SELECT rnn_train(date '2024-01-01' + i, 100 + 10 * sin(2 * pi() * i / 7) + i / 10.0 + i % 5,
                 rnn_config(epochs => 1, hidden_size => 4, ensemble => 1, deseasonalize => true) || '{"window": 5}') AS m
FROM generate_series(0, 89) i;
CREATE TABLE ws_season_short AS
SELECT rnn_train(date '2024-04-01' + i, 100 + 10 * sin(2 * pi() * (i + 91) / 7), rnn_config(epochs => 1, hidden_size => 4, ensemble => 1),
                 (SELECT m FROM ws_season)) AS n
FROM generate_series(0, 12) i;
SELECT jsonb_array_length(p->'seasonal_indices') AS kept,
       abs((p->'seasonal_indices'->>(p->>'phase_last')::int)::float8
           - (q->'seasonal_indices'->>(((q->>'phase_last')::int + 14) % 7))::float8) < 1e-12 AS placed_by_time,
       (SELECT max(forecast) - min(forecast) FROM rnn_forecast(n, 7)) > 5 AS weekly_forecast
FROM ws_season_short, ws_season,
     LATERAL (SELECT rnn_model_info(n)->'pipeline' AS p, rnn_model_info(m)->'pipeline' AS q) x;
RESET client_min_messages;
-- ... nor indices of another season than the one the configuration asks for
SELECT rnn_train(date '2024-04-01' + i, 100 + 10 * sin(2 * pi() * (i + 91) / 7),
                 rnn_config(epochs => 1, hidden_size => 4, ensemble => 1, season => 14), (SELECT m FROM ws_season))
FROM generate_series(0, 19) i;
SELECT rnn_train(100 + 10 * sin(2 * pi() * i / 7), rnn_config(epochs => 1, hidden_size => 4, ensemble => 1),
                 (SELECT rnn_train(100 + 10 * sin(2 * pi() * i / 7) + i / 10.0 + i % 5,
                                   rnn_config(epochs => 1, hidden_size => 4, ensemble => 1, deseasonalize => true, season => 7) || '{"window": 5}' ORDER BY i)
                  FROM generate_series(0, 89) i) ORDER BY i)
FROM generate_series(0, 12) i;

-- a flag of the architecture is named as the configuration spells it (it said 1 and 0)
SELECT rnn_train(date '2024-04-10' + i, 100 + i, rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, bidirectional => true),
                 (SELECT m FROM ws_log))
FROM generate_series(0, 40) i;
-- the same log given, or none, continues the model
SELECT rnn_model_info(rnn_train(date '2024-04-10' + i, 100 + i, rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, log => true),
                                (SELECT m FROM ws_log)))->'pipeline'->'log' AS continued_logged
FROM generate_series(0, 40) i;
-- an imported model (its JSON without config) whose JSON pipeline is logged: without a log in
-- the configuration it keeps the JSON's, so a value at or below 0 does not fit it, an error
-- ('cold' trains from scratch; before 2026-12-06 both were "log => true needs positive
-- values", whose hint was to leave log unset, as it was); with log => false it takes the
-- rows' statistics, not the JSON's, which are of the logged series (the network read values
-- some 500 times too large)
CREATE TABLE ws_imported AS SELECT rnn_model_from_json(rnn_model_to_json(m) - 'config') AS m FROM ws_log;
SELECT rnn_train(date '2024-04-10' + i, CASE WHEN i = 5 THEN 0 ELSE 100 + i END,
                 rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1), (SELECT m FROM ws_imported))
FROM generate_series(0, 40) i;
SELECT rnn_model_info(rnn_train(date '2024-04-10' + i, CASE WHEN i = 5 THEN 0 ELSE 100 + i END,
                                rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, on_init_mismatch => 'cold'),
                                (SELECT m FROM ws_imported)))->'pipeline'->'log' AS cold_logged
FROM generate_series(0, 40) i;
SELECT (SELECT (rnn_model_info(m)->'scaling'->>'mean')::float8 < 10 FROM ws_imported) AS json_mean_of_logs,
       (rnn_model_info(w)->'scaling'->>'mean')::float8 > 50 AS rows_mean, rnn_model_info(w)->'pipeline'->'log' AS logged
FROM (SELECT rnn_train(date '2024-04-10' + i, 100 + i, rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, log => false),
                       (SELECT m FROM ws_imported)) AS w
      FROM generate_series(0, 40) i) x;
DROP TABLE ws_imported;
