#!/bin/bash
# Global models forecasting series they never saw, on the M3 training parts (no test
# point is read): half of each period's series train one global model per period, the other
# half are forecast from their own history with rnn_forecast(model, history, horizon);
# prints each period's sMAPE beside the naive forecast's (test/bench/m3_unseen.sql says how).
# About 3 minutes on 2 cores.
#
#   bash test/bench/m3_unseen.sh        (PORT: 54680; RNN_DESTDIR: as the other benchmarks)
set -euo pipefail
PORT=${PORT:-54680}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
say() { echo "m3_unseen: $*" >&2; }
# shellcheck source=test/bench/lib/server.sh
. test/bench/lib/server.sh

"${PSQL[@]}" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION rnn_forecast' >/dev/null
"${PSQL[@]}" -c 'CREATE TABLE m3_series (id text, ts text, value float8, part text)' \
             -c 'CREATE TABLE m3_meta (id text, period text, type text, n int, h int, season int, scale float8)'
gzip -dc data/m3/m3_series.csv.gz | "${PSQL[@]}" -c 'COPY m3_series FROM STDIN (FORMAT csv, HEADER)'
gzip -dc data/m3/m3_meta.csv.gz | "${PSQL[@]}" -c 'COPY m3_meta FROM STDIN (FORMAT csv, HEADER)'
say "training 4 global models on half the series, forecasting the other half from their histories"
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR/sock" -p "$PORT" -U postgres -d postgres \
    -f test/bench/m3_unseen.sql -P footer=off
"${PSQL[@]}" -c "SELECT 'built from ' || '$(git describe --always --dirty 2>/dev/null || echo unknown)'"
