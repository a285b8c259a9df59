#!/usr/bin/env bash
# Models survive pg_dump / pg_restore byte for byte, and forecast the same afterwards.
#
# rnn_dump_src gets the extension and a table of trained models (LSTM on ORDER BY steps, GRU on
# monthly dates, Elman RNN per series with GROUP BY over 3 series, LSTM on hourly timestamptz)
# and a table with their 12-step forecasts. It is dumped with pg_dump -Fc and restored with
# pg_restore into rnn_dump_dst, then dumped in plain format and restored with psql -f into a
# fresh rnn_dump_dst. After each restore: the same models (md5 of each), and rnn_forecast(model,
# 12) gives identical rows in both databases and matches the saved forecasts.
#
# Environment (from test/run.sh): PGHOST, PGPORT, PGUSER (a superuser), RNN_TMP.
set -uo pipefail

: "${PGHOST:?PGHOST must be set}" "${PGPORT:?PGPORT must be set}" "${PGUSER:?PGUSER must be set}"
export PGHOST PGPORT PGUSER
unset PGDATABASE PGOPTIONS
# rnn_forecast's table form computes future timestamps in the session's TimeZone
export PGTZ=UTC
export LC_ALL=C
RNN_TMP=${RNN_TMP:-/tmp}

PGBIN=/usr/lib/postgresql/15/bin
SRC=rnn_dump_src
DST=rnn_dump_dst
WORK=$(mktemp -d "$RNN_TMP/dump.XXXXXX") || exit 1
# shellcheck source=test/t/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

# shellcheck source=test/t/lib/psql.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/psql.sh"

