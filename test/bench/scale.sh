#!/usr/bin/env bash
# Scale: row collection against array_agg, one series of 1M and 10M rows, forecasts for 1k and
# 100k series in one query. Every figure is compared with another measured in the same run.
#
#   bash test/bench/scale.sh [--part collect|rows|series|all] [--repeat N] [--rows N]
#
# collect  The time rnn_train's transition function takes to collect N rows (--rows, default
#          5,000,000 hourly rows; timestamp, float8) against array_agg of the same rows, in one
#          session, alternating. rnn_train is given a warm-start model that is not a model
#          ('\x00..'): every row is collected (and the model compared with the first row's, by
#          its length and last 4 bytes, as always), then the final function's first act, reading
#          the model, fails with 22P03; the statement's time up to that error is the collection
#          (plus the scan, and a min/max pass over the keys for the error context). The same for
#          a global model's rows (series text, date, value: 100,000 series x 36 months) against
#          array_agg of the values and of all three columns. count(v) over the same rows gives
#          the scan alone; the table shows both ratios, with and without it.
# rows     One hourly series (a daily and a weekly sine, noise from a hash) of 1M and 10M rows
#          (timestamp keys), trained with rnn_config(horizon => 12) only: statement seconds,
#          training_seconds (rnn_fit: from the regular series to the stored model), the rest
#          (scan, collection, regularisation, storing), epochs, and the backend's peak resident
#          memory (VmHWM of /proc/<pg_backend_pid()>/status, reset through clear_refs just
#          before the statement; it counts the shared buffers the backend touched as well).
# series   100,000 monthly series of 36 rows; two global models (the default LSTM,
#          hidden_size 8, ensemble 1, one epoch of 1,000 sampled windows, no refit: cheap to
#          train, and every series gets its full record: pipeline, scale, last window) over
#          the first 1,000 and over all 100,000 series; then 12-step forecasts of every series
#          of each in one query, FROM m, rnn_model_series(m.model) s, rnn_forecast(m.model, s,
#          12) f, from the table (the model TOASTed) and from a subquery (the model in memory),
#          and the cost per series against the 1,000-series query's.
#
# Runs alternate --repeat times (default 1); the best time of each is shown. Needs root
# (the server runs as postgres, /proc is read as root). Throwaway server on port 54434
# (BENCH_PORT overrides; RNN_DESTDIR installs into a relocated PostgreSQL, test/bench/lib/server.sh).
set -euo pipefail

PORT=${BENCH_PORT:-54434}
PART=all
REPEAT=1
NROWS=5000000
while [ $# -gt 0 ]; do
    case $1 in
        --part) PART=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --rows) NROWS=$2; shift 2 ;;
        *) echo "usage: $0 [--part collect|rows|series|all] [--repeat N] [--rows N]" >&2; exit 2 ;;
    esac
