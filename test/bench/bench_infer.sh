#!/usr/bin/env bash
# Inference-speed benchmark: rnn_forecast (inside PostgreSQL) against PyTorch.
#
#   bash test/bench/bench_infer.sh [--repeat N] [--windows N]
#
# The same model on both sides: PyTorch's RNNModel of bench_torch.py (LSTM, hidden 64, 2
# layers, input 1, output 1, freshly initialised with its seed), exported with its
# state_dict and imported with rnn_model_from_json. The same data: bench_torch.py's
# make_data() series. One-step forecasts from every 48-point window of it (20,000 by
# default), single-threaded:
#
#   * PyTorch:             model(x) over all windows in batches of 1,024 under
#                          torch.no_grad() (torch.set_num_threads(1)): batched inference.
#   * rnn_predict_rows:    (rnn_predict_rows(v, model, 1) OVER (ORDER BY i))[1] for every row:
#                          the window function that forecasts 256 rows per pass.
#   * rnn_predict_rows ts: (rnn_predict_rows(i::bigint, v, model, 1) OVER (ORDER BY i))[1]:
#                          the same with each row's step number (0.8.0: windows over the
#                          model's steps, each row checked on its grid).
#   * rnn_predict window:  (rnn_predict(v, model, 1) OVER (ORDER BY i ROWS BETWEEN 47
#                          PRECEDING AND CURRENT ROW))[1] for every row of the table.
#   * rnn_forecast array:  rnn_forecast(model, window float8[], 1) per row of a table that
#                          holds each window as an array.
#
# Each SQL form is timed by clock_timestamp() around CREATE TEMP TABLE ... AS in one
# session, with jit = off (set on the database: compiling the query's expressions is
# no part of the forecasts and would be timed once per run); forecasts/s = windows /
# seconds. PyTorch's speed swings by 2x on a shared machine (3,213 to 7,183 forecasts/s
# between runs were seen), so PyTorch is timed in rounds interleaved with the SQL forms:
# each of the --repeat rounds (default 3) runs a fresh python process that times two
# batched passes over all windows (after a warm-up), then each SQL form once. The best
# time of each side over all rounds is reported, with the ratio to PyTorch (above 1 =
# faster than PyTorch) and the largest difference between the two sides' forecasts.
set -euo pipefail

REPEAT=3
WINDOWS=20000
# BENCH_PORT overrides the port.
PORT=${BENCH_PORT:-54412}
WINDOW=48
PYTHON=/usr/bin/python3

usage() {
    echo "usage: $0 [--repeat N] [--windows N]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) [ $# -ge 2 ] || usage; REPEAT=$2; shift 2 ;;
        --windows) [ $# -ge 2 ] || usage; WINDOWS=$2; shift 2 ;;
        -h|--help) usage ;;
        *) echo "bench_infer: unknown argument '$1'" >&2; usage ;;
    esac
done
for v in "$REPEAT" "$WINDOWS"; do
    case "$v" in
        ''|*[!0-9]*|0) echo "bench_infer: --repeat and --windows take a positive integer" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT"
say() { echo "bench_infer: $*" >&2; }

tools/install-deps.sh python3-torch >&2
# shellcheck source=test/bench/lib/server.sh
. test/bench/lib/server.sh

# the series, the model as JSON, and PyTorch's timings and forecasts
say "PyTorch: model, series and forecasts of $WINDOWS windows"
"$PYTHON" - "$ROOT/test/bench" "$WINDOWS" "$TMP" <<'EOF'
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
from bench_torch import make_data, RNNModel, WINDOW, HIDDEN, LAYERS, SEED

n, tmp = int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(1)
torch.manual_seed(SEED)
x, y, _perm = make_data(n)
v = torch.cat([x[0, :, 0], y[:, 0]])
with open(tmp + "/series.csv", "w") as f:
    for i, val in enumerate(v.tolist()):
        f.write("%d,%r\n" % (i, val))
