#!/usr/bin/env bash
# Concurrent load (about 70 s): pgbench, 8 clients on 2 threads for 60 s, mixing
# the scripts in test/t/load/ (weights after @):
#   train.sql@2     rnn_train on one series of a shared table, stored in a shared table
#   warm.sql@1      warm-start rnn_train from a stored model (not stored)
#   forecast.sql@5  rnn_forecast (table and array forms) from the newest stored model
#   predict.sql@2   rnn_predict as a window function over a series
# on a series table of 50 series x 200 rows in a database of its own.
#
# Pass: pgbench exits 0 and reports 0 failed transactions, no client aborted and no
# ERROR in its output or in the server log; the server did not restart and its log
# gained no "terminated by signal"; and the resident memory (VmRSS from
# /proc/PID/status) of the pgbench clients' backends does not grow: sampled every
# 10 s, the largest sample of the last 20 s must stay below (the sample at 10 s) x 1.5
# + 20 MB, for every backend on its own and for their sum (margin 20 MB per backend).
# Also printed: the private part (VmRSS - RssShmem); the shared part grows with the
# shared-buffer pages a backend touches (the models table grows during the run).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

: "${PGHOST:?}" "${PGPORT:?}" "${PGUSER:?}"
export PGHOST PGPORT PGUSER
DB=rnn_load
DURATION=60
CLIENTS=8
LOG=${RNN_TMP:+$RNN_TMP/server.log}
SCRIPTS=test/t/load
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
[ -x "$PGBENCH" ] || PGBENCH=pgbench

fail() {
    echo "load: FAIL: $*"
    exit 1
}

WORK=$(mktemp -d "${RNN_TMP:-${TMPDIR:-/tmp}}/load.XXXXXX") || fail "mktemp"
bench_pid=
cleanup() {
    if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
        kill "$bench_pid" 2>/dev/null
        wait "$bench_pid" 2>/dev/null
    fi
    "${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=test/t/lib/health.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/health.sh"
health_begin || fail "cannot connect to the server"

# ---------------------------------------------------------------- shared tables
SECONDS=0
"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
    -c "CREATE DATABASE $DB" >/dev/null || fail "cannot create database $DB"
"${PSQL[@]}" -d "$DB" >"$WORK/setup.log" 2>&1 <<'EOF' || { cat "$WORK/setup.log"; fail "setup"; }
SET client_min_messages = warning;
CREATE EXTENSION rnn_forecast;
SELECT setseed(0.25);
CREATE TABLE load_series AS
SELECT s AS series, i::bigint AS t,
       100 * s + 10 * sin(i * 2 * pi() / 12 + s) + 0.2 * i + random() AS v
FROM generate_series(1, 50) s, generate_series(0, 199) i;
CREATE INDEX ON load_series (series, t);
CREATE TABLE load_models (id bigserial PRIMARY KEY, series int NOT NULL, model bytea NOT NULL);
CREATE INDEX ON load_models (series, id);
-- one GRU model per series to start from (warm.sql continues from these)
INSERT INTO load_models (series, model)
SELECT series, rnn_train(t, v, rnn_config(cell => 'gru', hidden_size => 4, "window" => 12, epochs => 3, ensemble => 1))
FROM load_series GROUP BY series ORDER BY series;
ANALYZE load_series;
ANALYZE load_models;
EOF
echo "load: setup ($("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM load_series") rows," \
     "$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM load_models") models) in ${SECONDS} s"

# ---------------------------------------------------------------- RSS sampling
# sample LABEL: one line "LABEL pid:VmRSS:RssShmem ..." (kB) for the pgbench backends
sample() {
    local label=$1 pids pid st rss shm parts=()
    pids=$("${PSQL[@]}" -At -d postgres -c \
        "SELECT pid FROM pg_stat_activity WHERE datname = '$DB' AND application_name = 'pgbench' ORDER BY pid") || return 1
    for pid in $pids; do
        st=$(cat "/proc/$pid/status" 2>/dev/null) || continue
        rss=$(awk '/^VmRSS:/ {print $2}' <<<"$st")
        shm=$(awk '/^RssShmem:/ {print $2}' <<<"$st")
        [ -n "$rss" ] || continue
        parts+=("$pid:$rss:${shm:-0}")
    done
    echo "$label ${parts[*]}"
}

# ---------------------------------------------------------------- the run
echo "load: pgbench -c $CLIENTS -j 2 -T $DURATION, scripts train@2 warm@1 forecast@5 predict@2"
"$PGBENCH" -n -c "$CLIENTS" -j 2 -T "$DURATION" \
    -f "$SCRIPTS/train.sql@2" -f "$SCRIPTS/warm.sql@1" \
    -f "$SCRIPTS/forecast.sql@5" -f "$SCRIPTS/predict.sql@2" \
    "$DB" >"$WORK/pgbench.out" 2>"$WORK/pgbench.err" &
bench_pid=$!
bench_start=$SECONDS

: >"$WORK/rss"
for t in 10 20 30 40 50 57; do
    while [ $((SECONDS - bench_start)) -lt "$t" ]; do
        kill -0 "$bench_pid" 2>/dev/null || break 2
        sleep 0.2
    done
    sample "$t" >>"$WORK/rss" || echo "load: warning: RSS sample at ${t} s failed"
done
wait "$bench_pid"
bench_rc=$?
bench_pid=
echo "load: pgbench finished after $((SECONDS - bench_start)) s with exit status $bench_rc"

errors=()
if ! [ -r /proc/1/status ] || ! grep -q . "$WORK/rss"; then
    errors+=("no RSS samples (is /proc of the postgres processes readable? run as root)")
