#!/usr/bin/env bash
# Accuracy benchmark: the holdout protocol of data/README.md on every series in data/,
# through SQL, with the extension's default configuration.
#
#   bash test/bench/accuracy.sh                      # rnn_config()
#   bash test/bench/accuracy.sh '{"cell": "gru"}'    # rnn_config() || '{"cell": "gru"}'::jsonb
#   bash test/bench/accuracy.sh --horizon            # rnn_config(horizon => h), h the holdout:
#                                                    # the M3 benchmark's protocol
#
# For every series listed in data/series.csv (data/NAME.csv, columns ts,value; ts an ISO
# date on the first of the month, quarter or year) the last h points are held out (h = 18
# monthly, 8 quarterly, 6 yearly), the model is trained on the rest with
#     rnn_train(ts, value, rnn_config() [|| extra])
# (ts as date, so the extension infers calendar months/quarters/years and the season), and
#     SELECT * FROM rnn_forecast(model, h, 0.9)
# forecasts the held-out steps. Per series it prints MASE (scale: the in-sample seasonal
# naive MAE of the training part, lag = frequency, 1 for yearly), sMAPE, the coverage of the
# 90% interval, the training seconds the extension measured (rnn_model_info), and the MASE
# of the baselines in data/baselines.csv (snaive, ets, arima, pytorch_lstm); then the means
# over the benchmark series (those with lines in baselines.csv). Series without baselines
# (airmiles, 24 points: an edge case) are run too and reported separately, with the error
# message if they fail. The metrics are computed in SQL (test/bench/accuracy.sql).
#
# Nothing but the horizon of the forecast is given to the extension: window, season and
# scaling are its automatic choices. The optional argument is a JSON object merged into
# rnn_config() with jsonb ||, to compare other configurations; the effective configuration
# is printed.
#
# Runs `make -s && make -s install` first, then a throwaway server
# (tools/pg-temp-server.sh, port 54420, or BENCH_PORT) in a mktemp -d directory that an exit trap stops and
# removes. Progress goes to stderr, the report to stdout. Needs root (or the postgres user).
set -euo pipefail

PORT=${BENCH_PORT:-54420}
PYTHON=/usr/bin/python3

usage() {
    echo "usage: $0 [--horizon] [EXTRA_CONFIG_JSON]" >&2
    echo "  e.g. $0 '{\"cell\": \"gru\"}'" >&2
    exit 2
}

WITH_H=off
if [ "${1:-}" = "--horizon" ]; then WITH_H=on; shift; fi
EXTRA=
case $# in
    0) ;;
    1) case "$1" in -h|--help) usage ;; esac; EXTRA=$1 ;;
    *) usage ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT"

say() { echo "accuracy: $*" >&2; }

# shellcheck source=test/bench/lib/server.sh
. test/bench/lib/server.sh
export PGTZ=UTC

# ---------------------------------------------------------------------------------------
# Schema, configuration, data
# ---------------------------------------------------------------------------------------
"${PSQL[@]}" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION rnn_forecast' >/dev/null
"${PSQL[@]}" -f test/bench/accuracy.sql >/dev/null

# The effective configuration, checked once by the extension before any training.
if [ -n "$EXTRA" ]; then
    CONFIG=$("${PSQL[@]}" -v extra="$EXTRA" <<'EOF'
SELECT CASE WHEN jsonb_typeof(:'extra'::jsonb) = 'object'
            THEN rnn_config_check(rnn_config() || :'extra'::jsonb)::text
            ELSE 'not a JSON object' END;
EOF
    )
    if [ "$CONFIG" = "not a JSON object" ]; then
        echo "accuracy: the extra configuration must be a JSON object, got: $EXTRA" >&2
        exit 2
    fi
    CONFIG_DESC="rnn_config() || '$EXTRA'::jsonb"
else
    CONFIG=$("${PSQL[@]}" -c 'SELECT rnn_config()::text')
    CONFIG_DESC="rnn_config()"
