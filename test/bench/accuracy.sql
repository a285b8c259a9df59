-- Accuracy benchmark: tables and functions for test/bench/accuracy.sh.
--
-- Loaded into a throwaway database after CREATE EXTENSION rnn_forecast. accuracy.sh then
-- fills bench_series, bench_data and bench_baselines from data/, calls bench_run() once per
-- series (one psql session each) and prints the table from bench_report().
--
-- Holdout protocol of data/README.md: the last h points (18 monthly, 8 quarterly, 6 yearly)
-- are held out, the model is trained on the rest with rnn_train(ts, value, config) and
-- forecasts h steps with rnn_forecast(model, h, 0.9).
--   MASE     = mean(|a - f|) / mean(|y[t] - y[t-m]|) over the training part, m = frequency
--   sMAPE    = mean(200 |a - f| / (|a| + |f|))  (a term with a = f = 0 counts as 0)
--   coverage = share of held-out actuals within [lower, upper] of the 90% interval

SET client_min_messages = warning;

CREATE TABLE bench_series (
    name      text PRIMARY KEY,
    n         integer NOT NULL,         -- as listed in data/series.csv
    frequency integer NOT NULL,
    h         integer NOT NULL,         -- holdout length
    ord       integer NOT NULL          -- line in series.csv, for the report order
);

CREATE TABLE bench_data (
    name  text NOT NULL REFERENCES bench_series,
    ts    date NOT NULL,
    value float8 NOT NULL,
    i     integer,                      -- 1-based position in time order (set after loading)
    PRIMARY KEY (name, ts)
);

CREATE TABLE bench_baselines (
    name    text NOT NULL,
    n       integer NOT NULL,
    frequency integer NOT NULL,
    horizon integer NOT NULL,
    method  text NOT NULL,
    mase    float8,
    smape   float8,
    PRIMARY KEY (name, method)
);

CREATE TABLE bench_forecast (
    name     text NOT NULL,
    step     integer NOT NULL,
    f_ts     timestamptz,               -- timestamp rnn_forecast gave the step
    a_ts     date,                      -- timestamp of the held-out actual of that step
    actual   float8,
    forecast float8,
    lower    float8,
    upper    float8,
    PRIMARY KEY (name, step)
);

CREATE TABLE bench_result (
    name          text PRIMARY KEY,
    rows          integer,              -- rows in the CSV
    train_rows    integer,
    h             integer,
    m             integer,              -- seasonal lag of the MASE scale
    scale         float8,               -- in-sample seasonal naive MAE of the training part
    mase          float8,
    smape         float8,
    coverage      float8,
    training_seconds float8,            -- rnn_model_info(model)->'training'->>'training_seconds'
    wall_seconds  float8,               -- wall time of the rnn_train statement
    snaive_mase   float8,               -- seasonal naive forecast scored here (protocol check)
    ts_mismatch   integer,              -- forecast steps whose ts is not the held-out ts
    nonfinite     integer,              -- forecasts or bounds that are NaN/infinite/NULL
    mean_width    float8,               -- mean (upper - lower) / scale
    info          jsonb,                -- parts of rnn_model_info
    error         text                  -- message when training or forecasting failed
);

-- Numbers row i in time order once the data is loaded.
CREATE FUNCTION bench_number_rows() RETURNS void LANGUAGE sql AS $$
    UPDATE bench_data d SET i = r.i
    FROM (SELECT name, ts, row_number() OVER (PARTITION BY name ORDER BY ts) AS i
          FROM bench_data) r
    WHERE d.name = r.name AND d.ts = r.ts;
$$;

