#!/usr/bin/env bash
# M3 competition benchmark: rnn_forecast on the M3 series (data/m3/, see its README.md)
# through SQL, scored like the competition and set beside the competition's own methods.
#
#   bash test/bench/m3.sh                          # per-series mode, all 2,703 series
#   bash test/bench/m3.sh --quick                  # every 10th series of each period (272)
#   bash test/bench/m3.sh --quick --cv             # cross-validation on the train parts only
#   bash test/bench/m3.sh --quick --cv-fold 2      # its second fold: the h points before those
#   bash test/bench/m3.sh --quick --config '{"cell": "gru"}' --out /tmp/m3-gru
#   bash test/bench/m3.sh --mode global --limit-period QUARTERLY
#   bash test/bench/m3.sh --naive2-check           # NAIVE2 computed here vs the competition's
#
# Options:
#   --mode per-series|global|both  (default per-series)
#       per-series: one model per series, only the horizon given:
#           rnn_train(ts, value, rnn_config(horizon => h) || EXTRA)
#         over the series' fitting part (one statement per series, what GROUP BY id would
#         do, so that an error stays with its series), then rnn_forecast(model, h, 0.9)
#         (step, ts, forecast, lower, upper) for the h holdout points.
#       global: one model per period over all its series, with the aggregate
#           rnn_train(series text, ts, value, rnn_config(horizon => h) || EXTRA) ... GROUP BY period
#         and rnn_forecast(model, series text, h, 0.9) per series. When the installed
#         extension has no such functions the script says so and exits with status 1 before
#         training anything (for both too).
#       both: per-series, then global.
#   --jobs N         sessions training at once (default 2, the machine has 2 cores). They take
#                    the next series (per-series mode) or period (global mode) from a shared
#                    queue (FOR UPDATE SKIP LOCKED) and write into shared tables, committing
#                    after each one.
#   --quick          a stratified sample for daily work: every 10th series of each period in
#                    id order (59 yearly, 68 quarterly, 129 monthly, 16 other: 272 series)
#   --limit-period P only the YEARLY, QUARTERLY, MONTHLY or OTHER series
#   --cv             cross-validation for choosing defaults without reading test points: the
#                    last h points of each series' train part are the holdout and the model
#                    trains on the rest; the test part is not even loaded. The baselines are
#                    then computed here on the same holdout (naive, seasonal naive, NAIVE2)
#                    instead of taken from the competition. The same as --cv-fold 1.
#   --cv-fold K      cross-validation fold K = 1 to 4 (implies --cv): the model trains on the
#                    train part without its last K*h points and the holdout is the h points
#                    after that. Fold 2 holds out the h points before the last h of the train
#                    part, and those last h are used neither for fitting nor for scoring (fold
#                    3 and 4: the last 2h and 3h; more series are left out, below, and the
#                    rest are shorter: a global model's automatic window follows the median
#                    series, 2 for quarterly fold 4, so deep folds test shorter histories;
#                    the same holds for fold 1 and 2 of yearly, windows 3 and 2 where the
#                    holdout's models read 6, and quarterly fold 2, 10 instead of 12: pass
#                    --holdout-window, or --config '{"window": W}', to compare at the
#                    holdout's window). A
#                    series whose fitting part would have no more than a season of points
#                    (fewer than 2, or none for the MASE scale; fold 2: 45 quarterly series of
#                    0 points and 2 monthly of 12), or whose values a season apart are all
#                    equal (no MASE scale either; fold 3: one yearly series of 2 equal
#                    points), is left out of the run and of every mean, the baselines' too,
#                    and counted in the report.
#   --holdout-window with --cv-fold in global mode: each period's model reads the window the
#                    holdout's model would (unless --config gives one): the extension's
#                    automatic window of a one-epoch, one-member model over the whole
#                    train parts of every sampled series of the period (also those the
#                    fold leaves out, as the holdout's model has them), read from
#                    rnn_model_info and printed with the training line. Without it the
#                    fold's models choose their own, which the shorter fitting parts make
#                    shorter (see --cv-fold)
#   --config JSON    a JSON object merged into rnn_config(horizon => h) with jsonb ||; the
#                    effective configuration is printed
#   --out DIR        also write DIR/m3_MODE[_cv|_cvK].csv (_cv: fold 1, _cvK: fold K > 1): id,
#                    period, h, smape, mase, coverage, train_seconds, wall_seconds, error, msis (one
#                    line per series, the left-out ones with the reason as the error; in global
#                    mode the training times are the period models', printed, not per series);
#                    and beside it _fc.csv (id, step, forecast, lower, upper, actual, network:
#                    the network alone, empty when the models do not combine) and _fit.csv
#                    (id, period, h, i, value: the fitting part), for studying forecasts offline
#   --naive2-check   no training: NAIVE2 computed here on the train parts, scored on the test
#                    parts, against the competition's NAIVE2, per period (with --quick and
#                    --limit-period on that sample)
#
# Data (data/m3/): m3_series.csv.gz (id, ts, value, part train/test), m3_meta.csv.gz (id,
# period, type, n, h, season, scale), m3_methods.csv.gz (id, method, smape, mase of the
# competition's submitted forecasts). ts is loaded as a date for yearly, quarterly and monthly
# series (the extension infers calendar years, quarters and months and the season) and as a
# bigint step number for "other" series. h = 6 yearly, 8 quarterly, 18 monthly, 8 other.
#
# Metrics per series over its h holdout points a and forecasts f, then means over series per
# period and over all (ALL: the mean over every series, not of the period means):
#   sMAPE    = mean(200 |a - f| / (|a| + |f|))
#   MASE     = mean|a - f| / scale; scale = m3_meta.scale (the in-sample seasonal naive MAE of
#              the train part), in --cv mode recomputed on the fold's shortened fitting
#              part (lag = season: 1, 4, 12, 1)
#   coverage = share of the h points with lower <= a <= upper (90% interval); a second table
#              gives it at 50%, 80%, 90%, 95% and 99%, over all steps and at step 1
#   MSIS     = mean((upper - lower) + 20 (lower - a)+ + 20 (a - upper)+) / scale, the 90%
#              interval's mean scaled interval score (M4's, alpha 0.1): lower is better
# The methods beside them are averaged over the same series (those that did not fail):
# THETA (the winner), ForecastPro, Auto-ANN (the neural network entry) and NAIVE2 from
# m3_methods; in --cv mode naive, seasonal naive and NAIVE2 computed in SQL from the fold's
# fitting part and scored on its holdout. NAIVE2 is the naive forecast of the seasonally
# adjusted series (classical multiplicative decomposition, medial average of the ratios to a
# centred moving average, applied when the first differences pass the 90% autocorrelation
# test at lag = season); test/bench/m3.sql has the details and how it was checked against
# the competition's (--naive2-check: the same sMAPE on 2,589 of 2,703 series, mean 14.80
# against 14.81).
#
# BENCH_PORT overrides the port (54431); RNN_DESTDIR installs into a relocated PostgreSQL
# (test/bench/lib/server.sh).
#
# Also printed: total wall seconds of the training and forecasting, the sum of the models'
# own training_seconds (rnn_model_info(model)->'training'), the mean per series, the slowest
# series, the extension's automatic choices (scaling, window, epochs), the validation behind
# the Theta weights (rnn_model_info's theta_validation: each global model's, and per period
# the per-series models'), the failed series
# with their errors (a series whose training or forecast fails, or whose forecast does not
# have steps 1..h, is caught in its own subtransaction and counted; it does not stop the
# run), and checks: row counts of the fold's split, consecutive dates, the MASE scale
# against m3_meta, forecast dates against the holdout dates, finite values, the other
# methods scored on every series that ran, and the metrics recomputed in Python from
# the forecasts. In --cv mode the report says which fold, and counts the series left out.
# The report names the commit the extension was built from (-dirty: with local changes).
# It also names the OpenBLAS the backends load and the kernel it picked for this CPU (or the
# one OPENBLAS_CORETYPE names): a global model's figures depend on the kernel (README).
# Last, each mode's sMAPE beside the textbook Theta method's on the same series and holdout
# (test/bench/m3_theta.py --against: the mean per-series difference and its standard error,
# the series each wins; about 10 s more), the reference the folds otherwise lack.
#
# Runs `make -s && make -s install` first, then a throwaway server
# (tools/pg-temp-server.sh, port 54431) in a mktemp -d directory that an exit trap stops and
# removes. Progress goes to stderr, the report to stdout. Needs root (or the postgres user).
# Times with the default configuration on the shared 2-core VM: --quick 30-50 s per-series
# (about 0.2 s of training per series), about 60 s global (the monthly model, 129 series,
# 50 s); the full run about ten times that; they grow with the configuration.
set -euo pipefail

