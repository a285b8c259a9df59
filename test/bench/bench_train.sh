#!/usr/bin/env bash
# Training-speed benchmark: rnn_forecast (inside PostgreSQL) against PyTorch.
#
#   bash test/bench/bench_train.sh [--repeat N] [--windows N] [--no-threads]
#
# Both sides train the same workload on the same data, single-threaded: a 2-layer LSTM,
# hidden 64, input 1, output 1, windows of 48 points (+1 target) cut from a noisy sine,
# batch 64, Adam lr 0.001, MSE loss, ONE epoch over 20,000 windows.
#
#   * PyTorch:      test/bench/bench_torch.py --json (torch.set_num_threads(1)); it times
#                   only its training loop.
#   * rnn_forecast: rnn_train(v, rnn_config(...) ORDER BY i) over the 20,048 rows of a
#                   table on a throwaway server (rnn_forecast.threads = 1,
#                   OPENBLAS_NUM_THREADS=1). Reported twice: the training time the
#                   extension measures itself (training_seconds in rnn_model_info) and the
#                   wall time of the whole SQL statement (clock_timestamp() before/after in
#                   the same session).
#
# The series is made by bench_torch.py's own make_data() (same seed, same float32 values)
# and loaded with \copy. Untimed warm-ups: bench_torch.py does one batch itself; the SQL
# side trains once on a small subset first. The two implementations alternate (torch, sql,
# torch, sql, ...) --repeat times (default 2) and the best run of each is reported.
#
# Then, unless --no-threads: the same epoch for LSTM, GRU and tanh RNN (2x64) on 1 and 2 threads:
# PyTorch with torch.set_num_threads(1) and (2), the core's training loop alone
# (test/bench_core: rnn_forecast.threads' split of every mini-batch, timed exactly) and the SQL
# statement with SET rnn_forecast.threads = 1 and 2 (training_seconds); best of --repeat each,
# ratios in one table, and the load average before and after (the machine is shared); and
# the one-core sgemm bound of each cell (test/bench_sgemm) with the core loop's fraction of it.
#
# Needs root (or sudo) only if python3-torch or the build dependencies are missing.
# RNN_DESTDIR=/path installs into a private PostgreSQL copy (test/bench/lib/server.sh);
# BENCH_PORT overrides the port.
set -euo pipefail

REPEAT=2
WINDOWS=20000
PORT=${BENCH_PORT:-54410}
THREADS_TABLE=1
WINDOW=48
WARMUP_WINDOWS=1000
PYTHON=/usr/bin/python3

usage() {
    echo "usage: $0 [--repeat N] [--windows N]" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) [ $# -ge 2 ] || usage; REPEAT=$2; shift 2 ;;
        --repeat=*) REPEAT=${1#*=}; shift ;;
        --windows) [ $# -ge 2 ] || usage; WINDOWS=$2; shift 2 ;;
        --windows=*) WINDOWS=${1#*=}; shift ;;
        --no-threads) THREADS_TABLE=0; shift ;;
        -h|--help) usage ;;
        *) echo "bench_train: unknown argument '$1'" >&2; usage ;;
    esac
done
for v in "$REPEAT" "$WINDOWS"; do
    case "$v" in
        ''|*[!0-9]*|0) echo "bench_train: --repeat and --windows take a positive integer" >&2; exit 2 ;;
    esac
done
[ "$WARMUP_WINDOWS" -le "$WINDOWS" ] || WARMUP_WINDOWS=$WINDOWS

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT"

say() { echo "bench_train: $*" >&2; }

# ---------------------------------------------------------------------------------------
# Dependencies and build
# ---------------------------------------------------------------------------------------
tools/install-deps.sh python3-torch >&2
# shellcheck source=test/bench/lib/server.sh
. test/bench/lib/server.sh

# ---------------------------------------------------------------------------------------
# Data: bench_torch.py's make_data(), so that both sides see exactly the same float32 values
# ---------------------------------------------------------------------------------------
say "generating the noisy sine ($WINDOWS windows = $((WINDOWS + WINDOW)) rows) with bench_torch.make_data"
"$PYTHON" - "$ROOT/test/bench" "$WINDOWS" >"$TMP/series.csv" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import torch
from bench_torch import make_data, WINDOW

