#!/usr/bin/env bash
# Every example in the README runs as written: the ```sql blocks of README.md, in order, in
# one fresh database, with ON_ERROR_STOP (so a block that fails, or refers to a table or
# column that does not exist, fails this test). Also checks that the blocks are there (at
# least the three of the first five minutes) and that the README's example tables exist
# afterwards.
#
# Environment (from test/run.sh): PGHOST, PGPORT, PGUSER (a superuser), RNN_TMP.
set -uo pipefail

: "${PGHOST:?PGHOST must be set}" "${PGPORT:?PGPORT must be set}" "${PGUSER:?PGUSER must be set}"
export PGHOST PGPORT PGUSER
unset PGDATABASE PGOPTIONS
export PGTZ=UTC
export LC_ALL=C
RNN_TMP=${RNN_TMP:-/tmp}
DB=rnn_readme
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "$RNN_TMP/readme.XXXXXX") || exit 1
# shellcheck source=test/t/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

# shellcheck source=test/t/lib/psql.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/psql.sh"
cleanup() {
    psql_q postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the sql blocks, each into its own file
awk -v dir="$WORK" '
    /^```sql[[:space:]]*$/ { n++; f = sprintf("%s/block%02d.sql", dir, n); inside = 1; next }
    /^```/ && inside { inside = 0; close(f); next }
    inside { print > f }
' "$ROOT/README.md"
blocks=("$WORK"/block*.sql)
[ -e "${blocks[0]}" ] || die "no sql blocks in README.md"
ok "README.md has ${#blocks[@]} sql blocks"
[ "${#blocks[@]}" -ge 3 ] || not_ok "at least 3 sql blocks (found ${#blocks[@]})"

psql_q postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" || die "could not create $DB"
for b in "${blocks[@]}"; do
    name=$(basename "$b" .sql)
    first=$(grep -m1 -v '^[[:space:]]*$' "$b" | cut -c1-70)
    if out=$(psql_q "$DB" -f "$b" 2>&1); then
        ok "README $name runs ($first)"
    else
        not_ok "README $name runs ($first)"
        printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
    fi
done
tables=$(psql_q "$DB" -c "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
                          WHERE relname IN ('sales', 'models', 'models_nov', 'global_model')")
[ "$tables" = "global_model,models,models_nov,sales" ] && ok "the example tables exist ($tables)" ||
    not_ok "the example tables exist (found: $tables)"
echo "# summary: ${#blocks[@]} README sql blocks; $failures failed"
[ "$failures" -eq 0 ]