PORT=${BENCH_PORT:-54431}
PYTHON=/usr/bin/python3

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

MODE=per-series
JOBS=2
EVERY=1
PERIOD=
CV=false
FOLD=
EXTRA='{}'
OUT=
NAIVE2_CHECK=false
HOLDOUT_WINDOW=off
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) [ $# -ge 2 ] || usage; MODE=$2; shift 2 ;;
        --mode=*) MODE=${1#*=}; shift ;;
        --jobs) [ $# -ge 2 ] || usage; JOBS=$2; shift 2 ;;
        --jobs=*) JOBS=${1#*=}; shift ;;
        --quick) EVERY=10; shift ;;
        --limit-period) [ $# -ge 2 ] || usage; PERIOD=$2; shift 2 ;;
        --limit-period=*) PERIOD=${1#*=}; shift ;;
        --cv) CV=true; shift ;;
        --cv-fold) [ $# -ge 2 ] || usage; CV=true; FOLD=$2; shift 2 ;;
        --cv-fold=*) CV=true; FOLD=${1#*=}; shift ;;
        --config) [ $# -ge 2 ] || usage; EXTRA=$2; shift 2 ;;
        --config=*) EXTRA=${1#*=}; shift ;;
        --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
        --out=*) OUT=${1#*=}; shift ;;
        --naive2-check) NAIVE2_CHECK=true; shift ;;
        --holdout-window) HOLDOUT_WINDOW=on; shift ;;
        -h|--help) usage ;;
        *) echo "m3: unknown argument: $1" >&2; usage ;;
    esac
