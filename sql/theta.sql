-- theta (0.7.0): forecasts combined with the Theta method, (1 - w) network + w Theta, on
-- the pipeline's adjusted series; w = theta_weight (default 0.75 for one series, 0.5 for a
-- global model, 0 with features)
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
SET extra_float_digits = 0;

-- The reference: simple exponential smoothing started at the first value, alpha the one
-- of 0.01, 0.02, ..., 1 with the least squared one-step error, plus half the slope of the
-- least-squares line as a drift: f(h) = level + b/2 ((h - 1) + (1 - (1 - alpha)^n) / alpha)
CREATE FUNCTION ref_theta(u float8[], h int) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
    n int := array_length(u, 1);
    best float8 := 'Infinity';
    a float8; ba float8; l float8; bl float8; sse float8; e float8; b float8;
    out float8[] := '{}';
BEGIN
    FOR k IN 1..100 LOOP
        a := k / 100.0;
        l := u[1];
        sse := 0;
        FOR t IN 2..n LOOP
            e := u[t] - l;
            sse := sse + e * e;
            l := l + a * e;
        END LOOP;
        IF sse < best THEN best := sse; ba := a; bl := l; END IF;
    END LOOP;
    SELECT regr_slope(x, t) / 2 INTO b FROM unnest(u) WITH ORDINALITY AS z(x, t);
    FOR k IN 1..h LOOP
        out := out || (bl + b * ((k - 1) + (1 - (1 - ba) ^ n) / ba));
    END LOOP;
    RETURN out;
END $$;

CREATE TABLE th AS
SELECT i, DATE '2020-01-01' + i * 7 AS d, 100 + 0.8 * i + 6 * sin(i * 0.7) + ((i * 7919) % 11) - 5 AS v
FROM generate_series(1, 80) i;

-- one series, the pipeline off (log, seasonal indices): the weights 0, 1 and 0.5
CREATE TABLE thm AS
SELECT w, rnn_train(d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 15, log => false,
                                      deseasonalize => false, theta_weight => w)) AS m
FROM th, (VALUES (0.0), (0.5), (1.0)) x(w) GROUP BY w;
SELECT w, pg_temp.content_format(m) AS format, rnn_model_info(m)->'combination'->>'method' AS method,
       rnn_model_info(m)->'combination'->>'points' AS points, rnn_model_info(m)->'config'->>'theta_weight' AS config
FROM thm ORDER BY w;

-- theta_weight 1 is the Theta method, on the training series
SELECT max(abs(f.forecast - r.r)) < 1e-9 AS theta_exact
FROM thm, rnn_forecast(m, 6) f,
     unnest(ref_theta((SELECT array_agg(v ORDER BY i) FROM th), 6)) WITH ORDINALITY r(r, step)
WHERE w = 1 AND r.step = f.step;
-- the network does not depend on the weight: 0.5 is the mean of 0 and 1
SELECT max(abs(h.forecast - (z.forecast + o.forecast) / 2)) < 1e-9 AS half_is_mean
FROM (SELECT f.* FROM thm, rnn_forecast(m, 6) f WHERE w = 0.5) h
JOIN (SELECT f.* FROM thm, rnn_forecast(m, 6) f WHERE w = 0) z USING (step)
JOIN (SELECT f.* FROM thm, rnn_forecast(m, 6) f WHERE w = 1) o USING (step);
-- and the network alone is not the Theta forecast
SELECT max(abs(z.forecast - o.forecast)) > 0.01 AS network_differs
FROM (SELECT f.* FROM thm, rnn_forecast(m, 6) f WHERE w = 0) z
JOIN (SELECT f.* FROM thm, rnn_forecast(m, 6) f WHERE w = 1) o USING (step);

-- the array form fits Theta on the history given: the training series gives the table
-- form, another history its own Theta forecast
SELECT rnn_forecast(m, (SELECT array_agg(v ORDER BY i) FROM th), 6)
       = (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(m, 6)) AS same_as_table
