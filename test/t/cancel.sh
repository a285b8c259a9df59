#!/usr/bin/env bash
# Stopping a long training: statement_timeout, pg_cancel_backend, pg_terminate_backend.
#
#   (a) SET statement_timeout = '500ms': SQLSTATE 57014 within 500 ms + 1 s; the session is usable
#       after it; pg_backend_memory_contexts grows by less than 1 MB across the cancelled training
#   (b) pg_cancel_backend 1 s after the training started: the error reaches the client within 1 s
#       of the cancel call; the same session then runs SELECT 1
#   (c) pg_terminate_backend: the session dies within 1 s; the server still accepts connections,
#       pg_postmaster_start_time() is unchanged (no crash restart), and the server log written
#       during the test has no crash lines
#   (d) statement_timeout = 2s on rnn_train over 320 000 daily rows fed in descending order (the
#       calendar-month detection once insertion-sorted them: 19 to 32 s, deaf to cancels): the
#       statement returns, trained or cancelled, within 4 s
#   (e) pg_cancel_backend 1 s into rnn_model_to_json of a 7.1-million-weight model (seconds of
#       work): the error reaches the client within 1 s of the cancel call
#   (g) rnn_forecast.threads = 2: the backend runs a second thread while it trains;
#       statement_timeout = 500ms stops the training within 500 ms + 1 s, the second thread is
#       gone after it, and a 2-thread training in the same session then runs to the end;
#       pg_terminate_backend during a 2-thread training ends the process within 1 s (no crash:
#       the checks at the end)
#
# Environment (from test/run.sh): PGHOST, PGPORT, PGUSER (a superuser), RNN_TMP.
set -uo pipefail

: "${PGHOST:?PGHOST must be set}" "${PGPORT:?PGPORT must be set}" "${PGUSER:?PGUSER must be set}"
export PGHOST PGPORT PGUSER
unset PGDATABASE PGOPTIONS PGAPPNAME
RNN_TMP=${RNN_TMP:-/tmp}

DB=rnn_cancel_test
# a safety net: a session whose cancel is lost still ends, long after the 1 s checks failed
SAFETY_TIMEOUT=30s
TRAIN="SELECT length(rnn_train(v, rnn_config(hidden_size => 128, num_layers => 2, \"window\" => 64, epochs => 1000, batch_size => 64) ORDER BY i)) FROM cancel_series"

WORK=$(mktemp -d "$RNN_TMP/cancel.XXXXXX") || exit 1
bg_pids=()
# shellcheck source=test/t/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

psql_admin() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -At -d postgres "$@"; }
psql_db() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -At -d "$DB" "$@"; }

cleanup() {
    local p
    for p in "${bg_pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    psql_admin -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$DB' AND pid <> pg_backend_pid()" >/dev/null 2>&1
    psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
    for p in "${bg_pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


now() { date +%s.%N; }
# ms A B: (B - A) in milliseconds, rounded
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
# lt X Y: X < Y (numbers)
lt() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x < y) }'; }

# Reads lines on stdin and writes each prefixed with the time it arrived.
stamp() {
    local line
    while IFS= read -r line; do
        printf '%s %s\n' "$(date +%s.%N)" "$line"
    done
}