n = int(sys.argv[2])
x, y, _perm = make_data(n)
# x[i] = v[i .. i+47], y[i] = v[i+48]: v is the first window followed by every target
v = torch.cat([x[0, :, 0], y[:, 0]])
assert v.numel() == n + WINDOW
assert torch.equal(v.unfold(0, WINDOW, 1)[:n], x[:, :, 0])
# float32 -> float64 is exact, and repr() of a float64 round-trips exactly
for i, val in enumerate(v.tolist()):
    print("%d,%r" % (i, val))
EOF

"${PSQL[@]}" <<EOF
SET client_min_messages = warning;
CREATE EXTENSION rnn_forecast;
CREATE TABLE series (i integer PRIMARY KEY, v float8 NOT NULL);
\\copy series FROM '$TMP/series.csv' WITH (FORMAT csv)
ANALYZE series;
EOF
say "loaded $("${PSQL[@]}" -c 'SELECT count(*) FROM series') rows; extension version" \
    "$("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast'")"

# The benchmark configuration; every value is pinned so that no default chosen by the
# extension changes the workload.
CONFIG="rnn_config(cell => 'CELL', hidden_size => 64, num_layers => 2, \"window\" => $WINDOW,
                   horizon => 1, epochs => 1, batch_size => 64, learning_rate => 0.001,
                   optimizer => 'adam', clip_norm => 0, validation_fraction => 0, patience => 0,
                   scaling => 'none', loss => 'mse', ensemble => 1, strategy => 'direct', epoch_size => 0)"

# Trains on the first ROWS rows in one session; prints "wall|training_seconds|train_loss".
# The epoch NOTICE of rnn_forecast.progress (time since the start of training, before the
# interval calibration) goes to $TMP/notice.log.
sql_train() {
    local rows=$1
    "${PSQL[@]}" 2>"$TMP/notice.log" <<EOF
SET rnn_forecast.threads = 1;
SET rnn_forecast.progress = on;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset
CREATE TEMP TABLE m AS
SELECT rnn_train(v, ${CONFIG/CELL/lstm} ORDER BY i) AS model FROM series WHERE i < $rows;
SELECT extract(epoch FROM clock_timestamp()) - :t0 AS wall \\gset
SELECT round(:wall::numeric, 3),
       rnn_model_info(model)->'training'->>'training_seconds',
       rnn_model_info(model)->'training'->>'train_loss'
FROM m;
EOF
}

say "SQL warm-up: $WARMUP_WINDOWS windows"
sql_train $((WARMUP_WINDOWS + WINDOW)) >/dev/null

# ---------------------------------------------------------------------------------------
# Timed runs, alternating
# ---------------------------------------------------------------------------------------
: >"$TMP/torch.txt"
: >"$TMP/sql.txt"
for r in $(seq 1 "$REPEAT"); do
    say "run $r/$REPEAT: pytorch"
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
        "$PYTHON" test/bench/bench_torch.py --windows "$WINDOWS" --json >"$TMP/torch.json"
    "$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%s|%s" % (d["seconds"], d["windows_per_second"]))' "$TMP/torch.json" >>"$TMP/torch.txt"
    say "  $(cat "$TMP/torch.json")"

    say "run $r/$REPEAT: rnn_forecast"
    line=$(sql_train $((WINDOWS + WINDOW)))
    loop=$(sed -n 's/.*rnn_train: epoch 1\/1, training loss [^,]*, \([0-9.]*\) s.*/\1/p' "$TMP/notice.log" | tail -n 1)
    echo "$line|${loop:-}" >>"$TMP/sql.txt"
    say "  wall|training_seconds|train_loss = $line; epoch-1 notice at ${loop:-?} s"
done

# ---------------------------------------------------------------------------------------
# Report: best (shortest) run of each
# ---------------------------------------------------------------------------------------
torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
ext_version=$("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast'")
pg_version=$("${PSQL[@]}" -c "SHOW server_version")

"$PYTHON" - "$WINDOWS" "$REPEAT" "$TMP/torch.txt" "$TMP/sql.txt" \
    "$torch_version" "$ext_version" "$pg_version" <<'EOF'
import sys

