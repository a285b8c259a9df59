#!/usr/bin/env bash
# Coverage-guided fuzzing of the stored model format (about 80 s).
#
# Builds test/fuzz/fuzz_model (libFuzzer + ASan + UBSan over the core sources:
# rnn_model_decode, then rnn_forecast_batch and rnn_interval_halfwidth on what
# it accepts) and runs it for 60 seconds on a copy of test/fuzz/corpus in
# $RNN_TMP, so the repository is not modified. Fails on any crash, sanitizer
# report, leak, timeout or out-of-memory; prints the number of executions.
# Needs no server. The inputs that failed are kept in $RNN_TMP/fuzz-artifacts.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$(pwd)

FUZZ_SECONDS=${FUZZ_SECONDS:-60}

fail() {
    echo "fuzz: FAIL: $*"
    exit 1
}

# clang and the sanitizer/libFuzzer runtimes (libclang-rt-14-dev is only a
# Recommends of clang-14, and install-deps.sh installs without recommends)
tools/install-deps.sh clang libclang-rt-14-dev >/dev/null || fail "tools/install-deps.sh clang libclang-rt-14-dev"

TMPBASE=${RNN_TMP:-${TMPDIR:-/tmp}}
WORK=$(mktemp -d "$TMPBASE/fuzz.XXXXXX") || fail "mktemp in $TMPBASE"
cleanup() {
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "fuzz: building test/fuzz/fuzz_model"
if ! make -s -C test fuzz_model >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log"
    fail "make -C test fuzz_model"
fi
[ -x test/fuzz/fuzz_model ] || fail "test/fuzz/fuzz_model was not built"

mkdir -p "$WORK/corpus" "$WORK/artifacts"
cp test/fuzz/corpus/* "$WORK/corpus/" || fail "no seed corpus in test/fuzz/corpus"
n_seeds=$(find "$WORK/corpus" -type f | wc -l)
echo "fuzz: running for ${FUZZ_SECONDS} s on a copy of the corpus ($n_seeds seeds)"

# libFuzzer runs leak detection itself (-detect_leaks=1 is its default with ASan)
(
    cd "$WORK" &&
    ASAN_OPTIONS=abort_on_error=0:detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    timeout $((FUZZ_SECONDS + 120)) "$ROOT/test/fuzz/fuzz_model" \
        -max_total_time="$FUZZ_SECONDS" -timeout=5 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$WORK/artifacts/" "$WORK/corpus"
) >"$WORK/fuzz.log" 2>&1
rc=$?

runs=
secs=
if line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$WORK/fuzz.log" | tail -n 1); then
    runs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/' <<<"$line")
    secs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/' <<<"$line")
elif line=$(grep -E '^stat::number_of_executed_units: *[0-9]+' "$WORK/fuzz.log" | tail -n 1); then
    runs="$(tr -dc 0-9 <<<"${line#*:}") (until the failure)"
fi
seed=$(sed -nE 's/^INFO: Seed: ([0-9]+).*/\1/p' "$WORK/fuzz.log" | head -n 1)
n_artifacts=$(find "$WORK/artifacts" -type f | wc -l)
n_reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|UndefinedBehaviorSanitizer|==[0-9]+==ERROR|ALARM: working on the last Unit|out-of-memory|deadly signal' "$WORK/fuzz.log")
corpus_after=$(find "$WORK/corpus" -type f | wc -l)

if [ "$rc" -ne 0 ] || [ "$n_artifacts" -ne 0 ] || [ "$n_reports" -ne 0 ] || [ -z "$runs" ]; then
    echo "--- fuzzer report (last 60 lines of its log) ---"
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED)' "$WORK/fuzz.log" | tail -n 60
    echo "--- end of fuzzer report ---"
    if [ "$n_artifacts" -ne 0 ]; then
        keep="$TMPBASE/fuzz-artifacts"
        mkdir -p "$keep"
        cp "$WORK/artifacts/"* "$keep/"
        for f in "$WORK/artifacts/"*; do
            echo "fuzz: failing input $(basename "$f") ($(wc -c <"$f") bytes), kept in $keep; hex (first 4 KB):"
            head -c 4096 "$f" | od -An -v -tx1 | tr -d ' \n' | fold -w 128
            echo
        done
        echo "fuzz: reproduce with: make -C test fuzz_model && test/fuzz/fuzz_model FILE (libFuzzer seed ${seed:-?})"
    fi
    fail "exit status $rc, ${runs:-unknown} executions, $n_artifacts crashing input(s), $n_reports sanitizer/libFuzzer report line(s)"
fi

echo "fuzz: $runs executions in $secs s (libFuzzer seed ${seed:-?}), corpus $n_seeds -> $corpus_after inputs," \
     "0 crashes, 0 sanitizer reports, 0 timeouts"
exit 0