model = RNNModel(1, HIDDEN, 1, LAYERS).eval()
sd = {k: t.tolist() for k, t in model.state_dict().items()}
with open(tmp + "/model.json", "w") as f:
    json.dump({"cell": "lstm", "input_size": 1, "hidden_size": HIDDEN, "num_layers": LAYERS,
               "bidirectional": False, "output_size": 1, "window": WINDOW, "state_dict": sd}, f)
torch.save(model.state_dict(), tmp + "/model.pt")
with torch.no_grad():
    out = torch.cat([model(x[b:b + 1024]) for b in range(0, n, 1024)])
with open(tmp + "/torch.csv", "w") as f:
    # the window x[k] ends at row k + WINDOW - 1 of the series
    for k, val in enumerate(out[:, 0].tolist()):
        f.write("%d,%r\n" % (k + WINDOW - 1, val))
EOF

# One PyTorch round: the same model and windows, batched inference timed twice after a
# warm-up, in a fresh process; prints the best time.
torch_round() {
    "$PYTHON" - "$ROOT/test/bench" "$WINDOWS" "$TMP" <<'EOF'
import sys, time
sys.path.insert(0, sys.argv[1])
import torch
from bench_torch import make_data, RNNModel, HIDDEN, LAYERS, SEED

n, tmp = int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(1)
torch.manual_seed(SEED)
x, _y, _perm = make_data(n)
model = RNNModel(1, HIDDEN, 1, LAYERS).eval()
model.load_state_dict(torch.load(tmp + "/model.pt"))
best = None
with torch.no_grad():
    model(x[:1024])                     # warm-up
    for _ in range(2):
        t0 = time.perf_counter()
        out = torch.cat([model(x[b:b + 1024]) for b in range(0, n, 1024)])
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
print("%.6f" % best)
EOF
}