FROM thm WHERE w = 0.5;
SELECT max(abs(f - r)) < 1e-9 AS other_history
FROM thm, unnest(rnn_forecast(m, (SELECT array_agg(v ORDER BY i) FROM th WHERE i <= 60), 6),
                 ref_theta((SELECT array_agg(v ORDER BY i) FROM th WHERE i <= 60), 6)) x(f, r)
WHERE w = 1;
-- rnn_predict over ordered rows = the array form of the same rows
SELECT rnn_predict(v, m, 6 ORDER BY i) = rnn_forecast(m, array_agg(v ORDER BY i), 6) AS predict_same
FROM th, thm WHERE w = 0.5 GROUP BY m;
-- ... and rows without a value before the first one are no history: Theta is fitted on the
-- rows from the first value (it was fitted on them filled with that value)
SELECT rnn_predict(CASE WHEN i <= 5 THEN NULL ELSE v END, m, 6 ORDER BY i)
       = rnn_forecast(m, array_agg(v ORDER BY i) FILTER (WHERE i > 5), 6) AS leading_nulls_left_out
FROM th, thm WHERE w = 0.5 GROUP BY m;
-- rnn_predict_rows at the last row: Theta fitted on the model's window of rows
SELECT max(abs(x.p - x.r)) < 1e-9 AS rows_window
FROM thm, (SELECT pr FROM (SELECT i, rnn_predict_rows(v, (SELECT m FROM thm WHERE w = 1), 6) OVER (ORDER BY i) AS pr
                           FROM th) q ORDER BY i DESC LIMIT 1) z,
     unnest(z.pr, rnn_forecast(m, (SELECT array_agg(v ORDER BY i) FROM
                                  (SELECT * FROM th ORDER BY i DESC
                                   LIMIT (SELECT (rnn_model_info(m)->>'window')::int FROM thm WHERE w = 1)) t), 6)) x(p, r)
WHERE w = 1;

-- under log, Theta works on the log of the series
SELECT max(abs(f.forecast - exp(r.r))) < 1e-7 AS theta_log
FROM (SELECT rnn_train(d, v, rnn_config(horizon => 4, hidden_size => 4, epochs => 2, log => true,
                                         deseasonalize => false, theta_weight => 1)) AS m FROM th) x,
     rnn_forecast(m, 4) f,
     unnest(ref_theta((SELECT array_agg(ln(v) ORDER BY i) FROM th), 4)) WITH ORDINALITY r(r, step)
WHERE r.step = f.step;

-- JSON carries the combination; weight 0 there gives the network alone
SELECT (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), 6))
       = (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(m, 6)) AS json_round_trip,
       (SELECT array_agg(forecast ORDER BY step)
        FROM rnn_forecast(rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{combination,weight}', '0')), 6))
       = (SELECT array_agg(f.forecast ORDER BY f.step) FROM thm z, rnn_forecast(z.m, 6) f WHERE z.w = 0) AS json_weight_zero
FROM thm WHERE w = 0.5;

-- a global model keeps each series' Theta state (with the default weight these series'
-- validation finds the network alone better, so the global default is shown further down)
CREATE TABLE thg AS
SELECT s, i, DATE '2020-01-01' + i * 7 AS d, v * (1 + s) + 10 * s * sin(i * 0.3) AS v
FROM th, generate_series(0, 2) s;
CREATE TABLE thgm AS
SELECT rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 5, log => false,
                                          deseasonalize => false, theta_weight => 1)) AS m
FROM thg;
SELECT rnn_model_info(m)->'combination' AS combination,
       jsonb_array_length(rnn_model_to_json(m)->'series_state'->0->'theta') AS theta_numbers
FROM thgm;
SELECT k AS series, max(abs(f.forecast - r.r)) < 1e-9 AS series_theta
FROM thgm, generate_series(0, 2) k, rnn_forecast(m, k::text, 6) f,
     unnest(ref_theta((SELECT array_agg(v ORDER BY i) FROM thg WHERE thg.s = k), 6)) WITH ORDINALITY r(r, step)
