#!/usr/bin/env bash
# A week as the season of hourly series, against the default day (24), in one run: the
# measurement behind a proposed default (README, "Sub-daily series and a weekly season"),
# on eight kinds of 10-week hourly series drawn here, 5 seeds each (no real sub-daily series
# ships in data/):
#   daily          a daily shape (40 sin, clipped at 0, plus 10) and normal noise (sd 4)
#   daily_trend    the same plus a trend (0.02 an hour)
#   daily_ar       the daily shape plus a random walk (steps of sd 0.5)
#   noise          noise around 100
#   weekly         the daily shape half as high on Saturdays and Sundays, noise
#   weekly_trend   the same plus a trend
#   weekly_ar      the shape at 0.6 on weekends plus a random walk
#   weekly_small   the shape at 0.9 on weekends, noise
# Models: rnn_config(horizon => 48) only ("default"), and the same with "season": 168 and
# "window": 48 (a week of seasonal indices, the network still reading two days), trained on
# the first 1,656 hours (Monday 2024-01-01 00:00 to Saturday 2024-03-09 23:00), forecasting
# the 48 hours of the Sunday and Monday after. Prints per kind and model: the mean MAE over
# the seeds, the 90% coverage, the training seconds, the season, and the seasonal naive
# forecasts' MAE (the same hour a week before, and on the last training day).
#
#   bash test/bench/weekly_season.sh [--seeds N]
#
# Throwaway server on port 54435 (test/bench/lib/server.sh). Needs root or postgres.
set -euo pipefail

PORT=54435
SEEDS=5
while [ $# -gt 0 ]; do
    case $1 in
        --seeds) SEEDS=$2; shift 2 ;;
        *) echo "usage: $0 [--seeds N]" >&2; exit 2 ;;
    esac
done
say() { echo "weekly_season: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

say "drawing 8 kinds x $SEEDS series, training 2 models on each"
"${PSQL[@]}" -P format=aligned -P footer=off <<SQL
\pset tuples_only off
SET client_min_messages = warning;
CREATE EXTENSION rnn_forecast;
SET TimeZone = 'UTC';
CREATE TABLE h (kind text, seed int, i int, ts timestamptz, v float8);
CREATE FUNCTION gauss() RETURNS float8 LANGUAGE sql VOLATILE
AS \$\$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) \$\$;
CREATE FUNCTION dayshape(i int) RETURNS float8 LANGUAGE sql IMMUTABLE
AS \$\$ SELECT 40 * greatest(0, sin(2 * pi() * ((i % 24) - 6) / 24)) + 10 \$\$;
CREATE FUNCTION weekend(i int, f float8) RETURNS float8 LANGUAGE sql IMMUTABLE
AS \$\$ SELECT CASE WHEN (i / 24) % 7 >= 5 THEN f ELSE 1 END \$\$;
DO \$\$
BEGIN
  FOR s IN 1..$SEEDS LOOP
    PERFORM setseed(s / 100.0 + 0.5);
    INSERT INTO h SELECT 'daily', s, i, timestamptz '2024-01-01' + i * interval '1 hour',
      100 + dayshape(i) + 4 * gauss() FROM generate_series(0, 1727) i;
    INSERT INTO h SELECT 'daily_trend', s, i, timestamptz '2024-01-01' + i * interval '1 hour',
      100 + 0.02 * i + dayshape(i) + 4 * gauss() FROM generate_series(0, 1727) i;
    INSERT INTO h SELECT 'daily_ar', s, i, ts, v FROM (
      SELECT i, timestamptz '2024-01-01' + i * interval '1 hour' AS ts,
             100 + dayshape(i) + 0.5 * sum(gauss()) OVER (ORDER BY i) AS v FROM generate_series(0, 1727) i) x;
    INSERT INTO h SELECT 'noise', s, i, timestamptz '2024-01-01' + i * interval '1 hour',
      100 + 4 * gauss() FROM generate_series(0, 1727) i;
    INSERT INTO h SELECT 'weekly', s, i, timestamptz '2024-01-01' + i * interval '1 hour',
      100 + weekend(i, 0.5) * dayshape(i) + 4 * gauss() FROM generate_series(0, 1727) i;
    INSERT INTO h SELECT 'weekly_trend', s, i, timestamptz '2024-01-01' + i * interval '1 hour',
      100 + 0.02 * i + weekend(i, 0.5) * dayshape(i) + 4 * gauss() FROM generate_series(0, 1727) i;
    INSERT INTO h SELECT 'weekly_ar', s, i, ts, v FROM (
      SELECT i, timestamptz '2024-01-01' + i * interval '1 hour' AS ts,
             100 + weekend(i, 0.6) * dayshape(i) + 0.5 * sum(gauss()) OVER (ORDER BY i) AS v
      FROM generate_series(0, 1727) i) x;
    INSERT INTO h SELECT 'weekly_small', s, i, timestamptz '2024-01-01' + i * interval '1 hour',
      100 + weekend(i, 0.9) * dayshape(i) + 4 * gauss() FROM generate_series(0, 1727) i;
  END LOOP;
END \$\$;
CREATE TABLE hm AS
SELECT kind, seed, 'default' AS model, rnn_train(ts, v, rnn_config(horizon => 48)) AS m
FROM h WHERE i < 1656 GROUP BY kind, seed
UNION ALL
SELECT kind, seed, 'week', rnn_train(ts, v, rnn_config(horizon => 48) || '{"season": 168, "window": 48}')
FROM h WHERE i < 1656 GROUP BY kind, seed;
SELECT x.kind, model, round(avg(mae)::numeric, 3) AS mae, round(avg(cov)::numeric, 3) AS coverage_90,
       round(avg(secs)::numeric, 2) AS train_s, string_agg(DISTINCT season, ',') AS seasons,
       round(avg(sn.week)::numeric, 3) AS snaive_week, round(avg(sn.day)::numeric, 3) AS snaive_day
FROM (SELECT hm.kind, hm.model, hm.seed, avg(abs(f.forecast - h.v)) AS mae,
             avg((h.v BETWEEN f.lower AND f.upper)::int) AS cov,
             min((rnn_model_info(hm.m)->'training'->>'training_seconds')::float8) AS secs,
             min(rnn_model_info(hm.m)->>'season') AS season
      FROM hm CROSS JOIN LATERAL rnn_forecast(hm.m, 48) f
      JOIN h ON h.kind = hm.kind AND h.seed = hm.seed AND h.ts = f.ts GROUP BY 1, 2, 3) x
JOIN (SELECT a.kind, a.seed, avg(abs(a.v - b.v)) AS week, avg(abs(a.v - c.v)) AS day
      FROM h a JOIN h b ON b.kind = a.kind AND b.seed = a.seed AND b.i = a.i - 168
               JOIN h c ON c.kind = a.kind AND c.seed = a.seed AND c.i = 1632 + (a.i - 1656) % 24
      WHERE a.i >= 1656 AND a.i < 1704 GROUP BY 1, 2) sn ON sn.kind = x.kind AND sn.seed = x.seed
GROUP BY 1, 2 ORDER BY 1, 2;
SQL
