-- PyTorch interchange: models written by test/ref/make_ref.py forecast
-- exactly as PyTorch computed; exported models carry state_dict names.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;

\set gru `cat test/ref/fixtures/forecast_gru.json`
\set lstm `cat test/ref/fixtures/forecast_lstm.json`
\set rnn `cat test/ref/fixtures/forecast_rnn.json`
CREATE TABLE torch_models(name text, j jsonb);
-- (the fixtures' "expected" outputs are no model key: kept beside the model, not in it)
CREATE TABLE torch_expected AS
SELECT name, f::jsonb->'expected' AS expected FROM (VALUES ('gru', :'gru'), ('lstm', :'lstm'), ('rnn', :'rnn')) v(name, f);
INSERT INTO torch_models SELECT name, f::jsonb - 'expected' FROM (VALUES ('gru', :'gru'), ('lstm', :'lstm'), ('rnn', :'rnn')) v(name, f);

-- forecasts equal PyTorch's output to float32 precision
SELECT name,
       (SELECT max(abs(f - e)) FROM unnest(
            rnn_forecast(rnn_model_from_json(j - 'history'),
                         ARRAY(SELECT jsonb_array_elements_text(j->'history')::float8),
                         (j->>'output_size')::int),
            ARRAY(SELECT jsonb_array_elements_text(expected)::float8)) AS u(f, e)) < 1e-5 AS matches_pytorch
FROM torch_models JOIN torch_expected USING (name) ORDER BY name;

-- export: the same keys and shapes as PyTorch's state_dict
SELECT name,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(rnn_model_to_json(rnn_model_from_json(j))->'state_dict') k)
       = (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j->'state_dict') k) AS same_names,
       ARRAY(SELECT v::text::float4 FROM jsonb_path_query(rnn_model_to_json(rnn_model_from_json(j))->'state_dict',
                                                         'lax $.** ? (@.type() == "number")') v)
       = ARRAY(SELECT v::text::float4 FROM jsonb_path_query(j->'state_dict', 'lax $.** ? (@.type() == "number")') v)
         AS same_float32_values
FROM torch_models ORDER BY name;

-- an imported model without scaling or history: info says so, table form needs history
SELECT rnn_model_info(rnn_model_from_json(j))->'scaling'->>'method' AS scaling,
       rnn_model_info(rnn_model_from_json(j))->'window' AS "window"
FROM torch_models WHERE name = 'gru';
SELECT * FROM rnn_forecast(rnn_model_from_json((SELECT j - 'history' FROM torch_models WHERE name = 'gru')), 2);

-- round trip of a trained model through JSON keeps its forecasts
CREATE TABLE trained AS
SELECT rnn_train(i::bigint, sin(i / 4.0), rnn_config(cell => 'lstm', hidden_size => 5, num_layers => 2,
                                                      bidirectional => true, "window" => 8, epochs => 3)) AS m
FROM generate_series(1, 80) i;
SELECT (SELECT array_agg(forecast) FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), 5))
       = (SELECT array_agg(forecast) FROM rnn_forecast(m, 5)) AS same_forecasts,
       (SELECT array_agg(upper) FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), 5))
       = (SELECT array_agg(upper) FROM rnn_forecast(m, 5)) AS same_intervals
FROM trained;

