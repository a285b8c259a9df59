#!/usr/bin/env bash
# The whole pg_regress suite, outputs checked, on a build for the baseline x86-64: the same
# sources built with RNN_CLONES=0 (the cell loops compiled once, without the AVX2 and
# AVX-512 clones) into a relocated copy of PostgreSQL (tools/relocated-build.sh), its server
# running OpenBLAS's SSE kernels (OPENBLAS_CORETYPE=Nehalem). The normal run checks the
# expected outputs on this machine's own path (AVX-512 here); this checks that they hold where
# the weights round differently, as on a CPU without AVX-512 (on 2026-12-07 one did not:
# sql/anomaly_features.sql compared interval widths that such rounding can order either way).
# Environment from test/run.sh: RNN_TMP; RNN_BASELINE_PORT overrides the port (54341),
# RNN_BASELINE_BIN the bin directory of the PostgreSQL to copy (default
# /usr/lib/postgresql/15/bin).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

PORT=${RNN_BASELINE_PORT:-54341}
DIR="$RNN_TMP/baseline_isa"
PGXS_DIR=$(dirname "$(/usr/lib/postgresql/15/bin/pg_config --pgxs)")
REGRESS="$PGXS_DIR/../test/regress/pg_regress"

rm -rf "$DIR"
start=$(date +%s)
SRC_BIN=${RNN_BASELINE_BIN:-/usr/lib/postgresql/15/bin} tools/relocated-build.sh "$DIR" RNN_CLONES=0 || {
    echo "not ok - building the extension with RNN_CLONES=0"; exit 1; }
BIN="$DIR/pg/usr/lib/postgresql/15/bin"
export PGBIN=$BIN
OPENBLAS_CORETYPE=Nehalem tools/pg-temp-server.sh start "$DIR/server" "$PORT" >/dev/null || {
    echo "not ok - the baseline build's server did not start"; exit 1; }
trap 'tools/pg-temp-server.sh stop "$DIR/server" >/dev/null 2>&1' EXIT

mkdir -p "$DIR/out"
chmod 777 "$DIR/out"
# shellcheck disable=SC2046
"$REGRESS" --inputdir=. --outputdir="$DIR/out" --bindir="$BIN" --host="$DIR/server/sock" \
    --port="$PORT" --user=postgres --dbname=rnn_baseline $(sed -n 's/^REGRESS *= *//p' Makefile) \
    >"$DIR/out/regress.log" 2>&1
rc=$?
n=$(grep -cE '^test .* \.\.\. ok' "$DIR/out/regress.log")
if [ "$rc" -eq 0 ]; then
    echo "ok - pg_regress on the baseline x86-64 build: $n files ($(( $(date +%s) - start )) s with the build)"
    exit 0
fi
echo "not ok - pg_regress on the baseline x86-64 build (status $rc):"
grep -E '^test ' "$DIR/out/regress.log" | grep -v '\.\.\. ok' | head -20
head -80 "$DIR/out/regression.diffs" 2>/dev/null
exit 1
