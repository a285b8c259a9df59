-- Fine-tuning imported PyTorch models: one SGD step in SQL equals PyTorch's
-- (fixtures by test/ref/make_finetune.py), on rows of every time axis and on
-- ORDER BY rows; the new model takes the rows' axis; an imported model gets
-- no scaling or pipeline step it was not given.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;

\set gru `cat test/ref/fixtures/finetune_gru.json`
\set lstm `cat test/ref/fixtures/finetune_lstm.json`
CREATE TABLE ft_fx(name text, j jsonb);
INSERT INTO ft_fx VALUES ('gru', :'gru'), ('lstm', :'lstm');
-- the series of each fixture as rows numbered 1..24
CREATE TABLE ft_rows AS
SELECT name, i::bigint AS i, (j->'series'->>(i - 1))::float8 AS v
FROM ft_fx, generate_series(1, 24) i;

-- the weights of a state_dict in key order (both sides have the same keys)
CREATE FUNCTION ft_weights(sd jsonb) RETURNS float8[] LANGUAGE sql AS $$
  SELECT array_agg(v::text::float8 ORDER BY k)
  FROM jsonb_path_query(sd, 'lax $.** ? (@.type() == "number")') WITH ORDINALITY AS t(v, k)
$$;
-- largest difference from PyTorch's weights after the step (NULL: other keys)
CREATE FUNCTION ft_diff(m bytea, name text) RETURNS float8 LANGUAGE sql AS $$
  SELECT max(abs(a - b))
  FROM ft_fx,
       unnest(ft_weights(rnn_model_to_json(m)->'state_dict'), ft_weights(j->'after')) AS u(a, b)
  WHERE ft_fx.name = ft_diff.name
    AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(rnn_model_to_json(m)->'state_dict') k)
        = (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j->'after') k)
$$;
-- exactly one torch.optim.SGD step over all windows: sgd, one batch, one
-- epoch, nothing held out, no clipping, MSE, one member, the fixture's lr
CREATE TABLE ft_cfg AS
SELECT 'gru' AS name,
       rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2, epochs => 1, optimizer => 'sgd',
                  learning_rate => 0.1, batch_size => 0, validation_fraction => 0, clip_norm => 0,
                  loss => 'mse', ensemble => 1) AS c
UNION ALL
SELECT 'lstm',
       rnn_config(cell => 'lstm', hidden_size => 3, horizon => 2, strategy => 'direct', epochs => 1,
                  optimizer => 'sgd', learning_rate => 0.1, batch_size => 0, validation_fraction => 0,
                  clip_norm => 0, loss => 'mse', ensemble => 1);
CREATE TABLE ft_imported AS SELECT name, rnn_model_from_json(j->'model') AS m FROM ft_fx;

-- the step moves weights by more than the tolerance (the test can fail)
SELECT name, max(abs(a - b)) > 1e-3 AS step_moves_weights
FROM ft_fx, unnest(ft_weights(j->'model'->'state_dict'), ft_weights(j->'after')) AS u(a, b)
GROUP BY name ORDER BY name;

-- ORDER BY rows (no time axis): the new warm-start form
CREATE TABLE ft_ordered AS
SELECT r.name, rnn_train(r.v, (SELECT c FROM ft_cfg WHERE name = r.name),
                         (SELECT m FROM ft_imported WHERE name = r.name) ORDER BY r.i) AS m
FROM ft_rows r GROUP BY r.name;
SELECT name, ft_diff(m, name) < 1e-5 AS matches_pytorch,
       rnn_model_info(m)->'time'->>'kind' AS time_kind,
       rnn_model_info(m)->'scaling'->>'method' AS scaling
FROM ft_ordered ORDER BY name;

-- time-stamped rows of each type: the same step, and the model takes the rows' axis
CREATE TABLE ft_axes AS
SELECT 'bigint' AS kind, r.name,
       rnn_train(r.i, r.v, (SELECT c FROM ft_cfg WHERE name = r.name),
                 (SELECT m FROM ft_imported WHERE name = r.name)) AS m
FROM ft_rows r GROUP BY r.name
UNION ALL
SELECT 'date', r.name,
       rnn_train(DATE '2024-01-01' + r.i::int, r.v, (SELECT c FROM ft_cfg WHERE name = r.name),
                 (SELECT m FROM ft_imported WHERE name = r.name))
