#!/usr/bin/env bash
# The whole pg_regress suite, outputs checked, on the two instruction-set paths this machine
# does not take by itself (it has AVX-512, so the installed build runs its AVX-512 clones and
# OpenBLAS's AVX-512 kernels):
#   baseline  the sources built with RNN_CLONES=0 (the cell loops compiled once, for the
#             baseline x86-64), OpenBLAS's SSE kernels (OPENBLAS_CORETYPE=Nehalem): a CPU
#             without AVX2;
#   avx2      built with RNN_CLONES=avx2 (the cell loops compiled once, as their AVX2+FMA
#             clone is), OpenBLAS's AVX2 kernels (OPENBLAS_CORETYPE=Haswell): the path of a
#             CPU with AVX2 but not AVX-512, the most common one.
# Each is built into a relocated copy of PostgreSQL (tools/relocated-build.sh) and checked that
# it holds the instructions it should: the baseline no AVX (ymm) register, the AVX2 build ymm
# and FMA but no AVX-512 (zmm) register. The normal run checks the expected outputs on this
# machine's own path; this checks that they hold where the weights round differently (on
# 2026-12-07 one did not: sql/anomaly_features.sql compared interval widths that such
# rounding can order either way).
# Environment from test/run.sh: RNN_TMP; RNN_BASELINE_PORT overrides the first port (54341,
# the second is the next), RNN_BASELINE_BIN the bin directory of the PostgreSQL to copy
# (default /usr/lib/postgresql/15/bin); RNN_ISA_PATHS the paths to run (default "baseline
# avx2").
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

PGXS_DIR=$(dirname "$(/usr/lib/postgresql/15/bin/pg_config --pgxs)")
REGRESS="$PGXS_DIR/../test/regress/pg_regress"
port=${RNN_BASELINE_PORT:-54341}
failed=0
# the path whose server runs (one at a time), stopped on any exit too (a timeout's kill included)
running=
stop_running() {
    [ -n "$running" ] &&
        PGBIN=$running/pg/usr/lib/postgresql/15/bin tools/pg-temp-server.sh stop "$running/server" >/dev/null 2>&1
    running=
}
trap stop_running EXIT

# run_path NAME CLONES CORETYPE PORT: prints one ok / not ok line
run_path() {
    local name=$1 clones=$2 coretype=$3 port=$4
    local dir="$RNN_TMP/isa_$name" start rc n dis ymm fma zmm
    rm -rf "$dir"
    start=$(date +%s)
    SRC_BIN=${RNN_BASELINE_BIN:-/usr/lib/postgresql/15/bin} tools/relocated-build.sh "$dir" "RNN_CLONES=$clones" || {
        echo "not ok - $name path: building the extension with RNN_CLONES=$clones"; return 1; }
    dis=$(objdump -d "$dir/pg/usr/lib/postgresql/15/lib/rnn_forecast.so") || {
        echo "not ok - $name path: objdump could not read the library"; return 1; }
    ymm=$(grep -c 'ymm' <<<"$dis")
    fma=$(grep -c 'vfmadd' <<<"$dis")
    zmm=$(grep -c 'zmm' <<<"$dis")
    if { [ "$name" = baseline ] && [ "$ymm" != 0 ]; } ||
            { [ "$name" = avx2 ] && { [ "$ymm" = 0 ] || [ "$fma" = 0 ] || [ "$zmm" != 0 ]; }; }; then
        echo "not ok - $name path: the library's instructions (ymm $ymm, vfmadd $fma, zmm $zmm)"
        return 1
    fi
    local bin="$dir/pg/usr/lib/postgresql/15/bin"
    PGBIN=$bin OPENBLAS_CORETYPE=$coretype tools/pg-temp-server.sh start "$dir/server" "$port" >/dev/null || {
        echo "not ok - $name path: its server did not start"; return 1; }
    running=$dir
    mkdir -p "$dir/out"
    chmod 777 "$dir/out"
    # shellcheck disable=SC2046
    "$REGRESS" --inputdir=. --outputdir="$dir/out" --bindir="$bin" --host="$dir/server/sock" \
        --port="$port" --user=postgres --dbname=rnn_isa $(sed -n 's/^REGRESS *= *//p' Makefile) \
        >"$dir/out/regress.log" 2>&1
    rc=$?
    stop_running
    n=$(grep -cE '^test .* \.\.\. ok' "$dir/out/regress.log")
    if [ "$rc" -eq 0 ]; then
        echo "ok - pg_regress on the $name path (RNN_CLONES=$clones, OPENBLAS_CORETYPE=$coretype): $n files ($(( $(date +%s) - start )) s with the build)"
        return 0
    fi
    echo "not ok - pg_regress on the $name path (RNN_CLONES=$clones, OPENBLAS_CORETYPE=$coretype, status $rc):"
    grep -E '^test ' "$dir/out/regress.log" | grep -v '\.\.\. ok' | head -20
    head -80 "$dir/out/regression.diffs" 2>/dev/null
    return 1
}

for path in ${RNN_ISA_PATHS:-baseline avx2}; do
    case $path in
        baseline) run_path baseline 0 Nehalem "$port" || failed=1 ;;
        avx2) run_path avx2 avx2 Haswell "$((port + 1))" || failed=1 ;;
        *) echo "not ok - unknown path $path"; failed=1 ;;
    esac
done
exit $failed
