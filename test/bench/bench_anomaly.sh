#!/usr/bin/env bash
# What rnn_anomaly costs beyond the forecasts it makes: rnn_anomaly(value, model) against
# rnn_predict_rows(value, model, 1) over the same rows, one model per partition (the usual
# "one model per store" query), timed in turns in one session. rnn_anomaly makes the same
# one-step forecasts and, once per model, prepares its interval and the 999 levels that
# give each row its score; the ratio shows what that preparation costs per partition, and
# what the rows after a flagged row cost: each is forecast again, alone, from a window that
# leaves the flagged value out (2026-12-05), so the ratio grows as lower levels flag more
# rows (the share flagged is printed).
#
#   bash test/bench/bench_anomaly.sh                      # 100 stores x 120 days, 3 turns
#   bash test/bench/bench_anomaly.sh --stores 300 --repeat 5
#   bash test/bench/bench_anomaly.sh --level 0.9          # rnn_anomaly's level (0.99)
#
# Throwaway server on port 54436 (test/bench/lib/server.sh; RNN_DESTDIR as there). The
# models are small (3 epochs, one member): their training is not timed.
set -euo pipefail

PORT=${BENCH_PORT:-54436}
STORES=100
DAYS=120
REPEAT=3
LEVEL=0.99
USAGE="[--stores N] [--days N] [--repeat N] [--level L]"
bench_extra_arg() {
    case $1 in
        --level) LEVEL=$2 ;;
        *) return 1 ;;
    esac
}
. "$(dirname "$0")/lib/stores_args.sh"
bench_args "$@"
say() { echo "bench_anomaly: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

say "training $STORES models on $DAYS days each"
"${PSQL[@]}" -v stores="$STORES" -v days="$DAYS" >/dev/null <<'EOF'
SET client_min_messages = warning;
CREATE EXTENSION rnn_forecast;
\i test/bench/lib/stores.sql
CREATE TABLE m AS
SELECT st, rnn_train(d, v, rnn_config(horizon => 7, epochs => 3, ensemble => 1)) AS model
FROM s GROUP BY st;
EOF

# each statement's time measured inside the session (clock_timestamp), in turns
"${PSQL[@]}" -v repeat="$REPEAT" -v level="$LEVEL" <<'EOF'
\i test/bench/lib/timing.sql
SELECT set_config('bench.repeat', :'repeat', false) AS repeat_set \gset
SELECT set_config('bench.level', :'level', false) AS level_set \gset
DO $$
BEGIN
    FOR k IN 1 .. current_setting('bench.repeat')::int LOOP
        INSERT INTO r SELECT k, 'rnn_predict_rows', pg_temp.t(
            'SELECT count(f) FROM (SELECT rnn_predict_rows(s.v, m.model, 1) OVER (PARTITION BY s.st ORDER BY s.d) AS f FROM s JOIN m USING (st)) x');
        INSERT INTO r SELECT k, 'rnn_anomaly', pg_temp.t(
            format('SELECT count(sc) FROM (SELECT (rnn_anomaly(s.v, m.model, %s) OVER (PARTITION BY s.st ORDER BY s.d)).score AS sc FROM s JOIN m USING (st)) x',
                   current_setting('bench.level')));
    END LOOP;
END $$;
SELECT format('%s rows in %s partitions, level %s (%s%% of the rows flagged), best of %s turns: rnn_predict_rows %s s, rnn_anomaly %s s, ratio %s',
              (SELECT count(*) FROM s), (SELECT count(*) FROM m), :'level',
              (SELECT round(100.0 * avg((a).is_anomaly::int), 1)
               FROM (SELECT rnn_anomaly(s.v, m.model, :'level'::float8) OVER (PARTITION BY s.st ORDER BY s.d) AS a
                     FROM s JOIN m USING (st)) x),
              max(turn),
              round(min(seconds) FILTER (WHERE what = 'rnn_predict_rows')::numeric, 3),
              round(min(seconds) FILTER (WHERE what = 'rnn_anomaly')::numeric, 3),
              round((min(seconds) FILTER (WHERE what = 'rnn_anomaly')
                     / min(seconds) FILTER (WHERE what = 'rnn_predict_rows'))::numeric, 2))
FROM r;
EOF