FROM ft_rows r GROUP BY r.name
UNION ALL
SELECT 'timestamp', r.name,
       rnn_train(TIMESTAMP '2024-01-01' + r.i * INTERVAL '1 hour', r.v, (SELECT c FROM ft_cfg WHERE name = r.name),
                 (SELECT m FROM ft_imported WHERE name = r.name))
FROM ft_rows r GROUP BY r.name
UNION ALL
SELECT 'timestamptz', r.name,
       rnn_train(TIMESTAMPTZ '2024-01-01 00:00:00+00' + r.i * INTERVAL '1 month', r.v,
                 (SELECT c FROM ft_cfg WHERE name = r.name),
                 (SELECT m FROM ft_imported WHERE name = r.name))
FROM ft_rows r GROUP BY r.name;
SELECT kind, name, ft_diff(m, name) < 1e-5 AS matches_pytorch,
       rnn_model_info(m)->'time'->>'kind' AS time_kind,
       rnn_model_info(m)->'time'->>'step' AS step,
       rnn_model_info(m)->'time'->>'last' AS last,
       rnn_model_info(m)->'season' AS season
FROM ft_axes ORDER BY kind, name;
-- the fine-tuned models forecast timestamps after the rows' last one
SELECT kind, name, f.step, f.ts_bigint, f.ts_local
FROM ft_axes, rnn_forecast(m, 2) f
WHERE kind <> 'timestamptz' ORDER BY kind, name, f.step;
SELECT kind, name, f.step, f.ts AT TIME ZONE 'UTC' AS ts_utc
FROM ft_axes, rnn_forecast(m, 2) f
WHERE kind = 'timestamptz' ORDER BY kind, name, f.step;

-- the JSON's window is the network's; without one, the configuration's
SELECT ft_diff(rnn_train(r.v, (SELECT c FROM ft_cfg WHERE name = 'gru') || '{"window": 6}',
                         (SELECT rnn_model_from_json((j->'model') - 'window') FROM ft_fx WHERE name = 'gru')
                         ORDER BY r.i), 'gru') < 1e-5 AS matches_pytorch
FROM ft_rows r WHERE r.name = 'gru';

-- scaling and pipeline: an imported model without "scaling" trains with
-- none and without log or seasonal indices, even on positive daily rows
-- where a cold start chooses them ...
CREATE TABLE ft_daily AS
SELECT DATE '2024-01-01' + i AS d, 10 + 3 * sin(2 * pi() * i / 7) + (i % 5) * 0.1 AS v
FROM generate_series(1, 84) i;
SELECT rnn_model_info(rnn_train(d, v, rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2, epochs => 1,
                                                 ensemble => 1, "window" => 6)))->'pipeline'->>'log' AS cold_log,
       rnn_model_info(rnn_train(d, v, rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2, epochs => 1,
                                                 ensemble => 1, "window" => 6)))->'scaling'->>'method' AS cold_scaling
FROM ft_daily;
CREATE TABLE ft_plain AS
SELECT rnn_train(d, v, rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2, epochs => 1, ensemble => 1),
                 (SELECT m FROM ft_imported WHERE name = 'gru')) AS m
FROM ft_daily;
SELECT rnn_model_info(m)->'scaling' AS scaling, rnn_model_info(m)->'pipeline' AS pipeline,
       rnn_model_info(m)->'season' AS season
FROM ft_plain;
-- ... and takes what the configuration names: scaling with statistics from
-- these rows, log, seasonal indices
CREATE TABLE ft_asked AS
SELECT rnn_train(d, v, rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2, epochs => 1, ensemble => 1,
                                  scaling => 'zscore', log => true, deseasonalize => true),
                 (SELECT m FROM ft_imported WHERE name = 'gru')) AS m
FROM ft_daily;
SELECT rnn_model_info(m)->'scaling'->>'method' AS scaling,
       abs((rnn_model_info(m)->'scaling'->>'mean')::float8
           - (SELECT avg(ln(v)) FROM ft_daily)) < 0.1 AS mean_from_rows,
       rnn_model_info(m)->'pipeline'->>'log' AS log,
       jsonb_array_length(rnn_model_info(m)->'pipeline'->'seasonal_indices') AS seasonal_indices
FROM ft_asked;
-- once fine-tuned it is a model trained here: its scaling stays on the next warm start, and a
-- NOTICE says the configuration's is not applied (so does one for deseasonalize)
SELECT rnn_model_info(rnn_train(d, v, rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2, epochs => 1,
                                                 ensemble => 1, scaling => 'zscore'),
                                (SELECT m FROM ft_plain)))->'scaling'->>'method' AS kept_scaling
