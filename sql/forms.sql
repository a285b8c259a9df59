-- Every form the README says agrees, over one matrix of configurations: each model is trained
-- once, then forecast by each form, and the forms compared. One series: the table form, the
-- history array of the training rows, the rnn_predict aggregate, the JSON round trip (the same
-- bytes), and for models without Theta (which the window functions fit on the window's rows)
-- rnn_predict_rows at the last training row, with and without ts. A global model: each
-- series' table form against its own history array (at a configured Theta weight: the array
-- takes the model's, a series its own validated one), the JSON round trip, and without Theta
-- the series form of rnn_predict_rows. Forecasts agree to float32 rounding, 1e-5 relative (the
-- network's products add in another order in one form than another: up to 4e-7 seen, under
-- 1e-9 at the default scaling; window functions forecast 256 rows in one pass). Intervals are
-- ordered, finite, and the 50% one lies inside the 90% one. A configuration the extension
-- refuses is listed with its SQLSTATE.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;

-- a positive seasonal series with a trend and noise (log and seasonal indices apply)
CREATE TABLE fm_rows AS
SELECT s AS series, date '2020-01-01' + (i + 3 * s) AS day,
       100 + 20 * s + 8 * sin(2 * pi() * (i + s) / 7) + 0.2 * i + 3 * sin(i * (1.3 + s)) AS v
FROM generate_series(1, 3) s, generate_series(0, 69 + 15 * s) i;

CREATE TABLE fm_result (form text, config jsonb, ok boolean, detail text);

-- relative gap between two forecast arrays (NULL when their lengths differ)
CREATE FUNCTION fm_gap(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(a) = cardinality(b) THEN
    (SELECT max(abs(x - y) / greatest(abs(x), abs(y), 1e-300)) FROM unnest(a, b) u(x, y)) END
$$;

CREATE FUNCTION fm_note(form text, config jsonb, gap float8, tol float8) RETURNS void LANGUAGE sql AS $$
  INSERT INTO fm_result VALUES (form, config, coalesce(gap <= tol, false),
                                CASE WHEN gap IS NULL THEN 'no result' ELSE 'gap ' || gap::text END)
$$;

-- intervals of one forecast: ordered, finite, the 50% one inside the 90% one
CREATE FUNCTION fm_intervals(m bytea, s text, h int) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
  IF s IS NULL THEN
    RETURN (SELECT bool_and(a.lower <= a.forecast AND a.forecast <= a.upper
                            AND a.lower > '-Infinity' AND a.upper < 'Infinity'
                            AND b.lower >= a.lower AND b.upper <= a.upper AND b.forecast = a.forecast)
            FROM rnn_forecast(m, h, 0.9) a JOIN rnn_forecast(m, h, 0.5) b USING (step));
  END IF;
  RETURN (SELECT bool_and(a.lower <= a.forecast AND a.forecast <= a.upper
                          AND a.lower > '-Infinity' AND a.upper < 'Infinity'
                          AND b.lower >= a.lower AND b.upper <= a.upper AND b.forecast = a.forecast)
          FROM rnn_forecast(m, s, h, 0.9) a JOIN rnn_forecast(m, s, h, 0.5) b USING (step));
END
$f$;

DO $$
DECLARE
  c jsonb;
  m bytea;
  h int := 3;
  tab float8[];
  st text;
  msg text;
BEGIN
  FOR c IN
    SELECT jsonb_build_object('cell', cell, 'strategy', strategy, 'num_layers', layers,
                              'bidirectional', bidir, 'scaling', scaling, 'horizon', h,
                              'hidden_size', 4, 'epochs', 2, 'ensemble', 1)
           || CASE WHEN theta THEN '{}' ELSE '{"theta_weight": 0}' END::jsonb || pipe::jsonb
    FROM unnest(ARRAY['lstm', 'gru', 'rnn_tanh', 'rnn_relu']) cell,
         unnest(ARRAY['recursive', 'direct', 'seq2seq', 'mixed']) strategy,
         unnest(ARRAY[1, 2]) layers, unnest(ARRAY[false, true]) bidir,
         unnest(ARRAY['auto', 'window', 'zscore', 'none', 'level']) scaling,
         unnest(ARRAY[true, false]) theta,
         unnest(ARRAY['{}', '{"log": false}', '{"deseasonalize": false}']) pipe
    -- every cell at the defaults' axes; the other axes with lstm (each cell reads the same code
    -- for the rest); the pipeline's choices where the scaling makes them (auto, window)
    WHERE (cell = 'lstm' OR (layers = 1 AND NOT bidir AND scaling = 'auto'))
      AND (pipe = '{}' OR (scaling IN ('auto', 'window') AND layers = 1))
    ORDER BY 1
  LOOP
    BEGIN
      SELECT rnn_train(day, v, c) INTO m FROM fm_rows WHERE series = 1;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
      INSERT INTO fm_result VALUES ('refused', c, NULL, st || ': ' || msg);
      CONTINUE;
    END;
    SELECT array_agg(forecast ORDER BY step) INTO tab FROM rnn_forecast(m, h);
    PERFORM fm_note('history array', c,
                    fm_gap(tab, rnn_forecast(m, (SELECT array_agg(v ORDER BY day) FROM fm_rows WHERE series = 1), h)), 1e-5);
    PERFORM fm_note('rnn_predict', c,
                    fm_gap(tab, (SELECT rnn_predict(v, m, h ORDER BY day) FROM fm_rows WHERE series = 1)), 1e-5);
    INSERT INTO fm_result VALUES ('json bytes', c, rnn_model_from_json(rnn_model_to_json(m)) = m, NULL);
    INSERT INTO fm_result VALUES ('intervals', c, coalesce(fm_intervals(m, NULL, h), false), NULL);
    IF c ? 'theta_weight' THEN
      PERFORM fm_note('rnn_predict_rows', c,
                      fm_gap(tab, (SELECT r FROM (SELECT day, rnn_predict_rows(v, m, h) OVER (ORDER BY day) r
                                                  FROM fm_rows WHERE series = 1) x ORDER BY day DESC LIMIT 1)), 1e-5);
      PERFORM fm_note('rnn_predict_rows ts', c,
                      fm_gap(tab, (SELECT r FROM (SELECT day, rnn_predict_rows(day, v, m, h) OVER (ORDER BY day) r
                                                  FROM fm_rows WHERE series = 1) x ORDER BY day DESC LIMIT 1)), 1e-5);
    END IF;
  END LOOP;

  -- global models over the three series (their own lengths and first days)
  FOR c IN
    SELECT jsonb_build_object('cell', cell, 'strategy', strategy, 'horizon', h,
                              'hidden_size', 4, 'epochs', 2, 'ensemble', 1)
           || CASE WHEN theta IS NULL THEN '{}' ELSE jsonb_build_object('theta_weight', theta) END
           || pipe::jsonb
    FROM unnest(ARRAY['lstm', 'gru', 'rnn_tanh', 'rnn_relu']) cell,
         unnest(ARRAY['recursive', 'direct', 'seq2seq', 'mixed']) strategy,
         unnest(ARRAY[NULL, 0, 0.5]) theta,
         unnest(ARRAY['{}', '{"log": false}', '{"deseasonalize": false}']) pipe
    WHERE pipe = '{}' OR cell = 'lstm'
    ORDER BY 1
  LOOP
    BEGIN
      SELECT rnn_train(series::text, day, v, c) INTO m FROM fm_rows;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
      INSERT INTO fm_result VALUES ('global refused', c, NULL, st || ': ' || msg);
      CONTINUE;
    END;
    INSERT INTO fm_result VALUES ('global json bytes', c, rnn_model_from_json(rnn_model_to_json(m)) = m, NULL);
    FOR s IN 1..3 LOOP
      SELECT array_agg(forecast ORDER BY step) INTO tab FROM rnn_forecast(m, s::text, h);
      -- (the history array takes the model's Theta weight, each series its own validated one:
      -- compared where the configuration gives the weight)
      IF c ? 'theta_weight' THEN
        PERFORM fm_note('global history array', c || jsonb_build_object('series', s),
                        fm_gap(tab, rnn_forecast(m, (SELECT array_agg(v ORDER BY day) FROM fm_rows WHERE series = s), h)), 1e-5);
      END IF;
      INSERT INTO fm_result VALUES ('global intervals', c || jsonb_build_object('series', s),
                                    coalesce(fm_intervals(m, s::text, h), false), NULL);
      IF c->>'theta_weight' = '0' THEN
        PERFORM fm_note('global rnn_predict_rows series', c || jsonb_build_object('series', s),
                        fm_gap(tab, (SELECT r FROM (SELECT day, rnn_predict_rows(series::text, day, v, m, h)
                                                           OVER (PARTITION BY series ORDER BY day) r
                                                    FROM fm_rows WHERE series = s) x ORDER BY day DESC LIMIT 1)), 1e-5);
      END IF;
    END LOOP;
  END LOOP;
END
$$;
RESET client_min_messages;

-- how many comparisons of each form held (a failure is listed below)
SELECT form, count(*) AS models, count(*) FILTER (WHERE ok) AS agree
FROM fm_result WHERE form NOT LIKE '%refused' GROUP BY form ORDER BY form;
SELECT form, config, detail FROM fm_result WHERE NOT ok ORDER BY form, config::text;
-- the configurations refused, and why
SELECT form, detail, count(*) AS models FROM fm_result WHERE form LIKE '%refused' GROUP BY form, detail ORDER BY form, detail;

DROP TABLE fm_rows, fm_result;
DROP FUNCTION fm_gap(float8[], float8[]), fm_note(text, jsonb, float8, float8), fm_intervals(bytea, text, int);
