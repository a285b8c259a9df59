-- mixed models (strategy => 'mixed'): members of two kinds, direct (the horizon at once) and
-- one-step (fed back), trained on the same windows; forecasts average both
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
-- the format a model's content needs: every trained model is format 10, as it records what
-- trained it (model_io.sql), and a global model of log series 11, as it keeps their own
-- spreads (global.sql), so the format checks here read it without that text and those spreads
CREATE FUNCTION pg_temp.content_format(m bytea) RETURNS int LANGUAGE sql AS
$$ SELECT (rnn_model_info(rnn_model_from_json(CASE WHEN j ? 'series_state' THEN jsonb_set(j, '{series_state}',
     (SELECT jsonb_agg(e - 'spread' ORDER BY o) FROM jsonb_array_elements(j->'series_state') WITH ORDINALITY s(e, o)))
     ELSE j END))->>'format_version')::int
   FROM (SELECT rnn_model_to_json(m) #- '{training,trained_with}' AS j) t $$;
SET TimeZone = 'UTC';

CREATE TABLE mx_sales AS
SELECT r || '-' || s AS store, date '2015-01-01' + (i || ' months')::interval AS day,
       (100 * s + 3 * i + 10 * s * sin(2 * pi() * i / 12) + 5 * sin(i * 7.1 + s)) * (CASE r WHEN 'north' THEN 1 ELSE 2 END) AS sales
FROM (VALUES ('north'), ('south')) rr(r), generate_series(1, 3) s, generate_series(0, 59) i;

-- a global mixed model: ensemble => 2 gives two members of each kind, in format 9 (8 without the
-- figures of its Theta weights' validation)
CREATE TABLE mx AS
SELECT rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 10, ensemble => 2, strategy => 'mixed')) AS model
FROM mx_sales WHERE day < date '2019-07-01';
SELECT rnn_model_info(model)->>'strategy' AS strategy, rnn_model_info(model)->>'members' AS members,
       rnn_model_info(model)->'config'->>'ensemble' AS ensemble, pg_temp.content_format(model) AS format,
       rnn_model_info(model)->'calibration'->>'steps' AS calibrated_steps
FROM mx;

-- forecasts for every series: ordered intervals, within 15% of the next 6 true values
SELECT count(*) AS rows, bool_and(lower <= forecast AND forecast <= upper) AS ordered,
       bool_and(abs(f.forecast / t.sales - 1) < 0.15) AS close
FROM mx, rnn_model_series(mx.model) s(name), rnn_forecast(mx.model, s.name, 6) f
JOIN mx_sales t ON t.day = f.ts
WHERE t.store = s.name;