WHERE r.step = f.step GROUP BY k ORDER BY k;
-- a series the model never saw: Theta on its history, put through the pipeline the model's
-- series took (log => false: no log, although the values are positive; before 2026-12-06 the
-- history's pipeline was chosen automatically, the log, so a kept series' own history did not
-- give its stored forecast)
SELECT max(abs(f - r)) < 1e-7 AS unseen_series
FROM thgm, unnest(rnn_forecast(m, (SELECT array_agg(v * 3 ORDER BY i) FROM th), 6),
                  ref_theta((SELECT array_agg(v * 3 ORDER BY i) FROM th), 6)) x(f, r);
SELECT (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), '1', 6))
       = (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(m, '1', 6)) AS global_json_round_trip
FROM thgm;

-- each series of a global model gets its own weight (format 7; 8, as here, for a mixed model)
-- by validation: a second global model, trained the same way with one member (of each kind)
-- and without the combination on every series without its tail, forecasts the tail. Series
-- of 38 points hold fewer than three tails of 8 + 6 - 1, so the tail is the horizon's 6
-- points, one origin (80 points would give 8 origins)
CREATE TABLE thgs AS SELECT * FROM thg WHERE i <= 38;
CREATE TABLE thgw AS
SELECT rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 5, log => false,
                                          deseasonalize => false, season => 1, "window" => 12)) AS m
FROM thgs;
CREATE TABLE thgw_inner AS
SELECT rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 5, log => false,
                                          deseasonalize => false, season => 1, "window" => 12,
                                          theta_weight => 0, ensemble => 1)) AS m
FROM thgs WHERE i <= 32;
CREATE TABLE thgw_e AS
SELECT k, avg(abs(a.v - f.forecast)) AS e_net, avg(abs(a.v - r.r)) AS e_theta
FROM thgw_inner, generate_series(0, 2) k, rnn_forecast(thgw_inner.m, k::text, 6) f,
     unnest(ref_theta((SELECT array_agg(v ORDER BY i) FROM thgs WHERE s = k AND i <= 32), 6))
       WITH ORDINALITY r(r, step),
     thgs a
WHERE r.step = f.step AND a.s = k AND a.i = 32 + f.step GROUP BY k;
SELECT e.k AS series, abs((st->>'theta_weight')::float8 - e_net / (e_net + e_theta)) < 1e-6 AS validated_weight
FROM thgw, thgw_e e, jsonb_array_elements(rnn_model_to_json(thgw.m)->'series_state') st
WHERE st->>'name' = e.k::text ORDER BY 1;
SELECT pg_temp.content_format(m) AS format,
       rnn_model_info(m)->'combination'->'weight' AS model_weight,
       rnn_model_info(m)->'combination'->'series_own_weight' AS own_weights
FROM thgw;
-- each series' forecast combines with its own weight; the JSON carries the weights
WITH net AS (SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{combination,weight}', '0')) AS m
             FROM thgw)
SELECT k AS series,
       max(abs(f.forecast - ((1 - (st->>'theta_weight')::float8) * n.forecast
                             + (st->>'theta_weight')::float8 * r.r))) < 1e-9 AS own_weight_used
FROM thgw, net, generate_series(0, 2) k, rnn_forecast(thgw.m, k::text, 6) f,
     rnn_forecast(net.m, k::text, 6) n,
     unnest(ref_theta((SELECT array_agg(v ORDER BY i) FROM thgs WHERE s = k), 6)) WITH ORDINALITY r(r, step),
     jsonb_array_elements(rnn_model_to_json(thgw.m)->'series_state') st
WHERE f.step = n.step AND r.step = f.step AND st->>'name' = k::text GROUP BY k ORDER BY k;
SELECT rnn_model_to_json(rnn_model_from_json(rnn_model_to_json(m)))->'series_state'
       = rnn_model_to_json(m)->'series_state' AS weights_json_round_trip,
       (SELECT count(DISTINCT st->'theta_weight')
        FROM jsonb_array_elements(rnn_model_to_json(m)->'series_state') st) AS distinct_weights