done

case "$MODE" in
    per-series) MODES=(per-series) ;;
    global) MODES=(global) ;;
    both) MODES=(per-series global) ;;
    *) echo "m3: --mode must be per-series, global or both, got '$MODE'" >&2; exit 2 ;;
esac
case "$JOBS" in
    ''|*[!0-9]*|0) echo "m3: --jobs must be a positive integer, got '$JOBS'" >&2; exit 2 ;;
esac
PERIOD=$(echo "$PERIOD" | tr '[:lower:]' '[:upper:]')
case "$PERIOD" in
    ''|YEARLY|QUARTERLY|MONTHLY|OTHER) ;;
    *) echo "m3: --limit-period must be YEARLY, QUARTERLY, MONTHLY or OTHER, got '$PERIOD'" >&2; exit 2 ;;
esac
if ! "$PYTHON" -c 'import json, sys; sys.exit(0 if isinstance(json.loads(sys.argv[1]), dict) else 1)' \
        "$EXTRA" 2>/dev/null; then
    echo "m3: --config must be a JSON object, got: $EXTRA" >&2
    exit 2
fi
if $CV; then
    # --cv alone is fold 1
    FOLD=${FOLD:-1}
    case "$FOLD" in
        1|2|3|4) ;;
        *) echo "m3: --cv-fold must be 1, 2, 3 or 4, got '$FOLD'" >&2; exit 2 ;;
    esac
else
    FOLD=0   # the competition's holdout
fi
if [ "$HOLDOUT_WINDOW" = on ] && { ! $CV || [ "$MODE" = per-series ]; }; then
    echo "m3: --holdout-window is for --cv-fold runs in global mode" >&2
    exit 2
fi
if $NAIVE2_CHECK && $CV; then
    echo "m3: --naive2-check compares with the competition on the test parts; it takes no --cv or --cv-fold" >&2
    exit 2
fi
if [ -n "$OUT" ]; then
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd -P)
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT"
DATA=data/m3
for f in m3_series.csv.gz m3_meta.csv.gz m3_methods.csv.gz; do
    [ -f "$DATA/$f" ] || { echo "m3: $DATA/$f is missing" >&2; exit 1; }
done

say() { echo "m3: $*" >&2; }
elapsed() { "$PYTHON" -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(date +%s.%N)"; }
T_START=$(date +%s.%N)

# the textbook Theta at the end (test/bench/m3_theta.py) reads the series with numpy
tools/install-deps.sh python3-numpy >&2
# shellcheck source=test/bench/lib/server.sh
. test/bench/lib/server.sh
export PGTZ=UTC

# ---------------------------------------------------------------------------------------
# Schema and the functions the modes need
# ---------------------------------------------------------------------------------------
"${PSQL[@]}" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION rnn_forecast' >/dev/null
"${PSQL[@]}" -f test/bench/m3.sql >/dev/null
EXT_VERSION=$("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast'")
PG_VERSION=$("${PSQL[@]}" -c 'SHOW server_version')
# The BLAS the backends use and the kernel it picks for this CPU (or OPENBLAS_CORETYPE's):
# a global model's figures depend on it (README, "How sure the group figures are")
BLAS_LIB=$(ldd "$("$PGBIN/pg_config" --pkglibdir)/rnn_forecast.so" 2>/dev/null |
           awk '/libopenblas/ { print $3; exit }')
BLAS=$("$PYTHON" -c '
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.openblas_get_config.restype = lib.openblas_get_corename.restype = ctypes.c_char_p
print("%s, kernel %s" % (" ".join(lib.openblas_get_config().decode().split()[:2]),
                         lib.openblas_get_corename().decode()))' "$BLAS_LIB" 2>/dev/null ||
      echo "BLAS unknown")
# what was built: the commit, -dirty when tracked files had local changes
BUILT_FROM=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "unknown")

if ! $NAIVE2_CHECK && [ "${MODES[-1]}" = global ]; then
    # The global aggregate for date (yearly, quarterly, monthly) and bigint (other) steps,
    # and the forecast by series name: do the calls resolve?
    NEED_BIGINT=true
    [ -z "$PERIOD" ] || [ "$PERIOD" = OTHER ] || NEED_BIGINT=false
    NEED_DATE=true
    [ "$PERIOD" != OTHER ] || NEED_DATE=false
    MISSING=$("${PSQL[@]}" -v d="$NEED_DATE" -v b="$NEED_BIGINT" <<<"SELECT m3_global_missing(:'d', :'b')")
    if [ -n "$MISSING" ]; then
        say "global mode: the installed rnn_forecast $EXT_VERSION has no $MISSING;"
        say "nothing was run (the global functions are not in this version of the extension)"
        exit 1
    fi