fi
if [ "$WITH_H" = on ]; then CONFIG_DESC="$CONFIG_DESC || jsonb_build_object('horizon', h)"; fi
say "configuration: $CONFIG_DESC = $CONFIG"

# data/series.csv, data/NAME.csv and data/baselines.csv as one COPY script.
"$PYTHON" - "$ROOT/data" >"$TMP/load.sql" <<'EOF'
import csv, os, sys

data = sys.argv[1]
HORIZON = {12: 18, 4: 8, 1: 6}

def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))

series = rows(os.path.join(data, "series.csv"))
out = sys.stdout
out.write("COPY bench_series (name, n, frequency, h, ord) FROM stdin (FORMAT csv);\n")
for k, s in enumerate(series):
    freq = int(s["frequency"])
    if freq not in HORIZON:
        sys.exit("accuracy: series %s: frequency %d has no holdout length" % (s["name"], freq))
    out.write("%s,%d,%d,%d,%d\n" % (s["name"], int(s["n"]), freq, HORIZON[freq], k))
out.write("\\.\n")

out.write("COPY bench_data (name, ts, value) FROM stdin (FORMAT csv);\n")
for s in series:
    path = os.path.join(data, s["name"] + ".csv")
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        if head != ["ts", "value"]:
            sys.exit("accuracy: %s: header %r, expected ts,value" % (path, head))
        for line in r:
            if line:
                out.write("%s,%s,%s\n" % (s["name"], line[0], line[1]))
out.write("\\.\n")

out.write("COPY bench_baselines (name, n, frequency, horizon, method, mase, smape) "
          "FROM stdin (FORMAT csv, HEADER);\n")
with open(os.path.join(data, "baselines.csv")) as f:
    out.write(f.read().rstrip("\n") + "\n")
out.write("\\.\n")
out.write("SELECT bench_number_rows();\n")
EOF
"${PSQL[@]}" -f "$TMP/load.sql" >/dev/null
say "loaded $("${PSQL[@]}" -c "SELECT count(DISTINCT name) || ' series, ' || count(*) || ' rows' FROM bench_data")"

# ---------------------------------------------------------------------------------------
# One session per series
# ---------------------------------------------------------------------------------------
START=$(date +%s.%N)
mapfile -t NAMES < <("${PSQL[@]}" -c 'SELECT name FROM bench_series ORDER BY ord')
for name in "${NAMES[@]}"; do
    say "$name: training and forecasting"
    # bench_run catches SQL errors itself; a failing psql means a lost connection (crash).
    if ! err=$("${PSQL[@]}" -v name="$name" -v config="$CONFIG" -v with_h="$WITH_H" 2>&1 <<'EOF'
SET client_min_messages = warning;
SET rnn_forecast.threads = 1;
SELECT bench_run(:'name', :'config'::jsonb
                 || CASE WHEN :'with_h' = 'on'
                         THEN jsonb_build_object('horizon', h) ELSE '{}' END)
FROM bench_series WHERE name = :'name';
EOF
    ); then
        say "  $name: the session failed: $err"
        "$PGBIN/pg_isready" -q -t 60 -h "$PGDIR/sock" -p "$PORT" -U postgres || true
    elif [ -n "$err" ]; then
        say "  $name failed: $err"
    else
        say "  $("${PSQL[@]}" -v name="$name" <<'EOF'
SELECT format('MASE %s, sMAPE %s, coverage %s, training %s s, statement %s s',
              round(mase::numeric, 3), round(smape::numeric, 2), round(coverage::numeric, 2),
              round(training_seconds::numeric, 2), round(wall_seconds::numeric, 2))
FROM bench_result WHERE name = :'name';
EOF
        )"
    fi