FROM thgw;
-- a series_state without its theta_weight takes the model's (0.5)
SELECT max(abs(a.forecast - (0.5 * n.forecast + 0.5 * r.r))) < 1e-9 AS missing_weight_is_models
FROM thgw,
     rnn_forecast(rnn_model_from_json(rnn_model_to_json(m) #- '{series_state,0,theta_weight}'), '0', 6) a,
     rnn_forecast(rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{combination,weight}', '0')), '0', 6) n,
     unnest(ref_theta((SELECT array_agg(v ORDER BY i) FROM thgs WHERE s = 0), 6)) WITH ORDINALITY r(r, step)
WHERE a.step = n.step AND r.step = a.step;
-- a history the model never saw gets the model's weight (its pipeline the series': no log)
SELECT max(abs(f - (0.5 * g + 0.5 * r))) < 1e-7 AS unseen_history_models_weight
FROM thgw, unnest(rnn_forecast(m, (SELECT array_agg(v * 3 ORDER BY i) FROM thgs WHERE s = 1), 6),
                  rnn_forecast(rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{combination,weight}', '0')),
                               (SELECT array_agg(v * 3 ORDER BY i) FROM thgs WHERE s = 1), 6),
                  ref_theta((SELECT array_agg(v * 3 ORDER BY i) FROM thgs WHERE s = 1), 6)) x(f, g, r);
-- a global backtest trains each fold's model as rnn_train does: its series' weights are
-- validated too (so it scores otherwise than with one weight of 0.5)
SELECT (a->>'smape')::float8 <> (b->>'smape')::float8 AS folds_validate_weights,
       jsonb_array_length(a->'per_fold') AS folds, jsonb_array_length(a->'per_series') AS series
FROM (SELECT rnn_backtest(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 5, log => false,
                                                     deseasonalize => false, season => 1, "window" => 12), 6, 2) AS a,
             rnn_backtest(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 5, log => false,
                                                     deseasonalize => false, season => 1, "window" => 12,
                                                     theta_weight => 0.5), 6, 2) AS b
      FROM thgs) x;
-- a warm start keeps the series' weights (their tails were learnt)
SELECT (SELECT array_agg(st->'theta_weight' ORDER BY st->>'name')
        FROM jsonb_array_elements(rnn_model_to_json(w.m)->'series_state') st)
       = (SELECT array_agg(st->'theta_weight' ORDER BY st->>'name')
          FROM jsonb_array_elements(rnn_model_to_json(thgw.m)->'series_state') st) AS warm_keeps_weights
FROM thgw, (SELECT rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 1, log => false,
                                                      deseasonalize => false, season => 1, "window" => 12),
                             (SELECT m FROM thgw)) AS m FROM thgs) w;

-- and a warm start from a model of one configured weight keeps it, for the model and its series
SELECT rnn_model_info(w)->'combination'->'weight' AS warm_model_weight,
       rnn_model_info(w)->'combination'->'series_own_weight' AS own_weights
FROM (SELECT rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 1, log => false,
                                                deseasonalize => false, season => 1, "window" => 12),
                       (SELECT rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 1,
                                                                  log => false, deseasonalize => false, season => 1,
                                                                  "window" => 12, theta_weight => 0.3))
                        FROM thgs)) AS w
      FROM thgs) x;

-- a global model keeps the combination only when it validates: pooled over the series
-- validated, each series' mean error over its scale in the second model (numbers[3]), the
-- combination at each series' own weight must not lose to the network alone. A trend with
-- noise keeps it (at the global default 0.5, each series its own); a clean cycle, which
-- Theta's straight line cannot follow, drops it: weight 0, no combination
CREATE TABLE thp AS
SELECT 'trend' AS set, 5 AS ep, s, i, d, v FROM thgs
UNION ALL
SELECT 'cycle', 20, s, i, DATE '2020-01-01' + i * 7, 50 + (10 + s) * sin(i * 2 * pi() / 9 + s) + ((i * 7919) % 5) * 0.1
FROM generate_series(1, 38) i, generate_series(0, 2) s;
CREATE TABLE thp_m AS
SELECT set, rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => ep, log => false,
                                                deseasonalize => false, season => 1, "window" => 12)) AS m,
       rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => ep, log => false,
                                           deseasonalize => false, season => 1, "window" => 12,
                                           theta_weight => 0, ensemble => 1)) FILTER (WHERE i <= 32) AS inner_m
