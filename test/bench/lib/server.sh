# Sourced by the test/bench scripts, from the repository root, with PORT set
# and a say() function: builds and installs the extension, starts a throwaway
# server on PORT in a temporary directory that an exit trap stops and removes,
# and sets PSQL (an array: psql with its connection options), PGBIN, TMP, PGDIR.
# RNN_DESTDIR: install into a relocated copy of PostgreSQL there (make install
# DESTDIR=...) and run its binaries, leaving the system's installation alone.
say "building and installing the extension"
make -s >&2 && make -s install ${RNN_DESTDIR:+DESTDIR=$RNN_DESTDIR} >&2

export PGBIN=${PGBIN:-${RNN_DESTDIR:-}/usr/lib/postgresql/15/bin}
TMP=$(mktemp -d)
PGDIR=$TMP/pg
cleanup() {
    PGBIN=$PGBIN tools/pg-temp-server.sh stop "$PGDIR" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PGBIN=$PGBIN tools/pg-temp-server.sh start "$PGDIR" "$PORT" >&2

PSQL=("$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PGDIR/sock" -p "$PORT" -U postgres -d postgres)