cleanup() {
    psql_q postgres -c "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DST WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


for tool in pg_dump pg_restore; do
    [ -x "$PGBIN/$tool" ] || die "$PGBIN/$tool not found"
done

# ------------------------------------------------------------------ the source database
psql_q postgres -c "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DST WITH (FORCE)" \
    -c "CREATE DATABASE $SRC" || die "could not create $SRC"
psql_q "$SRC" <<'SQL' || die "could not train the models in rnn_dump_src"
CREATE EXTENSION rnn_forecast;

CREATE TABLE series AS
SELECT s, i,
       (DATE '2000-01-01' + make_interval(months => i))::date AS d,
       TIMESTAMPTZ '2024-01-01 00:00+00' + make_interval(hours => i) AS t,
       10 * s + 5 * sin(i * 2 * pi() / 12 + s) + 0.05 * i + 0.3 * sin(i * 1.7) AS v
FROM generate_series(1, 3) s, generate_series(0, 119) i;

CREATE TABLE models (name text PRIMARY KEY, cell text, model bytea NOT NULL);

INSERT INTO models
SELECT 'lstm_order_by', 'lstm',
       rnn_train(v, rnn_config(cell => 'lstm', hidden_size => 8, epochs => 15, seed => 1, ensemble => 1) ORDER BY i)
FROM series WHERE s = 1;

INSERT INTO models
SELECT 'gru_monthly', 'gru',
       rnn_train(d, v, rnn_config(cell => 'gru', hidden_size => 8, epochs => 15, seed => 2, ensemble => 1))
FROM series WHERE s = 2;

INSERT INTO models
SELECT 'rnn_series_' || s, 'rnn_tanh',
       rnn_train(d, v, rnn_config(cell => 'rnn_tanh', hidden_size => 6, epochs => 15, seed => 3, ensemble => 1))
FROM series GROUP BY s;

INSERT INTO models
SELECT 'lstm_hourly_tstz', 'lstm',
       rnn_train(t, v, rnn_config(cell => 'lstm', hidden_size => 6, num_layers => 2, epochs => 10, seed => 4, ensemble => 1))
FROM series WHERE s = 3;

-- the forecasts at dump time
CREATE TABLE saved_forecasts AS
SELECT m.name, f.step, f.ts, f.forecast, f.lower, f.upper
FROM models m, LATERAL rnn_forecast(m.model, 12) f;
SQL

# fingerprints DB: one line per model: name, md5 of the model, md5 of its 12-step forecast rows
# (float8 text output is exact in PostgreSQL 15), md5 of the array form after a fixed history
FINGERPRINTS="
SELECT m.name, md5(m.model),
       (SELECT md5(string_agg(format('%s|%s|%s|%s|%s', f.step, f.ts, f.forecast, f.lower, f.upper), ';' ORDER BY f.step))
        FROM rnn_forecast(m.model, 12) f),
       md5(rnn_forecast(m.model, ARRAY(SELECT 20 + sin(g) FROM generate_series(1, 240) g)::float8[], 12)::text)
FROM models m ORDER BY m.name"
# saved_matches DB: the number of models whose fresh forecast differs from the saved one
SAVED_MISMATCH="
SELECT count(*) FROM models m
WHERE (SELECT array_agg(ROW(f.step, f.ts, f.forecast, f.lower, f.upper)::text ORDER BY f.step) FROM rnn_forecast(m.model, 12) f)
  IS DISTINCT FROM
      (SELECT array_agg(ROW(s.step, s.ts, s.forecast, s.lower, s.upper)::text ORDER BY s.step) FROM saved_forecasts s WHERE s.name = m.name)"

psql_q "$SRC" -F ' ' -c "$FINGERPRINTS" >"$WORK/src.txt" || die "could not fingerprint $SRC"
n_models=$(wc -l <"$WORK/src.txt")
n_distinct=$(cut -d' ' -f2 "$WORK/src.txt" | sort -u | wc -l)
n_saved=$(psql_q "$SRC" -c "SELECT count(*) FROM saved_forecasts")
echo "# $SRC: $n_models models ($n_distinct distinct), $n_saved saved forecast rows"
psql_q "$SRC" -F ' ' -c "SELECT name, cell, length(model) AS bytes, rnn_model_info(model)->>'window' AS window FROM models ORDER BY name" | sed 's/^/#   /'
[ "$n_models" -eq 6 ] && [ "$n_distinct" -eq 6 ] && [ "$n_saved" -eq 72 ]
check $? "$SRC: 6 distinct models and 72 saved forecast rows"

# compare LABEL: the restored database against the source
compare() {
    local label=$1 n_dst bad_models bad_forecasts bad_arrays mismatch
    if ! psql_q "$DST" -F ' ' -c "$FINGERPRINTS" >"$WORK/dst.txt"; then
        not_ok "$label: could not read the models in $DST"
        return
    fi
    n_dst=$(wc -l <"$WORK/dst.txt")
    [ "$n_dst" -eq "$n_models" ]
    check $? "$label: $n_dst of $n_models models restored"
    bad_models=$(join <(cut -d' ' -f1,2 "$WORK/src.txt") <(cut -d' ' -f1,2 "$WORK/dst.txt") -v1 | wc -l)
    [ "$bad_models" -eq 0 ] && [ "$n_dst" -eq "$n_models" ]
    check $? "$label: model bytes identical (md5 of each model: $((n_models - bad_models)) of $n_models equal)"
    bad_forecasts=$(join <(cut -d' ' -f1,3 "$WORK/src.txt") <(cut -d' ' -f1,3 "$WORK/dst.txt") -v1 | wc -l)
    [ "$bad_forecasts" -eq 0 ] && [ "$n_dst" -eq "$n_models" ]
    check $? "$label: rnn_forecast(model, 12) identical in both databases (step, ts, forecast, lower, upper: $((n_models - bad_forecasts)) of $n_models equal)"
    bad_arrays=$(join <(cut -d' ' -f1,4 "$WORK/src.txt") <(cut -d' ' -f1,4 "$WORK/dst.txt") -v1 | wc -l)
    [ "$bad_arrays" -eq 0 ] && [ "$n_dst" -eq "$n_models" ]
    check $? "$label: rnn_forecast(model, history, 12) identical in both databases ($((n_models - bad_arrays)) of $n_models equal)"
    mismatch=$(psql_q "$DST" -c "$SAVED_MISMATCH")
    [ "$mismatch" = 0 ]
    check $? "$label: forecasts in $DST equal the forecasts saved before the dump ($mismatch of $n_models differ)"
    if [ "$bad_models$bad_forecasts$bad_arrays" != 000 ]; then
        echo "#   source:"
        sed 's/^/#     /' "$WORK/src.txt"
        echo "#   restored:"
        sed 's/^/#     /' "$WORK/dst.txt"
    fi
}

# ------------------------------------------------------------------ custom format
if "$PGBIN/pg_dump" -Fc -d "$SRC" -f "$WORK/src.dump"; then
    ok "pg_dump -Fc $SRC: $(stat -c %s "$WORK/src.dump") bytes"
    psql_q postgres -c "CREATE DATABASE $DST" || die "could not create $DST"
    if "$PGBIN/pg_restore" --exit-on-error -d "$DST" "$WORK/src.dump" 2>"$WORK/restore.err"; then
        ok "pg_restore -d $DST"
        compare "custom format"
    else
        not_ok "pg_restore -d $DST failed: $(head -c 2000 "$WORK/restore.err")"
    fi
else
    not_ok "pg_dump -Fc $SRC failed"
fi

# ------------------------------------------------------------------ plain format
psql_q postgres -c "DROP DATABASE IF EXISTS $DST WITH (FORCE)" -c "CREATE DATABASE $DST" || die "could not recreate $DST"
if "$PGBIN/pg_dump" -Fp -d "$SRC" -f "$WORK/src.sql"; then
    ok "pg_dump -Fp $SRC: $(stat -c %s "$WORK/src.sql") bytes"
    if psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -f "$WORK/src.sql" >"$WORK/plain.out" 2>&1; then
        ok "psql -f into $DST"
        compare "plain format"
    else
        not_ok "psql -f into $DST failed: $(head -c 2000 "$WORK/plain.out")"
    fi
else
    not_ok "pg_dump -Fp $SRC failed"
fi

echo "# summary: $n_models models, custom and plain dumps restored; $failures failed"
[ "$failures" -eq 0 ]