# wait_active APPNAME [FUNCTION]: prints the pid of the session APPNAME once it runs FUNCTION
# (default rnn_train; 10 s at most)
wait_active() {
    local app=$1 fn=${2:-rnn_train} pid
    for _ in $(seq 1 200); do
        pid=$(psql_admin -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$app' AND state = 'active' AND query LIKE '%$fn%' LIMIT 1" 2>/dev/null)
        if [ -n "$pid" ]; then
            echo "$pid"
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# wait_exit PID SECONDS: waits for a background job to end; 1 if it still runs after SECONDS
wait_exit() {
    local p=$1 limit=$2
    for _ in $(seq 1 $((limit * 20))); do
        kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
        sleep 0.05
    done
    return 1
}

# ------------------------------------------------------------------ setup
LOG="$RNN_TMP/server.log"
log_offset=0
if [ -r "$LOG" ]; then
    log_offset=$(stat -c %s "$LOG")
fi

psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" || exit 1
psql_db <<'SQL' || exit 1
SET client_min_messages = warning;
CREATE EXTENSION rnn_forecast;
CREATE TABLE cancel_series AS
SELECT i, sin(i * 2 * pi() / 24) + 0.1 * sin(i * 0.37) AS v FROM generate_series(1, 20000) i;
ANALYZE cancel_series;
SQL
start_time_before=$(psql_admin -c "SELECT pg_postmaster_start_time()") || exit 1
echo "# postmaster started at $start_time_before; server log $LOG from byte $log_offset"
echo "# training: $TRAIN"

# ------------------------------------------------------------------ (a) statement_timeout + memory
# One session: memory before, the training cut by statement_timeout (timed by psql's \timing,
# which reports failed statements too), memory after, SELECT 1; then a second round, with the
# library and catalog caches already loaded, for the steady-state growth.
cat >"$WORK/a.sql" <<SQL
\\set VERBOSITY verbose
SELECT pg_backend_pid() AS pid \\gset
\\echo PID :pid
SELECT sum(total_bytes) AS mem FROM pg_backend_memory_contexts \\gset
\\echo MEM0 :mem
SET statement_timeout = '500ms';
\\timing on
$TRAIN;
\\timing off
\\echo STATE1 :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT sum(total_bytes) AS mem FROM pg_backend_memory_contexts \\gset
\\echo MEM1 :mem
SELECT 1 AS one \\gset
\\echo USABLE :one
SET statement_timeout = '500ms';
\\timing on
$TRAIN;
\\timing off
\\echo STATE2 :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT sum(total_bytes) AS mem FROM pg_backend_memory_contexts \\gset
\\echo MEM2 :mem
SQL
psql -X -q -v ON_ERROR_STOP=0 -At -d "$DB" -f "$WORK/a.sql" >"$WORK/a.out" 2>"$WORK/a.err"
a_rc=$?
mapfile -t a_times < <(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$WORK/a.out")
a_state1=$(sed -n 's/^STATE1 //p' "$WORK/a.out")
a_state2=$(sed -n 's/^STATE2 //p' "$WORK/a.out")
mem0=$(sed -n 's/^MEM0 //p' "$WORK/a.out")
mem1=$(sed -n 's/^MEM1 //p' "$WORK/a.out")
mem2=$(sed -n 's/^MEM2 //p' "$WORK/a.out")
a_usable=$(sed -n 's/^USABLE //p' "$WORK/a.out")
a_ms=${a_times[0]:-}
if [ "$a_rc" -ne 0 ] || [ -z "$a_ms" ] || [ -z "$mem0" ] || [ -z "$mem2" ]; then
    echo "# (a) psql exit status $a_rc; output:"
    sed 's/^/#   /' "$WORK/a.out" "$WORK/a.err"
fi
[ "$a_state1" = 57014 ] && grep -q 'canceling statement due to statement timeout' "$WORK/a.err"
check $? "(a) statement_timeout = 500ms: SQLSTATE ${a_state1:-none} (want 57014): $(grep -m1 'ERROR' "$WORK/a.err")"
[ -n "$a_ms" ] && lt "$a_ms" 1500
check $? "(a) statement_timeout = 500ms: the statement ended after ${a_ms:-?} ms (limit 1500 ms; overshoot $(awk -v t="${a_ms:-0}" 'BEGIN { printf "%.0f", t - 500 }') ms)"
[ "$a_state2" = 57014 ] && [ -n "${a_times[1]:-}" ] && lt "${a_times[1]}" 1500
check $? "(a) a second timeout in the same session: SQLSTATE ${a_state2:-none} after ${a_times[1]:-?} ms"
[ "$a_usable" = 1 ]
check $? "(a) the session is usable after the timeout (SELECT 1 -> ${a_usable:-nothing})"
if [ -n "$mem0" ] && [ -n "$mem1" ] && [ -n "$mem2" ]; then
    d1=$((mem1 - mem0))
    d2=$((mem2 - mem1))
    [ "$d1" -lt 1048576 ]
    check $? "memory: pg_backend_memory_contexts $mem0 -> $mem1 bytes across the first cancelled training (+$d1 bytes, limit 1 MB; includes loading the library)"
    [ "$d2" -lt 1048576 ]
    check $? "memory: $mem1 -> $mem2 bytes across a second cancelled training in the same session (+$d2 bytes, limit 1 MB)"
else
    not_ok "memory: could not read pg_backend_memory_contexts (before '$mem0', after '$mem1', '$mem2')"
fi

# ------------------------------------------------------------------ (b) pg_cancel_backend
# The training runs in a background psql (then SELECT 1 in the same session); every line the
# client prints is time-stamped as it arrives. 1 s after the training shows up as active in
# pg_stat_activity, a second session cancels it.
cat >"$WORK/b.sql" <<SQL
$TRAIN;
\\echo STATE :LAST_ERROR_SQLSTATE
SELECT 1 AS one \\gset
\\echo USABLE :one
SQL
PGAPPNAME=rnn_cancel_b PGOPTIONS="-c statement_timeout=$SAFETY_TIMEOUT" \
    psql -X -q -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -At -d "$DB" -f "$WORK/b.sql" 2>&1 \
    | stamp >"$WORK/b.out" &
b_job=$!
bg_pids+=("$b_job")
if b_pid=$(wait_active rnn_cancel_b); then
    t_started=$(now)
    sleep 1
    if ! kill -0 "$b_job" 2>/dev/null; then
        not_ok "(b) the training ended by itself within 1 s:"
        sed 's/^/#   /' "$WORK/b.out"
    fi
    t_cancel=$(now)
    # the call's own clock_timestamp() too: the client-side figure includes psql's connection
    read -r t_cancel_srv cancelled < <(psql_admin -F ' ' -c "SELECT extract(epoch FROM clock_timestamp()), pg_cancel_backend($b_pid)")
    t_cancel_done=$(now)
    if wait_exit "$b_job" 40; then
        t_err=$(awk '/ERROR/ { print $1; exit }' "$WORK/b.out")
        b_state=$(sed -n 's/^[0-9.]* STATE //p' "$WORK/b.out")
        b_usable=$(sed -n 's/^[0-9.]* USABLE //p' "$WORK/b.out")
        b_ms=
        [ -n "$t_err" ] && b_ms=$(ms "$t_cancel" "$t_err") && b_srv_ms=$(ms "${t_cancel_srv:-0}" "$t_err")
        [ "$cancelled" = t ] && [ "$b_state" = 57014 ] && grep -q 'canceling statement due to user request' "$WORK/b.out"
        check $? "(b) pg_cancel_backend($b_pid) 1 s after the start (started $(ms "$t_started" "$t_cancel") ms before the call; call returned '$cancelled' in $(ms "$t_cancel" "$t_cancel_done") ms): SQLSTATE ${b_state:-none}, $(grep -m1 -o 'ERROR.*' "$WORK/b.out")"
        [ -n "$b_ms" ] && lt "$b_ms" 1000
        check $? "(b) pg_cancel_backend: the error reached the client ${b_ms:-?} ms after the cancel call (limit 1000 ms; includes the cancelling psql's connection; ${b_srv_ms:-?} ms after the server ran pg_cancel_backend)"
        [ "$b_usable" = 1 ]
        check $? "(b) the session is usable after the cancel (SELECT 1 -> ${b_usable:-nothing})"
    else
        not_ok "(b) the cancelled session still runs 40 s after pg_cancel_backend"
    fi
    [ "${failures}" -eq 0 ] || sed 's/^/#   (b) /' "$WORK/b.out"
else
    not_ok "(b) the training session never showed up as active in pg_stat_activity"
    sed 's/^/#   /' "$WORK/b.out"
fi

# ------------------------------------------------------------------ (c) pg_terminate_backend
cat >"$WORK/c.sql" <<SQL
$TRAIN;
SQL
PGAPPNAME=rnn_cancel_c PGOPTIONS="-c statement_timeout=$SAFETY_TIMEOUT" \
    psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -At -d "$DB" -f "$WORK/c.sql" 2>&1 \
    | stamp >"$WORK/c.out" &
c_job=$!
bg_pids+=("$c_job")
if c_pid=$(wait_active rnn_cancel_c); then
    sleep 1
    t_term=$(now)
    read -r t_term_srv terminated < <(psql_admin -F ' ' -c "SELECT extract(epoch FROM clock_timestamp()), pg_terminate_backend($c_pid)")
    # the backend process itself (the server is local: PGHOST is its unix socket)
    t_gone=
    if [ -d "/proc/$c_pid" ]; then
        for _ in $(seq 1 2000); do
            st=$(awk '{ print $3 }' "/proc/$c_pid/stat" 2>/dev/null)
            if [ -z "$st" ] || [ "$st" = Z ]; then
                t_gone=$(now)
                break
            fi
            sleep 0.005
        done
    fi
    if wait_exit "$c_job" 40; then
        t_err=$(awk '/FATAL|ERROR|server closed the connection/ { print $1; exit }' "$WORK/c.out")
        c_ms=
        [ -n "$t_err" ] && c_ms=$(ms "$t_term" "$t_err") && c_srv_ms=$(ms "${t_term_srv:-0}" "$t_err")
        [ "$terminated" = t ] && grep -q 'terminating connection due to administrator command' "$WORK/c.out"
        check $? "(c) pg_terminate_backend($c_pid) returned '$terminated': $(grep -m1 -o 'FATAL.*' "$WORK/c.out")"
        [ -n "$c_ms" ] && lt "$c_ms" 1000
        check $? "(c) pg_terminate_backend: the client saw the session end ${c_ms:-?} ms after the call (limit 1000 ms; ${c_srv_ms:-?} ms after the server ran pg_terminate_backend)"
        if [ -n "$t_gone" ]; then
            g_ms=$(ms "$t_term" "$t_gone")
            lt "$g_ms" 1000
            check $? "(c) pg_terminate_backend: backend process $c_pid exited ${g_ms} ms after the call (limit 1000 ms)"
        fi
    else
        not_ok "(c) the terminated session still runs 40 s after pg_terminate_backend"
        sed 's/^/#   /' "$WORK/c.out"
    fi
    gone_in_view=$(psql_admin -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $c_pid")
    [ "$gone_in_view" = 0 ]
    check $? "(c) pid $c_pid is no longer in pg_stat_activity"
else
    not_ok "(c) the training session never showed up as active in pg_stat_activity"
    sed 's/^/#   /' "$WORK/c.out"
fi

# ------------------------------------------------------------------ (d) many rows in descending order
# The rows reach the aggregate newest first; the calendar-month detection must not take
# quadratic time over them. The statement may train to the end or be cut by the timeout;
# either way it has to return within 4 s.
D_TRAIN='SELECT rnn_train(d, v, rnn_config(epochs => 1, hidden_size => 1, ensemble => 1, "window" => 2)) FROM (SELECT date '"'2000-01-01'"' + g d, (g % 7)::float8 v FROM generate_series(1, 320000) g ORDER BY g DESC) x'
echo "# (d) $D_TRAIN"
cat >"$WORK/d.sql" <<SQL
SET statement_timeout = '2s';
\\timing on
$D_TRAIN;
\\timing off
\\echo STATE :LAST_ERROR_SQLSTATE
SQL
t_d0=$(now)
psql -X -q -v ON_ERROR_STOP=0 -At -d "$DB" -f "$WORK/d.sql" >"$WORK/d.out" 2>"$WORK/d.err"
d_rc=$?
t_d1=$(now)
d_ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$WORK/d.out" | head -n 1)
d_state=$(sed -n 's/^STATE //p' "$WORK/d.out")
d_wall=$(ms "$t_d0" "$t_d1")
if [ "$d_rc" -ne 0 ] || [ -z "$d_ms" ]; then
    echo "# (d) psql exit status $d_rc; output:"
    cut -c 1-200 "$WORK/d.out" "$WORK/d.err" | sed 's/^/#   /'
fi
case "$d_state" in
    00000) d_how="trained" ;;
    57014) d_how="cancelled by the timeout" ;;
    *) d_how="SQLSTATE ${d_state:-none}: $(grep -m1 'ERROR' "$WORK/d.err")" ;;
esac
[ "$d_state" = 00000 ] || [ "$d_state" = 57014 ]
check $? "(d) 320 000 rows in descending order, statement_timeout = 2s: $d_how"
[ -n "$d_ms" ] && lt "$d_ms" 4000
check $? "(d) the statement returned after ${d_ms:-?} ms (limit 4000 ms; psql ran ${d_wall} ms in all)"

# ------------------------------------------------------------------ (f) the time limit covers calibration
# One epoch trains quickly; the interval calibration (1,024 steps ahead from 256 origins
# with a 500-step window) takes minutes. rnn_forecast.max_training_seconds = 2 must stop
# the statement with its own error within 4 s (before 0.3.0 it ran 31 s).
F_TRAIN='SELECT length(rnn_train(i::bigint, sin(i / 7.0) + i % 13, rnn_config("window" => 500, hidden_size => 32, validation_fraction => 0.5, season => 1024, epochs => 1))) FROM generate_series(1, 2548) i'
echo "# (f) $F_TRAIN"
cat >"$WORK/f.sql" <<SQL
SET rnn_forecast.max_training_seconds = 2;
\\timing on
$F_TRAIN;
\\timing off
\\echo STATE :LAST_ERROR_SQLSTATE
SQL
psql -X -q -v ON_ERROR_STOP=0 -At -d "$DB" -f "$WORK/f.sql" >"$WORK/f.out" 2>"$WORK/f.err"
f_ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$WORK/f.out" | head -n 1)
f_state=$(sed -n 's/^STATE //p' "$WORK/f.out")
[ "$f_state" = 54000 ] && grep -q "max_training_seconds" "$WORK/f.err"
check $? "(f) max_training_seconds = 2 with a long calibration: SQLSTATE ${f_state:-none} (want 54000): $(grep -m1 'ERROR' "$WORK/f.err")"
[ -n "$f_ms" ] && lt "$f_ms" 4000
check $? "(f) the statement returned after ${f_ms:-?} ms (limit 4000 ms)"

# ------------------------------------------------------------------ (e) cancel rnn_model_to_json
# A model with hidden_size 768 and two layers (7.1 million weights, within the default
# rnn_forecast.max_parameters) trains one epoch on 20 rows in a second or two; turning it
# into JSON takes several seconds. IS NULL keeps jsonb's own output function (no interrupt
# checks, in PostgreSQL itself) out of the measurement.
psql_db -c "CREATE TABLE cancel_big AS SELECT rnn_train(i, (i % 5)::float8, rnn_config(hidden_size => 768, num_layers => 2, epochs => 1, ensemble => 1, \"window\" => 2) ORDER BY i) AS m FROM generate_series(1, 20) i" >"$WORK/e0.out" 2>&1
e_params=$(psql_db -c "SELECT rnn_model_info(m)->>'parameters' FROM cancel_big" 2>>"$WORK/e0.out")
if [ -n "$e_params" ]; then
    cat >"$WORK/e.sql" <<SQL
SELECT rnn_model_to_json(m) IS NULL FROM cancel_big;
\\echo STATE :LAST_ERROR_SQLSTATE
SELECT 1 AS one \\gset
\\echo USABLE :one
SQL
    PGAPPNAME=rnn_cancel_e PGOPTIONS="-c statement_timeout=$SAFETY_TIMEOUT" \
        psql -X -q -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -At -d "$DB" -f "$WORK/e.sql" 2>&1 \
        | stamp >"$WORK/e.out" &
    e_job=$!
    bg_pids+=("$e_job")
    if e_pid=$(wait_active rnn_cancel_e rnn_model_to_json); then
        sleep 1
        if ! kill -0 "$e_job" 2>/dev/null; then
            not_ok "(e) rnn_model_to_json of $e_params weights ended by itself within 1 s:"
            sed 's/^/#   /' "$WORK/e.out"
        fi
        t_cancel=$(now)
        read -r t_cancel_srv cancelled < <(psql_admin -F ' ' -c "SELECT extract(epoch FROM clock_timestamp()), pg_cancel_backend($e_pid)")
        if wait_exit "$e_job" 40; then
            t_err=$(awk '/ERROR/ { print $1; exit }' "$WORK/e.out")
            e_state=$(sed -n 's/^[0-9.]* STATE //p' "$WORK/e.out")
            e_usable=$(sed -n 's/^[0-9.]* USABLE //p' "$WORK/e.out")
            e_ms=
            [ -n "$t_err" ] && e_ms=$(ms "$t_cancel" "$t_err") && e_srv_ms=$(ms "${t_cancel_srv:-0}" "$t_err")
            [ "$cancelled" = t ] && [ "$e_state" = 57014 ] && grep -q 'canceling statement due to user request' "$WORK/e.out"
            check $? "(e) pg_cancel_backend($e_pid) 1 s into rnn_model_to_json of $e_params weights returned '$cancelled': SQLSTATE ${e_state:-none}, $(grep -m1 -o 'ERROR.*' "$WORK/e.out")"
            [ -n "$e_ms" ] && lt "$e_ms" 1000
            check $? "(e) pg_cancel_backend: the error reached the client ${e_ms:-?} ms after the cancel call (limit 1000 ms; ${e_srv_ms:-?} ms after the server ran pg_cancel_backend)"
            [ "$e_usable" = 1 ]
            check $? "(e) the session is usable after the cancel (SELECT 1 -> ${e_usable:-nothing})"
        else
            not_ok "(e) the cancelled session still runs 40 s after pg_cancel_backend"
        fi
    else
        not_ok "(e) rnn_model_to_json never showed up as active in pg_stat_activity"
        sed 's/^/#   /' "$WORK/e.out"
    fi
    psql_db -c "DROP TABLE cancel_big" >/dev/null 2>&1
else
    not_ok "(e) could not build the large model:"
    sed 's/^/#   /' "$WORK/e0.out"
fi

# ------------------------------------------------------------------ (g) two training threads
# The same training with rnn_forecast.threads = 2 (a worker thread computes half of every
# mini-batch while the backend's own thread computes the other half and checks for
# interrupts). The backend's threads are counted in /proc while it trains.
cat >"$WORK/g.sql" <<SQL
SET rnn_forecast.threads = 2;
SET statement_timeout = '1500ms';
\\timing on
$TRAIN;
\\timing off
\\echo STATE :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT pg_backend_pid() AS pid \\gset
\\echo PID :pid
SELECT length(rnn_train(v, rnn_config(hidden_size => 16, "window" => 24, epochs => 2, batch_size => 32, ensemble => 1) ORDER BY i)) > 0 AS ok
FROM cancel_series WHERE i <= 2000 \\gset
\\echo TRAINED :ok
SQL
PGAPPNAME=rnn_cancel_g psql -X -q -v ON_ERROR_STOP=0 -At -d "$DB" -f "$WORK/g.sql" >"$WORK/g.out" 2>"$WORK/g.err" &
g_job=$!
bg_pids+=("$g_job")
g_threads=
if g_pid=$(wait_active rnn_cancel_g); then
    sleep 0.5
    g_threads=$(ls "/proc/$g_pid/task" 2>/dev/null | wc -l)
fi
if wait_exit "$g_job" 40; then
    gt_ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$WORK/g.out" | head -n 1)
    g_state=$(sed -n 's/^STATE //p' "$WORK/g.out")
    g_trained=$(sed -n 's/^TRAINED //p' "$WORK/g.out")
    [ "$g_threads" = 2 ]
    check $? "(g) threads = 2: backend ${g_pid:-?} runs ${g_threads:-?} threads while it trains (want 2)"
    [ "$g_state" = 57014 ] && [ -n "$gt_ms" ] && lt "$gt_ms" 2500
    check $? "(g) threads = 2, statement_timeout = 1500ms: SQLSTATE ${g_state:-none} after ${gt_ms:-?} ms (limit 2500 ms; overshoot $(awk -v t="${gt_ms:-0}" 'BEGIN { printf "%.0f", t - 1500 }') ms)"
    [ "$g_trained" = t ]
    check $? "(g) a 2-thread training in the same session after the timeout runs to the end (${g_trained:-nothing})"
    [ "${failures}" -eq 0 ] || sed 's/^/#   (g) /' "$WORK/g.out" "$WORK/g.err"
else
    not_ok "(g) the 2-thread session still runs 40 s after its start"
fi
# the worker thread is joined when the statement fails: one thread left in the idle backend
cat >"$WORK/g2.sql" <<SQL
SET rnn_forecast.threads = 2;
SET statement_timeout = '700ms';
$TRAIN;
RESET statement_timeout;
SELECT count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
SQL
g_left=$(psql -X -q -v ON_ERROR_STOP=0 -At -d "$DB" -f "$WORK/g2.sql" 2>/dev/null | tail -n 1)
[ "$g_left" = 1 ]
check $? "(g) after a cancelled 2-thread training the backend has ${g_left:-?} thread (want 1)"
# pg_terminate_backend: FATAL does not unwind; the exit callback stops the worker first
cat >"$WORK/g3.sql" <<SQL
SET rnn_forecast.threads = 2;
$TRAIN;
SQL
PGAPPNAME=rnn_cancel_g3 PGOPTIONS="-c statement_timeout=$SAFETY_TIMEOUT" \
    psql -X -q -v ON_ERROR_STOP=1 -At -d "$DB" -f "$WORK/g3.sql" >"$WORK/g3.out" 2>&1 &
g3_job=$!
bg_pids+=("$g3_job")
if g3_pid=$(wait_active rnn_cancel_g3); then
    sleep 1
    t_term=$(now)
    psql_admin -c "SELECT pg_terminate_backend($g3_pid)" >/dev/null
    g3_gone=
    for _ in $(seq 1 2000); do
        st=$(awk '{ print $3 }' "/proc/$g3_pid/stat" 2>/dev/null)
        if [ -z "$st" ] || [ "$st" = Z ]; then
            g3_gone=$(ms "$t_term" "$(now)")
            break
        fi
        sleep 0.005
    done
    [ -n "$g3_gone" ] && lt "$g3_gone" 1000
    check $? "(g) pg_terminate_backend during a 2-thread training: process $g3_pid exited ${g3_gone:-?} ms after the call (limit 1000 ms)"
    wait_exit "$g3_job" 10 || true
else
    not_ok "(g) the 2-thread training for pg_terminate_backend never showed up as active"
fi

# ------------------------------------------------------------------ the server survived
after=$(psql_db -c "SELECT 1" 2>&1)
[ "$after" = 1 ]
check $? "the server accepts connections after the stops (SELECT 1 -> $after)"
start_time_after=$(psql_admin -c "SELECT pg_postmaster_start_time()" 2>&1)
[ "$start_time_after" = "$start_time_before" ]
check $? "pg_postmaster_start_time() unchanged: $start_time_before -> $start_time_after"
if [ -r "$LOG" ]; then
    tail -c +"$((log_offset + 1))" "$LOG" >"$WORK/log.part"
    crash_lines=$(grep -E 'terminated by signal|was terminated|exited with exit code|all server processes terminated|reinitializing|database system was interrupted|PANIC|TRAP:' "$WORK/log.part")
    [ -z "$crash_lines" ]
    check $? "server log: no crash lines among the $(wc -l <"$WORK/log.part") lines written during the test"
    [ -z "$crash_lines" ] || printf '#   %s\n' "$crash_lines"
    grep -q 'terminating connection due to administrator command' "$WORK/log.part"
    check $? "server log: it is this server's log (it holds the FATAL of (c))"
else
    not_ok "server log $LOG is not readable"
fi

echo "# summary: (a) timeout ${a_ms:-?} ms [SQLSTATE ${a_state1:-?}], (b) cancel ${b_ms:-?} ms (${b_srv_ms:-?} ms from the server-side call), (c) terminate ${c_ms:-?} ms (${c_srv_ms:-?} ms; process exit ${g_ms:-?} ms), memory +${d1:-?} / +${d2:-?} bytes, (d) 320 000 descending rows ${d_ms:-?} ms [SQLSTATE ${d_state:-?}], (e) rnn_model_to_json cancel ${e_ms:-?} ms, (g) 2 threads: timeout ${gt_ms:-?} ms, terminate ${g3_gone:-?} ms; $failures failed"
[ "$failures" -eq 0 ]
