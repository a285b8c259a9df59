-- Many series on both cores: a GROUP BY over a table partitioned by the series trains each
-- partition's groups in a parallel worker (partitionwise aggregation under a Parallel
-- Append), with enable_partitionwise_aggregate = on and parallel_setup_cost = 0 (the planner
-- does not know that a group is a training); the models are those of a serial plan.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
SET jit = off;

CREATE TABLE par_sales (store int, month date, v float8) PARTITION BY HASH (store);
CREATE TABLE par_sales_0 PARTITION OF par_sales FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE par_sales_1 PARTITION OF par_sales FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE par_sales_2 PARTITION OF par_sales FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE par_sales_3 PARTITION OF par_sales FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO par_sales
SELECT s, date '2015-01-01' + make_interval(months => m),
       100 + s % 7 + m * 0.3 + 10 * sin(2 * pi() * m / 12) + (m * s % 11) * 0.5
FROM generate_series(1, 40) s, generate_series(0, 47) m;
ANALYZE par_sales;

SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 2;
-- without parallel_setup_cost = 0: one aggregate after the other
EXPLAIN (COSTS OFF)
SELECT store, rnn_train(month, v, rnn_config(horizon => 3, epochs => 3, hidden_size => 4, ensemble => 1)) AS model
FROM par_sales GROUP BY store;
SET parallel_setup_cost = 0;
-- a Gather over a Parallel Append of per-partition aggregates
EXPLAIN (COSTS OFF)
SELECT store, rnn_train(month, v, rnn_config(horizon => 3, epochs => 3, hidden_size => 4, ensemble => 1)) AS model
FROM par_sales GROUP BY store;
-- so does a backtest
EXPLAIN (COSTS OFF)
SELECT store, rnn_backtest(month, v, rnn_config(epochs => 3, hidden_size => 4, ensemble => 1), 3, 2)
FROM par_sales GROUP BY store;

-- the same models as a serial plan (their bytes but the training time and the checksum)
CREATE TABLE par_models AS
SELECT store, rnn_train(month, v, rnn_config(horizon => 3, epochs => 3, hidden_size => 4, ensemble => 1)) AS model
FROM par_sales GROUP BY store;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE ser_models AS
SELECT store, rnn_train(month, v, rnn_config(horizon => 3, epochs => 3, hidden_size => 4, ensemble => 1)) AS model
FROM par_sales GROUP BY store;
SELECT count(*) AS stores,
       count(*) FILTER (WHERE md5(substr(p.model, 1, 132) || substr(p.model, 141, length(p.model) - 144)) =
                              md5(substr(s.model, 1, 132) || substr(s.model, 141, length(s.model) - 144)))
         AS identical
FROM par_models p JOIN ser_models s USING (store);


-- on_error => 'null' in parallel mode, where PostgreSQL allows no subtransaction: a group's
-- own error gives NULL and a WARNING in a worker (partitionwise) and in the leader while a
-- Gather runs below the aggregate (a table that is not partitioned), as in a serial plan
-- (before 2026-12-06 it ended the statement, and every group's model with it)
INSERT INTO par_sales VALUES (7, date '2015-03-01', 1);
SET max_parallel_workers_per_gather = 2;
SELECT count(*) AS stores, count(*) FILTER (WHERE model IS NULL) AS null_models
FROM (SELECT store, rnn_train(month, v, rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, on_error => 'null')) AS model
      FROM par_sales GROUP BY store) x;
CREATE TABLE flat_sales AS SELECT * FROM par_sales;
ANALYZE flat_sales;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT store, rnn_train(month, v, rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, on_error => 'null')) AS model
FROM flat_sales GROUP BY store;
SELECT count(*) AS stores, count(*) FILTER (WHERE model IS NULL) AS null_models
FROM (SELECT store, rnn_train(month, v, rnn_config(horizon => 3, epochs => 1, hidden_size => 4, ensemble => 1, on_error => 'null')) AS model
      FROM flat_sales GROUP BY store) x;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

DROP TABLE par_sales, par_models, ser_models, flat_sales;