fi

# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------
gzip -dc "$DATA/m3_meta.csv.gz" | "${PSQL[@]}" -c 'COPY m3_meta FROM STDIN (FORMAT csv, HEADER)'
gzip -dc "$DATA/m3_methods.csv.gz" | "${PSQL[@]}" -c 'COPY m3_methods FROM STDIN (FORMAT csv, HEADER)'
if $CV; then
    # the test parts never reach the database (with fold 2 m3_prepare marks the last h
    # points of the train part unused)
    gzip -dc "$DATA/m3_series.csv.gz" | awk -F, 'NR == 1 || $4 == "train"' |
        "${PSQL[@]}" -c 'COPY m3_raw FROM STDIN (FORMAT csv, HEADER)'
else
    gzip -dc "$DATA/m3_series.csv.gz" | "${PSQL[@]}" -c 'COPY m3_raw FROM STDIN (FORMAT csv, HEADER)'
fi
"${PSQL[@]}" -v every="$EVERY" -v period="$PERIOD" -v fold="$FOLD" \
    <<<"SELECT m3_prepare(:every, nullif(:'period', ''), :fold)" >/dev/null
SAMPLE="all series"
[ "$EVERY" -gt 1 ] && SAMPLE="--quick, every ${EVERY}th series of each period in id order"
[ -n "$PERIOD" ] && SAMPLE="$SAMPLE, $PERIOD only"
say "loaded $("${PSQL[@]}" -c "SELECT format('%s series (%s), %s points (%s training, %s holdout%s)%s',
    (SELECT count(*) FROM m3_sel),
    (SELECT string_agg(format('%s %s', n, lower(period)), ', ' ORDER BY o)
     FROM (SELECT period, count(*) n, min(ord) o FROM m3_sel GROUP BY period) x),
    count(*), count(*) FILTER (WHERE role = 'f'), count(*) FILTER (WHERE role = 'h'),
    ', ' || nullif(count(*) FILTER (WHERE role = 'u'), 0) || ' unused',
    (SELECT '; left out: ' || string_agg(format('%s %s', n, lower(period)), ', ' ORDER BY o)
            || ' (fitting part too short)'
     FROM (SELECT period, count(*) n, min(ord) o FROM m3_left_out GROUP BY period) x))
    FROM m3_obs")"
"${PSQL[@]}" -v fold="$FOLD" <<<"SELECT * FROM m3_protocol_checks(:fold)" >"$TMP/protocol.txt"
if [ -s "$TMP/protocol.txt" ]; then
    say "protocol problems ($(wc -l <"$TMP/protocol.txt")): $(head -n 5 "$TMP/protocol.txt" | paste -sd ';' -)"
fi

say "computing naive, seasonal naive and NAIVE2"
"${PSQL[@]}" -c 'SELECT m3_baselines()' >/dev/null

# ---------------------------------------------------------------------------------------
# --naive2-check: NAIVE2 here against the competition's, no training
# ---------------------------------------------------------------------------------------
if $NAIVE2_CHECK; then
    "${PSQL[@]}" -c 'SELECT m3_naive2_check()' >"$TMP/naive2.json"
    "$PYTHON" - "$TMP/naive2.json" "$SAMPLE" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print()
print("NAIVE2 computed here (test/bench/m3.sql) against the competition's NAIVE2 (m3_methods),")
print("both scored on the test parts; %s" % sys.argv[2])
print()
print("| period    | series | adjusted here | sMAPE here | sMAPE M3 | MASE here | MASE M3 | same sMAPE (±0.01) | largest difference |")
print("|-----------|-------:|--------------:|-----------:|---------:|----------:|--------:|-------------------:|-------------------:|")
for p in r["periods"]:
    print("| %-9s | %6d | %13d | %10.3f | %8.3f | %9.3f | %7.3f | %18s | %18.3f |" % (
        p["period"], p["series"], p["adjusted"], p["ours"], p["theirs"], p["ours_mase"],
        p["theirs_mase"], "%d (%.1f%%)" % (p["equal"], 100.0 * p["equal"] / p["series"]),
        p["max_diff"]))
print()
print("adjusted here: series that pass the seasonality test and are seasonally adjusted.")
if r["worst"]:
    print("largest differences (series: here / M3; seasonally adjusted here?):")
    for w in r["worst"]:
        print("  %s %s: %.2f / %.2f; %s" % (w["id"], w["period"], w["ours"], w["theirs"],
                                           "adjusted" if w["seasonal"] else "not adjusted"))
EOF
    exit 0
fi

# ---------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------
H_FIRST=$("${PSQL[@]}" -c 'SELECT h FROM m3_sel ORDER BY ord LIMIT 1')
CONFIG=$("${PSQL[@]}" -v extra="$EXTRA" -v h="$H_FIRST" \
    <<<"SELECT rnn_config_check(rnn_config(horizon => :h) || :'extra'::jsonb)::text")