done
TOTAL=$("$PYTHON" -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$START" "$(date +%s.%N)")

# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
"${PSQL[@]}" -c 'SELECT bench_report()' >"$TMP/report.json"
EXT_VERSION=$("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast'")
PG_VERSION=$("${PSQL[@]}" -c 'SHOW server_version')

"$PYTHON" - "$TMP/report.json" "$CONFIG_DESC" "$CONFIG" "$EXT_VERSION" "$PG_VERSION" "$TOTAL" \
    "$ROOT/data" <<'EOF'
import csv, json, math, os, sys

report = json.load(open(sys.argv[1]))
config_desc, config, ext_version, pg_version, total, data_dir = sys.argv[2:8]
BASE = ["snaive", "ets", "arima", "pytorch_lstm"]
FREQ = {12: "M", 4: "Q", 1: "Y"}

series = report["series"]
bench = [s for s in series if s["benchmark"]]
edge = [s for s in series if not s["benchmark"]]

def num(x, digits):
    return "-" if x is None else "%.*f" % (digits, x)

def base(s, method):
    b = (s["baselines"] or {}).get(method)
    return None if b is None else b["mase"]

def ok(s):
    return s["result"] is not None and s["result"]["error"] is None

def row(s):
    r = s["result"] or {}
    return [s["name"], FREQ.get(s["frequency"], str(s["frequency"])), str(r.get("rows", s["n"])),
            str(s["h"]), num(r.get("mase"), 3), num(r.get("smape"), 2),
            num(r.get("coverage"), 2), num(r.get("training_seconds"), 2)] + \
           [num(base(s, m), 3) for m in BASE]

def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None

head = ["series", "freq", "n", "h", "MASE", "sMAPE", "cov90", "train s"] + \
       ["%s MASE" % m for m in BASE]
align = ["<", "<", ">", ">", ">", ">", ">", ">"] + [">"] * len(BASE)

def table(rows):
    w = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    def fmt(r):
        return "| " + " | ".join(("{:%s%d}" % (a, n)).format(c)
                                 for c, a, n in zip(r, align, w)) + " |"
    lines = [fmt(head),
             "|" + "|".join(("-" * (n + 1) + ":") if a == ">" else ("-" * (n + 2))
                            for a, n in zip(align, w)) + "|"]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)

print()
print("Holdout accuracy (data/README.md protocol), rnn_forecast %s, PostgreSQL %s" % (ext_version, pg_version))
print("config: %s" % config_desc)
print("        = %s" % config)
print()

rows = []
failed = []
for s in bench:
    if ok(s):
        rows.append(row(s))
    else:
        failed.append(s)
        rows.append([s["name"], FREQ.get(s["frequency"], "?"), str(s["n"]), str(s["h"]),
                     "FAILED", "-", "-", "-"] + [num(base(s, m), 3) for m in BASE])
good = [s for s in bench if ok(s)]
means = ["mean (%d series)" % len(good), "", "", "",
         num(mean([s["result"]["mase"] for s in good]), 3),
         num(mean([s["result"]["smape"] for s in good]), 2),
         num(mean([s["result"]["coverage"] for s in good]), 2),
         num(mean([s["result"]["training_seconds"] for s in good]), 2)] + \
        [num(mean([base(s, m) for s in good]), 3) for m in BASE]
print(table(rows + [means]))
if failed:
    print("means over the %d series that ran; failed: %s" % (len(good), ", ".join(
        "%s (%s)" % (s["name"], (s["result"] or {}).get("error") or "no result") for s in failed)))

# Win counts against each baseline, pooled coverage
if good:
    wins = []
    for m in BASE:
        pairs = [(s["result"]["mase"], base(s, m)) for s in good if base(s, m) is not None]
        wins.append("%s %d/%d" % (m, sum(1 for a, b in pairs if a < b), len(pairs)))
    print("lower MASE than: " + ", ".join(wins))
    pts = sum(s["h"] for s in good)
    inside = sum(s["result"]["coverage"] * s["h"] for s in good)
    print("pooled 90%% interval coverage: %d/%d held-out points = %.2f" % (round(inside), pts, inside / pts))