done
case $PART in collect|rows|series|all) ;; *) echo "scale: unknown part $PART" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "scale: run as root (reads /proc of the server's backends)" >&2; exit 1; }
say() { echo "scale: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

"${PSQL[@]}" <<'SQL'
CREATE EXTENSION rnn_forecast;
CREATE TABLE runs (part text, label text, secs float8, hwm_kb bigint, train_secs float8, epochs int, n bigint);
-- the seconds a statement takes; a collection run ends in the bad model's 22P03, which is expected
CREATE FUNCTION timed(q text, expect_bad_model bool DEFAULT false) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    BEGIN
        EXECUTE q;
    EXCEPTION WHEN invalid_binary_representation THEN
        IF NOT expect_bad_model OR SQLERRM <> 'invalid rnn_forecast model' THEN
            RAISE;
        END IF;
        RETURN extract(epoch FROM clock_timestamp() - t0);
    END;
    IF expect_bad_model THEN
        RAISE EXCEPTION 'the collection run did not stop at the bad model';
    END IF;
    RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;
-- noise in [-3, 3) from a hash of the step
CREATE FUNCTION noise(g bigint) RETURNS float8 IMMUTABLE LANGUAGE sql AS
$$ SELECT 6 * (('x' || substr(md5(g::text), 1, 8))::bit(32)::bigint & 1048575) / 1048576.0 - 3 $$;
SQL

# measure PART LABEL SQL [EXPECT_BAD_MODEL] [N]: run SQL in a fresh session, record its
# seconds and the backend's peak resident memory
measure() {
    local part=$1 label=$2 sql=$3 bad=${4:-false} n=${5:-0}
    "${PSQL[@]}" <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
\! echo 5 > /proc/\$BPID/clear_refs
SELECT timed(\$q\$ $sql \$q\$, $bad) AS secs \gset
\! awk '/^VmHWM/ {print \$2}' /proc/\$BPID/status > $TMP/hwm
\set hwm \`cat $TMP/hwm\`
INSERT INTO runs (part, label, secs, hwm_kb, n) VALUES ('$part', '$label', :secs, :hwm, $n);
SQL
}

BAD="'\\x00000000000000000000'::bytea"
CFG="rnn_config(horizon => 12)"
GCFG="rnn_config(horizon => 12, hidden_size => 8, ensemble => 1, epochs => 1, epoch_size => 1000, refit => false)"

if [ "$PART" = collect ] || [ "$PART" = series ] || [ "$PART" = all ]; then
    say "making 100,000 series x 36 months"
    "${PSQL[@]}" <<'SQL'
CREATE TABLE g AS
SELECT s, (date '2020-01-01' + make_interval(months => m))::date AS day,
       100 + 10 * (s % 7) + 8 * sin(2 * pi() * m / 12 + s) + 0.3 * m + noise(s * 100 + m) AS v
FROM generate_series(1, 100000) s, generate_series(0, 35) m;
VACUUM ANALYZE g;
SQL
fi

if [ "$PART" = collect ] || [ "$PART" = all ]; then
    say "making $NROWS hourly rows"
    "${PSQL[@]}" <<SQL
CREATE TABLE c AS
SELECT timestamp '2000-01-01' + g * interval '1 hour' AS ts, 100 + 20 * sin(2 * pi() * g / 24) + noise(g) AS v
FROM generate_series(0, $NROWS - 1) g;
VACUUM ANALYZE c;
SQL
    for i in $(seq 1 "$REPEAT"); do
        say "collect, run $i/$REPEAT"
        measure collect 'scan: count(v)' "SELECT count(v) FROM c"
        measure collect 'array_agg(v)' "SELECT array_agg(v) FROM c"
        measure collect 'array_agg(ts), array_agg(v)' "SELECT array_agg(ts), array_agg(v) FROM c"
        measure collect 'rnn_train(ts, v) collection' "SELECT rnn_train(ts, v, $CFG, $BAD) FROM c" true
        measure collect-global 'scan: count(v)' "SELECT count(v) FROM g"
        measure collect-global 'array_agg(v)' "SELECT array_agg(v) FROM g"
        measure collect-global 'array_agg(s::text), array_agg(day), array_agg(v)' "SELECT array_agg(s::text), array_agg(day), array_agg(v) FROM g"
        measure collect-global 'rnn_train(s::text, day, v) collection' "SELECT rnn_train(s::text, day, v, $GCFG, $BAD) FROM g" true
    done
fi

if [ "$PART" = rows ] || [ "$PART" = all ]; then
    say "making 10,000,000 hourly rows (and the first 1,000,000 of them)"
    "${PSQL[@]}" <<'SQL'
CREATE TABLE s10m AS
SELECT timestamp '2000-01-01' + g * interval '1 hour' AS ts,
       100 + 20 * sin(2 * pi() * g / 24) + 5 * sin(2 * pi() * g / 168) + noise(g) AS v
FROM generate_series(0, 9999999) g;
CREATE TABLE s1m AS SELECT * FROM s10m WHERE ts < timestamp '2000-01-01' + 1000000 * interval '1 hour';
VACUUM ANALYZE s10m;
VACUUM ANALYZE s1m;
SQL
    for i in $(seq 1 "$REPEAT"); do
        for t in s1m s10m; do
            say "rows: $t, run $i/$REPEAT"
            measure rows-scan "$t" "SELECT count(v) FROM $t"
            measure rows "$t" "CREATE TABLE m_$t$i AS SELECT rnn_train(ts, v, $CFG) AS model FROM $t"
            "${PSQL[@]}" -c "UPDATE runs SET train_secs = (rnn_model_info(model)->'training'->>'training_seconds')::float8,
                                             epochs = (rnn_model_info(model)->'training'->>'epochs_run')::int,
                                             n = (rnn_model_info(model)->'training'->>'rows')::bigint
                             FROM m_$t$i WHERE part = 'rows' AND label = '$t' AND train_secs IS NULL"
        done
    done
fi

if [ "$PART" = series ] || [ "$PART" = all ]; then
    say "series: training the 1,000- and 100,000-series models"
    measure series-train 'train 1,000 series' "CREATE TABLE gm1k AS SELECT rnn_train(s::text, day, v, $GCFG) AS model FROM g WHERE s <= 1000" false 1000
    measure series-train 'train 100,000 series' "CREATE TABLE gm100k AS SELECT rnn_train(s::text, day, v, $GCFG) AS model FROM g" false 100000
    Q="SELECT count(*), sum(f.forecast) FROM"
    F="rnn_model_series(m.model) s, rnn_forecast(m.model, s, 12) f"
    for i in $(seq 1 "$REPEAT"); do
        say "series: forecasts, run $i/$REPEAT"
        measure series 'table, 1,000 series' "$Q gm1k m, $F" false 1000
        measure series 'table, 100,000 series' "$Q gm100k m, $F" false 100000
        measure series 'subquery, 1,000 series' "$Q (SELECT model || ''::bytea AS model FROM gm1k OFFSET 0) m, $F" false 1000
        measure series 'subquery, 100,000 series' "$Q (SELECT model || ''::bytea AS model FROM gm100k OFFSET 0) m, $F" false 100000
    done
    "${PSQL[@]}" -c "SELECT 'forecasts: ' || (SELECT count(*) FROM gm100k m, $F) || ' rows for ' ||
                            (SELECT count(*) FROM gm100k m, rnn_model_series(m.model) s) || ' series; model ' ||
                            (SELECT pg_size_pretty(length(model)::bigint) FROM gm100k)" >&2
fi

"${PSQL[@]}" -P format=aligned -P tuples_only=off -P footer=off <<'SQL'
\echo
SELECT part, label, round(min(secs)::numeric, 3) AS best_seconds, round((max(hwm_kb) / 1024.0)::numeric, 0) AS peak_mb,
       round(min(train_secs)::numeric, 2) AS training_seconds, round(min(secs - train_secs)::numeric, 2) AS rest_seconds,
       min(epochs) AS epochs, count(*) AS runs
FROM runs GROUP BY part, label ORDER BY part, min(secs);
\echo collection against array_agg (best of each; net: less the scan, count(v))
SELECT r.part, a.label AS against,
       round((r.s / a.s)::numeric, 2) AS ratio,
       round(((r.s - c.s) / nullif(a.s - c.s, 0))::numeric, 2) AS ratio_net_of_scan
FROM (SELECT part, min(secs) s FROM runs WHERE label LIKE 'rnn_train%' GROUP BY part) r
JOIN (SELECT part, label, min(secs) s FROM runs WHERE label LIKE 'array_agg%' GROUP BY part, label) a USING (part)
JOIN (SELECT part, min(secs) s FROM runs WHERE label LIKE 'scan%' GROUP BY part) c USING (part)
ORDER BY r.part, a.label;
\echo 10M rows against 1M rows
SELECT round((b.s / a.s)::numeric, 2) AS time_ratio_10m_1m, round((b.r / a.r)::numeric, 2) AS rest_ratio_10m_1m,
       round((bs.s / as_.s)::numeric, 2) AS scan_ratio_10m_1m,
       round(((b.r - bs.s) / (a.r - as_.s))::numeric, 2) AS rest_less_scan_ratio_10m_1m,
       round((b.h / 1024.0)::numeric, 0) AS peak_mb_10m,
       round(((b.h - a.h) * 1024.0 / 9000000)::numeric, 1) AS peak_bytes_per_added_row
FROM (SELECT min(secs) s, min(secs - train_secs) r, max(hwm_kb) h FROM runs WHERE part = 'rows' AND label = 's1m') a,
     (SELECT min(secs) s, min(secs - train_secs) r, max(hwm_kb) h FROM runs WHERE part = 'rows' AND label = 's10m') b,
     (SELECT min(secs) s FROM runs WHERE part = 'rows-scan' AND label = 's1m') as_,
     (SELECT min(secs) s FROM runs WHERE part = 'rows-scan' AND label = 's10m') bs
WHERE a.s IS NOT NULL AND b.s IS NOT NULL;
\echo forecasts per series: 100,000 series against 1,000
SELECT split_part(b.label, ',', 1) AS model_from, round((a.s / 1000 * 1e3)::numeric, 4) AS ms_per_series_1k,
       round((b.s / 100000 * 1e3)::numeric, 4) AS ms_per_series_100k, round(((b.s / 100000) / (a.s / 1000))::numeric, 2) AS ratio
FROM (SELECT label, min(secs) s FROM runs WHERE part = 'series' AND n = 1000 GROUP BY label) a
JOIN (SELECT label, min(secs) s FROM runs WHERE part = 'series' AND n = 100000 GROUP BY label) b
  ON split_part(a.label, ',', 1) = split_part(b.label, ',', 1)
ORDER BY 1;
SQL