FROM thp GROUP BY set;
CREATE TABLE thp_c AS
WITH e AS (
  SELECT thp_m.set, k, avg(abs(a.v - f.forecast)) AS e_net, avg(abs(a.v - r.r)) AS e_theta,
         array_agg(a.v ORDER BY f.step) AS actual, array_agg(f.forecast ORDER BY f.step) AS net,
         array_agg(r.r ORDER BY f.step) AS theta
  FROM thp_m, generate_series(0, 2) k, rnn_forecast(inner_m, k::text, 6) f,
       LATERAL unnest(ref_theta((SELECT array_agg(v ORDER BY i) FROM thp WHERE thp.set = thp_m.set AND s = k AND i <= 32), 6))
         WITH ORDINALITY r(r, step),
       thp a
  WHERE r.step = f.step AND a.set = thp_m.set AND a.s = k AND a.i = 32 + f.step GROUP BY thp_m.set, k),
c AS (
  SELECT e.set, e.k, e_net / sd AS net, e_theta / sd AS theta, avg(abs(x.a - ((1 - w) * x.n + w * x.t))) / sd AS comb
  FROM e, thp_m, LATERAL (SELECT e_net / (e_net + e_theta) AS w) ww,
       LATERAL (SELECT (st->'numbers'->>3)::float8 AS sd
                FROM jsonb_array_elements(rnn_model_to_json(thp_m.inner_m)->'series_state') st
                WHERE st->>'name' = e.k::text) s,
       unnest(e.actual, e.net, e.theta) x(a, n, t)
  WHERE thp_m.set = e.set GROUP BY e.set, e.k, e_net, e_theta, sd)
SELECT * FROM c;
SELECT c.set, round(avg(net)::numeric, 2) AS network_error, round(avg(comb)::numeric, 2) AS combined_error,
       sum(comb) <= sum(net) AS combination_validated,
       rnn_model_info(m)->'combination' IS NOT NULL AS combined,
       rnn_model_info(m)->'config'->'theta_weight' AS config_weight
FROM thp_c c JOIN thp_m USING (set) GROUP BY c.set, m ORDER BY 1;
-- the model keeps those figures (format 9): rnn_model_info's theta_validation
SELECT c.set, (tv->>'series')::int = count(*) AS all_series,
       abs((tv->>'network_error')::float8 - avg(net)) < 1e-5 AS network_error_kept,
       abs((tv->>'theta_error')::float8 - avg(theta)) < 1e-5 AS theta_error_kept,
       abs((tv->>'combined_error')::float8 - avg(comb)) < 1e-5 AS combined_error_kept,
       ((tv->>'network_error')::float8 < (tv->>'combined_error')::float8)
       = (rnn_model_info(m)->'combination' IS NULL) AS drop_shown,
       pg_temp.content_format(m) AS format
FROM thp_c c JOIN thp_m USING (set), LATERAL (SELECT rnn_model_info(m)->'theta_validation' AS tv) x
GROUP BY c.set, m, tv ORDER BY 1;
-- the model without the combination round-trips through JSON and forecasts the network alone
SELECT pg_temp.content_format(m) AS format,
       (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), '1', 6))
       = (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(m, '1', 6)) AS dropped_json_round_trip,
       rnn_model_info(rnn_model_from_json(rnn_model_to_json(m)))->'theta_validation'
       = rnn_model_info(m)->'theta_validation' AS validation_json_round_trip,
       -- the same bytes: the unused Theta states of the dropped combination are stored as
       -- zeros, as JSON gives them
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_round_trip_bytes
FROM thp_m WHERE set = 'cycle';
-- without its validation figures a model is written in the format before 9 (7 for own weights,
-- 8 for mixed), which is still read; bad figures are refused
SELECT set, pg_temp.content_format(rnn_model_from_json(rnn_model_to_json(m) - 'theta_validation')) AS format,
       rnn_model_info(rnn_model_from_json(rnn_model_to_json(m) - 'theta_validation')) ? 'theta_validation' AS has_validation
