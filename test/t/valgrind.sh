#!/usr/bin/env bash
# Runs pg_regress tests against a second throwaway server that
# runs under valgrind memcheck, and fails on any test failure or any memcheck
# error whose stack passes through rnn_forecast.so.  (Stock PostgreSQL is not
# built with valgrind support, so errors that stay inside the server itself,
# such as uninitialised padding written to disk, are counted but not failed.)
# Environment from test/run.sh: PGUSER, RNN_TMP; RNN_VALGRIND_TESTS overrides
# the test list, RNN_VALGRIND_PORT the port (default 54339).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

PORT=${RNN_VALGRIND_PORT:-54339}
# the tests that decode, forecast, import and fail, and the global models (small ones:
# 104 s under memcheck); the training-heavy ones
# (train, forecast, evaluate) take tens of minutes under memcheck, whose
# emulated OpenBLAS kernels are ~50x slower: RNN_VALGRIND_TESTS runs them too
TESTS=${RNN_VALGRIND_TESTS:-"model_io errors pytorch window_predict compat global"}
BIN=/usr/lib/postgresql/15/bin
DIR="$RNN_TMP/valgrind"
PGXS_DIR=$(dirname "$(/usr/lib/postgresql/15/bin/pg_config --pgxs)")
REGRESS="$PGXS_DIR/../test/regress/pg_regress"

if ! command -v valgrind >/dev/null; then
    tools/install-deps.sh valgrind >/dev/null || { echo "not ok - valgrind could not be installed"; exit 1; }
fi
as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

mkdir -p "$DIR/sock" "$DIR/out"
chmod 777 "$DIR" "$DIR/sock" "$DIR/out"
chown postgres "$DIR" "$DIR/sock" 2>/dev/null
as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync --no-locale -E UTF8 >/dev/null || {
    echo "not ok - initdb"; exit 1; }
cat >>"$DIR/data/postgresql.conf" <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$DIR/sock'
fsync = off
max_connections = 10
shared_buffers = 32MB
max_parallel_workers_per_gather = 0
CONF

as_postgres env OPENBLAS_NUM_THREADS=1 valgrind --quiet --error-limit=no --num-callers=40 \
    --trace-children=no --log-file="$DIR/out/vg.%p.log" \
    "$BIN/postgres" -D "$DIR/data" >"$DIR/out/server.log" 2>&1 &
vg_pid=$!
cleanup() {
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" stop -m fast -t 120 >/dev/null 2>&1
    wait "$vg_pid" 2>/dev/null
}
trap cleanup EXIT

for _ in $(seq 1 120); do
    "$BIN/pg_isready" -q -h "$DIR/sock" -p "$PORT" && break
    sleep 1
done
"$BIN/pg_isready" -q -h "$DIR/sock" -p "$PORT" || { echo "not ok - server under valgrind did not start"; exit 1; }

start=$(date +%s)
# shellcheck disable=SC2086
"$REGRESS" --inputdir=. --outputdir="$DIR/out" --bindir="$BIN" --host="$DIR/sock" --port="$PORT" \
    --user=postgres --dbname=rnn_valgrind $TESTS >"$DIR/out/regress.log" 2>&1
regress_rc=$?
secs=$(( $(date +%s) - start ))
cleanup
trap - EXIT

failed=0
if [ "$regress_rc" -eq 0 ]; then
    echo "ok - pg_regress under valgrind: $TESTS (${secs} s)"
else
    echo "not ok - pg_regress under valgrind failed:"
    grep -E "^(test| )" "$DIR/out/regress.log" | head -20
    failed=1
fi

# every error block in the valgrind logs: "==PID== <kind>" up to a blank "==PID== " line
ours=0
theirs=0
for f in "$DIR"/out/vg.*.log; do
    [ -s "$f" ] || continue
    while IFS= read -r block; do
        if grep -q "rnn_forecast" <<<"$block"; then
            ours=$((ours + 1))
            echo "$block" | head -40
        else
            theirs=$((theirs + 1))
        fi
    done < <(awk '/^==[0-9]+== [A-Z]/ { if (b != "") print b; b = $0; next }
                  /^==[0-9]+== *$/ { if (b != "") print b; b = ""; next }
                  { if (b != "") b = b "\\n" $0 }
                  END { if (b != "") print b }' "$f")
done
echo "# memcheck errors through rnn_forecast.so: $ours; inside the server only: $theirs"
if [ "$ours" -eq 0 ]; then
    echo "ok - valgrind memcheck: no error through rnn_forecast.so"
else
    echo "not ok - valgrind memcheck: $ours error(s) through rnn_forecast.so"
    failed=1
fi
exit $failed