HORIZONS=$("${PSQL[@]}" -c "SELECT string_agg(DISTINCT format('%s %s', lower(period), h), ', ') FROM m3_sel")
if [ "$EXTRA" = '{}' ]; then
    CONFIG_DESC="rnn_config(horizon => h)"
else
    CONFIG_DESC="rnn_config(horizon => h) || '$EXTRA'::jsonb"
fi
say "configuration: $CONFIG_DESC (h: $HORIZONS)"
say "  = $CONFIG (h = $H_FIRST)"

# ---------------------------------------------------------------------------------------
# Training and forecasting, JOBS sessions at once
# ---------------------------------------------------------------------------------------
# One session: CALL the mode's procedure, which works through the shared queue. A session
# that dies (a server crash ends them all) is started again up to 3 times; the procedure
# retries the unit the session was on once and records it as failed the second time.
run_job() {
    local proc=$1 job=$2 attempt
    for attempt in 1 2 3 4; do
        if "${PSQL[@]}" -v job="$job" -v extra="$EXTRA" 2>&1 >/dev/null <<EOF | sed -u 's/^NOTICE:  /m3: /' >&2
SET client_min_messages = notice;
SET rnn_forecast.threads = 1;
SET m3.holdout_window = $HOLDOUT_WINDOW;
CALL $proc(:job, :'extra'::jsonb);
EOF
        then
            return 0
        fi
        say "[job $job] the session ended with an error (attempt $attempt); waiting for the server"
        "$PGBIN/pg_isready" -q -t 120 -h "$PGDIR/sock" -p "$PORT" -U postgres || true
        sleep 1
    done
    say "[job $job] giving up"
    return 1
}

REPORTS=()
for mode in "${MODES[@]}"; do
    proc=m3_run_series
    [ "$mode" = global ] && proc=m3_run_global
    say "$mode mode: $JOBS sessions"
    t0=$(date +%s.%N)
    pids=()
    for ((j = 0; j < JOBS; j++)); do
        run_job "$proc" "$j" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || say "a session of the $mode mode gave up; its remaining series have no result"
    done
    WALL=$(elapsed "$t0")
    say "$mode mode: $WALL s"

    if $CV; then
        methods="{naive,snaive,naive2}"
    else
        methods="{THETA,ForecastPro,Auto-ANN,NAIVE2}"
    fi
    "${PSQL[@]}" -v mode="$mode" -v methods="$methods" -v cv="$CV" \
        <<<"SELECT m3_report(:'mode', :'methods'::text[], :'cv')" >"$TMP/report-$mode.json"
    "${PSQL[@]}" -v mode="$mode" <<<"SELECT m3_scored(:'mode')" >"$TMP/scored-$mode.json"
    # the same models' network alone (theta_weight 0), when they combine
    "${PSQL[@]}" -v mode="$mode network" -v methods="$methods" -v cv="$CV" \
        <<<"SELECT m3_report(:'mode', :'methods'::text[], :'cv')" >"$TMP/report-$mode-network.json"
    # the competition's NAIVE2 next to this one, on the series that ran (a check line)
    "${PSQL[@]}" -v mode="$mode" -v cv="$CV" >"$TMP/naive2-$mode.txt" <<'EOF'
SELECT CASE WHEN :'cv' THEN '' ELSE format('%s|%s|%s|%s', count(*), avg(b.smape), avg(m.smape),
                                           count(*) FILTER (WHERE abs(b.smape - m.smape) <= 0.01)) END
FROM m3_result r
JOIN m3_base b ON b.id = r.id AND b.method = 'naive2'
JOIN m3_methods m ON m.id = r.id AND m.method = 'NAIVE2'
WHERE r.mode = :'mode' AND r.error IS NULL AND r.smape IS NOT NULL;
EOF
    # the per-series scores, for the comparison with the textbook Theta after the report
    "${PSQL[@]}" -c "\\copy (SELECT * FROM m3_rows('$mode')) TO '$TMP/rows-$mode.csv' (FORMAT csv, HEADER)"
    if [ -n "$OUT" ]; then
        csv="$OUT/m3_${mode}.csv"
        if [ "$FOLD" = 1 ]; then csv="$OUT/m3_${mode}_cv.csv"; fi
        if [ "$FOLD" -gt 1 ]; then csv="$OUT/m3_${mode}_cv$FOLD.csv"; fi
        cp "$TMP/rows-$mode.csv" "$csv"
        say "wrote $csv"
        # the forecasts with their holdout values and the network's alone (empty when the
        # models do not combine), for studying combinations offline
        "${PSQL[@]}" -c "\\copy (SELECT f.id, f.step, f.forecast, f.lower, f.upper, o.value AS actual, n.forecast AS network FROM m3_fc f LEFT JOIN m3_fc n ON n.mode = f.mode || ' network' AND n.id = f.id AND n.step = f.step JOIN m3_obs o ON o.id = f.id AND o.role = 'h' AND o.i = (SELECT min(i) FROM m3_obs x WHERE x.id = f.id AND x.role = 'h') + f.step - 1 WHERE f.mode = '$mode' ORDER BY f.id, f.step) TO '${csv%.csv}_fc.csv' (FORMAT csv, HEADER)"
        "${PSQL[@]}" -c "\\copy (SELECT o.id, s.period, s.h, o.i, o.value FROM m3_obs o JOIN m3_meta s USING (id) WHERE o.role = 'f' AND o.id IN (SELECT id FROM m3_fc WHERE mode = '$mode') ORDER BY o.id, o.i) TO '${csv%.csv}_fit.csv' (FORMAT csv, HEADER)"
        say "wrote ${csv%.csv}_fc.csv and ${csv%.csv}_fit.csv"
    fi
    REPORTS+=("$mode" "$WALL")
