#!/usr/bin/env bash
# Defaults on a long series: 4,000 half-hourly points (a daily and a weekly pattern, a trend
# and deterministic noise), trained with rnn_config(horizon => 48) only, against the same
# training with the two defaults that 0.4.0 added for long series switched off
# (epoch_size => 0: every window in every epoch; "window" => 96: two seasons), in one run.
#
#   bash test/bench/long_series.sh [--repeat N]
#
# The last 48 points are held out: both models forecast them, and the script prints the
# statement seconds (training, calibration, storing; from a clock in the session), the
# training_seconds the model records, the epochs run, the forecast's MAE, the 90% coverage and the MAE of
# the seasonal naive forecast (the day before). The runs alternate (new, old, new, ...),
# --repeat times (default 1), and the best time of each is reported with the ratio.
# Throwaway server on port 54432 (test/bench/lib/server.sh). Needs root or postgres.
set -euo pipefail

PORT=54432
REPEAT=1
while [ $# -gt 0 ]; do
    case $1 in
        --repeat) REPEAT=$2; shift 2 ;;
        *) echo "usage: $0 [--repeat N]" >&2; exit 2 ;;
    esac
done
say() { echo "long_series: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

"${PSQL[@]}" <<'SQL'
CREATE EXTENSION rnn_forecast;
-- noise: a hash of the step, uniform in [-3, 3)
CREATE TABLE hh AS
SELECT timestamp '2024-01-01' + g * interval '30 min' AS ts,
       100 + 20 * sin(2 * pi() * g / 48) + 5 * sin(2 * pi() * g / 336) + 0.002 * g
       + 6 * (('x' || substr(md5(g::text), 1, 8))::bit(32)::bigint & 1048575) / 1048576.0 - 3 AS v
FROM generate_series(0, 3999) g;
CREATE TABLE runs (variant text, secs float8, train_secs float8, epochs int, window_size int, mae float8, coverage float8);
SQL

run() {
    local name=$1 extra=$2
    "${PSQL[@]}" <<SQL
CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t;
CREATE TEMP TABLE m AS
SELECT rnn_train(ts, v, rnn_config(horizon => 48) || '$extra'::jsonb) AS model
FROM hh WHERE ts < timestamp '2024-01-01' + 3952 * interval '30 min';
INSERT INTO runs
SELECT '$name', extract(epoch FROM clock_timestamp() - (SELECT t FROM t0)),
       (rnn_model_info(model)->'training'->>'training_seconds')::float8,
       (rnn_model_info(model)->'training'->>'epochs_run')::int, (rnn_model_info(model)->>'window')::int,
       (SELECT avg(abs(f.forecast - h.v)) FROM rnn_forecast(model, 48) f JOIN hh h ON h.ts = f.ts),
       (SELECT avg((h.v BETWEEN f.lower AND f.upper)::int) FROM rnn_forecast(model, 48) f JOIN hh h ON h.ts = f.ts)
FROM m;
SQL
}

for i in $(seq 1 "$REPEAT"); do
    say "run $i/$REPEAT: defaults"
    run defaults '{}'
    say "run $i/$REPEAT: every window, two seasons"
    run 'epoch_size 0, window 96' '{"epoch_size": 0, "window": 96}'
done

"${PSQL[@]}" -P format=aligned -P tuples_only=off -P footer=off <<'SQL'
SELECT variant, round(min(secs)::numeric, 2) AS best_seconds, round(min(train_secs)::numeric, 2) AS training_seconds, min(epochs) AS epochs, min(window_size) AS window,
       round(avg(mae)::numeric, 3) AS mae, round(avg(coverage)::numeric, 2) AS coverage_90
FROM runs GROUP BY variant ORDER BY variant;
SELECT round(((SELECT min(secs) FROM runs WHERE variant <> 'defaults') /
              (SELECT min(secs) FROM runs WHERE variant = 'defaults'))::numeric, 2) AS speedup,
       round((SELECT avg(abs(h.v - d.v)) FROM hh h JOIN hh d ON d.ts = h.ts - interval '1 day'
              WHERE h.ts >= timestamp '2024-01-01' + 3952 * interval '30 min')::numeric, 3) AS seasonal_naive_mae;
SQL