-- malformed JSON models are errors naming the problem
-- a key that is no model key (a typo) is ignored with a WARNING that names it; a time axis
-- needs its numbers (before: read as 2000-01-01, daily); ensemble_state_dicts alone set the
-- members (before: ignored without members)
SELECT rnn_model_info(rnn_model_from_json(j || '{"windw": 3}'))->'window' AS "window" FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(j || '{"time": {"kind": "date", "last": "2024-01-31", "step": "1 mon"}}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_info(rnn_model_from_json(j || '{"time": {"kind": "date", "step_unit": "months", "step_value": 1, "last_value": 8795}}'))->'time'->>'last' AS last
FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(j || '{"time": {"kind": "date", "step_unit": "weeks", "step_value": 1, "last_value": 8795}}') FROM torch_models WHERE name = 'gru';
-- a step's number is in its kind's unit: days on a timestamp axis were read as microseconds
SELECT rnn_model_from_json(j || '{"time": {"kind": "timestamp", "step_unit": "days", "step_value": 1, "last_value": 770256000000000}}') FROM torch_models WHERE name = 'gru';
-- a typo inside an object is a WARNING too (before: its part silently at the default)
SELECT rnn_model_info(rnn_model_from_json(j || '{"scaling": {"metod": "zscore", "mean": 100, "std": 10}}'))->'scaling'->>'method' AS method
FROM torch_models WHERE name = 'gru';
-- "config" is what rnn_model_info shows as the training's configuration: one rnn_config
-- takes, of this network
SELECT rnn_model_from_json(j || '{"config": {"foo": 1}}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(j || jsonb_build_object('config', jsonb_build_object('cell', 'gru', 'hidden_size', (j->>'hidden_size')::int + 1)))
FROM torch_models WHERE name = 'gru';
SELECT rnn_model_info(rnn_model_from_json(j || jsonb_build_object('config', jsonb_build_object('cell', 'gru', 'epochs', 7, 'hidden_size', j->'hidden_size', 'num_layers', j->'num_layers', 'bidirectional', j->'bidirectional'))))->'config'->>'epochs' AS epochs
FROM torch_models WHERE name = 'gru';
-- a number out of double's range in it is the same error; a zone the session's TimeZone took
-- (a POSIX spec, which rnn_config refuses) is read as the time axis's is, so such a model's
-- round trip keeps its bytes; a scalar "series" in a single-series document is no object
-- to check (it imported before the objects' keys were checked)
SELECT rnn_model_from_json(j || '{"config": {"learning_rate": 1e400}}') FROM torch_models WHERE name = 'gru';
SET TIME ZONE 'UTC+3';
SELECT rnn_model_from_json(rnn_model_to_json(m)) = m AS round_trip, rnn_model_info(m)->'config'->>'time_zone' AS zone
FROM (SELECT rnn_train(timestamptz '2024-01-01' + i * interval '1 hour', sin(i / 4.0), rnn_config(epochs => 1, hidden_size => 2, ensemble => 1)) AS m
      FROM generate_series(0, 99) i) x;
RESET TIME ZONE;
SELECT rnn_model_from_json(j || '{"series": "store 7"}') IS NOT NULL AS imported FROM torch_models WHERE name = 'gru';
-- a broken rule of a known scaling is named (before: "Its scaling method is unknown.")
SELECT rnn_model_from_json(j || '{"scaling": {"method": "seasonal", "mean": 0, "std": 1}}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_info(rnn_model_from_json(j || jsonb_build_object('ensemble_state_dicts', jsonb_build_array(j->'state_dict'))))->'members' AS members
FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(j || '{"ensemble_state_dicts": "garbage"}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(j || jsonb_build_object('members', 1, 'ensemble_state_dicts', jsonb_build_array(j->'state_dict'))) FROM torch_models WHERE name = 'gru';
-- a flag or a size given as a string says what it must be
SELECT rnn_model_from_json(j || '{"bidirectional": "false"}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(j || '{"hidden_size": "4"}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json('{"cell": "gru"}');
SELECT rnn_model_from_json('{"cell": "cnn", "input_size": 1}');
-- a misspelt or non-string strategy is refused (it was read as auto, which changed a mixed
-- model's forecasts); null or "auto" is auto
SELECT rnn_model_from_json(j || '{"strategy": "Mixed"}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(j || '{"strategy": 7}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_info(rnn_model_from_json(j || '{"strategy": null}'))->>'strategy' AS null_strategy,
       rnn_model_info(rnn_model_from_json(j || '{"strategy": "auto"}'))->>'strategy' AS auto_strategy
FROM torch_models WHERE name = 'gru';
-- rnn_relu keeps a NaN pre-activation NaN, as torch.relu does (float32 overflow, inf - inf):
-- the forecast is an error, not the 3e38 the 0 it was read as gave
SELECT rnn_forecast(rnn_model_from_json('{"cell": "rnn_relu", "input_size": 1, "hidden_size": 2, "num_layers": 1,
  "bidirectional": false, "output_size": 1, "window": 4,
  "state_dict": {"rnn.weight_ih_l0": [[3e38], [3e38]], "rnn.weight_hh_l0": [[3e38, -3e38], [3e38, -3e38]],
                 "rnn.bias_ih_l0": [1.0, 1.0], "rnn.bias_hh_l0": [0.0, 0.0], "fc.weight": [[1.0, 1.0]], "fc.bias": [0.0]}}'),
  ARRAY[0.2, 0.3, 0.4, 0.5], 1);
SELECT rnn_model_from_json(j - 'state_dict') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(jsonb_set(j, '{hidden_size}', '9')) FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(jsonb_set(j, '{state_dict,fc.bias}', '[1]')) FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(jsonb_set(j, '{state_dict,fc.bias}', '[1, "x"]')) FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(jsonb_set(j, '{state_dict,fc.bias}', '[[1], [2]]')) FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(j #- '{state_dict,rnn.bias_hh_l1}') FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(jsonb_set(j, '{state_dict,extra}', '[1]')) FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json(jsonb_set(j, '{hidden_size}', '100000')) FROM torch_models WHERE name = 'gru';
SELECT rnn_model_from_json('[]');

-- a multivariate PyTorch model (input_size 3): 2-D history of T rows x 3 features
\set mv `cat test/ref/fixtures/forecast_multivariate.json`
CREATE TABLE mv AS SELECT :'mv'::jsonb AS j;
SELECT (SELECT max(abs(f - e)) FROM unnest(
            rnn_forecast(rnn_model_from_json(j - 'history' - 'expected'),
                         translate(j->>'history', '[]', '{}')::float8[], 2),
            ARRAY(SELECT jsonb_array_elements_text(j->'expected')::float8)) AS u(f, e)) < 1e-5 AS matches_pytorch,
       array_length(translate(j->>'history', '[]', '{}')::float8[], 2) AS features
FROM mv;
-- beyond its outputs it cannot recurse; a 1-D history does not fit it
SELECT rnn_forecast(rnn_model_from_json(j - 'history' - 'expected'), translate(j->>'history', '[]', '{}')::float8[], 3) FROM mv;
SELECT rnn_forecast(rnn_model_from_json(j - 'history' - 'expected'), ARRAY[1, 2, 3]::float8[], 1) FROM mv;
SELECT rnn_predict(1.0, rnn_model_from_json(j - 'history' - 'expected'), 1) FROM mv;

-- float32's largest value as tensor.tolist() prints it (3.4028234663852886e+38) and to 9 digits
-- imports (values above 3.4e38 were refused as beyond float32's range); from halfway to 2^128,
-- where float32 rounds to infinity, it is refused
SELECT b, rnn_model_info(rnn_model_from_json(('{"cell": "gru", "input_size": 1, "hidden_size": 1, "num_layers": 1,
  "bidirectional": false, "output_size": 1, "window": 3,
  "state_dict": {"rnn.weight_ih_l0": [[0.5], [0.5], [0.5]], "rnn.weight_hh_l0": [[0.1], [0.1], [0.1]],
                 "rnn.bias_ih_l0": [0, 0, 0], "rnn.bias_hh_l0": [0, 0, 0], "fc.weight": [[1.0]],
                 "fc.bias": [' || b || ']}}')::jsonb))->'parameters' AS parameters
FROM (VALUES ('3.4028234663852886e+38'), ('-3.40282347e38')) v(b);
SELECT rnn_model_from_json('{"cell": "gru", "input_size": 1, "hidden_size": 1, "num_layers": 1,
  "bidirectional": false, "output_size": 1, "window": 3,
  "state_dict": {"rnn.weight_ih_l0": [[0.5], [0.5], [0.5]], "rnn.weight_hh_l0": [[0.1], [0.1], [0.1]],
                 "rnn.bias_ih_l0": [0, 0, 0], "rnn.bias_hh_l0": [0, 0, 0], "fc.weight": [[1.0]],
                 "fc.bias": [3.4028235677973366e+38]}}');
