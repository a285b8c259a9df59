#!/usr/bin/env bash
# What replacing one-point spikes (despike) costs on the per-row path where it runs for every
# row: a global model's window forms without a series (rnn_predict_rows(value, model, 1) over
# partitions the model never saw), whose pipeline reads each row's history up to it (at most
# 1,000 steps) and replaces its spikes before the log, seasonal indices, scale and Theta.
# The same model with its pipeline's despike set to false (through rnn_model_from_json) is
# timed in turns with it in one session; the ratio is what the cleaning adds. The series are
# daily with a weekly season and a spike on about 1 day in 100.
#
#   bash test/bench/bench_despike.sh                    # 40 stores x 365 days, 3 turns
#   bash test/bench/bench_despike.sh --days 1000 --repeat 5
#
# Throwaway server on port 54439 (test/bench/lib/server.sh; RNN_DESTDIR as there). The model
# is small (3 epochs, one member of each kind, trained on 10 of the stores): its training is
# not timed.
set -euo pipefail

PORT=${BENCH_PORT:-54439}
STORES=40
DAYS=365
REPEAT=3
USAGE="[--stores N] [--days N] [--repeat N]"
. "$(dirname "$0")/lib/stores_args.sh"
bench_args "$@"
say() { echo "bench_despike: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

say "training a global model on 10 of $STORES stores of $DAYS days"
"${PSQL[@]}" -v stores="$STORES" -v days="$DAYS" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION rnn_forecast;
SELECT setseed(0.5);
CREATE TABLE s AS
SELECT st::text AS st, date '2024-01-01' + i AS d,
       100 + 10 * sin(i * 2 * pi() / 7) + st + random() * 5 + CASE WHEN random() < 0.01 THEN 60 ELSE 0 END AS v
FROM generate_series(1, :stores) st, generate_series(0, :days - 1) i;
CREATE TABLE m AS
SELECT rnn_train(st, d, v, rnn_config(horizon => 7, epochs => 3, ensemble => 1)) AS on_
FROM s WHERE st::int <= 10;
ALTER TABLE m ADD COLUMN off_ bytea;
UPDATE m SET off_ = rnn_model_from_json(jsonb_set(rnn_model_to_json(on_), '{pipeline,despike}', 'false'));
SQL

"${PSQL[@]}" -v repeat="$REPEAT" <<'SQL'
\i test/bench/lib/timing.sql
SELECT set_config('bench.repeat', :'repeat', false) AS repeat_set \gset
DO $$
BEGIN
    FOR k IN 1 .. current_setting('bench.repeat')::int LOOP
        INSERT INTO r SELECT k, 'off', pg_temp.t(
            'SELECT count(f) FROM (SELECT rnn_predict_rows(s.v, m.off_, 1) OVER (PARTITION BY s.st ORDER BY s.d) AS f FROM s, m) x');
        INSERT INTO r SELECT k, 'on', pg_temp.t(
            'SELECT count(f) FROM (SELECT rnn_predict_rows(s.v, m.on_, 1) OVER (PARTITION BY s.st ORDER BY s.d) AS f FROM s, m) x');
    END LOOP;
END $$;
SELECT format('%s rows in %s partitions (%s forecasts moved by the cleaning), best of %s turns: despike off %s s, on %s s, ratio %s',
              (SELECT count(*) FROM s), (SELECT count(DISTINCT st) FROM s),
              (SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b)
               FROM (SELECT rnn_predict_rows(s.v, m.on_, 1) OVER w AS a, rnn_predict_rows(s.v, m.off_, 1) OVER w AS b
                     FROM s, m WINDOW w AS (PARTITION BY s.st ORDER BY s.d)) x),
              max(turn),
              round(min(seconds) FILTER (WHERE what = 'off')::numeric, 3),
              round(min(seconds) FILTER (WHERE what = 'on')::numeric, 3),
              round((min(seconds) FILTER (WHERE what = 'on')
                     / min(seconds) FILTER (WHERE what = 'off'))::numeric, 2))
FROM r;
SQL