windows, repeat = int(sys.argv[1]), int(sys.argv[2])
torch_runs = [tuple(float(f) for f in l.split("|")) for l in open(sys.argv[3]) if l.strip()]
sql_runs = []
for l in open(sys.argv[4]):
    if l.strip():
        f = l.strip().split("|")
        sql_runs.append((float(f[0]), float(f[1]), float(f[2]), f[3] if len(f) > 3 else ""))
torch_version, ext_version, pg_version = sys.argv[5:8]

t_best = min(s for s, _ in torch_runs)
train_best = min(sql_runs, key=lambda r: r[1])
wall_best = min(sql_runs, key=lambda r: r[0])
t_wps = windows / t_best

rows = [
    ("PyTorch %s (training loop)" % torch_version, t_best, "n/a"),
    ("rnn_forecast %s (training_seconds)" % ext_version, train_best[1], "%.6f" % train_best[2]),
    ("rnn_forecast %s (SQL statement wall)" % ext_version, wall_best[0], "%.6f" % wall_best[2]),
]
loop_runs = [r for r in sql_runs if r[3]]
if loop_runs:
    loop_best = min(loop_runs, key=lambda r: float(r[3]))
    rows.append(("rnn_forecast %s (training loop only*)" % ext_version, float(loop_best[3]),
                 "%.6f" % loop_best[2]))
head = ("implementation", "windows/s", "seconds", "ratio vs PyTorch", "final train loss")
body = [(name, "%.1f" % (windows / s), "%.3f" % s, "%.2fx" % (windows / s / t_wps), loss)
        for name, s, loss in rows]
w = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
align = ["<", ">", ">", ">", ">"]

def fmt(r):
    return "| " + " | ".join(("{:%s%d}" % (a, n)).format(c) for c, a, n in zip(r, align, w)) + " |"

print()
print("LSTM 2x64, window 48, batch 64, Adam 0.001, MSE, 1 epoch over %d windows, 1 thread; "
      "best of %d; PostgreSQL %s" % (windows, repeat, pg_version))
print(fmt(head))
print("|" + "|".join(("-" * (n + 1) + ":") if a == ">" else ("-" * (n + 2)) for a, n in zip(align, w)) + "|")
for r in body:
    print(fmt(r))
print()
print("* time of the epoch-1 progress NOTICE (0.1 s resolution): the training loop, without the")
print("  interval calibration and the rest that training_seconds also counts")
print("ratio = rnn_forecast windows/s / PyTorch windows/s (above 1 = rnn_forecast faster)")
print("all runs, seconds:  pytorch %s" % ", ".join("%.3f" % s for s, _ in torch_runs))
print("                    rnn_forecast training_seconds %s" % ", ".join("%.3f" % r[1] for r in sql_runs))
print("                    rnn_forecast statement wall %s" % ", ".join("%.3f" % r[0] for r in sql_runs))
loops = [r[3] for r in sql_runs if r[3]]
if loops:
    print("                    rnn_forecast training loop only* %s" % ", ".join(loops))
print("final train loss: rnn_forecast's mean loss over the epoch (training.train_loss); "
      "bench_torch.py --json prints no loss")
EOF
[ "$THREADS_TABLE" = 1 ] || exit 0

# ---------------------------------------------------------------------------------------
# Threads: LSTM, GRU, tanh RNN on 1 and 2 threads: PyTorch, the core loop, SQL
# ---------------------------------------------------------------------------------------
make -s -C test bench_core bench_sgemm >&2
load_before=$(cat /proc/loadavg)
: >"$TMP/threads.txt"
for r in $(seq 1 "$REPEAT"); do
    # the one-core sgemm bound of each cell's training step, as the time of WINDOWS windows
    say "threads run $r/$REPEAT: sgemm bound (test/bench_sgemm)"
    OPENBLAS_NUM_THREADS=1 test/bench_sgemm all | grep '^{' \
        | "$PYTHON" -c 'import json, sys
