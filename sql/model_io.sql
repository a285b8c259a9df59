-- malformed model values: every function that takes a model rejects them
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;

CREATE TABLE good AS
SELECT rnn_train(i::bigint, sin(i / 3.0), rnn_config(hidden_size => 4, "window" => 6, epochs => 2)) AS m
FROM generate_series(1, 60) i;

-- foreign, empty, truncated, flipped, extended
SELECT rnn_model_info('\xdeadbeef'::bytea);
SELECT rnn_model_info(''::bytea);
SELECT * FROM rnn_forecast('\x524e4e46'::bytea, 3);
SELECT rnn_forecast(substr(m, 1, length(m) - 1), ARRAY[1,2,3,4,5,6]::float8[], 1) FROM good;
SELECT rnn_model_to_json(substr(m, 1, 200)) FROM good;
SELECT rnn_model_info(overlay(m placing '\xff'::bytea from length(m) - 20 for 1)) FROM good;
SELECT rnn_model_info(m || '\x00'::bytea) FROM good;
-- a newer format version is reported as such
SELECT rnn_model_info(overlay(m placing '\x0c00'::bytea from 5 for 2)) FROM good;
SELECT rnn_predict(v, substr(m, 2), 1) FROM good, (VALUES (1.0::float8)) t(v) GROUP BY m;

-- many truncations and bit flips: each one an error with the same errcode (counted as
-- "many": the model's length follows the BLAS kernel's name in trained_with)
CREATE FUNCTION try_model(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rnn_model_info(b);
  RETURN 'accepted';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE;
END $$;
SELECT try_model(substr(m, 1, n)) AS sqlstate, count(*) > 450 AS many
FROM good, generate_series(0, length(m) - 1, 7) n GROUP BY 1;
SELECT try_model(set_byte(m, n, (get_byte(m, n) + 1 + n % 254) % 256)) AS sqlstate, count(*) > 1100 AS many
FROM good, generate_series(0, length(m) - 1, 3) n GROUP BY 1;
-- the good model itself is accepted
SELECT try_model(m) FROM good;

-- what trained a model (format 10): this library's version, the BLAS with the kernel it
-- picked for this CPU, and rnn_forecast.threads (the kernel's name varies by CPU: matched,
-- not printed); a JSON round trip keeps it; without it a model is written in the format its
-- content needs (9 here); a value that is not a short printable string is refused
SELECT get_byte(m, 4) AS format,
       rnn_model_info(m)->'training'->>'trained_with'
         ~ '^rnn_forecast [0-9]+\.[0-9]+\.[0-9]+; OpenBLAS [0-9.]+, kernel [A-Za-z0-9_]+; 1 thread$' AS shown,
       split_part(rnn_model_info(m)->'training'->>'trained_with', ' ', 2)
         = (SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast') || ';' AS this_version,
       rnn_model_info(rnn_model_from_json(rnn_model_to_json(m)))->'training'->'trained_with'
         = rnn_model_info(m)->'training'->'trained_with' AS json_round_trip,
       get_byte(rnn_model_from_json(rnn_model_to_json(m) #- '{training,trained_with}'), 4) AS format_without,
       rnn_model_info(rnn_model_from_json(rnn_model_to_json(m) #- '{training,trained_with}'))->'training'->'trained_with' AS without
FROM good;
-- a JSON round trip keeps every byte of a trained model: the losses print all 17 digits,
-- the training time is kept in whole milliseconds and prints three decimals; a time with
-- more digits (as models before 0.7.0 kept it) prints them all and round-trips too
SELECT rnn_model_from_json(rnn_model_to_json(m)) = m AS json_round_trip_bytes,
       (rnn_model_info(m)->'training'->>'training_seconds')::numeric
         = round((rnn_model_info(m)->'training'->>'training_seconds')::numeric, 3) AS whole_ms,
       rnn_model_to_json(rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{training,training_seconds}', '0.12345678901234566')))
         ->'training'->'training_seconds' AS long_seconds,
       rnn_model_to_json(rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{training,train_loss}', '0.12345678901234566')))
         ->'training'->'train_loss' AS long_loss
FROM good;
-- no validation is null; a negative validation loss would come back as null: refused
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{training,validation_loss}', '-0.5')) FROM good;
SET rnn_forecast.threads = 2;
SELECT rnn_model_info(rnn_train(i::bigint, sin(i / 3.0), rnn_config(hidden_size => 4, "window" => 6, epochs => 1)))
         ->'training'->>'trained_with' LIKE '%; 2 threads' AS two_threads
FROM generate_series(1, 60) i;
RESET rnn_forecast.threads;
-- time, training and config given as arrays are refused, as scaling and pipeline are (they
-- were dropped silently before 2026-12-06: a bigint axis became none)
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{time}', '[1, 2, 3]')) FROM good;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{training}', '[1, "a"]')) FROM good;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{config}', '[1, "a"]')) FROM good;
-- the pipeline's mistakes are each named (it was one detail for all of them)
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{pipeline,phase_last}', '40')) FROM good;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{pipeline,seasonal_indices}', '[0.1, -0.1]')) FROM good;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{training,trained_with}', '5')) FROM good;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{training,trained_with}', to_jsonb(repeat('x', 256)))) FROM good;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{training,trained_with}', to_jsonb(E'tab\there'::text))) FROM good;
SELECT length(rnn_model_info(rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{training,trained_with}',
                                                          to_jsonb(repeat('x', 255)))))->'training'->>'trained_with') AS longest
FROM good;