fi

# ---------------------------------------------------------------- pgbench results
echo "--- pgbench output"
grep -vE '^(pgbench \(|starting vacuum|end\.)' "$WORK/pgbench.out"
echo "--- end of pgbench output"
tps=$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$WORK/pgbench.out" | head -n 1)
processed=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$WORK/pgbench.out" | head -n 1)
failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$WORK/pgbench.out" | head -n 1)
if [ "$bench_rc" -ne 0 ]; then
    errors+=("pgbench exited with status $bench_rc")
fi
if [ -z "$failed" ] || [ -z "$processed" ] || [ -z "$tps" ]; then
    errors+=("pgbench printed no tps / transactions / failed transactions summary")
elif [ "$failed" != 0 ]; then
    errors+=("$failed failed transaction(s)")
fi
if [ -n "$processed" ] && [ "$processed" -lt 50 ]; then
    errors+=("only $processed transactions in ${DURATION} s")
fi
if grep -qiE 'error|aborted' "$WORK/pgbench.err" "$WORK/pgbench.out"; then
    echo "--- pgbench errors (first 20 lines)"
    grep -iE 'error|aborted' "$WORK/pgbench.err" "$WORK/pgbench.out" | head -n 20
    errors+=("pgbench reported errors or aborted clients")
fi

# ---------------------------------------------------------------- RSS
# Per backend and summed over the backends: VmRSS, and its private part (VmRSS less
# RssShmem, the shared-buffer pages the backend has touched so far, which grow with
# the tables and are no leak). The limit, (sample at 10 s) x 1.5 + 20 MB per backend,
# applies to VmRSS; the private part is printed to tell a leak from shared pages.
echo "load: RSS samples of the pgbench backends, MB (VmRSS / private = VmRSS - RssShmem):"
if ! awk '
    { t = $1; times[++n] = t
      for (i = 2; i <= NF; i++) { split($i, a, ":"); rss[t, a[1]] = a[2]; prv[t, a[1]] = a[2] - a[3]; pids[a[1]] = 1
                                  trss[t] += a[2]; tprv[t] += a[2] - a[3]; nb[t]++ } }
    END {
        for (k = 1; k <= n; k++) {
            t = times[k]; line = ""
            for (p in pids) if ((t, p) in rss) line = line sprintf(" %.1f/%.1f", rss[t, p] / 1024, prv[t, p] / 1024)
            printf "  %2s s: total %6.1f / %5.1f  (%d backends:%s)\n", t, trss[t] / 1024, tprv[t] / 1024, nb[t], line
        }
        if (!(10 in trss)) { print "load: no sample at 10 s"; exit 1 }
        bad = 0
        # the total, with the 20 MB margin per backend
        m = 0; mp = 0
        for (k = 1; k <= n; k++) if (times[k] >= 40) {
            if (trss[times[k]] > m) m = trss[times[k]]
            if (tprv[times[k]] > mp) mp = tprv[times[k]]
        }
        if (m == 0) { print "load: no sample in the last 20 s"; exit 1 }
        lim = trss[10] * 1.5 + 20 * 1024 * nb[10]
        printf "load: total VmRSS %.1f MB at 10 s, max %.1f MB in the last 20 s (limit %.1f MB); private %.1f -> %.1f MB\n",
               trss[10] / 1024, m / 1024, lim / 1024, tprv[10] / 1024, mp / 1024
        if (m >= lim) { print "load: the total VmRSS grew beyond the limit"; bad = 1 }
        worst = -1
        for (p in pids) {
            if (!((10, p) in rss)) continue
            f = rss[10, p]; lim = f * 1.5 + 20 * 1024; m = 0; mp = 0
            for (k = 1; k <= n; k++) if (times[k] >= 40 && ((times[k], p) in rss)) {
                if (rss[times[k], p] > m) m = rss[times[k], p]
                if (prv[times[k], p] > mp) mp = prv[times[k], p]
            }
            if (m >= lim) {
                printf "load: backend %s: VmRSS grew from %.1f MB to %.1f MB (limit %.1f MB; private %.1f -> %.1f MB)\n",
                       p, f / 1024, m / 1024, lim / 1024, prv[10, p] / 1024, mp / 1024
                bad = 1
            }
            if (m / lim > worst) { worst = m / lim; wp = p; wf = f; wm = m; wl = lim; wpf = prv[10, p]; wpm = mp }
        }
        printf "load: closest backend to its limit: %s, VmRSS %.1f MB at 10 s, max %.1f MB in the last 20 s (limit %.1f MB); private %.1f -> %.1f MB\n",
               wp, wf / 1024, wm / 1024, wl / 1024, wpf / 1024, wpm / 1024
        exit bad
    }' "$WORK/rss"; then
    errors+=("the backends' resident memory grew")
fi

# ---------------------------------------------------------------- server health
health_end load "$WORK"
if [ -n "$HEALTH_LOG" ]; then
    n_log_errors=$(grep -cE '(ERROR|FATAL|PANIC):' "$HEALTH_LOG")
    if [ "$n_log_errors" != 0 ]; then
        grep -E '(ERROR|FATAL|PANIC):' "$HEALTH_LOG" | head -n 10
        errors+=("the server log gained $n_log_errors ERROR/FATAL/PANIC line(s)")
    fi
fi
stored=$("${PSQL[@]}" -At -d "$DB" -c "SELECT count(*) FROM load_models" 2>/dev/null)
echo "load: tps ${tps:-?}, ${processed:-?} transactions, ${failed:-?} failed, ${stored:-?} models stored," \
     "server start time unchanged: $(health_unchanged)"

health_verdict load
