#!/usr/bin/env bash
# Many series on both cores: the same GROUP BY training over a table partitioned by the
# series, with parallel workers (enable_partitionwise_aggregate = on, parallel_setup_cost = 0,
# max_parallel_workers_per_gather = 2: a Gather over a Parallel Append of per-partition
# aggregates) and without (max_parallel_workers_per_gather = 0), alternating.
#
#   bash test/bench/parallel_groups.sh [--repeat N] [--series N]
#
# 200 monthly series of 72 points (trend, yearly season, deterministic noise) in 4 hash
# partitions; defaults with horizon 6. Prints each run's seconds and the speed-up of the
# best parallel run over the best serial one.
set -euo pipefail

REPEAT=2
SERIES=200
PORT=54413
while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) REPEAT=$2; shift 2 ;;
        --series) SERIES=$2; shift 2 ;;
        *) echo "usage: $0 [--repeat N] [--series N]" >&2; exit 2 ;;
    esac
done
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT"
say() { echo "parallel_groups: $*" >&2; }
tools/install-deps.sh >&2
# shellcheck source=test/bench/lib/server.sh
. test/bench/lib/server.sh

"${PSQL[@]}" <<EOF
SET client_min_messages = warning;
CREATE EXTENSION rnn_forecast;
CREATE TABLE sales (store int, month date, v float8) PARTITION BY HASH (store);
CREATE TABLE sales_0 PARTITION OF sales FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE sales_1 PARTITION OF sales FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE sales_2 PARTITION OF sales FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE sales_3 PARTITION OF sales FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO sales
SELECT s, date '2015-01-01' + make_interval(months => m),
       100 + s % 7 + m * 0.3 + 10 * sin(2 * pi() * m / 12) + (m * s % 11) * 0.5
FROM generate_series(1, $SERIES) s, generate_series(0, 71) m;
ANALYZE sales;
CREATE FUNCTION timed(workers int) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz;
BEGIN
    PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
    PERFORM set_config('enable_partitionwise_aggregate', 'on', true);
    PERFORM set_config('parallel_setup_cost', '0', true);
    DROP TABLE IF EXISTS out;
    t0 := clock_timestamp();
    CREATE TEMP TABLE out AS
    SELECT store, rnn_train(month, v, rnn_config(horizon => 6)) AS model FROM sales GROUP BY store;
    RETURN extract(epoch FROM clock_timestamp() - t0);
END \$\$;
EOF
"${PSQL[@]}" -c "SET enable_partitionwise_aggregate = on; SET parallel_setup_cost = 0; EXPLAIN (COSTS OFF)
    SELECT store, rnn_train(month, v, rnn_config(horizon => 6)) FROM sales GROUP BY store" | head -6 >&2
best_serial=inf
best_parallel=inf
for r in $(seq 1 "$REPEAT"); do
    t=$("${PSQL[@]}" -c "SELECT timed(0)")
    say "run $r: serial ${t} s"
    best_serial=$(python3 -c "print(min($t, float('$best_serial')))")
    t=$("${PSQL[@]}" -c "SELECT timed(2)")
    say "run $r: 2 workers ${t} s"
    best_parallel=$(python3 -c "print(min($t, float('$best_parallel')))")
done
python3 -c "
s, p = $best_serial, $best_parallel
print('%d series x 72 months, defaults (horizon 6), best of $REPEAT' % $SERIES)
print('serial (max_parallel_workers_per_gather = 0): %.2f s' % s)
print('parallel (2 workers, Parallel Append):         %.2f s' % p)
print('speed-up: %.2fx' % (s / p))"
