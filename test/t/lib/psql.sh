# Sourced by the test/t scripts that run SQL in a database of their own:
# psql_q DB [psql options...] runs psql quietly on DB (unaligned, tuples only,
# stopping at the first error, warnings and worse only).
psql_q() {
    local db=$1
    shift
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"
}