"${PSQL[@]}" <<EOF
SET client_min_messages = warning;
ALTER DATABASE postgres SET jit = off;
CREATE EXTENSION rnn_forecast;
CREATE TABLE series (i integer PRIMARY KEY, v float8 NOT NULL);
\\copy series FROM '$TMP/series.csv' WITH (FORMAT csv)
CREATE TABLE torch_out (i integer PRIMARY KEY, f float8);
\\copy torch_out FROM '$TMP/torch.csv' WITH (FORMAT csv)
CREATE TABLE model_json (j jsonb);
\\copy model_json FROM program 'cat $TMP/model.json | tr -d "\\n"' WITH (FORMAT text)
CREATE TABLE model AS SELECT rnn_model_from_json(j) AS m FROM model_json;
CREATE TABLE windows AS
SELECT i, array_agg(v) OVER (ORDER BY i ROWS BETWEEN $((WINDOW - 1)) PRECEDING AND CURRENT ROW) AS h
FROM series;
DELETE FROM windows WHERE i < $((WINDOW - 1));
ANALYZE series; ANALYZE windows;
CREATE FUNCTION timed(q text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz;
BEGIN
    DROP TABLE IF EXISTS out;
    t0 := clock_timestamp();
    EXECUTE 'CREATE TEMP TABLE out AS ' || q;
    RETURN extract(epoch FROM clock_timestamp() - t0);
END \$\$;
EOF

Q_ROWS="SELECT i, (rnn_predict_rows(v, m, 1) OVER (ORDER BY i))[1] AS f FROM series, model"
Q_ROWS_TS="SELECT i, (rnn_predict_rows(i::bigint, v, m, 1) OVER (ORDER BY i))[1] AS f FROM series, model"
Q_WINDOW="SELECT i, (rnn_predict(v, m, 1) OVER (ORDER BY i ROWS BETWEEN $((WINDOW - 1)) PRECEDING AND CURRENT ROW))[1] AS f FROM series, model"
Q_ARRAY="SELECT i, (rnn_forecast(m, h, 1))[1] AS f FROM windows, model"
best_torch=
best_rows=
best_rows_ts=
best_window=
best_array=
for r in $(seq 1 "$REPEAT"); do
    t=$(torch_round)
    say "run $r: PyTorch batched ${t} s"
    best_torch=$("$PYTHON" -c "print(min(float('$t'), float('${best_torch:-inf}')))")
    t=$("${PSQL[@]}" -c "SELECT timed(\$q\$$Q_ROWS\$q\$)")
    say "run $r: rnn_predict_rows ${t} s"
    best_rows=$("$PYTHON" -c "print(min(float('$t'), float('${best_rows:-inf}')))")
    t=$("${PSQL[@]}" -c "SELECT timed(\$q\$$Q_ROWS_TS\$q\$)")
    say "run $r: rnn_predict_rows ts ${t} s"
    best_rows_ts=$("$PYTHON" -c "print(min(float('$t'), float('${best_rows_ts:-inf}')))")
    t=$("${PSQL[@]}" -c "SELECT timed(\$q\$$Q_WINDOW\$q\$)")
    say "run $r: rnn_predict window ${t} s"
    best_window=$("$PYTHON" -c "print(min(float('$t'), float('${best_window:-inf}')))")
    t=$("${PSQL[@]}" -c "SELECT timed(\$q\$$Q_ARRAY\$q\$)")
    say "run $r: rnn_forecast array ${t} s"
    best_array=$("$PYTHON" -c "print(min(float('$t'), float('${best_array:-inf}')))")
done
# agreement with PyTorch (float32 weights both sides; the extension computes in float32 too)
diff_rows=$("${PSQL[@]}" -c "CREATE TEMP TABLE o AS $Q_ROWS; SELECT max(abs(o.f - t.f)) FROM o JOIN torch_out t USING (i)")
diff_rows_ts=$("${PSQL[@]}" -c "CREATE TEMP TABLE o AS $Q_ROWS_TS; SELECT max(abs(o.f - t.f)) FROM o JOIN torch_out t USING (i)")
diff_window=$("${PSQL[@]}" -c "CREATE TEMP TABLE o AS $Q_WINDOW; SELECT max(abs(o.f - t.f)) FROM o JOIN torch_out t USING (i)")
diff_array=$("${PSQL[@]}" -c "CREATE TEMP TABLE o AS $Q_ARRAY; SELECT max(abs(o.f - t.f)) FROM o JOIN torch_out t USING (i)")
ext_version=$("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast'")
torch_seconds=$best_torch

"$PYTHON" - "$WINDOWS" "$torch_seconds" "$best_window" "$best_array" "$diff_window" "$diff_array" "$ext_version" "$best_rows" "$diff_rows" "$best_rows_ts" "$diff_rows_ts" <<'EOF'
import sys
n, t_torch, t_win, t_arr = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
d_win, d_arr, ver = sys.argv[5], sys.argv[6], sys.argv[7]
t_rows, d_rows = float(sys.argv[8]), sys.argv[9]
t_rows_ts, d_rows_ts = float(sys.argv[10]), sys.argv[11]
torch_rate = n / t_torch
print("one-step forecasts from %d windows of 48 points, LSTM 64x2, one thread (best of interleaved runs)" % n)
print("%-44s %10s %12s %8s %14s" % ("", "seconds", "forecasts/s", "ratio", "max |diff|"))
print("%-44s %10.3f %12.0f %8s %14s" % ("PyTorch batched (1,024 per batch)", t_torch, torch_rate, "1.00", ""))
for name, t, d in (("rnn_forecast %s rnn_predict_rows" % ver, t_rows, d_rows),
                  ("rnn_forecast %s rnn_predict_rows ts" % ver, t_rows_ts, d_rows_ts),
                  ("rnn_forecast %s rnn_predict window" % ver, t_win, d_win),
                   ("rnn_forecast %s rnn_forecast(model, array, 1)" % ver, t_arr, d_arr)):
    print("%-44s %10.3f %12.0f %8.2f %14s" % (name, t, n / t, (n / t) / torch_rate, d))
print("ratio = rnn_forecast forecasts/s / PyTorch forecasts/s (above 1 = rnn_forecast faster)")
EOF
