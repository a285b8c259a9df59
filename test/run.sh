#!/usr/bin/env bash
# The project's test command: bash test/run.sh
#
# Installs the build dependencies, builds and installs the extension, then runs
#   core     the C core tests (make -C test check; lines "ok - NAME" / "not ok - NAME"), also
#            under ASan + UBSan and test_core under valgrind memcheck,
#   regress  the pg_regress suite (make installcheck) against a throwaway server,
#   scripts  every executable test/t/*.sh (env PGHOST, PGPORT, PGUSER, RNN_TMP; exit 0 = pass),
#   tap      every test/t/*.pl with prove and PostgreSQL::Test::Cluster (servers of their own,
#            started as the postgres OS user; one result per "ok N - NAME" line).
# A failed build step counts as a failed test. The last line is "N passed, M failed";
# the exit status is 1 when M > 0.
#
# Environment: RNN_TEST_PORT (default 54329), PG_CONFIG, RNN_SCRIPT_TIMEOUT (seconds per
# test/t script, default 1200; test/t/valgrind.sh, whose two memcheck lanes take about 1,100 s
# each since sql/forms.sql joined them, and up to 1,760 s on a busy machine, gets twice as
# much).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

PORT=${RNN_TEST_PORT:-54329}
SCRIPT_TIMEOUT=${RNN_SCRIPT_TIMEOUT:-1200}

declare -A passed=() failed=()
suites=()
failures=()

# record SUITE pass|fail NAME
record() {
    local suite=$1 result=$2 name=$3
    if [[ ! -v passed[$suite] ]]; then
        passed[$suite]=0
        failed[$suite]=0
        suites+=("$suite")
    fi
    if [ "$result" = pass ]; then
        passed[$suite]=$((passed[$suite] + 1))
    else
        failed[$suite]=$((failed[$suite] + 1))
        failures+=("$suite: $name")
    fi
}

# each section's heading says when it began, in seconds since the start (where CI's time goes)
section() {
    printf '\n===== %s (at %d s) =====\n' "$*" "$SECONDS"
}