FROM thp_m ORDER BY 1;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{theta_validation,network_error}', '-1')) FROM thp_m WHERE set = 'trend';
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{theta_validation,series}', '4')) FROM thp_m WHERE set = 'trend';
SELECT rnn_model_from_json(rnn_model_to_json(m) #- '{theta_validation,theta_error}') FROM thp_m WHERE set = 'trend';
-- a warm start keeps the model's weight 0: no combination, no validation
-- (and its model has no validation figures of its own)
SELECT i->'combination' IS NULL AS warm_keeps_none, i ? 'theta_validation' AS warm_validated
FROM (SELECT rnn_model_info(rnn_train(s::text, d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 1, log => false,
                                                                deseasonalize => false, season => 1, "window" => 12),
                                      (SELECT m FROM thp_m WHERE set = 'cycle'))) AS i
      FROM thp WHERE set = 'cycle') w;

-- a series of at least three times the tail of 8 + h - 1 points gets its weight by
-- validation: a model trained the same way (the network alone) without the last 13 of the
-- 80 points forecasts 6 steps from each of the 8 origins of the tail, and so does Theta
-- fitted up to each origin; the weight is e_net / (e_net + e_theta) of their mean absolute
-- errors (each forecast weighted by its inverse error)
CREATE TABLE thv AS
SELECT rnn_train(d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 15, log => false,
                                  deseasonalize => false, season => 1)) AS m FROM th;
CREATE TABLE thv_inner AS
SELECT rnn_train(d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 15, log => false,
                                  deseasonalize => false, season => 1, theta_weight => 0,
                                  "window" => (SELECT (rnn_model_info(m)->>'window')::int FROM thv))) AS m
FROM th WHERE i <= 67;
WITH o AS (SELECT k, (SELECT array_agg(v ORDER BY i) FROM th WHERE i <= 67 + k) AS hist
           FROM generate_series(0, 7) k),
e AS (SELECT avg(abs(a.v - x.f)) AS e_net, avg(abs(a.v - x.r)) AS e_theta
      FROM o, thv_inner, unnest(rnn_forecast(thv_inner.m, o.hist, 6), ref_theta(o.hist, 6))
                         WITH ORDINALITY x(f, r, step), th a
      WHERE a.i = 67 + o.k + x.step)
SELECT abs((rnn_model_info(thv.m)->'combination'->>'weight')::float8 - e_net / (e_net + e_theta)) < 1e-5 AS validated_weight,
       round((e_net / (e_net + e_theta))::numeric, 2) NOT IN (0, 0.75, 1) AS not_a_default
FROM thv, e;
-- the model keeps the validation's errors (format 9), on the network's scale: their ratios
-- are those of the errors above, and the combination's at the weight
WITH o AS (SELECT k, (SELECT array_agg(v ORDER BY i) FROM th WHERE i <= 67 + k) AS hist
           FROM generate_series(0, 7) k),
f AS (SELECT a.v, x.f, x.r
      FROM o, thv_inner, unnest(rnn_forecast(thv_inner.m, o.hist, 6), ref_theta(o.hist, 6))
                         WITH ORDINALITY x(f, r, step), th a
      WHERE a.i = 67 + o.k + x.step),
e AS (SELECT avg(abs(v - f)) AS e_net, avg(abs(v - r)) AS e_theta, e_w FROM f,
             LATERAL (SELECT (rnn_model_info(m)->'combination'->>'weight')::float8 AS e_w FROM thv) w GROUP BY e_w),
c AS (SELECT avg(abs(v - ((1 - e_w) * f + e_w * r))) AS e_comb FROM f, e),
tv AS (SELECT (j->>'series')::int AS series, (j->>'network_error')::float8 AS net,
              (j->>'theta_error')::float8 AS theta, (j->>'combined_error')::float8 AS comb,
              pg_temp.content_format(m) AS format
       FROM thv, LATERAL (SELECT rnn_model_info(m)->'theta_validation' AS j) x)
