#!/usr/bin/env bash
# Builds this checkout's extension into a relocated copy of PostgreSQL 15, leaving the
# system's installation and the checkout's own objects alone.
#
#   tools/relocated-build.sh DEST [MAKE_ARG...]
#
# DEST/pg/usr/lib/postgresql/15 and DEST/pg/usr/share/postgresql/15 become a copy of the
# PostgreSQL whose binaries are in SRC_BIN (default /usr/lib/postgresql/15/bin; the path must
# end in /usr/lib/postgresql/15/bin); the sources are copied to DEST/build, built there with
# the make arguments given (RNN_CLONES=0: the cell loops for the baseline x86-64 only;
# RNN_CLONES=avx2: as their AVX2+FMA clone only) and
# installed into the copy. Its binaries, DEST/pg/usr/lib/postgresql/15/bin, find their lib and
# share directories relative to their own place. The build's output goes to DEST/build.log.
# With RNN_CLONES=0 or RNN_CLONES=avx2 among the arguments, a library that still holds a clone
# (a symbol arch_x86_64_v*) fails it.
# Used by test/t/valgrind.sh and test/t/baseline_isa.sh.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

[ $# -ge 1 ] || { echo "usage: $0 DEST [MAKE_ARG...]" >&2; exit 2; }
DEST=$1
shift
SRC_BIN=${SRC_BIN:-/usr/lib/postgresql/15/bin}
SRC_ROOT=${SRC_BIN%/usr/lib/postgresql/15/bin}
if [ "$SRC_ROOT" = "$SRC_BIN" ]; then
    echo "relocated-build: SRC_BIN must end in /usr/lib/postgresql/15/bin: $SRC_BIN" >&2
    exit 1
fi
rm -rf "$DEST/pg" "$DEST/build"
mkdir -p "$DEST/pg/usr/lib/postgresql" "$DEST/pg/usr/share/postgresql" "$DEST/build" || exit 1
if ! { cp -a "$SRC_ROOT/usr/lib/postgresql/15" "$DEST/pg/usr/lib/postgresql/" &&
        cp -a "$SRC_ROOT/usr/share/postgresql/15" "$DEST/pg/usr/share/postgresql/" &&
        cp -r Makefile rnn_forecast.control rnn_forecast--*.sql src "$DEST/build/"; }; then
    echo "relocated-build: copying PostgreSQL or the sources failed" >&2
    exit 1
fi
if ! { make -s -C "$DEST/build" clean && make -s -C "$DEST/build" -j"$(nproc)" "$@" &&
        make -s -C "$DEST/build" install DESTDIR="$DEST/pg"; } >"$DEST/build.log" 2>&1; then
    echo "relocated-build: the build failed (make $*):" >&2
    tail -20 "$DEST/build.log" >&2
    exit 1
fi
# (grep -c reads all of nm's output: grep -q under pipefail would let nm die of SIGPIPE and
# the pipeline fail, so that a match was never seen)
if [[ " $* " == *" RNN_CLONES=0 "* || " $* " == *" RNN_CLONES=avx2 "* ]] &&
        [ "$(nm "$DEST/pg/usr/lib/postgresql/15/lib/rnn_forecast.so" | grep -c 'arch_x86_64_v')" != 0 ]; then
    echo "relocated-build: the build with $* still has its AVX2 or AVX-512 clones" >&2
    exit 1
fi