-- the forecast is the mean of its direct half and its one-step half: the same weights
-- imported as a direct model of two members and a recursive model of two (fc's first row)
CREATE FUNCTION mx_one_step(sd jsonb) RETURNS jsonb LANGUAGE sql AS
$$ SELECT sd || jsonb_build_object('fc.weight', jsonb_build_array(sd->'fc.weight'->0),
                                   'fc.bias', jsonb_build_array(sd->'fc.bias'->0)) $$;
CREATE TABLE mx_parts AS
SELECT rnn_model_from_json(j || jsonb_build_object('strategy', 'direct', 'members', 2,
         'ensemble_state_dicts', jsonb_build_array(j->'ensemble_state_dicts'->0))) AS direct,
       rnn_model_from_json(j || jsonb_build_object('strategy', 'recursive', 'members', 2, 'output_size', 1,
         'state_dict', mx_one_step(j->'ensemble_state_dicts'->1),
         'ensemble_state_dicts', jsonb_build_array(mx_one_step(j->'ensemble_state_dicts'->2)))) AS recursive
FROM mx, rnn_model_to_json(mx.model) j;
SELECT rnn_model_info(direct)->>'strategy' AS first_half, rnn_model_info(recursive)->>'strategy' AS second_half,
       (SELECT max(abs(m.forecast - (d.forecast + r.forecast) / 2) / abs(m.forecast))
        FROM mx_sales s0, rnn_forecast(mx.model, s0.store, 6) m
        JOIN rnn_forecast(direct, s0.store, 6) d USING (step)
        JOIN rnn_forecast(recursive, s0.store, 6) r USING (step)
        WHERE s0.day = date '2015-01-01') < 1e-9 AS mean_of_halves,
       (SELECT max(abs(d.forecast - r.forecast)) FROM rnn_forecast(direct, 'north-1', 6) d
        JOIN rnn_forecast(recursive, 'north-1', 6) r USING (step)) > 0 AS halves_differ
FROM mx, mx_parts;

-- every forecasting path averages both halves: a history array, rnn_predict, JSON round trip
SELECT (SELECT max(abs(m - (d + r) / 2) / abs(m))
        FROM unnest(rnn_forecast(mx.model, h, 6), rnn_forecast(direct, h, 6), rnn_forecast(recursive, h, 6)) u(m, d, r)) < 1e-9
         AS history_form_mean_of_halves,
       abs((SELECT rnn_predict(sales, mx.model, 3 ORDER BY day) FROM mx_sales
            WHERE store = 'south-2' AND day < date '2019-07-01')[3] / (rnn_forecast(mx.model, h, 6))[3] - 1) < 1e-9 AS predict_same
FROM mx, mx_parts, (SELECT array_agg(sales ORDER BY day) AS h FROM mx_sales WHERE store = 'south-2' AND day < date '2019-07-01') x;
SELECT bool_and(a.forecast = b.forecast AND a.lower = b.lower AND a.upper = b.upper) AS json_same
FROM mx, rnn_model_series(mx.model) s, rnn_forecast(mx.model, s, 6) a
JOIN rnn_forecast(rnn_model_from_json(rnn_model_to_json(mx.model)), s, 6) b USING (step);
SELECT jsonb_array_length(rnn_model_to_json(model)->'ensemble_state_dicts') AS exported_members_after_first,
       rnn_model_to_json(model)->'ensemble_state_dicts'->2->'fc.bias'->1 AS one_step_second_output
FROM mx;

-- backtest and warm start keep the strategy; a warm start needs a mixed model of as many members
SELECT (r->>'points')::int AS points, (r->>'smape')::float8 < 15 AS smape_ok
FROM (SELECT rnn_backtest(store, day::date, sales, rnn_config(hidden_size => 4, epochs => 3, strategy => 'mixed', ensemble => 1), 6, 2) AS r
      FROM mx_sales) b;
CREATE TABLE mx2 AS
SELECT rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 2, ensemble => 2, validation_fraction => 0),
                 (SELECT model FROM mx)) AS model
FROM mx_sales;
SELECT rnn_model_info(model)->>'strategy' AS kept, rnn_model_info(model)->>'members' AS members,
       rnn_model_to_json(model)->'ensemble_state_dicts'->2 <> (SELECT rnn_model_to_json(model)->'ensemble_state_dicts'->2 FROM mx) AS one_step_trained,
       rnn_model_to_json(model)->'ensemble_state_dicts'->2->'fc.weight'->1 = (SELECT rnn_model_to_json(model)->'ensemble_state_dicts'->2->'fc.weight'->1 FROM mx) AS unused_rows_stay_zero
FROM mx2;
SELECT rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, strategy => 'direct', ensemble => 2),
                 (SELECT model FROM mx)) FROM mx_sales;

-- one series, mixed: the same halves, trained on one series
SELECT rnn_model_info(m)->>'strategy' AS strategy, rnn_model_info(m)->>'members' AS members, pg_temp.content_format(m) AS format,
       (SELECT count(*) FROM rnn_forecast(m, 8)) AS steps
FROM (SELECT rnn_train(day::date, sales, rnn_config(horizon => 4, hidden_size => 4, epochs => 3, strategy => 'mixed')) AS m
      FROM mx_sales WHERE store = 'north-1') x;

-- limits: members of each kind, refused by the configuration when it names mixed (2026-12-06),
-- by the training when the global model's automatic strategy is mixed
SELECT rnn_train(store, day::date, sales, rnn_config(strategy => 'mixed', ensemble => 33)) FROM mx_sales;
SELECT rnn_train(store, day::date, sales, rnn_config(ensemble => 33)) FROM mx_sales;