FROM ft_daily;
SELECT jsonb_array_length(rnn_model_info(rnn_train(d, v, rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2,
                                                                   epochs => 1, ensemble => 1, deseasonalize => false),
                                                   (SELECT m FROM ft_asked)))->'pipeline'->'seasonal_indices') AS kept_indices
FROM ft_daily;

-- a fine-tuned model continues on its own axis
SELECT rnn_model_info(rnn_train(i + 24, v, (SELECT c FROM ft_cfg WHERE name = 'gru'),
                                (SELECT m FROM ft_axes WHERE kind = 'bigint' AND name = 'gru')))->'time'->>'last' AS last
FROM ft_rows WHERE name = 'gru';
-- a model with a time axis is refused on ORDER BY rows, and on another axis (as before)
SELECT rnn_train(v, (SELECT c FROM ft_cfg WHERE name = 'gru'),
                 (SELECT m FROM ft_axes WHERE kind = 'date' AND name = 'gru') ORDER BY i)
FROM ft_rows WHERE name = 'gru';
SELECT rnn_train(i, v, (SELECT c FROM ft_cfg WHERE name = 'gru'),
                 (SELECT m FROM ft_axes WHERE kind = 'date' AND name = 'gru'))
FROM ft_rows WHERE name = 'gru';
-- on_init_mismatch => 'cold' trains such a model's ORDER BY rows from scratch, saying why
SELECT rnn_model_info(rnn_train(v, (SELECT c FROM ft_cfg WHERE name = 'gru') || '{"on_init_mismatch": "cold"}',
                                (SELECT m FROM ft_axes WHERE kind = 'date' AND name = 'gru') ORDER BY i))->'training'->>'rows' AS rows
FROM ft_rows WHERE name = 'gru';
-- the global form takes global models only
SELECT rnn_train('s' || (i % 2), i, v, rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2, ensemble => 1),
                 (SELECT m FROM ft_imported WHERE name = 'gru'))
FROM ft_rows WHERE name = 'gru';

-- architecture mismatches: the same messages in both forms
SELECT rnn_train(v, rnn_config(cell => 'gru', hidden_size => 4, num_layers => 2),
                 (SELECT m FROM ft_imported WHERE name = 'gru') ORDER BY i)
FROM ft_rows WHERE name = 'gru';
SELECT rnn_train(i, v, rnn_config(cell => 'gru', hidden_size => 5, num_layers => 2, ensemble => 1),
                 (SELECT m FROM ft_imported WHERE name = 'gru'))
FROM ft_rows WHERE name = 'gru';
SELECT rnn_train(v, rnn_config(cell => 'lstm', hidden_size => 4, num_layers => 2, ensemble => 1),
                 (SELECT m FROM ft_imported WHERE name = 'gru') ORDER BY i)
FROM ft_rows WHERE name = 'gru';
SELECT rnn_train(v, (SELECT c FROM ft_cfg WHERE name = 'gru') || '{"window": 7}',
                 (SELECT m FROM ft_imported WHERE name = 'gru') ORDER BY i)
FROM ft_rows WHERE name = 'gru';
SELECT rnn_train(v, (SELECT c FROM ft_cfg WHERE name = 'lstm') || '{"strategy": "recursive"}',
                 (SELECT m FROM ft_imported WHERE name = 'lstm') ORDER BY i)
FROM ft_rows WHERE name = 'lstm';
-- a multivariate PyTorch model forecasts but does not fine-tune: training reads one value per step
\set mv `cat test/ref/fixtures/forecast_multivariate.json`
SELECT rnn_train(i, v, rnn_config(cell => 'lstm', hidden_size => 5, num_layers => 2, horizon => 2,
                                  strategy => 'direct', ensemble => 1),
                 rnn_model_from_json(:'mv'::jsonb - 'history' - 'expected'))
FROM ft_rows WHERE name = 'gru';
-- NULL init: a cold start, as in the time-stamped form; the model must be the same on every row
SELECT rnn_train(v, (SELECT c FROM ft_cfg WHERE name = 'gru'), NULL::bytea ORDER BY i) IS NOT NULL AS trained
FROM ft_rows WHERE name = 'gru';
SELECT rnn_train(v, (SELECT c FROM ft_cfg WHERE name = 'gru'),
                 CASE WHEN i < 10 THEN (SELECT m FROM ft_imported WHERE name = 'gru') END ORDER BY i)
FROM ft_rows WHERE name = 'gru';
