# Sourced by the test/t scripts that fuzz in a database of their own
# (fuzz_sql.sh, fuzz_json.sh), from the repository root. Needs NAME (the
# script's name in its messages) and DB; KEEP_DB=1 keeps the database for a
# look afterwards. Checks PGHOST, PGPORT and PGUSER; sets PSQL, LOG (the
# server log under RNN_TMP), WORK (a directory removed on exit) and errors
# (an empty array); defines fail, q (unaligned, space-separated), qt (a
# table) and fuzz_db_finish; records the server's start for health_end
# (lib/health.sh) and creates DB afresh.
: "${PGHOST:?}" "${PGPORT:?}" "${PGUSER:?}"
export PGHOST PGPORT PGUSER
LOG=${RNN_TMP:+$RNN_TMP/server.log}

PSQL=(psql -X -q -v ON_ERROR_STOP=1 --no-psqlrc)

fail() {
    echo "$NAME: FAIL: $*"
    exit 1
}

WORK=$(mktemp -d "${RNN_TMP:-${TMPDIR:-/tmp}}/$NAME.XXXXXX") || fail "mktemp"
cleanup() {
    [ "${KEEP_DB:-0}" = 1 ] ||
        "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=test/t/lib/health.sh
. "$(dirname "${BASH_SOURCE[0]}")/health.sh"
health_begin || fail "cannot connect to the server"

"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" \
    -c "CREATE DATABASE $DB" >/dev/null ||
    fail "cannot create database $DB"

q() {
    "${PSQL[@]}" -d "$DB" -At -F ' ' -c "$1"
}
qt() {
    "${PSQL[@]}" -d "$DB" -P footer=off -c "$1"
}

errors=()

# fuzz_db_finish PASS_MESSAGE...: whether the server survived (health_end), the
# total time, then every error and exit 1, or the message and exit 0
fuzz_db_finish() {
    health_end "$NAME" "$WORK"
    echo "$NAME: server start time unchanged: $(health_unchanged)"
    echo "$NAME: total ${SECONDS} s"
    health_verdict "$NAME" "$@"
}