done

# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
TOTAL=$(elapsed "$T_START")
"$PYTHON" - "$TMP" "$FOLD" "$CONFIG_DESC" "$CONFIG" "$HORIZONS" "$EXT_VERSION ($BUILT_FROM)" "$PG_VERSION; $BLAS" \
    "$SAMPLE" "$JOBS" "$TOTAL" "${REPORTS[@]}" <<'EOF'
import json, os, sys
from collections import Counter

tmp, fold, config_desc, config, horizons, ext_version, pg_version, sample, jobs, total = sys.argv[1:11]
fold = int(fold)   # 0: the competition's holdout, 1 to 4: the cross-validation fold
cv = fold > 0
runs = sys.argv[11:]

if cv:
    METHODS = [("naive", "naive"), ("snaive", "seasonal naive"), ("naive2", "NAIVE2")]
else:
    METHODS = [("THETA", "THETA"), ("ForecastPro", "ForecastPro"), ("Auto-ANN", "Auto-ANN"),
               ("NAIVE2", "NAIVE2")]

def num(x, digits):
    return "-" if x is None else "%.*f" % (digits, x)

def paired(b):
    """a method's paired difference: mean (standard error) better/worse"""
    if not b or b.get("diff") is None:
        return "-"
    return "%+.2f (%s) %d/%d" % (b["diff"], num(b.get("se"), 2), b["better"], b["worse"])

def table(head, align, rows):
    w = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    def fmt(r):
        return "| " + " | ".join(("{:%s%d}" % (a, n)).format(c)
                                 for c, a, n in zip(r, align, w)) + " |"
    lines = [fmt(head),
             "|" + "|".join(("-" * (n + 1) + ":") if a == ">" else ("-" * (n + 2))
                            for a, n in zip(align, w)) + "|"]
    return "\n".join(lines + [fmt(r) for r in rows])

protocol = open(os.path.join(tmp, "protocol.txt")).read().split("\n")
protocol = [p for p in protocol if p]

