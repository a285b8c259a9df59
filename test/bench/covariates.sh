#!/usr/bin/env bash
# Forecast error with covariates against without, on series where a covariate matters:
#   promo   daily sales (two years) with a weekly pattern, a trend, noise and promotion days
#           (about 1 in 10, known in advance) that lift sales by 60; forecast 28 days
#   hourly  hourly load (10 weeks) with a daily shape that is half as high on weekends;
#           forecast the 48 hours of the Sunday and Monday after the training rows
# Each is drawn with 5 seeds (setseed). Models, all with rnn_config(horizon => H) only plus:
#   plain          no features
#   features       the promotion flag (promo only)
#   calendar       calendar => true
#   both           the promotion flag and calendar => true (promo only)
# and the seasonal naive forecast (the same weekday last week; for hourly, the same hour a
# week before). Prints MAE per series kind and model (mean over the seeds), in one run.
#
#   bash test/bench/covariates.sh [--seeds N]
#
# Throwaway server on port 54433 (test/bench/lib/server.sh). Needs root or postgres.
set -euo pipefail

PORT=54433
SEEDS=5
while [ $# -gt 0 ]; do
    case $1 in
        --seeds) SEEDS=$2; shift 2 ;;
        *) echo "usage: $0 [--seeds N]" >&2; exit 2 ;;
    esac
done
say() { echo "covariates: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

"${PSQL[@]}" <<SQL
CREATE EXTENSION rnn_forecast;
CREATE TABLE promo (seed int, i int, day date, promo float8, v float8);
CREATE TABLE hourly (seed int, i int, ts timestamptz, v float8);
CREATE TABLE results (kind text, seed int, model text, mae float8, coverage float8);
SET TimeZone = 'UTC';
DO \$\$
BEGIN
    FOR s IN 1..$SEEDS LOOP
        PERFORM setseed(s / 100.0);
        INSERT INTO promo
        SELECT s, i, date '2023-01-02' + i, p,
               200 + 0.05 * i + 20 * sin(2 * pi() * i / 7) + 60 * p
               + 8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
        FROM (SELECT i, (random() < 0.1)::int::float8 AS p FROM generate_series(0, 757) i) x;
        PERFORM setseed(s / 100.0 + 0.5);
        INSERT INTO hourly
        SELECT s, i, timestamptz '2024-01-01 00:00+00' + i * interval '1 hour',
               100 + CASE WHEN (i / 24) % 7 >= 5 THEN 0.5 ELSE 1 END
                     * (40 * greatest(0, sin(2 * pi() * ((i % 24) - 6) / 24)) + 10)
               + 4 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
        FROM generate_series(0, 1727) i;
    END LOOP;
END
\$\$;
SQL

# promo: train on the first 730 days, forecast the last 28; hourly: train on 1,656 hours
# (from Monday 2024-01-01 00:00 to Saturday 2024-03-09 23:00) and forecast the 48 hours of
# the Sunday and Monday after
say "promo: training 4 models on each of $SEEDS series"
"${PSQL[@]}" <<'SQL'
SET TimeZone = 'UTC';
CREATE TEMP TABLE pm AS
SELECT seed, 'plain' AS model, rnn_train(day, v, rnn_config(horizon => 28)) AS m FROM promo WHERE i < 730 GROUP BY seed
UNION ALL
SELECT seed, 'features', rnn_train(day, v, ARRAY[promo], rnn_config(horizon => 28)) FROM promo WHERE i < 730 GROUP BY seed
UNION ALL
SELECT seed, 'calendar', rnn_train(day, v, rnn_config(horizon => 28, calendar => true)) FROM promo WHERE i < 730 GROUP BY seed
UNION ALL
SELECT seed, 'both', rnn_train(day, v, ARRAY[promo], rnn_config(horizon => 28, calendar => true)) FROM promo WHERE i < 730 GROUP BY seed;
INSERT INTO results
SELECT 'promo', pm.seed, pm.model, avg(abs(f.forecast - p.v)), avg((p.v BETWEEN f.lower AND f.upper)::int)
FROM pm CROSS JOIN LATERAL rnn_forecast(pm.m, 28, 0.9,
                      CASE WHEN pm.model IN ('features', 'both') THEN
                      (SELECT array_agg(q.promo ORDER BY q.i) FROM promo q WHERE q.seed = pm.seed AND q.i >= 730) END) f
     JOIN promo p ON p.seed = pm.seed AND p.day = f.ts_local::date
GROUP BY pm.seed, pm.model;
INSERT INTO results
SELECT 'promo', p.seed, 'seasonal naive', avg(abs(p.v - b.v)), NULL
FROM promo p JOIN promo b ON b.seed = p.seed AND b.i = 723 + (p.i - 730) % 7
WHERE p.i >= 730 GROUP BY p.seed;
SQL
say "hourly: training 2 models on each of $SEEDS series"
"${PSQL[@]}" <<'SQL'
SET TimeZone = 'UTC';
CREATE TEMP TABLE hm AS
SELECT seed, 'plain' AS model, rnn_train(ts, v, rnn_config(horizon => 48)) AS m FROM hourly WHERE i < 1656 GROUP BY seed
UNION ALL
SELECT seed, 'calendar', rnn_train(ts, v, rnn_config(horizon => 48, calendar => true)) FROM hourly WHERE i < 1656 GROUP BY seed;
INSERT INTO results
SELECT 'hourly', hm.seed, hm.model, avg(abs(f.forecast - h.v)), avg((h.v BETWEEN f.lower AND f.upper)::int)
FROM hm CROSS JOIN LATERAL rnn_forecast(hm.m, 48) f JOIN hourly h ON h.seed = hm.seed AND h.ts = f.ts
GROUP BY hm.seed, hm.model;
INSERT INTO results
SELECT 'hourly', h.seed, 'seasonal naive', avg(abs(h.v - b.v)), NULL
FROM hourly h JOIN hourly b ON b.seed = h.seed AND b.i = h.i - 168
WHERE h.i >= 1656 AND h.i < 1704 GROUP BY h.seed;
SQL

"${PSQL[@]}" -P format=aligned -P footer=off <<'SQL'
\pset tuples_only off
SELECT kind, model, count(*) AS series, round(avg(mae)::numeric, 2) AS mae,
       round(avg(coverage)::numeric, 3) AS coverage_90
FROM results GROUP BY kind, model
ORDER BY kind, CASE model WHEN 'seasonal naive' THEN 0 WHEN 'plain' THEN 1 WHEN 'features' THEN 2
                          WHEN 'calendar' THEN 3 ELSE 4 END;
SQL
