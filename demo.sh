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

# gnuplot-nox draws docs/co2-forecast.png
tools/install-deps.sh gnuplot-nox

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

# The picture: the last five years of history, the 18-month forecast with its 90% interval
# and the held-out actual values, drawn by gnuplot into docs/co2-forecast.png.
"$PSQL" -X -q -v ON_ERROR_STOP=1 <<SQL
\copy (SELECT ts, value FROM co2 WHERE ts >= DATE '1991-07-01' AND ts < DATE '1996-07-01' ORDER BY ts) TO '$TMP/history.csv' WITH (FORMAT csv)
\copy (SELECT f.ts_local::date, f.forecast, f.lower, f.upper, c.value FROM models, rnn_forecast(model, 18, 0.9) f JOIN co2 c ON c.ts = f.ts_local::date ORDER BY f.step) TO '$TMP/forecast.csv' WITH (FORMAT csv)
SQL
mkdir -p docs
gnuplot <<GP
set terminal pngcairo size 900,450 font "sans,10"
set output "docs/co2-forecast.png"
set datafile separator ","
set xdata time
set timefmt "%Y-%m-%d"
set format x "%Y"
set title "Mauna Loa CO2: rnn_forecast defaults, 18 held-out months (bash demo.sh)" noenhanced
set ylabel "ppm"
set key top left
set grid
plot "$TMP/forecast.csv" using 1:3:4 with filledcurves lc rgb "#c6dbef" title "90% interval", \
     "$TMP/history.csv" using 1:2 with lines lw 2 lc rgb "#444444" title "history", \
     "$TMP/forecast.csv" using 1:5 with points pt 7 ps 0.8 lc rgb "#000000" title "actual (held out)", \
     "$TMP/forecast.csv" using 1:2 with lines lw 2 lc rgb "#2166ac" title "forecast"
GP
echo "demo: wrote docs/co2-forecast.png"
