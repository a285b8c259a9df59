#!/usr/bin/env bash
# What a growing window frame costs rnn_predict: rnn_predict(value, model, 1) OVER (PARTITION
# BY st ORDER BY d), whose frame grows by a row at each row, against rnn_predict_rows(value,
# model, 1) over the same rows, timed in turns in one session. Both forecast every row from
# the rows before it; the models are one-series and seasonal (weekly), so both place each
# row in the season from every row before it (RnnPhaseTrack). Until 0.8.0's state kept that
# reading, rnn_predict read the frame's last 1,000 rows again at every row: the ratio shows
# what a row of the aggregate costs beyond a row of the window function (Theta's fit over up
# to 1,000 rows, for the forecast of each row alone, stays).
#
#   bash test/bench/bench_window_phase.sh                      # 4 stores x 2,000 days, 3 turns
#   bash test/bench/bench_window_phase.sh --stores 2 --days 5000 --repeat 5
#
# Throwaway server on port 54437 (test/bench/lib/server.sh; RNN_DESTDIR as there). The
# models are small (3 epochs, one member): their training is not timed.
set -euo pipefail

PORT=${BENCH_PORT:-54437}
STORES=4
DAYS=2000
REPEAT=3
USAGE="[--stores N] [--days N] [--repeat N]"
. "$(dirname "$0")/lib/stores_args.sh"
bench_args "$@"
say() { echo "bench_window_phase: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

say "training $STORES models on $DAYS days each"
"${PSQL[@]}" -v stores="$STORES" -v days="$DAYS" >/dev/null <<'EOF'
SET client_min_messages = warning;
CREATE EXTENSION rnn_forecast;
\i test/bench/lib/stores.sql
CREATE TABLE m AS
SELECT st, rnn_train(v, rnn_config(horizon => 7, epochs => 3, ensemble => 1, season => 7) ORDER BY d) AS model
FROM s GROUP BY st;
EOF

"${PSQL[@]}" -v repeat="$REPEAT" <<'EOF'
\i test/bench/lib/timing.sql
SELECT set_config('bench.repeat', :'repeat', false) AS repeat_set \gset
SET jit = off;
DO $$
BEGIN
    FOR k IN 1 .. current_setting('bench.repeat')::int LOOP
        INSERT INTO r SELECT k, 'rnn_predict_rows', pg_temp.t(
            'SELECT count(f) FROM (SELECT rnn_predict_rows(s.v, m.model, 1) OVER (PARTITION BY s.st ORDER BY s.d) AS f FROM s JOIN m USING (st)) x');
        INSERT INTO r SELECT k, 'rnn_predict', pg_temp.t(
            'SELECT count(f) FROM (SELECT rnn_predict(s.v, m.model, 1) OVER (PARTITION BY s.st ORDER BY s.d) AS f FROM s JOIN m USING (st)) x');
    END LOOP;
END $$;
SELECT format('%s rows in %s partitions, best of %s turns: rnn_predict_rows %s s, rnn_predict (growing frame) %s s, ratio %s',
              (SELECT count(*) FROM s), (SELECT count(*) FROM m), max(turn),
              round(min(seconds) FILTER (WHERE what = 'rnn_predict_rows')::numeric, 3),
              round(min(seconds) FILTER (WHERE what = 'rnn_predict')::numeric, 3),
              round((min(seconds) FILTER (WHERE what = 'rnn_predict')
                     / min(seconds) FILTER (WHERE what = 'rnn_predict_rows'))::numeric, 2))
FROM r;
EOF
