#!/bin/bash
# A rule not built, measured: should rnn_anomaly keep a flagged value out of the next row's
# window? The CO2 series of sql/anomaly.sql (the same model and injected anomalies) at levels
# 0.99, 0.95 and 0.9: the flags of rnn_anomaly as it is, and those of the rule "row t's
# window leaves row t - 1 out when t - 1 was flagged (under the rule)", which compares row t
# with the two-step forecast from before t - 1 (as rnn_anomaly already does after a NULL),
# simulated row by row with rnn_anomaly over the rows with t - 1's value NULL.
# test/bench/anomaly_next_row.sql says how. About a minute.
#
#   bash test/bench/anomaly_next_row.sh   (PORT: 54690; RNN_DESTDIR: as the other benchmarks)
set -euo pipefail
PORT=${PORT:-54690}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
say() { echo "anomaly_next_row: $*" >&2; }
# shellcheck source=test/bench/lib/server.sh
. test/bench/lib/server.sh

"${PSQL[@]}" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION rnn_forecast' >/dev/null
for lv in 0.99 0.95 0.9; do
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR/sock" -p "$PORT" -U postgres -d postgres \
        -v lv="$lv" -f test/bench/anomaly_next_row.sql -P footer=off
done
"${PSQL[@]}" -c "SELECT 'built from ' || '$(git describe --always --dirty 2>/dev/null || echo unknown)'"
