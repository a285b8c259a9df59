-- The stores of the benchmarks that time forecasts over their rows (bench_anomaly.sh,
-- bench_window_phase.sh): table s (st, d, v), :stores stores of :days days from 2024-01-01,
-- each a weekly season of +-10 around 100 + st with uniform noise of 5 (setseed 0.5). Read
-- with \i test/bench/lib/stores.sql from the repository's root, after CREATE EXTENSION.
SELECT setseed(0.5);
CREATE TABLE s AS
SELECT st, date '2024-01-01' + i AS d, 100 + 10 * sin(i * 2 * pi() / 7) + st + random() * 5 AS v
FROM generate_series(1, :stores) st, generate_series(0, :days - 1) i;