SELECT series, format, abs(theta / net - e_theta / e_net) < 1e-5 AS theta_over_network,
       abs(comb / net - e_comb / e_net) < 1e-5 AS combined_over_network
FROM tv, e, c;
-- the same network as a model given that weight: only the weight was chosen
SELECT max(abs(a.forecast - b.forecast)) < 1e-9 AS same_network
FROM thv, rnn_forecast(thv.m, 6) a,
     LATERAL (SELECT rnn_train(d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 15, log => false,
                                              deseasonalize => false, season => 1,
                                              theta_weight => (rnn_model_info(thv.m)->'combination'->>'weight')::float8)) AS m
              FROM th) given,
     rnn_forecast(given.m, 6) b
WHERE a.step = b.step;

-- a warm start keeps its model's weight: the windows it would validate on were learnt
SELECT (rnn_model_info(rnn_train(d, v, rnn_config(horizon => 6, hidden_size => 8, epochs => 2, log => false,
                                                  deseasonalize => false, season => 1),
                                 (SELECT m FROM thv)))->'combination'->>'weight')::float8
       = (rnn_model_info((SELECT m FROM thv))->'combination'->>'weight')::float8 AS warm_keeps_weight
FROM th;

-- a long series chooses on the windows its own training held out (the last 10%: here 38
-- of 388, from 38 one-step origins), with no second model
CREATE TABLE thl AS
SELECT i, DATE '2000-01-01' + i * 7 AS d, 100 + 0.1 * i + 6 * sin(i * 0.7) + ((i * 7919) % 11) - 5 AS v
FROM generate_series(1, 400) i;
CREATE TABLE thlm AS
SELECT rnn_train(d, v, rnn_config(hidden_size => 8, epochs => 15, log => false,
                                  deseasonalize => false, season => 1)) AS m FROM thl;
WITH o AS (SELECT k, (SELECT array_agg(v ORDER BY i) FROM thl WHERE i <= 362 + k) AS hist
           FROM generate_series(0, 37) k),
net AS (SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{combination,weight}', '0')) AS m FROM thlm),
e AS (SELECT avg(abs(a.v - (rnn_forecast(net.m, o.hist, 1))[1])) AS e_net,
             avg(abs(a.v - (ref_theta(o.hist, 1))[1])) AS e_theta
      FROM o, net, thl a WHERE a.i = 363 + o.k)
SELECT (rnn_model_info(thlm.m)->>'window')::int AS window,
       abs((rnn_model_info(thlm.m)->'combination'->>'weight')::float8 - e_net / (e_net + e_theta)) < 1e-5 AS own_validation
FROM thlm, e;

-- defaults: 0.75 for one series too short for validation (26 points < 3 x (8 + 2 - 1)), 0
-- with features, 0 when the configuration turns off the seasonal adjustment of a seasonal
-- axis (weekly dates: season 52)
SET client_min_messages = warning;
SELECT rnn_model_info(rnn_train(d, v, rnn_config(horizon => 2, epochs => 2)))->'combination'->'weight' AS series_default,
       rnn_model_info(rnn_train(d, v, ARRAY[(i % 2)::float8], rnn_config(horizon => 2, epochs => 2))) ? 'combination' AS features_combined,
       rnn_model_info(rnn_train(d, v, rnn_config(horizon => 2, epochs => 2, deseasonalize => false))) ? 'combination' AS unadjusted_combined,
       rnn_model_info(rnn_train(i::bigint, v, rnn_config(horizon => 2, epochs => 2, deseasonalize => false, season => 1)))->'combination'->'weight' AS no_season_weight,
       rnn_model_info(rnn_train(d, v, rnn_config(horizon => 2, epochs => 2, deseasonalize => false)))->'season' AS season
FROM th WHERE i <= 26;
RESET client_min_messages;

-- errors
SELECT rnn_config(theta_weight => 1.5);
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{combination,weight}', '2')) FROM thm WHERE w = 0.5;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{combination,method}', '"ets"')) FROM thm WHERE w = 0.5;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{combination,alpha}', '0')) FROM thm WHERE w = 0.5;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{series_state,0,theta_weight}', '2')) FROM thgw;