for l in sys.stdin:
    d = json.loads(l); print("bound|%s|1|%s" % (d["cell"], int(sys.argv[1]) / d["bound_windows_per_second"]))' "$WINDOWS" >>"$TMP/threads.txt"
    for cell in lstm gru rnn_tanh; do
        tcell=$cell
        [ "$cell" = rnn_tanh ] && tcell=rnn
        for t in 1 2; do
            say "threads run $r/$REPEAT: $cell, $t thread(s)"
            OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t OPENBLAS_NUM_THREADS=1 \
                "$PYTHON" test/bench/bench_torch.py --windows "$WINDOWS" --cell "$tcell" --threads "$t" --json \
                | "$PYTHON" -c 'import json, sys; d = json.load(sys.stdin); print("torch|%s|%s|%s" % (sys.argv[1], sys.argv[2], d["seconds"]))' "$cell" "$t" >>"$TMP/threads.txt"
            OPENBLAS_NUM_THREADS=1 test/bench_core "$WINDOWS" "$cell" "$t" \
                | "$PYTHON" -c 'import json, sys; d = json.load(sys.stdin); print("core|%s|%s|%s" % (sys.argv[1], sys.argv[2], d["seconds"]))' "$cell" "$t" >>"$TMP/threads.txt"
            line=$("${PSQL[@]}" <<SQL
SET rnn_forecast.threads = $t;
CREATE TEMP TABLE m AS SELECT rnn_train(v, ${CONFIG/CELL/$cell} ORDER BY i) AS model FROM series WHERE i < $((WINDOWS + WINDOW));
SELECT rnn_model_info(model)->'training'->>'training_seconds' FROM m;
SQL
)
            echo "sql|$cell|$t|$line" >>"$TMP/threads.txt"
            say "  $(tail -n 3 "$TMP/threads.txt" | tr '\n' ' ')"
        done
    done
done
load_after=$(cat /proc/loadavg)

"$PYTHON" - "$WINDOWS" "$REPEAT" "$TMP/threads.txt" "$torch_version" "$load_before" "$load_after" <<'EOF'
import sys

windows, repeat = int(sys.argv[1]), int(sys.argv[2])
best = {}
for l in open(sys.argv[3]):
    f = l.strip().split("|")
    if len(f) == 4 and f[3]:
        k = (f[0], f[1], int(f[2]))
        best[k] = min(best.get(k, 1e30), float(f[3]))
wps = {k: windows / v for k, v in best.items()}


def g(impl, cell, t):
    return wps.get((impl, cell, t))


def r(a, b):
    return "%.2fx" % (a / b) if a and b else "n/a"


def w(v):
    return "{:,.0f}".format(v) if v else "n/a"


print()
print("2x64, window 48, batch 64, Adam 0.001, MSE, 1 epoch over %d windows; windows/s, best of %d; "
      "PyTorch %s" % (windows, repeat, sys.argv[4]))
print("| cell | PyTorch 1 thr | PyTorch 2 thr | core 1 thr | core 2 thr | SQL 1 thr | SQL 2 thr "
      "| core 2/1 thr | SQL 2/1 thr | core/PyTorch 1 thr | core/PyTorch 2 thr "
      "| sgemm bound 1 thr | core/bound 1 thr |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for cell in ("lstm", "gru", "rnn_tanh"):
    bound = g("bound", cell, 1)
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        cell, w(g("torch", cell, 1)), w(g("torch", cell, 2)), w(g("core", cell, 1)),
        w(g("core", cell, 2)), w(g("sql", cell, 1)), w(g("sql", cell, 2)),
        r(g("core", cell, 2), g("core", cell, 1)), r(g("sql", cell, 2), g("sql", cell, 1)),
        r(g("core", cell, 1), g("torch", cell, 1)), r(g("core", cell, 2), g("torch", cell, 2)),
        w(bound), "%.0f%%" % (100 * g("core", cell, 1) / bound) if bound and g("core", cell, 1) else "n/a"))
print()
print("core: test/bench_core, the training loop alone; SQL: rnn_train's training_seconds "
      "(includes the interval calibration), SET rnn_forecast.threads = 1 or 2")
print("sgemm bound: test/bench_sgemm, the windows/s of a loop that did only the products of a "
      "training step, each at the serial OpenBLAS's one-core speed for its shape (best of --repeat)")
print("load average before: %s" % sys.argv[5])
print("load average after:  %s" % sys.argv[6])
EOF
exit 0

