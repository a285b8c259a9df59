-- M3 competition benchmark: tables and functions for test/bench/m3.sh.
--
-- Loaded into a throwaway database after CREATE EXTENSION rnn_forecast. m3.sh then fills
-- m3_meta, m3_raw and m3_methods from data/m3/, calls m3_prepare() to pick the series and
-- split them into a fitting part and a holdout, m3_baselines() for naive, seasonal naive and
-- NAIVE2, and runs the models from --jobs sessions at once:
--   CALL m3_run_series(job, extra)   per-series mode: one model per series
--   CALL m3_run_global(job, extra)   global mode: one model per period over all its series
-- Each session takes the next unclaimed unit (a series, or a period) from a queue with
-- FOR UPDATE SKIP LOCKED and commits after each one, so the sessions share the work however
-- long each unit takes, and a lost session loses only the unit it was training.
--
-- Holdout (m3_prepare), n = points in the train part:
--   competition: the fitting part is the series' train part, the holdout its test part (h)
--   cv fold 1:   the fitting part is the train part but its last h points, which are the
--                holdout; the test part is never loaded (m3.sh filters it out before COPY)
--   cv fold 2:   the fitting part is the train part but its last 2h points, the holdout the
--                h points after it (n - 2h + 1 .. n - h); the last h points of the train part
--                are neither fitted nor scored (role 'u')
--   cv fold 3, 4: the same, the holdout before the last 2h or 3h points
-- In cv mode a sampled series whose fitting part would have no more than a season of points
-- (fewer than 2 points, or no pair a season apart for the MASE scale; fold 2 only: 45
-- quarterly series with 0 points and 2 monthly ones with 12), or whose values a season
-- apart are all equal (no MASE scale), is left out: not trained, not scored, in no mean
-- (m3_left_out, reported).
-- Metrics per series over its h holdout points a and forecasts f:
--   sMAPE    = mean(200 |a - f| / (|a| + |f|))  (a term with a = f = 0 counts as 0)
--   MASE     = mean(|a - f|) / scale; scale = m3_meta.scale (competition) or the in-sample
--              seasonal naive MAE of the (shortened) fitting part, lag = season (cv)
--   coverage = share of the h actuals within [lower, upper] of the 90% interval
--   MSIS     = mean((upper - lower) + 20 (lower - a)+ + 20 (a - upper)+) / scale: the 90%
--              interval's mean scaled interval score (M4's, alpha 0.1; lower is better:
--              narrow intervals that still hold the actuals)

SET client_min_messages = warning;

CREATE TABLE m3_meta (
    id     text PRIMARY KEY,
    period text NOT NULL,            -- YEARLY, QUARTERLY, MONTHLY, OTHER
    type   text NOT NULL,            -- MICRO, INDUSTRY, MACRO, FINANCE, DEMOGRAPHIC, OTHER
    n      integer NOT NULL,         -- points in the train part
    h      integer NOT NULL,         -- points in the test part (the forecast horizon)
    season integer NOT NULL,         -- 1, 4, 12, 1
    scale  float8                    -- in-sample seasonal naive MAE of the train part
);

-- The CSV as it comes: ts is an ISO date, or a step number for OTHER series.
CREATE TABLE m3_raw (
    id    text NOT NULL,
    ts    text NOT NULL,
    value float8 NOT NULL,
    part  text NOT NULL CHECK (part IN ('train', 'test'))
);

CREATE TABLE m3_methods (
    id     text NOT NULL,
    method text NOT NULL,
    smape  float8,
    mase   float8,
    PRIMARY KEY (id, method)
);

-- The series this run uses, with their protocol.
CREATE TABLE m3_sel (
    id      text PRIMARY KEY,
    period  text NOT NULL,
    ord     integer NOT NULL,        -- id order
    h       integer NOT NULL,
    season  integer NOT NULL,
    n_fit   integer NOT NULL,        -- points the model trains on
    scale   float8                   -- MASE denominator
);

-- Sampled series left out of the run (cv fold 2: the fitting part is too short).
CREATE TABLE m3_left_out (
    id      text PRIMARY KEY,
    period  text NOT NULL,
    ord     integer NOT NULL,
    h       integer NOT NULL,
    n_fit   integer NOT NULL,        -- points the fitting part would have
    reason  text NOT NULL
);

-- Points of the selected series. role 'f': fitting part, 'h': holdout, 'u': unused (cv
-- fold 2: the last h points of the train part, after the holdout).
CREATE TABLE m3_obs (
    id    text NOT NULL,
    i     integer NOT NULL,          -- 1-based position in time order
    d     date,                      -- YEARLY, QUARTERLY, MONTHLY
    k     bigint,                    -- OTHER: the step number
    value float8 NOT NULL,
    role  "char" NOT NULL,
    PRIMARY KEY (id, i)
);

-- Baseline forecasts computed here (naive, snaive, naive2) and their scores.
CREATE TABLE m3_base_fc (
    id       text NOT NULL,
    method   text NOT NULL,
    step     integer NOT NULL,
    forecast float8,
    PRIMARY KEY (id, method, step)
);

CREATE TABLE m3_base (
    id     text NOT NULL,
    method text NOT NULL,
    smape  float8,
    mase   float8,
    PRIMARY KEY (id, method)
);

-- NAIVE2's seasonality test and seasonal indices, per series (season > 1 only).
CREATE TABLE m3_seasonality (
    id       text PRIMARY KEY,
    r_m      float8,                 -- autocorrelation at lag = season
    limit_90 float8,                 -- 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n)
    seasonal boolean NOT NULL
);

CREATE TABLE m3_sindex (
    id    text NOT NULL,
    pos   integer NOT NULL,          -- (i - 1) % season
    idx   float8 NOT NULL,           -- multiplicative seasonal index, mean 1 over a season
    PRIMARY KEY (id, pos)
);