print()
print("Edge cases (no baselines; not in the means):")
for s in edge:
    if ok(s):
        r = s["result"]
        print("  %s (n %d, h %d): MASE %.3f, sMAPE %.2f, cov90 %.2f, train %.2f s"
              % (s["name"], r["rows"], s["h"], r["mase"], r["smape"], r["coverage"], r["training_seconds"]))
    else:
        print("  %s (n %d, h %d): ERROR: %s" % (s["name"], s["n"], s["h"],
              (s["result"] or {}).get("error") or "no result"))

print()
print("Details (the extension's automatic choices; width = mean interval width / MASE scale):")
for s in series:
    r = s["result"] or {}
    if not ok(s):
        print("  %-13s failed after %.2f s" % (s["name"], r.get("wall_seconds") or 0))
        continue
    i = r["info"]
    cal = i.get("calibration") or {}
    print("  %-13s step %s, season %s, window %s, scaling %s, epochs %s (best %s), "
          "calibration %s steps/%s samples, width %.2f, theta_weight %.3f, statement %.2f s"
          % (s["name"], i.get("step"), i.get("season"), i.get("window"), i.get("scaling"),
             i.get("epochs_run"), i.get("best_epoch"), cal.get("steps"), cal.get("samples"),
             r["mean_width"], i.get("theta_weight") or 0, r["wall_seconds"]))

# Protocol checks: row counts, timestamps, finiteness, and the seasonal naive MASE computed
# here against data/baselines.csv's snaive (same denominator and holdout).
problems = []
for s in series:
    r = s["result"] or {}
    if r.get("rows") is not None and r["rows"] != s["n"]:
        problems.append("%s: %d rows in the CSV, series.csv says %d" % (s["name"], r["rows"], s["n"]))
    if not ok(s):
        continue
    if r["ts_mismatch"]:
        problems.append("%s: %d forecast timestamps differ from the held-out dates" % (s["name"], r["ts_mismatch"]))
    if r["nonfinite"]:
        problems.append("%s: %d forecasts or bounds are NULL/NaN/infinite" % (s["name"], r["nonfinite"]))
    # The metrics again, in Python, from the CSV and the forecasts rnn_forecast returned.
    with open(os.path.join(data_dir, s["name"] + ".csv"), newline="") as f:
        y = [float(l["value"]) for l in csv.DictReader(f)]
    h, m = s["h"], r["m"]
    train, fc = y[:-h], report["forecasts"][s["name"]]
    scale = sum(abs(train[t] - train[t - m]) for t in range(m, len(train))) / (len(train) - m) or math.nan
    a = y[-h:]
    f = [x[3] for x in fc]
    mase = sum(abs(u - v) for u, v in zip(a, f)) / h / scale
    smape = sum(0 if abs(u) + abs(v) == 0 else 200 * abs(u - v) / (abs(u) + abs(v))
                for u, v in zip(a, f)) / h
    cov = sum(1 for u, x in zip(a, fc) if x[4] <= u <= x[5]) / h
    for what, mine, theirs in (("MASE", mase, r["mase"]), ("sMAPE", smape, r["smape"]),
                               ("coverage", cov, r["coverage"])):
        if theirs is None and math.isnan(mine):
            continue
        if theirs is None or abs(mine - theirs) > 1e-9 * max(1, abs(mine)):
            problems.append("%s: %s %.6f in SQL, %.6f in Python" % (s["name"], what, theirs, mine))
    b = base(s, "snaive")
    if b is not None and (r["snaive_mase"] is None or abs(r["snaive_mase"] - b) > 0.0006):
        problems.append("%s: seasonal naive MASE %.4f here, %.4f in baselines.csv" % (s["name"], r["snaive_mase"], b))
print()
if problems:
    print("Protocol checks FAILED:")
    for p in problems:
        print("  " + p)
else:
    print("Protocol checks: row counts match series.csv, forecast dates match the held-out dates, "
          "all values finite, SQL metrics = Python recomputation, seasonal naive MASE recomputed here "
          "matches baselines.csv.")
print("Total time of the training/forecast sessions: %s s" % total)
EOF
