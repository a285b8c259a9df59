-- The same rows give the same model and the same forecast timestamps in every session,
-- whatever its TimeZone: timestamptz rows are read in the zone of rnn_config(time_zone => ...)
-- (else the training session's), which the model records and continues in.
-- Also: ts_local, the configuration recorded in the model, on_init_mismatch.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
SET extra_float_digits = 0;

-- daily rows at Berlin midnight, January to June 2024 (DST starts on March 31)
CREATE TABLE tz_daily AS
SELECT (timestamp '2024-01-01' + i * interval '1 day') AT TIME ZONE 'Europe/Berlin' AS ts,
       10 + sin(i * 2 * pi() / 7) + i * 0.01 AS v
FROM generate_series(0, 181) i;
-- monthly rows at Berlin midnight on the first, 2019 to 2023
CREATE TABLE tz_monthly AS
SELECT (timestamp '2019-01-01' + i * interval '1 month') AT TIME ZONE 'Europe/Berlin' AS ts,
       100 + 10 * sin(i * 2 * pi() / 12) + i AS v
FROM generate_series(0, 59) i;
-- the same months as dates
CREATE TABLE tz_dates AS
SELECT (date '2019-01-01' + i * interval '1 month')::date AS d, 100 + 10 * sin(i * 2 * pi() / 12) + i AS v
FROM generate_series(0, 59) i;

CREATE TABLE tz_runs(zone text, series text, weights jsonb, info jsonb, fc jsonb, instants jsonb);

-- one training and one forecast per session zone: the weights, the time axis (without
-- "last", which is shown in the session's zone), ts_local and the values, and the instants
-- of ts as epochs
CREATE FUNCTION tz_run(zone text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('TimeZone', zone, true);
    INSERT INTO tz_runs
    SELECT zone, s.series, rnn_model_to_json(s.m)->'state_dict', (rnn_model_info(s.m)->'time') - 'last',
           (SELECT jsonb_agg(jsonb_build_array(f.ts_local::text, round(f.forecast::numeric, 9)) ORDER BY f.step)
            FROM rnn_forecast(s.m, 14) f),
           (SELECT jsonb_agg(extract(epoch FROM f.ts) ORDER BY f.step) FROM rnn_forecast(s.m, 14) f)
    FROM (SELECT 'daily' AS series,
                 rnn_train(ts, v, rnn_config(horizon => 1, epochs => 3, hidden_size => 4, ensemble => 1,
                                             time_zone => 'Europe/Berlin')) AS m
          FROM tz_daily
          UNION ALL
          SELECT 'monthly',
                 rnn_train(ts, v, rnn_config(horizon => 1, epochs => 3, hidden_size => 4, ensemble => 1,
                                             time_zone => 'Europe/Berlin'))
          FROM tz_monthly
          UNION ALL
          SELECT 'dates',
                 rnn_train(d, v, rnn_config(horizon => 1, epochs => 3, hidden_size => 4, ensemble => 1))
          FROM tz_dates) s;
END $$;

SELECT tz_run(z) FROM unnest(ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) z;
-- one distinct model, axis, forecast and ts_local per series over the four zones; the
-- instants of ts too, except for the date series, whose ts is the date's midnight in the
-- session's zone (as date::timestamptz is)
SELECT series, count(*) AS sessions, count(DISTINCT weights) AS models,
       count(DISTINCT info) AS axes, count(DISTINCT fc) AS forecasts,
       count(DISTINCT instants) AS instants
FROM tz_runs GROUP BY series ORDER BY series;
SET TimeZone = 'UTC';
SELECT series, info->>'calendar' AS calendar, info->>'time_zone' AS time_zone, info->>'step' AS step
FROM tz_runs WHERE zone = 'Asia/Kolkata' ORDER BY series;
-- the forecasts go on at Berlin midnight (the rows crossed the change to summer time on
-- March 31), whatever the session's zone (New York here)
SELECT f->>0 AS ts_local, to_timestamp(i::float8) AS instant_utc
FROM tz_runs, jsonb_array_elements(fc) WITH ORDINALITY a(f, k), jsonb_array_elements(instants) WITH ORDINALITY b(i, j)
WHERE zone = 'America/New_York' AND series = 'daily' AND k = j AND k <= 3 ORDER BY k;
SELECT f->>0 AS ts_local, to_timestamp(i::float8) AS instant_utc
FROM tz_runs, jsonb_array_elements(fc) WITH ORDINALITY a(f, k), jsonb_array_elements(instants) WITH ORDINALITY b(i, j)
WHERE zone = 'America/New_York' AND series = 'monthly' AND k = j AND k <= 6 ORDER BY k;
-- date series: ts_local is the date at midnight in every session
SELECT f->>0 AS ts_local FROM tz_runs, jsonb_array_elements(fc) WITH ORDINALITY a(f, k)
WHERE zone = 'America/New_York' AND series = 'dates' AND k <= 2 ORDER BY k;

-- a model trained in one zone forecasts the same instants and ts_local in every session
CREATE TABLE tz_model AS
SELECT rnn_train(ts, v, rnn_config(horizon => 1, epochs => 2, hidden_size => 4, ensemble => 1,
                                   time_zone => 'Europe/Berlin')) AS m FROM tz_monthly;
CREATE TABLE tz_fc(zone text, fc text);
CREATE FUNCTION tz_forecast(zone text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('TimeZone', zone, true);
    INSERT INTO tz_fc SELECT zone, string_agg(extract(epoch FROM ts) || '/' || ts_local, ',' ORDER BY step)
    FROM tz_model, rnn_forecast(m, 18);
END $$;
SELECT tz_forecast(z) FROM unnest(ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) z;
SELECT count(DISTINCT fc) AS distinct_forecast_timestamps FROM tz_fc;

-- without time_zone the session's zone reads the rows: Berlin-midnight days in a Berlin
-- session follow Berlin's days across the DST change ...
SET TimeZone = 'Europe/Berlin';
SELECT rnn_model_info(m)->'time'->>'calendar' AS calendar, rnn_model_info(m)->'time'->>'time_zone' AS zone,
       (SELECT ts_local FROM rnn_forecast(m, 1)) AS next_day
FROM (SELECT rnn_train(ts, v, rnn_config(epochs => 2, hidden_size => 4, ensemble => 1)) AS m FROM tz_daily) s;
-- ... and in a UTC session they are 23 or 25 hours apart twice a year: refused, with a hint
SET TimeZone = 'UTC';
SELECT rnn_train(ts, v, rnn_config(epochs => 2, hidden_size => 4, ensemble => 1)) IS NOT NULL FROM tz_daily;
-- hourly rows across the DST change stay on absolute time in any zone
SET TimeZone = 'Europe/Berlin';
SELECT rnn_model_info(m)->'time'->>'calendar' AS calendar,
       (SELECT array_agg(ts AT TIME ZONE 'UTC' ORDER BY step) FROM rnn_forecast(m, 2)) AS next_hours_utc
FROM (SELECT rnn_train(ts, v, rnn_config(epochs => 1, hidden_size => 4, ensemble => 1, "window" => 24)) AS m
      FROM (SELECT timestamptz '2024-03-29 00:00+00' + i * interval '1 hour' AS ts, sin(i / 4.0) AS v
            FROM generate_series(0, 99) i) h) s;
RESET TimeZone;

-- a bad zone
SELECT rnn_config(time_zone => 'Mars/Olympus');
-- a POSIX specification, which the server accepts with its sign inverted from ISO 8601's,
-- is refused; zone names with digits (and any case) are not
SELECT rnn_config(time_zone => '+05:30');
SELECT rnn_config(time_zone => 'UTC+3');
-- a name whose zone is the server's own setting is refused: another server reads it otherwise
SELECT rnn_config(time_zone => 'posixrules');
-- and so is a session's TimeZone of that kind, when the configuration names no zone
SET TimeZone = 'posixrules';
SELECT rnn_train(t, v, rnn_config(epochs => 1, hidden_size => 2, ensemble => 1))
FROM (SELECT timestamptz '2024-01-01 00:00+00' + k * interval '1 hour' AS t, sin(k) AS v FROM generate_series(1, 40) k) x;
RESET TimeZone;
SELECT rnn_config(time_zone => 'Etc/GMT-5')->>'time_zone' AS etc, rnn_config(time_zone => 'Etc/GMT+3')->>'time_zone' AS etc3,
       rnn_config(time_zone => 'europe/berlin')->>'time_zone' AS berlin;

-- the configuration a model was trained with, with automatic choices filled in
SELECT c->>'window' AS "window", c->>'season' AS season, c->>'horizon' AS horizon,
       c->>'ensemble' AS ensemble, c->>'strategy' AS strategy, c->>'scaling' AS scaling,
       c->>'time_zone' AS time_zone, c->>'hidden_size' AS hidden_size
FROM tz_model, LATERAL (SELECT rnn_model_info(m)->'config' AS c) x;

-- on_init_mismatch: a warm start from a model of another architecture stops the training
-- (default) or trains from scratch with a NOTICE ('cold')
SET client_min_messages = notice;
SELECT rnn_train(ts, v, rnn_config(epochs => 2, hidden_size => 8, ensemble => 1, time_zone => 'Europe/Berlin'), m)
FROM tz_monthly, tz_model;
SELECT rnn_model_info(n)->'config'->>'hidden_size' AS hidden_size
FROM (SELECT rnn_train(ts, v, rnn_config(epochs => 2, hidden_size => 8, ensemble => 1, time_zone => 'Europe/Berlin',
                                         on_init_mismatch => 'cold'), m) AS n
      FROM tz_monthly, tz_model GROUP BY m) s;
-- a matching model is still used as the warm start under 'cold' (no NOTICE)
SELECT rnn_model_info(n)->'config'->>'hidden_size' AS hidden_size
FROM (SELECT rnn_train(ts, v, rnn_config(epochs => 2, hidden_size => 4, ensemble => 1, time_zone => 'Europe/Berlin',
                                         on_init_mismatch => 'cold'), m) AS n
      FROM tz_monthly, tz_model GROUP BY m) s;
-- a time axis of another step
SELECT rnn_model_info(n)->'time'->>'step' AS step
FROM (SELECT rnn_train(ts, v, rnn_config(epochs => 2, hidden_size => 4, ensemble => 1, time_zone => 'Europe/Berlin',
                                         on_init_mismatch => 'cold'), m) AS n
      FROM tz_daily, tz_model GROUP BY m) s;
SET client_min_messages = warning;
-- a warm start without time_zone continues the model's calendar in the model's zone, not the
-- session's (a pg_cron job runs in UTC; before 2026-12-06 the rows at Berlin midnight were
-- read in UTC: 'too irregular'), and records it
SET TimeZone = 'UTC';
SELECT rnn_model_info(n)->'time'->>'time_zone' AS zone, rnn_model_info(n)->'config'->>'time_zone' AS config_zone,
       (SELECT ts_local FROM rnn_forecast(n, 1)) AS next_local
FROM (SELECT rnn_train(ts, v, rnn_config(epochs => 1, hidden_size => 4, ensemble => 1, horizon => 1), m) AS n
      FROM tz_monthly, tz_model GROUP BY m) s;
RESET TimeZone;

-- a zone whose DST starts at midnight (Chile: 2024-09-08 has no 00:00, and PostgreSQL puts the
-- day's midnight at 01:00): daily rows cast from dates are one day apart in local days, that
-- day included (before 2026-12-06: 'too irregular'); a model ending before it forecasts it at
-- 01:00, and the rows through it continue the model (before: 'off the grid') and are read
-- by the ts window functions
SET TimeZone = 'America/Santiago';
CREATE TABLE tz_chile AS SELECT (date '2024-07-01' + i)::timestamptz AS ts, 100 + 5 * sin(i) AS v
FROM generate_series(0, 75) i;
SELECT rnn_model_info(m)->'time'->>'step' AS step, rnn_model_info(m)->'time'->>'calendar' AS calendar
FROM (SELECT rnn_train(ts, v, rnn_config(epochs => 1, hidden_size => 4, ensemble => 1, time_zone => 'America/Santiago')) AS m
      FROM tz_chile) x;
CREATE TABLE tz_chile_model AS
SELECT rnn_train(ts, v, rnn_config(epochs => 1, hidden_size => 4, ensemble => 1, time_zone => 'America/Santiago')) AS m
FROM tz_chile WHERE ts < date '2024-09-05';
SELECT f.step, f.ts FROM tz_chile_model, rnn_forecast(m, 5) f;
SELECT rnn_model_info(rnn_train(c.ts, c.v, rnn_config(epochs => 1, hidden_size => 4, ensemble => 1), t.m))->'time'->>'last' AS continued
FROM tz_chile c, tz_chile_model t GROUP BY t.m;
SELECT count(p) AS forecasts, count(*) AS rows
FROM (SELECT rnn_predict_rows(ts, v, m, 1) OVER (ORDER BY ts) AS p FROM tz_chile, tz_chile_model) x;
-- a model whose last row is that day stands on midnight, not on the row's 01:00: its
-- forecasts are at midnight and it reads the rows before and after (before: a grid at 01:00,
-- which refused every row at midnight)
CREATE TABLE tz_chile_m8 AS
SELECT rnn_train(ts, v, rnn_config(epochs => 1, hidden_size => 4, ensemble => 1, time_zone => 'America/Santiago')) AS m
FROM tz_chile WHERE ts <= date '2024-09-08';
SELECT f.step, f.ts FROM tz_chile_m8, rnn_forecast(m, 2) f;
SELECT count(p) AS forecasts, count(*) AS rows
FROM (SELECT rnn_predict_rows(ts, v, m, 1) OVER (ORDER BY ts) AS p FROM tz_chile, tz_chile_m8) x;
RESET TimeZone;

-- 6-hourly rows at fixed Berlin times across the change to summer time: refused, with the
-- local step and the cast that steps in it (a few rows past the change were "off the grid";
-- more made the step an hour, silently); as timestamp rows they step every 6 hours; hourly
-- rows across the change stay hourly in absolute time
SET TimeZone = 'UTC';
CREATE TABLE tz_six AS
SELECT (timestamp '2024-03-01' + i * interval '6 hours') AT TIME ZONE 'Europe/Berlin' AS t, 10 + sin(i * pi() / 2) AS v
FROM generate_series(0, 155) i;
SELECT rnn_train(t, v, rnn_config(horizon => 2, epochs => 1, hidden_size => 2, ensemble => 1, time_zone => 'Europe/Berlin'))
FROM tz_six WHERE t < '2024-04-01';
SELECT rnn_train(t, v, rnn_config(horizon => 2, epochs => 1, hidden_size => 2, ensemble => 1, time_zone => 'Europe/Berlin'))
FROM tz_six;
SELECT rnn_model_info(rnn_train(t AT TIME ZONE 'Europe/Berlin', v, rnn_config(horizon => 2, epochs => 1, hidden_size => 2, ensemble => 1)))->'time'->>'step' AS local_step,
       (SELECT rnn_model_info(rnn_train(t, v, rnn_config(horizon => 2, epochs => 1, hidden_size => 2, ensemble => 1, time_zone => 'Europe/Berlin')))->'time'->>'step'
        FROM (SELECT timestamptz '2024-03-30 00:00+01' + i * interval '1 hour' AS t, sin(i) AS v FROM generate_series(0, 100) i) h) AS hourly_step
FROM tz_six;
RESET TimeZone;

-- monthly rows on the 15th at New York midnight: the 15th of February to the 15th of March is
-- 28 days less the hour of the spring change (it was "too irregular to infer a step"); so are
-- Berlin's 28ths across its change; the forecasts continue on the 15th, at local midnight
SET TimeZone = 'America/New_York';
CREATE TABLE tz_mid AS
SELECT (date '2021-01-15' + make_interval(months => i))::timestamptz AS ts, (100 + i + 5 * sin(i))::float8 AS v
FROM generate_series(0, 23) i;
SELECT rnn_model_info(m)->'time'->>'step' AS step, (SELECT string_agg(f.ts::text, ', ' ORDER BY f.step) FROM rnn_forecast(m, 3) f) AS forecast_ts
FROM (SELECT rnn_train(ts, v, rnn_config(time_zone => 'America/New_York', epochs => 1, hidden_size => 4, ensemble => 1)) AS m FROM tz_mid) x;
SET TimeZone = 'Europe/Berlin';
SELECT rnn_model_info(rnn_train(ts, v, rnn_config(time_zone => 'Europe/Berlin', epochs => 1, hidden_size => 4, ensemble => 1)))->'time'->>'step' AS berlin_step
FROM (SELECT (date '2022-01-28' + make_interval(months => i))::timestamptz AS ts, (100 + i)::float8 AS v FROM generate_series(0, 23) i) x;
-- one row off the 28th is named, as for dates (it was "too irregular": the rows at local
-- midnight went to local days)
SELECT rnn_train(ts, v, rnn_config(time_zone => 'Europe/Berlin', epochs => 1, hidden_size => 4, ensemble => 1))
FROM (SELECT (date '2022-01-28' + make_interval(months => i))::timestamptz AS ts, (100 + i)::float8 AS v FROM generate_series(0, 23) i
      UNION ALL SELECT timestamptz '2022-03-29 00:00+02', 1) x;
RESET TimeZone;

DROP TABLE tz_daily, tz_monthly, tz_dates, tz_runs, tz_model, tz_fc, tz_chile, tz_chile_model, tz_chile_m8, tz_six, tz_mid;
DROP FUNCTION tz_run(text), tz_forecast(text);