for k in range(0, len(runs), 2):
    mode, wall = runs[k], float(runs[k + 1])
    r = json.load(open(os.path.join(tmp, "report-%s.json" % mode)))
    periods = r["periods"]
    print()
    title = ("per-series mode: one model per series" if mode == "per-series"
             else "global mode: one model per period over all its series")
    print("M3, %s; rnn_forecast %s, PostgreSQL %s" % (title, ext_version, pg_version))
    if fold == 1:
        print("holdout: CROSS-VALIDATION fold 1, the last h points of each train part (the test parts "
              "were not loaded); baselines computed on the same holdout")
    elif fold >= 2:
        last = "h" if fold == 2 else "%dh" % (fold - 1)
        print("holdout: CROSS-VALIDATION fold %d, the h points before the last %s of each train part, "
              "fitted on the points before them; the last %s points neither fitted nor scored (the "
              "test parts were not loaded); baselines computed on the same holdout" % (fold, last, last))
    else:
        print("holdout: the competition's test parts; the methods are the competition's "
              "submitted forecasts (m3_methods)")
    print("series: %s; h: %s" % (sample, horizons))
    left_out = r["left_out"]
    if left_out or fold >= 2:
        detail = ""
        if left_out:
            by_period = Counter(x["period"] for x in left_out)
            detail = ": %s, fitting parts of %s points" % (
                ", ".join("%d %s" % (by_period[p], p.lower())
                          for p in ["YEARLY", "QUARTERLY", "MONTHLY", "OTHER"] if p in by_period),
                "/".join(str(n) for n in sorted(set(x["n_fit"] for x in left_out))))
        print("left out of the run and of every mean (the baselines' too): %d series whose "
              "fitting part would have no more than a season of points, or no MASE scale%s"
              % (len(left_out), detail))
    print("config: %s" % config_desc)
    print("      = %s" % config)
    print()

    head = ["period", "series", "sMAPE", "MASE", "90% coverage", "90% MSIS"] + \
           ["%s sMAPE" % label for _, label in METHODS] + ["train s/series"]
    rows = []
    for p in periods:
        base = p["base"] or {}
        series = str(p["ok"]) if p["ok"] == p["series"] else "%d of %d" % (p["ok"], p["series"])
        rows.append([p["period"], series, num(p["smape"], 2), num(p["mase"], 3),
                     num(p["coverage"], 3), num(p["msis"], 2)] +
                    [num((base.get(m) or {}).get("smape"), 2) for m, _ in METHODS] +
                    [num(p["train_mean"], 3)])
    print(table(head, ["<"] + [">"] * (len(head) - 1), rows))
    print()
    head = ["period", "MASE"] + ["%s MASE" % label for _, label in METHODS]
    rows = [[p["period"], num(p["mase"], 3)] +
            [num(((p["base"] or {}).get(m) or {}).get("mase"), 3) for m, _ in METHODS]
            for p in periods]
    print(table(head, ["<"] + [">"] * (len(head) - 1), rows))
    print()
    print("Means over the series that ran; the other methods over the same series. ALL is the "
          "mean over all series.")
    print()
    print("Paired, series by series: this run's sMAPE minus each method's, mean (its standard "
          "error over series), and the series where this run is better / worse:")
    print()
    head = ["period"] + ["- %s" % label for _, label in METHODS]
    rows = [[p["period"]] + [paired((p["base"] or {}).get(m)) for m, _ in METHODS]
            for p in periods]
    print(table(head, ["<"] + [">"] * (len(head) - 1), rows))
    if r.get("levels"):
        print()
        print("Interval coverage at each level (share of the holdout points inside the level's")
        print("interval, pooled over the group's points, so ALL weighs the longer horizons more")
        print("than the mean over series above), over all steps and, after the slash, at step 1:")
        print()
        levels = sorted({x["level"] for x in r["levels"]})
        head = ["period"] + ["%g%%" % (100 * lv) for lv in levels]
        rows = []
        for p in periods:
            got = {x["level"]: x for x in r["levels"] if x["period"] == p["period"]}
            rows.append([p["period"]] + ["%s / %s" % (num((got.get(lv) or {}).get("coverage"), 3),
                                                      num((got.get(lv) or {}).get("step1"), 3))
                                         for lv in levels])
        print(table(head, ["<"] + [">"] * (len(head) - 1), rows))
    net = json.load(open(os.path.join(tmp, "report-%s-network.json" % mode)))
    if any(p["ok"] for p in net["periods"]):
        print()
        print("The network alone: the same models with theta_weight 0 (no statistical combination),")
        print("through rnn_model_from_json of the model with its combination weight set to 0:")
        print()
        head = ["period", "series", "sMAPE", "MASE"] + ["%s sMAPE" % label for _, label in METHODS]
        rows = []
        for p in net["periods"]:
            base = p["base"] or {}
            rows.append([p["period"], str(p["ok"]), num(p["smape"], 2), num(p["mase"], 3)] +
                        [num((base.get(m) or {}).get("smape"), 2) for m, _ in METHODS])
        print(table(head, ["<"] + [">"] * (len(head) - 1), rows))

    # timing
    n_train = r["train_n"] or 0
    print("time: %.1f s wall for training and forecasting (%s sessions; whole script %s s)"
          % (wall, jobs, total))
    if mode == "per-series":
        if n_train:
            s = r["slowest"]
            print("      training_seconds of the models (rnn_model_info): sum %.1f s, mean %.3f s "
                  "per series, slowest %s (%s) %.2f s"
                  % (r["train_sum"], r["train_sum"] / n_train, s["id"], s["period"], s["seconds"]))
    else:
        done = [m for m in r["models"] if not m["error"] and m["train_seconds"] is not None]
        if done:
            print("      training_seconds of the %d period models (rnn_model_info): sum %.1f s"
                  % (len(done), sum(m["train_seconds"] for m in done)))
        for m in r["models"]:
            if m["error"]:
                print("      %s: one model over %d series (%d rows) FAILED after %s s: %s"
                      % (m["period"], m["series"], m["rows"], num(m["wall_seconds"], 1), m["error"]))
            else:
                i = m["info"] or {}
                print("      %s: one model over %d series (%d rows): training_seconds %s, statement %s s; "
                      "window %s, scaling %s, epochs %s (best %s)"
                      % (m["period"], m["series"], m["rows"], num(m["train_seconds"], 1),
                         num(m["wall_seconds"], 1), i.get("window"), i.get("scaling"),
                         i.get("epochs_run"), i.get("best_epoch")))
                v = i.get("theta_validation")
                if v:
                    print("        Theta weights validated on %d series: mean error network %.3f, Theta %.3f, "
                          "combined %.3f: combination %s (model weight %s)"
                          % (v["series"], v["network_error"], v["theta_error"], v["combined_error"],
                             "kept" if i.get("theta_weight") else "dropped", i.get("theta_weight")))

    # failures
    failed = r["failed"]
    if failed:
        print("failed: %d series" % len(failed))
        by_error = Counter(f["error"] for f in failed)
        for err, count in by_error.most_common(10):
            ids = [f["id"] for f in failed if f["error"] == err]
            print("  %d x %s: %s%s" % (count, err, ", ".join(ids[:12]),
                                      " ..." if len(ids) > 12 else ""))
    else:
        print("failed: 0 series")

    # per series: the validation behind the Theta weights (format 9's theta_validation)
    if r.get("validation"):
        print("Theta weights validated (series validated of those trained; their mean errors on the "
              "network's scale, network / Theta / combined; their mean weight):")
        for v in r["validation"]:
            if v["validated"]:
                print("  %-9s %d of %d: %.3f / %.3f / %.3f, weight %.3f"
                      % (v["period"], v["validated"], v["series"], v["network"], v["theta"],
                         v["combined"], v["weight"]))
            else:
                print("  %-9s 0 of %d" % (v["period"], v["series"]))

    # the extension's automatic choices
    if r["choices"]:
        by_period = {}
        for c in r["choices"]:
            by_period.setdefault(c["period"], []).append(c)
        print("choices (scaling/window: series, mean epochs run, mean best epoch):")
        for period in ["YEARLY", "QUARTERLY", "MONTHLY", "OTHER"]:
            if period in by_period:
                print("  %-9s %s" % (period, "; ".join(
                    "%s/%s: %d, %.0f, %.0f" % (c["scaling"], c["window"], c["series"],
                                               c["epochs"] or 0, c["best_epoch"] or 0)
                    for c in by_period[period][:4])))

    # checks
    checks = []
    # the metrics again, in Python, from the holdout and the forecasts rnn_forecast returned
    scored = json.load(open(os.path.join(tmp, "scored-%s.json" % mode)))
    differ = []
    for sid, scale, a, f, lo, hi, smape, mase, coverage, msis in scored:
        h = len(a)
        bounded = [(u, l, p) for u, l, p in zip(a, lo, hi) if l is not None and p is not None]
        mine = (sum(0 if abs(u) + abs(v) == 0 else 200 * abs(u - v) / (abs(u) + abs(v))
                    for u, v in zip(a, f)) / h,
                sum(abs(u - v) for u, v in zip(a, f)) / h / scale if scale else None,
                # SQL's avg over BETWEEN: a point without bounds counts in neither sum
                None if all(l is None or p is None for l, p in zip(lo, hi)) else
                sum(1 for u, l, p in zip(a, lo, hi) if l is not None and p is not None and l <= u <= p)
                / sum(1 for l, p in zip(lo, hi) if l is not None and p is not None),
                # the same points: the interval's width and 20 times its misses
                None if not bounded or not scale else
                sum((p - l) + 20 * max(l - u, 0) + 20 * max(u - p, 0) for u, l, p in bounded)
                / len(bounded) / scale)
        for what, x, y in zip(("sMAPE", "MASE", "coverage", "MSIS"), mine,
                              (smape, mase, coverage, msis)):
            if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-9 * max(1, abs(x))):
                differ.append("%s %s" % (sid, what))
    if differ:
        checks.append("SQL and Python metrics differ: %s" % ", ".join(differ[:10]))
    # the other methods must have a score on every series that ran, or their means are over
    # other series than the model's
    uncovered = ["%s %s on %d of %d" % (label, p["period"], ((p["base"] or {}).get(m) or {}).get("n", 0),
                                        p["ok"])
                 for p in periods if p["period"] != "ALL"
                 for m, label in METHODS
                 if ((p["base"] or {}).get(m) or {}).get("n", 0) != p["ok"]]
    if uncovered:
        checks.append("methods without a score on every series that ran: %s" % ", ".join(uncovered))
    if protocol:
        checks.append("protocol problems (%d): %s" % (len(protocol), "; ".join(protocol[:5])))
    if r["ts_mismatch"]:
        checks.append("%d forecast timestamps differ from the holdout dates" % r["ts_mismatch"])
    if r["nonfinite"]:
        checks.append("%d forecasts or bounds NULL/NaN/infinite" % r["nonfinite"])
    print()
    if checks:
        print("Checks FAILED: " + "; ".join(checks))
    else:
        print("Checks: %s as in m3_meta%s, consecutive dates%s, "
              "forecast dates = holdout dates, all forecasts and bounds finite, the other "
              "methods scored on every series that ran, the metrics of the %d scored series "
              "recomputed in Python = SQL."
              % ("fitting, holdout and unused row counts" if fold >= 2
                 else "fitting and holdout row counts",
                 " for cv fold %d" % fold if cv else "",
                 "" if cv else ", MASE scale = m3_meta.scale recomputed", len(scored)))
    n2 = open(os.path.join(tmp, "naive2-%s.txt" % mode)).read().strip()
    if n2:
        n, ours, theirs, equal = n2.split("|")
        if int(n):
            print("NAIVE2 recomputed here on these %s series: sMAPE %.2f (competition %.2f), the "
                  "same on %s" % (n, float(ours), float(theirs), equal))
EOF

# The same series against the textbook Theta method (test/bench/m3_theta.py: no server),
# the mean per-series difference with its standard error
for mode in "${MODES[@]}"; do
    echo
    echo "$mode mode against the textbook Theta method, on the same series and holdout"
    "$PYTHON" test/bench/m3_theta.py --cv-fold "$FOLD" ${PERIOD:+--limit-period "$PERIOD"} \
        --against "$TMP/rows-$mode.csv" | tail -n +2
done
