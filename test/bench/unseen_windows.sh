#!/usr/bin/env bash
# A global model's window functions on series it never saw: rnn_anomaly's flags, one-step
# error and interval width on five stores a model of 20 others was not trained on
# (test/bench/unseen_windows.sql). The README's anomaly section quotes this output.
#
#   bash test/bench/unseen_windows.sh
#
# Throwaway server on port 54437 (test/bench/lib/server.sh). Needs root or postgres.
set -euo pipefail

PORT=${BENCH_PORT:-54437}
say() { echo "unseen_windows: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

"${PSQL[@]}" -c "CREATE EXTENSION rnn_forecast"
"${PSQL[@]}" -P format=aligned -P footer=off -P tuples_only=off -f test/bench/unseen_windows.sql