-- Runs the holdout protocol on one series with one configuration; stores a bench_result
-- row (with error set on failure) and returns the error message or NULL.
CREATE FUNCTION bench_run(p_name text, p_config jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    s        bench_series;
    n_rows   integer;
    n_train  integer;
    m        integer;
    v_scale  float8;
    v_model  bytea;
    v_info   jsonb;
    t0       timestamptz;
    v_wall   float8;
    v_err    text;
    v_detail text;
BEGIN
    SELECT * INTO STRICT s FROM bench_series WHERE name = p_name;
    SELECT count(*) INTO n_rows FROM bench_data WHERE name = p_name;
    n_train := n_rows - s.h;
    m := greatest(s.frequency, 1);
    DELETE FROM bench_forecast WHERE name = p_name;
    DELETE FROM bench_result WHERE name = p_name;

    SELECT avg(abs(value - prev)) INTO v_scale
    FROM (SELECT value, lag(value, m) OVER (ORDER BY ts) AS prev
          FROM bench_data WHERE name = p_name AND i <= n_train) x
    WHERE prev IS NOT NULL;

    t0 := clock_timestamp();
    BEGIN
        SELECT rnn_train(ts, value, p_config) INTO v_model
        FROM bench_data WHERE name = p_name AND i <= n_train;
        v_wall := extract(epoch FROM clock_timestamp() - t0);
        IF v_model IS NULL THEN
            RAISE EXCEPTION 'rnn_train returned NULL';
        END IF;
        v_info := rnn_model_info(v_model);

        INSERT INTO bench_forecast
        SELECT p_name, f.step, f.ts, a.ts, a.value, f.forecast, f.lower, f.upper
        FROM rnn_forecast(v_model, s.h, 0.9) f
        LEFT JOIN bench_data a ON a.name = p_name AND a.i = n_train + f.step;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
        INSERT INTO bench_result (name, rows, train_rows, h, m, scale, wall_seconds, error)
        VALUES (p_name, n_rows, n_train, s.h, m, v_scale,
                extract(epoch FROM clock_timestamp() - t0),
                v_err || coalesce(' (' || nullif(v_detail, '') || ')', ''));
        RETURN v_err;
    END;

    INSERT INTO bench_result
    SELECT p_name, n_rows, n_train, s.h, m, v_scale,
           avg(abs(f.actual - f.forecast)) / nullif(v_scale, 0),
           avg(CASE WHEN abs(f.actual) + abs(f.forecast) = 0 THEN 0
                    ELSE 200 * abs(f.actual - f.forecast) / (abs(f.actual) + abs(f.forecast)) END),
           avg((f.actual BETWEEN f.lower AND f.upper)::int::float8),
           (v_info->'training'->>'training_seconds')::float8,
           v_wall,
           (SELECT avg(abs(a.value - p.value)) / nullif(v_scale, 0)
            FROM bench_data a
            JOIN bench_data p ON p.name = a.name
                             AND p.i = n_train - m + 1 + ((a.i - n_train - 1) % m)
            WHERE a.name = p_name AND a.i > n_train),
           count(*) FILTER (WHERE f.a_ts IS NULL OR f.f_ts IS DISTINCT FROM f.a_ts::timestamptz),
           count(*) FILTER (WHERE f.forecast IS NULL OR f.lower IS NULL OR f.upper IS NULL
                             OR f.forecast IN ('NaN', 'Infinity', '-Infinity')
                             OR f.lower IN ('NaN', 'Infinity', '-Infinity')
                             OR f.upper IN ('NaN', 'Infinity', '-Infinity')),
           avg(f.upper - f.lower) / nullif(v_scale, 0),
           jsonb_build_object(
               'window', v_info->'window',
               'season', v_info->'season',
               'scaling', v_info->'scaling'->'method',
               'step', v_info->'time'->'step',
               'epochs_run', v_info->'training'->'epochs_run',
               'best_epoch', v_info->'training'->'best_epoch',
               'calibration', v_info->'calibration',
               'theta_weight', coalesce(v_info->'combination'->'weight', '0'::jsonb),
               'members', v_info->'members',
               'cell', v_info->'cell'),
           NULL
    FROM bench_forecast f WHERE f.name = p_name;
    RETURN NULL;
END
$$;

-- Everything the report needs, as one json value.
CREATE FUNCTION bench_report() RETURNS json LANGUAGE sql AS $$
    SELECT json_build_object(
        'series', (SELECT json_agg(x ORDER BY x.ord) FROM (
            SELECT s.name, s.n, s.frequency, s.h, s.ord,
                   EXISTS (SELECT 1 FROM bench_baselines b WHERE b.name = s.name) AS benchmark,
                   to_jsonb(r) - 'name' AS result,
                   (SELECT json_object_agg(b.method, json_build_object('mase', b.mase, 'smape', b.smape))
                    FROM bench_baselines b WHERE b.name = s.name) AS baselines
            FROM bench_series s LEFT JOIN bench_result r USING (name)) x),
        'forecasts', (SELECT json_object_agg(name, rows) FROM (
            SELECT name, json_agg(json_build_array(step, a_ts, actual, forecast, lower, upper)
                                  ORDER BY step) AS rows
            FROM bench_forecast GROUP BY name) f));
$$;
