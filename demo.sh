#!/usr/bin/env bash
# The demo: bash demo.sh
#
# Installs the dependencies, builds and installs rnn_forecast, starts a throwaway PostgreSQL 15
# server (port 54330, or RNN_DEMO_PORT) in a temporary directory, creates the extension, loads
# the monthly Mauna Loa CO2 series from data/co2.csv into the table co2(ts date, value float8)
# and runs demo.sql, echoing each query with its result. The server is stopped and its
# directory removed on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PORT=${RNN_DEMO_PORT:-54330}

tools/install-deps.sh

if [ -z "${PG_CONFIG:-}" ]; then
    if [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
        PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
    else
        PG_CONFIG=pg_config
    fi
fi
make PG_CONFIG="$PG_CONFIG"
if [ "$(id -u)" -eq 0 ] || ! command -v sudo >/dev/null 2>&1; then
    make PG_CONFIG="$PG_CONFIG" install
else
    sudo make PG_CONFIG="$PG_CONFIG" install
fi

TMP=$(mktemp -d)
trap 'tools/pg-temp-server.sh stop "$TMP" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
tools/pg-temp-server.sh start "$TMP" "$PORT"

export PGHOST="$TMP/sock" PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres
PSQL=psql
if [ -x /usr/lib/postgresql/15/bin/psql ]; then
    PSQL=/usr/lib/postgresql/15/bin/psql
fi

"$PSQL" -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION rnn_forecast;
CREATE TABLE co2 (ts date, value float8);
\copy co2 (ts, value) FROM 'data/co2.csv' WITH (FORMAT csv, HEADER true)
SQL

"$PSQL" -X -v ON_ERROR_STOP=1 -a -f demo.sql