-- Work queues: series (per-series mode) and periods (global mode).
CREATE TABLE m3_queue (
    mode   text NOT NULL,            -- 'per-series' or 'global'
    unit   text NOT NULL,            -- a series id, or a period
    ord    integer NOT NULL,
    job    integer,                  -- session that claimed it
    tries  integer NOT NULL DEFAULT 0,  -- times claimed (a lost session's unit is retried once)
    done   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (mode, unit)
);

CREATE TABLE m3_result (
    mode          text NOT NULL,
    id            text NOT NULL,
    period        text NOT NULL,
    smape         float8,
    mase          float8,
    coverage      float8,
    msis          float8,
    train_seconds float8,            -- rnn_model_info(model)->'training'->>'training_seconds'
    wall_seconds  float8,            -- the rnn_train statement (per-series mode)
    ts_mismatch   integer,           -- forecast timestamps that are not the holdout's
    nonfinite     integer,           -- NULL/NaN/infinite forecasts or bounds
    info          jsonb,             -- window, season, scaling, epochs chosen
    error         text,              -- why there is no result
    PRIMARY KEY (mode, id)
);

CREATE TABLE m3_fc (
    mode     text NOT NULL,
    id       text NOT NULL,
    step     integer NOT NULL,
    ts       timestamptz,
    forecast float8,
    lower    float8,
    upper    float8,
    PRIMARY KEY (mode, id, step)
);

-- Interval coverage at several levels: is each holdout point inside the level's interval.
CREATE TABLE m3_cover (
    mode   text NOT NULL,
    id     text NOT NULL,
    level  float8 NOT NULL,
    step   integer NOT NULL,
    inside boolean,
    PRIMARY KEY (mode, id, level, step)
);

-- Global mode: one model per period.
CREATE TABLE m3_gmodel (
    period        text PRIMARY KEY,
    series        integer,
    rows          bigint,
    model         bytea,
    train_seconds float8,
    wall_seconds  float8,
    info          jsonb,
    error         text
);

-- An ISO date of the CSV. Not ts::date: 28 monthly series of unknown start are dated from
-- year 1 ('1-01-01', '6-12-01'), which the date input would read as month-day-year in 2001.
CREATE FUNCTION m3_date(p_ts text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT make_date(split_part(p_ts, '-', 1)::int, split_part(p_ts, '-', 2)::int,
                     split_part(p_ts, '-', 3)::int)
$$;

-- Picks the series (every p_every-th of each period in id order, optionally one period),
-- numbers their points and marks the fitting part, the holdout and the unused points.
-- p_fold 0: the competition's holdout (the test part). p_fold 1 to 4: cross-validation fold
-- p_fold (the loader has left the test parts out): the fitting part is the train part
-- without its last p_fold * h points, the holdout the h points after it, the rest unused.
-- The sample is drawn before any series is left out, so every fold has the same sample; a
-- series whose fitting part would have no more than a season of points (fewer than 2, or
-- none a season apart for the MASE scale) goes to m3_left_out instead of m3_sel.
CREATE FUNCTION m3_prepare(p_every integer, p_period text, p_fold integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_fold IS NULL OR p_fold NOT IN (0, 1, 2, 3, 4) THEN
        RAISE EXCEPTION 'm3_prepare: fold must be 0 (competition) or 1 to 4, got %', p_fold;
    END IF;
    IF p_fold > 0 AND EXISTS (SELECT 1 FROM m3_raw WHERE part = 'test') THEN
        RAISE EXCEPTION 'cross-validation mode: test points were loaded';
    END IF;

    CREATE TEMP TABLE m3_sample ON COMMIT DROP AS
    SELECT id, period, row_number() OVER (ORDER BY id)::int AS ord, h, season,
           n - p_fold * h AS n_fit, CASE WHEN p_fold = 0 THEN scale END AS scale
    FROM (SELECT m.*, row_number() OVER (PARTITION BY period ORDER BY id) AS r
          FROM m3_meta m
          WHERE p_period IS NULL OR period = p_period) x
    WHERE (r - 1) % p_every = 0;

    INSERT INTO m3_left_out (id, period, ord, h, n_fit, reason)
    SELECT id, period, ord, h, n_fit,
           CASE WHEN n_fit < 2 THEN format('fitting part of %s points (fewer than 2)', n_fit)
                ELSE format('fitting part of %s points, no more than a season (%s): no MASE scale',
                            n_fit, season) END
    FROM m3_sample WHERE n_fit <= season OR n_fit < 2;

    INSERT INTO m3_sel (id, period, ord, h, season, n_fit, scale)
    SELECT id, period, ord, h, season, n_fit, scale
    FROM m3_sample WHERE NOT (n_fit <= season OR n_fit < 2);
    DROP TABLE m3_sample;

    INSERT INTO m3_obs (id, i, d, k, value, role)
    SELECT id, i,
           CASE WHEN period <> 'OTHER' THEN m3_date(ts) END,
           CASE WHEN period = 'OTHER' THEN ts::bigint END,
           value,
           CASE WHEN i <= n_fit THEN 'f' WHEN i <= n_fit + h THEN 'h' ELSE 'u' END
    FROM (SELECT r.id, r.ts, r.value, s.period, s.n_fit, s.h,
                 row_number() OVER (PARTITION BY r.id
                                    ORDER BY CASE WHEN s.period = 'OTHER' THEN r.ts::bigint END,
                                             CASE WHEN s.period <> 'OTHER' THEN m3_date(r.ts) END)::int AS i
          FROM m3_raw r JOIN m3_sel s USING (id)) x;

    -- cv: the MASE scale of the shortened fitting part
    IF p_fold > 0 THEN
        UPDATE m3_sel s SET scale = x.scale
        FROM (SELECT a.id, avg(abs(a.value - b.value)) AS scale
              FROM m3_sel s2
              JOIN m3_obs a ON a.id = s2.id AND a.role = 'f'
              JOIN m3_obs b ON b.id = a.id AND b.i = a.i - s2.season
              GROUP BY a.id) x
        WHERE s.id = x.id;
        -- a fitting part whose values a season apart are all equal has no MASE scale either
        -- (fold 3: N0400, whose 2 points are equal)
        INSERT INTO m3_left_out (id, period, ord, h, n_fit, reason)
        SELECT id, period, ord, h, n_fit,
               format('fitting part of %s points, equal a season (%s) apart: no MASE scale',
                      n_fit, season)
        FROM m3_sel WHERE scale IS NULL OR scale = 0;
        DELETE FROM m3_obs o USING m3_left_out l WHERE o.id = l.id;
        DELETE FROM m3_sel s USING m3_left_out l WHERE s.id = l.id;
    END IF;

    INSERT INTO m3_queue (mode, unit, ord) SELECT 'per-series', id, ord FROM m3_sel;
    -- the largest period first, so that it does not start last
    INSERT INTO m3_queue (mode, unit, ord)
    SELECT 'global', period, row_number() OVER (ORDER BY count(*) DESC)
    FROM m3_sel s JOIN m3_obs o USING (id) WHERE o.role = 'f' GROUP BY period;
    ANALYZE m3_sel;
    ANALYZE m3_obs;
END
$$;

-- Are the first p_n points of a series' train part equal a season apart (no MASE scale)?
CREATE FUNCTION m3_flat_fit(p_id text, p_period text, p_n integer, p_season integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(bool_and(v = lag_v), true)
    FROM (SELECT value AS v, lag(value, p_season) OVER (ORDER BY i) AS lag_v, i
          FROM (SELECT value, row_number() OVER (ORDER BY CASE WHEN p_period = 'OTHER' THEN ts::bigint END,
                                                          CASE WHEN p_period <> 'OTHER' THEN m3_date(ts) END) AS i
                FROM m3_raw WHERE id = p_id AND part = 'train') r) x
    WHERE i <= p_n AND lag_v IS NOT NULL
$$;

-- Row counts, the split and the MASE scale against m3_meta for fold p_fold (0: the
-- competition's holdout, 1 or 2: cv): a list of problems (empty = fine).
CREATE FUNCTION m3_protocol_checks(p_fold integer) RETURNS SETOF text
LANGUAGE sql AS $$
    -- fitting part n - fold h, holdout h, unused (fold - 1) h points; the loaded points are
    -- the train part (cv) or the train and test parts (competition)
    SELECT format('%s: %s fitting, %s holdout and %s unused points (n_fit %s), expected %s, %s and %s '
                  '(m3_meta n %s, h %s, fold %s)',
                  s.id, c.nf, c.nh, c.nu, s.n_fit, m.n - p_fold * m.h, m.h,
                  greatest(p_fold - 1, 0) * m.h, m.n, m.h, p_fold)
    FROM m3_sel s
    JOIN m3_meta m USING (id)
    JOIN (SELECT id, count(*) FILTER (WHERE role = 'f') AS nf,
                 count(*) FILTER (WHERE role = 'h') AS nh,
                 count(*) FILTER (WHERE role = 'u') AS nu
          FROM m3_obs GROUP BY id) c USING (id)
    WHERE s.n_fit <> m.n - p_fold * m.h OR s.h <> m.h
       OR c.nf <> m.n - p_fold * m.h OR c.nh <> m.h OR c.nu <> greatest(p_fold - 1, 0) * m.h
  UNION ALL
    -- in time order: the fitting part, then the holdout, then the unused points
    SELECT format('%s: the fitting part, holdout and unused points are not in this order', id)
    FROM m3_obs
    GROUP BY id
    HAVING max(i) FILTER (WHERE role = 'f') >= min(i) FILTER (WHERE role = 'h')
        OR max(i) FILTER (WHERE role = 'h') >= min(i) FILTER (WHERE role = 'u')
  UNION ALL
    SELECT format('%s: unused points outside cv fold 2', id)
    FROM m3_obs WHERE role = 'u' AND p_fold < 2 GROUP BY id
  UNION ALL
    -- the left-out series are those whose fitting part would have no more than a season,
    -- or whose values a season apart are all equal (counted again here from m3_raw)
    SELECT format('%s: %s with a fitting part of %s points (season %s)', m.id,
                  CASE WHEN l.id IS NULL THEN 'run' ELSE 'left out' END, m.n - p_fold * m.h, m.season)
    FROM m3_meta m
    LEFT JOIN m3_left_out l USING (id)
    LEFT JOIN m3_sel s USING (id)
    WHERE (l.id IS NOT NULL OR s.id IS NOT NULL)
      AND ((l.id IS NOT NULL) <> (m.n - p_fold * m.h <= m.season OR m.n - p_fold * m.h < 2
                                  OR (p_fold > 0 AND m3_flat_fit(m.id, m.period, m.n - p_fold * m.h, m.season)))
           OR (l.id IS NOT NULL AND s.id IS NOT NULL))
  UNION ALL
    SELECT format('%s: no points', s.id)
    FROM m3_sel s WHERE NOT EXISTS (SELECT 1 FROM m3_obs o WHERE o.id = s.id)
  UNION ALL
    -- consecutive dates one step apart: 12 / season months (a year, a quarter, a month);
    -- "other" series: consecutive step numbers
    SELECT format('%s: %s points not one step after the previous one', id, count(*))
    FROM (SELECT o.id, o.d, o.k, s.season,
                 lag(o.d) OVER w AS prev_d, lag(o.k) OVER w AS prev_k
          FROM m3_obs o JOIN m3_sel s USING (id)
          WINDOW w AS (PARTITION BY o.id ORDER BY o.i)) x
    WHERE (prev_d IS NOT NULL AND d <> prev_d + make_interval(months => 12 / season))
       OR (prev_k IS NOT NULL AND k <> prev_k + 1)
    GROUP BY id
  UNION ALL
    SELECT format('%s: %s points with a NULL timestamp', id, count(*))
    FROM m3_obs WHERE d IS NULL AND k IS NULL GROUP BY id
  UNION ALL
    -- competition mode: m3_meta.scale is the seasonal naive MAE of the train part
    SELECT format('%s: m3_meta scale %s, recomputed %s', s.id, s.scale, x.scale)
    FROM m3_sel s
    JOIN (SELECT a.id, avg(abs(a.value - b.value)) AS scale
          FROM m3_sel s2
          JOIN m3_obs a ON a.id = s2.id AND a.role = 'f'
          JOIN m3_obs b ON b.id = a.id AND b.i = a.i - s2.season
          GROUP BY a.id) x USING (id)
    WHERE p_fold = 0 AND abs(s.scale - x.scale) > 1e-6 * abs(x.scale)
  UNION ALL
    SELECT format('%s: no MASE scale (the fitting part is constant or too short)', id)
    FROM m3_sel WHERE scale IS NULL OR scale = 0;
$$;

-- sMAPE of one point, the M3 way (a term with a = f = 0 counts as 0).
CREATE FUNCTION m3_ape(a float8, f float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(a) + abs(f) = 0 THEN 0 ELSE 200 * abs(a - f) / (abs(a) + abs(f)) END
$$;

-- Naive, seasonal naive and NAIVE2 forecasts from the fitting parts, scored on the holdout.
--
-- NAIVE2 (as in M3): the naive forecast of the seasonally adjusted series, re-seasonalised.
-- Classical multiplicative decomposition of the fitting part y[1..n] with season m > 1:
--   trend   = centred moving average: for even m the 2 x m average (weights 1/2 at the two
--             ends of m + 1 points), for odd m the plain m average; defined for
--             m/2 < i <= n - m/2
--   ratio   = y / trend; the raw index of position p = (i - 1) % m is the medial average of
--             the ratios there (their mean without the highest and the lowest one);
--   index   = raw index normalised to mean 1 over the m positions
-- It is applied only if the series passes the 90% seasonality test
--   |r_m| > 1.645 sqrt((1 + 2 sum_{k=1}^{m-1} r_k^2) / n)
-- where r_k are the autocorrelations of the first differences of the fitting part and n their
-- number. Then f[j] = y[n] / index[(n - 1) % m] * index[(n + j - 1) % m], else f[j] = y[n].
--
-- Checked against the competition's own NAIVE2 forecasts (m3.sh --naive2-check scores both
-- on the real test parts): with these choices the sMAPE of 2,589 of the 2,703 series is the
-- competition's to 0.01, every yearly and other series and every series the competition
-- adjusted and this test adjusts too; the rest differ only in the seasonality decision.
-- With the plain mean of the ratios only 1,959 agree; with the test on the levels instead
-- of the differences (as M4's benchmark code does) 2,036.
CREATE FUNCTION m3_baselines() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM m3_base_fc;
    DELETE FROM m3_base;
    DELETE FROM m3_seasonality;
    DELETE FROM m3_sindex;

    INSERT INTO m3_base_fc (id, method, step, forecast)
    SELECT s.id, 'naive', j, o.value
    FROM m3_sel s
    CROSS JOIN LATERAL generate_series(1, s.h) j
    JOIN m3_obs o ON o.id = s.id AND o.i = s.n_fit;

    INSERT INTO m3_base_fc (id, method, step, forecast)
    SELECT s.id, 'snaive', j, o.value
    FROM m3_sel s
    CROSS JOIN LATERAL generate_series(1, s.h) j
    JOIN m3_obs o ON o.id = s.id AND o.i = s.n_fit - s.season + 1 + (j - 1) % s.season
    WHERE s.n_fit >= s.season;

    -- the seasonality test, on the first differences of the fitting part
    INSERT INTO m3_seasonality (id, r_m, limit_90, seasonal)
    WITH dy AS (
        SELECT o.id, o.i, o.value - lag(o.value) OVER (PARTITION BY o.id ORDER BY o.i) AS dy
        FROM m3_obs o JOIN m3_sel s USING (id)
        WHERE o.role = 'f' AND s.season > 1),
    f AS (
        SELECT id, i, dy - avg(dy) OVER (PARTITION BY id) AS dv
        FROM dy WHERE dy IS NOT NULL),
    den AS (
        SELECT id, sum(dv * dv) AS ss, count(*) AS n FROM f GROUP BY id),
    r AS (
        SELECT s.id, k, sum(a.dv * b.dv) / nullif(den.ss, 0) AS r
        FROM m3_sel s
        CROSS JOIN LATERAL generate_series(1, s.season) k
        JOIN den ON den.id = s.id
        JOIN f a ON a.id = s.id
        JOIN f b ON b.id = a.id AND b.i = a.i - k
        GROUP BY s.id, k, den.ss),
    t AS (
        SELECT s.id,
               max(r.r) FILTER (WHERE r.k = s.season) AS r_m,
               1.645 * sqrt((1 + 2 * coalesce(sum(r.r * r.r) FILTER (WHERE r.k < s.season), 0))
                            / max(den.n)) AS limit_90,
               bool_and(r.r IS NOT NULL) AND count(*) = max(s.season) AS defined
        FROM m3_sel s JOIN r USING (id) JOIN den USING (id)
        GROUP BY s.id)
    SELECT id, r_m, limit_90, coalesce(defined AND abs(r_m) > limit_90, false) FROM t;

    -- seasonal indices from the ratios to the centred moving average
    INSERT INTO m3_sindex (id, pos, idx)
    WITH y AS (
        SELECT o.id, o.i, o.value, s.season, s.n_fit
        FROM m3_obs o JOIN m3_sel s USING (id)
        JOIN m3_seasonality z USING (id)
        WHERE o.role = 'f' AND z.seasonal),
    ratio AS (
        SELECT a.id, a.season, (a.i - 1) % a.season AS pos,
               a.value / (sum(b.value * CASE WHEN a.season % 2 = 0 AND abs(b.i - a.i) = a.season / 2
                                             THEN 0.5 ELSE 1 END) / a.season) AS ratio
        FROM y a
        JOIN y b ON b.id = a.id AND b.i BETWEEN a.i - a.season / 2 AND a.i + a.season / 2
        WHERE a.i > a.season / 2 AND a.i <= a.n_fit - a.season / 2
        GROUP BY a.id, a.i, a.value, a.season),
    ranked AS (
        SELECT *, row_number() OVER (PARTITION BY id, pos ORDER BY ratio) AS rk,
               count(*) OVER (PARTITION BY id, pos) AS cnt
        FROM ratio),
    raw AS (  -- the medial average: without the highest and the lowest ratio
        SELECT id, season, pos, avg(ratio) FILTER (WHERE cnt <= 2 OR rk BETWEEN 2 AND cnt - 1) AS raw
        FROM ranked GROUP BY id, season, pos)
    SELECT id, pos, raw * season / sum(raw) OVER (PARTITION BY id)
    FROM raw
    WHERE id IN (SELECT id FROM raw GROUP BY id, season HAVING count(*) = season);

    -- a seasonal series whose indices could not all be estimated stays unadjusted
    UPDATE m3_seasonality z SET seasonal = false
    WHERE seasonal AND NOT EXISTS (SELECT 1 FROM m3_sindex x WHERE x.id = z.id);

    INSERT INTO m3_base_fc (id, method, step, forecast)
    SELECT s.id, 'naive2', j,
           CASE WHEN coalesce(z.seasonal, false)
                THEN o.value / il.idx * ij.idx
                ELSE o.value END
    FROM m3_sel s
    CROSS JOIN LATERAL generate_series(1, s.h) j
    JOIN m3_obs o ON o.id = s.id AND o.i = s.n_fit
    LEFT JOIN m3_seasonality z ON z.id = s.id
    LEFT JOIN m3_sindex il ON il.id = s.id AND il.pos = (s.n_fit - 1) % s.season
    LEFT JOIN m3_sindex ij ON ij.id = s.id AND ij.pos = (s.n_fit + j - 1) % s.season;

    INSERT INTO m3_base (id, method, smape, mase)
    SELECT f.id, f.method, avg(m3_ape(a.value, f.forecast)),
           avg(abs(a.value - f.forecast)) / nullif(max(s.scale), 0)
    FROM m3_base_fc f
    JOIN m3_sel s ON s.id = f.id
    JOIN m3_obs a ON a.id = f.id AND a.i = s.n_fit + f.step AND a.role = 'h'
    GROUP BY f.id, f.method;
END
$$;

-- Scores the forecasts stored in m3_fc for (p_mode, p_id) into its m3_result row. Steps
-- 1..h must each be there once and meet a holdout point; otherwise the series gets an error.
CREATE FUNCTION m3_score(p_mode text, p_id text) RETURNS void
LANGUAGE sql AS $$
    UPDATE m3_result r SET
        smape = x.smape, mase = x.mase, coverage = x.coverage, msis = x.msis,
        ts_mismatch = x.ts_mismatch, nonfinite = x.nonfinite,
        error = CASE WHEN x.rows <> x.h OR x.points <> x.h
                     THEN format('rnn_forecast returned %s rows with steps %s to %s for %s holdout points',
                                 x.rows, x.min_step, x.max_step, x.h) END
    FROM (
        SELECT max(s.h) AS h, count(*) AS rows, count(a.value) AS points,
               min(f.step) AS min_step, max(f.step) AS max_step,
               avg(m3_ape(a.value, f.forecast)) AS smape,
               avg(abs(a.value - f.forecast)) / nullif(max(s.scale), 0) AS mase,
               avg((a.value BETWEEN f.lower AND f.upper)::int::float8) AS coverage,
               avg((f.upper - f.lower) + 20 * greatest(f.lower - a.value, 0)
                   + 20 * greatest(a.value - f.upper, 0)) / nullif(max(s.scale), 0) AS msis,
               count(*) FILTER (WHERE a.d IS NOT NULL
                                  AND f.ts IS DISTINCT FROM a.d::timestamptz)::int AS ts_mismatch,
               count(*) FILTER (WHERE f.forecast IS NULL OR f.lower IS NULL OR f.upper IS NULL
                                  OR f.forecast IN ('NaN', 'Infinity', '-Infinity')
                                  OR f.lower IN ('NaN', 'Infinity', '-Infinity')
                                  OR f.upper IN ('NaN', 'Infinity', '-Infinity'))::int AS nonfinite
        FROM m3_sel s
        JOIN m3_fc f ON f.mode = p_mode AND f.id = s.id
        LEFT JOIN m3_obs a ON a.id = s.id AND a.role = 'h' AND a.i = s.n_fit + f.step
        WHERE s.id = p_id) x
    WHERE r.mode = p_mode AND r.id = p_id;
$$;

-- Interval coverage of one series' model at the levels m3_report shows (a global model
-- with p_series, a per-series model without), on the series' holdout points.
CREATE FUNCTION m3_cover(p_mode text, p_id text, p_model bytea, p_series text, p_h integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_level float8;
BEGIN
    FOREACH v_level IN ARRAY ARRAY[0.5, 0.8, 0.9, 0.95, 0.99]::float8[] LOOP
        IF p_series IS NULL THEN
            INSERT INTO m3_cover (mode, id, level, step, inside)
            SELECT p_mode, p_id, v_level, f.step, a.value BETWEEN f.lower AND f.upper
            FROM m3_sel s, rnn_forecast(p_model, p_h, v_level) f
            JOIN m3_obs a ON a.role = 'h'
            WHERE s.id = p_id AND a.id = p_id AND a.i = s.n_fit + f.step;
        ELSE
            INSERT INTO m3_cover (mode, id, level, step, inside)
            SELECT p_mode, p_id, v_level, f.step, a.value BETWEEN f.lower AND f.upper
            FROM m3_sel s, rnn_forecast(p_model, p_series, p_h, v_level) f
            JOIN m3_obs a ON a.role = 'h'
            WHERE s.id = p_id AND a.id = p_id AND a.i = s.n_fit + f.step;
        END IF;
    END LOOP;
END
$$;

-- The parts of rnn_model_info the report shows.
CREATE FUNCTION m3_info(p_info jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'window', p_info->'window',
        'season', p_info->'season',
        'scaling', p_info->'scaling'->'method',
        'epochs_run', p_info->'training'->'epochs_run',
        'best_epoch', p_info->'training'->'best_epoch',
        'rows', p_info->'training'->'rows',
        'theta_validation', p_info->'theta_validation',
        'theta_weight', coalesce(p_info->'combination'->'weight', '0'))
$$;

-- Per-series mode, one series: trains on its fitting part with
-- rnn_config(horizon => h) || p_extra, forecasts h steps with a 90% interval and scores
-- them. Errors are caught and stored. Returns a line for the progress log.
-- The same model without its statistical combination: the network's forecast alone
-- (theta_weight 0 through the JSON form; the intervals stay the combined model's).
CREATE FUNCTION m3_network_alone(p_model bytea) RETURNS bytea
LANGUAGE sql AS $$
    SELECT CASE WHEN rnn_model_info(p_model) ? 'combination'
                THEN rnn_model_from_json(jsonb_set(rnn_model_to_json(p_model), '{combination,weight}', '0'))
                ELSE p_model END
$$;

CREATE FUNCTION m3_fit_series(p_id text, p_extra jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    s        m3_sel;
    v_config jsonb;
    v_model  bytea;
    v_info   jsonb;
    v_wall   float8;
    t0       timestamptz;
    v_err    text;
    v_detail text;
    r        m3_result;
BEGIN
    SELECT * INTO STRICT s FROM m3_sel WHERE id = p_id;
    DELETE FROM m3_fc WHERE mode IN ('per-series', 'per-series network') AND id = p_id;
    DELETE FROM m3_cover WHERE mode = 'per-series' AND id = p_id;
    DELETE FROM m3_result WHERE mode IN ('per-series', 'per-series network') AND id = p_id;
    INSERT INTO m3_result (mode, id, period) VALUES ('per-series', p_id, s.period);

    t0 := clock_timestamp();
    BEGIN
        v_config := rnn_config(horizon => s.h) || p_extra;
        IF s.period = 'OTHER' THEN
            SELECT rnn_train(k, value, v_config) INTO v_model
            FROM m3_obs WHERE id = p_id AND role = 'f';
        ELSE
            SELECT rnn_train(d, value, v_config) INTO v_model
            FROM m3_obs WHERE id = p_id AND role = 'f';
        END IF;
        v_wall := extract(epoch FROM clock_timestamp() - t0);
        IF v_model IS NULL THEN
            RAISE EXCEPTION 'rnn_train returned NULL';
        END IF;
        v_info := rnn_model_info(v_model);

        INSERT INTO m3_fc (mode, id, step, ts, forecast, lower, upper)
        SELECT 'per-series', p_id, f.step, f.ts, f.forecast, f.lower, f.upper
        FROM rnn_forecast(v_model, s.h, 0.9) f;
        INSERT INTO m3_fc (mode, id, step, ts, forecast, lower, upper)
        SELECT 'per-series network', p_id, f.step, f.ts, f.forecast, f.lower, f.upper
        FROM rnn_forecast(m3_network_alone(v_model), s.h, 0.9) f;
        PERFORM m3_cover('per-series', p_id, v_model, NULL, s.h);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
        v_err := v_err || coalesce(' (' || nullif(v_detail, '') || ')', '');
    END;
    -- variables survive the rollback of the block: a model that trained but did not
    -- forecast keeps its training time
    UPDATE m3_result
    SET wall_seconds = coalesce(v_wall, extract(epoch FROM clock_timestamp() - t0)),
        train_seconds = (v_info->'training'->>'training_seconds')::float8,
        info = CASE WHEN v_info IS NOT NULL THEN m3_info(v_info) END,
        error = v_err
    WHERE mode = 'per-series' AND id = p_id;

    IF v_err IS NULL THEN
        PERFORM m3_score('per-series', p_id);
        INSERT INTO m3_result (mode, id, period) VALUES ('per-series network', p_id, s.period);
        PERFORM m3_score('per-series network', p_id);
    END IF;
    SELECT * INTO r FROM m3_result WHERE mode = 'per-series' AND id = p_id;
    IF r.error IS NOT NULL THEN
        RETURN format('%s %s: FAILED: %s', p_id, s.period, r.error);
    END IF;
    RETURN format('%s %s: sMAPE %s, MASE %s, coverage %s, training %s s', p_id, s.period,
                  round(r.smape::numeric, 2), round(r.mase::numeric, 3),
                  round(r.coverage::numeric, 2), round(r.train_seconds::numeric, 2));
END
$$;

-- Per-series mode, one session: takes series from the queue until it is empty, committing
-- after each. A series this job had claimed but not finished (the session was lost while
-- training it) is recorded as failed first.
CREATE PROCEDURE m3_run_series(p_job integer, p_extra jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_id   text;
    v_line text;
    v_left integer;
    v_total integer;
BEGIN
    -- units this job claimed but did not finish: its session was lost (a server crash ends
    -- every session). Each is retried once, then recorded as failed.
    UPDATE m3_queue SET job = NULL
    WHERE mode = 'per-series' AND job = p_job AND NOT done AND tries < 2;
    INSERT INTO m3_result (mode, id, period, error)
    SELECT 'per-series', q.unit, s.period, 'the session was lost twice while training it'
    FROM m3_queue q JOIN m3_sel s ON s.id = q.unit
    WHERE q.mode = 'per-series' AND q.job = p_job AND NOT q.done
    ON CONFLICT (mode, id) DO UPDATE SET error = EXCLUDED.error;
    UPDATE m3_queue SET done = true WHERE mode = 'per-series' AND job = p_job AND NOT done;
    COMMIT;
    SELECT count(*) INTO v_total FROM m3_queue WHERE mode = 'per-series';

    LOOP
        UPDATE m3_queue SET job = p_job, tries = tries + 1
        WHERE mode = 'per-series'
          AND unit = (SELECT unit FROM m3_queue
                      WHERE mode = 'per-series' AND job IS NULL
                      ORDER BY ord LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING unit INTO v_id;
        EXIT WHEN v_id IS NULL;
        COMMIT;

        v_line := m3_fit_series(v_id, p_extra);
        UPDATE m3_queue SET done = true WHERE mode = 'per-series' AND unit = v_id;
        COMMIT;
        SELECT count(*) INTO v_left FROM m3_queue WHERE mode = 'per-series' AND NOT done;
        RAISE NOTICE '[job %, %/%] %', p_job, v_total - v_left, v_total, v_line;
    END LOOP;
    COMMIT;
END
$$;

-- The global mode's calls that do not resolve in the installed extension ('' = all do):
-- rnn_train(series text, ts, value, config) for date (and, with p_bigint, bigint) steps and
-- rnn_forecast(model, series text, horizon, level). EXPLAIN resolves them without running.
CREATE FUNCTION m3_global_missing(p_date boolean, p_bigint boolean) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_call    text;
    v_missing text[] := '{}';
BEGIN
    FOR v_call IN
        SELECT c FROM (VALUES
            (p_date, 'rnn_train(series text, ts date, value float8, config jsonb)',
             $q$SELECT rnn_train('N0001'::text, date '2000-01-01', 1::float8, '{}'::jsonb)$q$),
            (p_bigint, 'rnn_train(series text, ts bigint, value float8, config jsonb)',
             $q$SELECT rnn_train('N0001'::text, 1::bigint, 1::float8, '{}'::jsonb)$q$),
            (true, 'rnn_forecast(model bytea, series text, horizon int, level float8)',
             $q$SELECT * FROM rnn_forecast('\x'::bytea, 'N0001'::text, 1, 0.9::float8)$q$)) v(need, c, q)
        WHERE need AND NOT m3_resolves(q)
    LOOP
        v_missing := v_missing || v_call;
    END LOOP;
    RETURN array_to_string(v_missing, ', ');
END
$$;

CREATE FUNCTION m3_resolves(p_query text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'EXPLAIN ' || p_query;
    RETURN true;
EXCEPTION WHEN undefined_function OR ambiguous_function THEN
    RETURN false;
END
$$;

-- One global model over a period's series: its selected series' fitting parts, or, with
-- p_whole, the whole train parts of every sampled series of the period, those left out of
-- the fold too (the data the competition's holdout model trains on, for
-- m3.sh --holdout-window); "other" series by step number, the rest by date.
CREATE FUNCTION m3_train_period(p_period text, p_config jsonb, p_whole boolean) RETURNS bytea
LANGUAGE sql AS $$
    WITH pts AS (
        SELECT o.id, o.d, o.k, o.value
        FROM m3_obs o JOIN m3_sel s USING (id)
        WHERE NOT p_whole AND s.period = p_period AND o.role = 'f'
        UNION ALL
        SELECT r.id,
               CASE WHEN p_period <> 'OTHER' THEN m3_date(r.ts) END,
               CASE WHEN p_period = 'OTHER' THEN r.ts::bigint END,
               r.value
        FROM m3_raw r
        JOIN (SELECT id, period FROM m3_sel UNION ALL SELECT id, period FROM m3_left_out) s USING (id)
        WHERE p_whole AND s.period = p_period AND r.part = 'train')
    SELECT CASE WHEN p_period = 'OTHER'
                THEN (SELECT rnn_train(id, k, value, p_config) FROM pts)
                ELSE (SELECT rnn_train(id, d, value, p_config) FROM pts)
           END
$$;

-- Global mode, one period: one model over all its selected series with
-- rnn_train(series, ts, value, rnn_config(horizon => h) || p_extra), then each series'
-- forecast with rnn_forecast(model, series, h, 0.9), scored. A failed training fails every
-- series of the period; a failed forecast only its series.
CREATE FUNCTION m3_fit_global(p_period text, p_extra jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_h      integer;
    v_config jsonb;
    v_model  bytea;
    v_info   jsonb;
    t0       timestamptz;
    v_err    text;
    v_detail text;
    v_id     text;
    v_ok     integer := 0;
    v_failed integer := 0;
    v_net    bytea;
BEGIN
    SELECT max(h) INTO v_h FROM m3_sel WHERE period = p_period;
    DELETE FROM m3_gmodel WHERE period = p_period;
    DELETE FROM m3_fc f USING m3_sel s
    WHERE f.mode IN ('global', 'global network') AND f.id = s.id AND s.period = p_period;
    DELETE FROM m3_cover c USING m3_sel s
    WHERE c.mode = 'global' AND c.id = s.id AND s.period = p_period;
    DELETE FROM m3_result WHERE mode IN ('global', 'global network') AND period = p_period;
    INSERT INTO m3_gmodel (period, series, rows)
    SELECT p_period, count(DISTINCT o.id), count(*)
    FROM m3_sel s JOIN m3_obs o USING (id) WHERE s.period = p_period AND o.role = 'f';

    t0 := clock_timestamp();
    BEGIN
        v_config := rnn_config(horizon => v_h) || p_extra;
        -- m3.sh --holdout-window: the window the extension chooses for the whole train parts
        -- of every sampled series (those the fold leaves out too), read from a model of one
        -- epoch and one member
        IF current_setting('m3.holdout_window', true) = 'on' AND NOT p_extra ? 'window' THEN
            v_model := m3_train_period(p_period,
                                       v_config || '{"epochs": 1, "ensemble": 1, "theta_weight": 0}',
                                       true);
            v_config := v_config || jsonb_build_object('window', rnn_model_info(v_model)->'window');
            RAISE NOTICE '%: the holdout''s window, %', p_period, v_config->'window';
            t0 := clock_timestamp();
        END IF;
        v_model := m3_train_period(p_period, v_config, false);
        IF v_model IS NULL THEN
            RAISE EXCEPTION 'rnn_train returned NULL';
        END IF;
        v_info := rnn_model_info(v_model);
        UPDATE m3_gmodel
        SET model = v_model, wall_seconds = extract(epoch FROM clock_timestamp() - t0),
            train_seconds = (v_info->'training'->>'training_seconds')::float8,
            info = m3_info(v_info)
        WHERE period = p_period;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
        v_err := v_err || coalesce(' (' || nullif(v_detail, '') || ')', '');
        UPDATE m3_gmodel SET error = v_err, wall_seconds = extract(epoch FROM clock_timestamp() - t0)
        WHERE period = p_period;
        INSERT INTO m3_result (mode, id, period, error)
        SELECT 'global', id, period, 'training the period''s model failed: ' || v_err
        FROM m3_sel WHERE period = p_period;
        RETURN format('%s: training FAILED after %s s: %s', p_period,
                      round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1), v_err);
    END;

    v_net := m3_network_alone(v_model);
    FOR v_id IN SELECT id FROM m3_sel WHERE period = p_period ORDER BY ord LOOP
        INSERT INTO m3_result (mode, id, period) VALUES ('global', v_id, p_period);
        BEGIN
            INSERT INTO m3_fc (mode, id, step, ts, forecast, lower, upper)
            SELECT 'global', v_id, f.step, f.ts, f.forecast, f.lower, f.upper
            FROM rnn_forecast(v_model, v_id, v_h, 0.9) f;
            PERFORM m3_score('global', v_id);
            PERFORM m3_cover('global', v_id, v_model, v_id, v_h);
            INSERT INTO m3_fc (mode, id, step, ts, forecast, lower, upper)
            SELECT 'global network', v_id, f.step, f.ts, f.forecast, f.lower, f.upper
            FROM rnn_forecast(v_net, v_id, v_h, 0.9) f;
            INSERT INTO m3_result (mode, id, period) VALUES ('global network', v_id, p_period);
            PERFORM m3_score('global network', v_id);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
            UPDATE m3_result SET error = v_err || coalesce(' (' || nullif(v_detail, '') || ')', '')
            WHERE mode = 'global' AND id = v_id;
        END;
        IF EXISTS (SELECT 1 FROM m3_result WHERE mode = 'global' AND id = v_id AND error IS NULL) THEN
            v_ok := v_ok + 1;
        ELSE
            v_failed := v_failed + 1;
        END IF;
    END LOOP;
    RETURN format('%s: one model over %s series trained in %s s (statement %s s); %s forecasts scored, %s failed',
                  p_period, v_ok + v_failed,
                  (SELECT round(train_seconds::numeric, 2) FROM m3_gmodel WHERE period = p_period),
                  (SELECT round(wall_seconds::numeric, 2) FROM m3_gmodel WHERE period = p_period),
                  v_ok, v_failed);
END
$$;

-- Global mode, one session: takes periods from the queue until it is empty.
CREATE PROCEDURE m3_run_global(p_job integer, p_extra jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_period text;
    v_line   text;
BEGIN
    UPDATE m3_queue SET job = NULL
    WHERE mode = 'global' AND job = p_job AND NOT done AND tries < 2;
    INSERT INTO m3_result (mode, id, period, error)
    SELECT 'global', s.id, s.period, 'the session was lost twice while training the period''s model'
    FROM m3_queue q JOIN m3_sel s ON s.period = q.unit
    WHERE q.mode = 'global' AND q.job = p_job AND NOT q.done
    ON CONFLICT (mode, id) DO UPDATE SET error = EXCLUDED.error;
    UPDATE m3_queue SET done = true WHERE mode = 'global' AND job = p_job AND NOT done;
    COMMIT;

    LOOP
        UPDATE m3_queue SET job = p_job, tries = tries + 1
        WHERE mode = 'global'
          AND unit = (SELECT unit FROM m3_queue
                      WHERE mode = 'global' AND job IS NULL
                      ORDER BY ord LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING unit INTO v_period;
        EXIT WHEN v_period IS NULL;
        COMMIT;
        RAISE NOTICE '[job %] %: training one model over its series', p_job, v_period;
        v_line := m3_fit_global(v_period, p_extra);
        UPDATE m3_queue SET done = true WHERE mode = 'global' AND unit = v_period;
        COMMIT;
        RAISE NOTICE '[job %] %', p_job, v_line;
    END LOOP;
    COMMIT;
END
$$;

-- Everything the report needs for one mode, as one json value. Means are over the series
-- that ran; the baselines are averaged over the same series ('n': over how many of them
-- the baseline had a score). The series left out (m3_left_out) are in no mean. p_methods:
-- the competition's methods (competition mode) or the baselines computed here (cv).
CREATE FUNCTION m3_report(p_mode text, p_methods text[], p_cv boolean) RETURNS json
LANGUAGE sql AS $$
    WITH res AS (
        SELECT s.id, s.period, r.smape, r.mase, r.coverage, r.msis, r.train_seconds,
               r.wall_seconds, r.error, (r.error IS NULL AND r.smape IS NOT NULL) AS ok
        FROM m3_sel s LEFT JOIN m3_result r ON r.mode = p_mode AND r.id = s.id),
    base AS (
        SELECT id, method, smape, mase FROM m3_methods
        WHERE NOT p_cv AND method = ANY (p_methods)
        UNION ALL
        SELECT id, method, smape, mase FROM m3_base
        WHERE p_cv AND method = ANY (p_methods)),
    grp AS (
        SELECT period AS grp, * FROM res
        UNION ALL
        SELECT 'ALL', * FROM res)
    SELECT json_build_object(
        'periods', (SELECT json_agg(x ORDER BY x.o) FROM (
            SELECT g.grp AS period,
                   array_position(ARRAY['YEARLY', 'QUARTERLY', 'MONTHLY', 'OTHER', 'ALL'], g.grp) AS o,
                   count(*) AS series,
                   count(*) FILTER (WHERE g.ok) AS ok,
                   avg(g.smape) FILTER (WHERE g.ok) AS smape,
                   avg(g.mase) FILTER (WHERE g.ok) AS mase,
                   avg(g.coverage) FILTER (WHERE g.ok) AS coverage,
                   avg(g.msis) FILTER (WHERE g.ok) AS msis,
                   avg(g.train_seconds) FILTER (WHERE g.ok) AS train_mean,
                   (SELECT json_object_agg(m, json_build_object('smape', bs, 'mase', bm, 'n', bn,
                                                                'diff', bd, 'se', bse,
                                                                'better', bw, 'worse', bl))
                    FROM (SELECT b.method AS m, avg(b.smape) AS bs, avg(b.mase) AS bm,
                                 count(b.smape) AS bn,
                                 -- paired: this run's sMAPE minus the method's, series by series
                                 avg(g2.smape - b.smape) AS bd,
                                 stddev_samp(g2.smape - b.smape)
                                     / sqrt(count(g2.smape - b.smape)) AS bse,
                                 count(*) FILTER (WHERE g2.smape < b.smape) AS bw,
                                 count(*) FILTER (WHERE g2.smape > b.smape) AS bl
                          FROM base b JOIN grp g2 ON g2.id = b.id AND g2.grp = g.grp AND g2.ok
                          GROUP BY b.method) bb) AS base
            FROM grp g GROUP BY g.grp) x),
        'left_out', (SELECT coalesce(json_agg(json_build_object('id', id, 'period', period,
                                                                'n_fit', n_fit, 'reason', reason)
                                              ORDER BY ord), '[]')
                     FROM m3_left_out),
        'failed', (SELECT coalesce(json_agg(json_build_object('id', id, 'period', period,
                                                              'error', coalesce(error, 'no result'))
                                            ORDER BY id), '[]')
                   FROM res WHERE NOT ok),
        'train_sum', (SELECT sum(train_seconds) FROM res),
        'train_n', (SELECT count(train_seconds) FROM res),
        'slowest', (SELECT json_build_object('id', id, 'period', period, 'seconds', train_seconds)
                    FROM res WHERE train_seconds IS NOT NULL
                    ORDER BY train_seconds DESC LIMIT 1),
        'models', (SELECT coalesce(json_agg(json_build_object(
                            'period', period, 'series', series, 'rows', rows,
                            'train_seconds', train_seconds, 'wall_seconds', wall_seconds,
                            'info', info, 'error', error) ORDER BY period), '[]')
                   FROM m3_gmodel WHERE p_mode = 'global'),
        'levels', (SELECT json_agg(x ORDER BY x.o, x.level) FROM (
            SELECT g.grp AS period,
                   array_position(ARRAY['YEARLY', 'QUARTERLY', 'MONTHLY', 'OTHER', 'ALL'], g.grp) AS o,
                   c.level, avg(c.inside::int::float8) AS coverage,
                   avg(c.inside::int::float8) FILTER (WHERE c.step = 1) AS step1
            FROM m3_cover c JOIN grp g ON g.id = c.id AND g.ok
            WHERE c.mode = p_mode
            GROUP BY g.grp, c.level) x),
        'ts_mismatch', (SELECT coalesce(sum(ts_mismatch), 0) FROM m3_result WHERE mode = p_mode),
        'nonfinite', (SELECT coalesce(sum(nonfinite), 0) FROM m3_result WHERE mode = p_mode),
        'validation', (SELECT json_agg(x ORDER BY period) FROM (
            SELECT period, count(*) AS series,
                   count(*) FILTER (WHERE jsonb_typeof(info->'theta_validation') = 'object') AS validated,
                   avg((info->'theta_validation'->>'network_error')::float8) AS network,
                   avg((info->'theta_validation'->>'theta_error')::float8) AS theta,
                   avg((info->'theta_validation'->>'combined_error')::float8) AS combined,
                   avg((info->>'theta_weight')::float8)
                       FILTER (WHERE jsonb_typeof(info->'theta_validation') = 'object') AS weight
            FROM m3_result WHERE mode = p_mode AND p_mode = 'per-series' AND info IS NOT NULL
            GROUP BY period) x),
        'choices', (SELECT json_agg(x) FROM (
            SELECT period, info->>'scaling' AS scaling, info->>'window' AS window,
                   count(*) AS series, avg((info->>'epochs_run')::float8) AS epochs,
                   avg((info->>'best_epoch')::float8) AS best_epoch
            FROM m3_result WHERE mode = p_mode AND info IS NOT NULL
            GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC) x));
$$;

-- NAIVE2 computed here against the competition's NAIVE2, series by series.
CREATE FUNCTION m3_naive2_check() RETURNS json
LANGUAGE sql AS $$
    WITH pairs AS (
        SELECT s.period, s.id, b.smape AS ours, m.smape AS theirs, b.mase AS ours_mase,
               m.mase AS theirs_mase, z.seasonal
        FROM m3_sel s
        JOIN m3_base b ON b.id = s.id AND b.method = 'naive2'
        JOIN m3_methods m ON m.id = s.id AND m.method = 'NAIVE2'
        LEFT JOIN m3_seasonality z ON z.id = s.id),
    grp AS (SELECT period AS grp, * FROM pairs UNION ALL SELECT 'ALL', * FROM pairs)
    SELECT json_build_object(
        'periods', (SELECT json_agg(x ORDER BY x.o) FROM (
            SELECT grp AS period,
                   array_position(ARRAY['YEARLY', 'QUARTERLY', 'MONTHLY', 'OTHER', 'ALL'], grp) AS o,
                   count(*) AS series,
                   count(*) FILTER (WHERE seasonal) AS adjusted,
                   avg(ours) AS ours, avg(theirs) AS theirs,
                   avg(ours_mase) AS ours_mase, avg(theirs_mase) AS theirs_mase,
                   count(*) FILTER (WHERE abs(ours - theirs) <= 0.01) AS equal,
                   max(abs(ours - theirs)) AS max_diff
            FROM grp GROUP BY grp) x),
        'worst', (SELECT json_agg(x) FROM (
            SELECT id, period, seasonal, ours, theirs FROM pairs
            WHERE abs(ours - theirs) > 0.01 ORDER BY abs(ours - theirs) DESC LIMIT 10) x));
$$;

-- For m3.sh's recomputation of the metrics in Python: per scored series its scale, holdout
-- actuals, forecasts and bounds, and the metrics SQL gave.
CREATE FUNCTION m3_scored(p_mode text) RETURNS json
LANGUAGE sql AS $$
    SELECT coalesce(json_agg(json_build_array(r.id, s.scale, x.a, x.f, x.lo, x.hi,
                                              r.smape, r.mase, r.coverage, r.msis)), '[]')
    FROM m3_result r
    JOIN m3_sel s ON s.id = r.id
    CROSS JOIN LATERAL (
        SELECT array_agg(o.value ORDER BY o.i) AS a, array_agg(f.forecast ORDER BY o.i) AS f,
               array_agg(f.lower ORDER BY o.i) AS lo, array_agg(f.upper ORDER BY o.i) AS hi
        FROM m3_obs o
        LEFT JOIN m3_fc f ON f.mode = p_mode AND f.id = o.id AND f.step = o.i - s.n_fit
        WHERE o.id = r.id AND o.role = 'h') x
    WHERE r.mode = p_mode AND r.error IS NULL AND r.smape IS NOT NULL;
$$;

-- Per-series rows for --out, the left-out series included (with the reason as the error).
CREATE FUNCTION m3_rows(p_mode text) RETURNS TABLE (
    id text, period text, h integer, smape float8, mase float8, coverage float8,
    train_seconds float8, wall_seconds float8, error text, msis float8)
LANGUAGE sql AS $$
    SELECT id, period, h, smape, mase, coverage, train_seconds, wall_seconds, error, msis
    FROM (SELECT s.ord, s.id, s.period, s.h, r.smape, r.mase, r.coverage, r.train_seconds,
                 r.wall_seconds, CASE WHEN r.id IS NULL THEN 'no result' ELSE r.error END AS error,
                 r.msis
          FROM m3_sel s LEFT JOIN m3_result r ON r.mode = p_mode AND r.id = s.id
          UNION ALL
          SELECT l.ord, l.id, l.period, l.h, NULL, NULL, NULL, NULL, NULL, 'left out: ' || l.reason,
                 NULL
          FROM m3_left_out l) x
    ORDER BY ord;
$$;