TMP=$(mktemp -d)
LOGS="$TMP/logs"
mkdir -p "$LOGS"
server_started=0
cleanup() {
    if [ "$server_started" = 1 ]; then
        tools/pg-temp-server.sh stop "$TMP" >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
section "dependencies"
# libipc-run-perl: PostgreSQL's TAP framework; postgresql-15-cron: test/t/cron.pl; valgrind:
# core-valgrind and test/t/valgrind.sh
if ! tools/install-deps.sh libipc-run-perl postgresql-15-cron valgrind; then
    record build fail "tools/install-deps.sh"
fi

if [ -z "${PG_CONFIG:-}" ]; then
    if [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
        PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
    else
        PG_CONFIG=pg_config
    fi
fi

if [ "$(id -u)" -eq 0 ] || ! command -v sudo >/dev/null 2>&1; then
    as_root=()
else
    as_root=(sudo)
fi

section "build"
build_ok=1
if ! make PG_CONFIG="$PG_CONFIG" clean; then
    record build fail "make clean"
    build_ok=0
elif ! make -j"$(nproc)" PG_CONFIG="$PG_CONFIG"; then
    record build fail "make"
    build_ok=0
elif ! "${as_root[@]}" make PG_CONFIG="$PG_CONFIG" install; then
    record build fail "make install"
    build_ok=0
fi

# ---------------------------------------------------------------- core
# run_core SUITE TARGET [make arguments...]: build and run the C core tests (make TARGET), one
# result per "ok - NAME" / "not ok - NAME" line.
run_core() {
    local suite=$1 target=$2
    shift 2
    section "core tests: $suite (make -C test clean $target $*)"
    if [ ! -f test/Makefile ]; then
        echo "test/Makefile is missing"
        record "$suite" fail "test/Makefile missing"
        return
    fi
    make -C test clean >/dev/null
    make -C test -j"$(nproc)" "$@" "$target" 2>&1 | tee "$LOGS/$suite.log"
    local rc=${PIPESTATUS[0]} n_ok=0 n_fail=0 line
    while IFS= read -r line; do
        if [[ $line =~ ^not\ ok(\ [0-9]+)?\ -\ (.*)$ ]]; then
            record "$suite" fail "${BASH_REMATCH[2]}"
            n_fail=$((n_fail + 1))
        elif [[ $line =~ ^ok(\ [0-9]+)?\ -\ (.*)$ ]]; then
            record "$suite" pass "${BASH_REMATCH[2]}"
            n_ok=$((n_ok + 1))
        elif [[ $line =~ (AddressSanitizer|LeakSanitizer|runtime\ error:) ]]; then
            record "$suite" fail "sanitizer report: $line"
            n_fail=$((n_fail + 1))
        fi
    done <"$LOGS/$suite.log"
    if [ "$rc" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
        record "$suite" fail "make -C test $target exited with status $rc"
    elif [ "$n_ok" -eq 0 ] && [ "$n_fail" -eq 0 ]; then
        record "$suite" fail "make -C test $target reported no test results"
    fi
}

run_core core check
# the same tests under AddressSanitizer (with leak detection) and UBSan
ASAN_OPTIONS=detect_leaks=1 run_core core-asan check SANITIZE=1
# test_core under valgrind memcheck: its allocator fills memory with junk, so a read before a
# write changes results, and memcheck reports the read (status 99)
run_core core-valgrind valgrind-check
make -C test clean >/dev/null

# ---------------------------------------------------------------- server
section "throwaway server on port $PORT"
if tools/pg-temp-server.sh start "$TMP" "$PORT"; then
    server_started=1
else
    server_started=1 # stop whatever part of it did start
    record server fail "tools/pg-temp-server.sh start"
fi
server_ok=0
if [ -S "$TMP/sock/.s.PGSQL.$PORT" ]; then
    server_ok=1
fi

# ---------------------------------------------------------------- regress
section "regression tests (make installcheck)"
if [ "$build_ok" = 1 ] && [ "$server_ok" = 1 ]; then
    PGHOST="$TMP/sock" PGPORT="$PORT" PGUSER=postgres \
        make PG_CONFIG="$PG_CONFIG" installcheck \
        PGHOST="$TMP/sock" PGPORT="$PORT" PGUSER=postgres 2>&1 | tee "$LOGS/regress.log"
    rc=${PIPESTATUS[0]}
    n_ok=0
    n_fail=0
    re15='^[[:space:]]*(test[[:space:]]+)?([^[:space:]]+)[[:space:]]+\.\.\.[[:space:]]+(ok|FAILED|failed \(ignored\))'
    re16='^(ok|not ok)[[:space:]]+[0-9]+[[:space:]]+[-+][[:space:]]+([^[:space:]]+)'
    while IFS= read -r line; do
        name=
        status=
        if [[ $line =~ $re15 ]]; then
            name=${BASH_REMATCH[2]}
            status=${BASH_REMATCH[3]}
        elif [[ $line =~ $re16 ]]; then
            name=${BASH_REMATCH[2]}
            status=${BASH_REMATCH[1]}
        fi
        case "$status" in
            ok|"failed (ignored)") record regress pass "$name"; n_ok=$((n_ok + 1)) ;;
            FAILED|"not ok") record regress fail "$name"; n_fail=$((n_fail + 1)) ;;
        esac
    done <"$LOGS/regress.log"
    if [ "$rc" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
        record regress fail "make installcheck exited with status $rc"
    elif [ "$n_ok" -eq 0 ] && [ "$n_fail" -eq 0 ]; then
        record regress fail "make installcheck reported no test results"
    fi
    if [ "$rc" -ne 0 ] || [ "$n_fail" -ne 0 ]; then
        if [ -f regression.diffs ]; then
            echo "--- regression.diffs (first 300 lines) ---"
            head -n 300 regression.diffs
            echo "--- end of regression.diffs ---"
        fi
    fi
else
    echo "skipped: the build or the server failed"
fi

# ---------------------------------------------------------------- scripts
section "script tests (test/t/*.sh)"
shopt -s nullglob
scripts=(test/t/*.sh)
shopt -u nullglob
if [ ${#scripts[@]} -eq 0 ]; then
    echo "none"
fi
for script in "${scripts[@]}"; do
    if [ ! -x "$script" ]; then
        echo "skipping $script: not executable"
        continue
    fi
    if [ "$build_ok" != 1 ] || [ "$server_ok" != 1 ]; then
        echo "not ok - $script (not run: the build or the server failed)"
        record scripts fail "$script (not run)"
        continue
    fi
    echo "--- $script"
    began=$SECONDS
    limit=$SCRIPT_TIMEOUT
    [ "$(basename "$script")" = valgrind.sh ] && limit=$((SCRIPT_TIMEOUT * 2))
    if PGHOST="$TMP/sock" PGPORT="$PORT" PGUSER=postgres RNN_TMP="$TMP" \
            timeout "$limit" "$script"; then
        echo "ok - $script ($((SECONDS - began)) s)"
        record scripts pass "$script"
    else
        rc=$?
        if [ "$rc" -eq 124 ]; then
            echo "not ok - $script (timed out after ${limit}s)"
        else
            echo "not ok - $script (exit status $rc)"
        fi
        record scripts fail "$script"
    fi
done

# ---------------------------------------------------------------- citus
section "Citus for test/t/citus.pl (tools/build-citus.sh)"
# Builds and installs Citus from ../shared/vendor as root (once: skipped when that version is
# installed; "skipped" when the folder is absent, and citus.pl then skips itself).
if ! "${as_root[@]}" env PG_CONFIG="$PG_CONFIG" tools/build-citus.sh; then
    record build fail "tools/build-citus.sh"
fi

# ---------------------------------------------------------------- tap
# Multi-server tests with PostgreSQL's own TAP framework (PostgreSQL::Test::Cluster from
# postgresql-server-dev-15). initdb refuses root, so prove runs as the postgres OS user on a
# copy of test/t, data/ and README.md it can read, with TESTDIR (tmp_check, logs) in the throwaway dir.
section "TAP tests (prove test/t/*.pl)"
shopt -s nullglob
taps=(test/t/*.pl)
shopt -u nullglob
PGXS_DIR=$(dirname "$("$PG_CONFIG" --pgxs)")/../..
tap_src="$TMP/tap-src"
mkdir -p "$tap_src"
cp -r test/t data README.md "$tap_src/"
run_as_postgres=()
if [ "$(id -un)" != postgres ]; then
    run_as_postgres=(runuser -u postgres --)
    chown -R postgres: "$tap_src"
    chmod o+x "$TMP"
fi
for t in "${taps[@]}"; do
    name=$(basename "$t" .pl)
    if [ "$build_ok" != 1 ]; then
        record tap fail "$t (not run: the build failed)"
        continue
    fi
    tdir="$TMP/tap-$name"
    mkdir -p "$tdir"
    [ ${#run_as_postgres[@]} -eq 0 ] || chown postgres: "$tdir"
    echo "--- $t (at $SECONDS s)"
    (cd "$tap_src" && timeout "$SCRIPT_TIMEOUT" "${run_as_postgres[@]}" env \
        PATH="$("$PG_CONFIG" --bindir):$PATH" \
        PERL5LIB="$PGXS_DIR/src/test/perl" \
        PG_REGRESS="$PGXS_DIR/src/test/regress/pg_regress" \
        TESTDIR="$tdir" RNN_SRC="$tap_src" OPENBLAS_NUM_THREADS=1 \
        prove -v "t/$name.pl") 2>&1 | tee "$LOGS/tap-$name.log"
    rc=${PIPESTATUS[0]}
    n_ok=0
    n_fail=0
    while IFS= read -r line; do
        if [[ $line =~ ^not\ ok\ [0-9]+(\ -)?\ (.*)$ ]]; then
            record tap fail "$name: ${BASH_REMATCH[2]}"
            n_fail=$((n_fail + 1))
        elif [[ $line =~ ^ok\ [0-9]+(\ -)?\ (.*)$ ]]; then
            desc=${BASH_REMATCH[2]}
            # "ok 1 # skip ..." is neither a pass nor a failure
            [[ $desc == "# skip"* || $desc == "# SKIP"* ]] && continue
            record tap pass "$name: $desc"
            n_ok=$((n_ok + 1))
        fi
    done <"$LOGS/tap-$name.log"
    if [ "$rc" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
        record tap fail "$name: prove exited with status $rc"
        for log in "$tdir"/tmp_check/log/*; do
            [ -f "$log" ] || continue
            echo "--- last lines of $log"
            tail -n 30 "$log"
        done
    fi
done

# ---------------------------------------------------------------- summary
total_passed=0
total_failed=0
for suite in "${suites[@]}"; do
    total_passed=$((total_passed + passed[$suite]))
    total_failed=$((total_failed + failed[$suite]))
done

if [ "$total_failed" -gt 0 ] && [ -f "$TMP/server.log" ]; then
    section "end of the server log"
    tail -n 50 "$TMP/server.log"
fi

section "summary"
for suite in "${suites[@]}"; do
    printf '%-8s passed %d, failed %d\n' "$suite:" "${passed[$suite]}" "${failed[$suite]}"
done
for f in "${failures[@]}"; do
    echo "FAILED $f"
done
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
