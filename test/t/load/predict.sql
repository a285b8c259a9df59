-- load.sh: one-step-ahead backtest of a series with rnn_predict as a window function (pgbench script)
\set s random(1, 50)
SELECT count(p), avg(p[1])
FROM (SELECT rnn_predict(v, (SELECT model FROM load_models WHERE series = :s ORDER BY id DESC LIMIT 1), 1)
               OVER (ORDER BY t ROWS BETWEEN 23 PRECEDING AND CURRENT ROW) AS p
      FROM load_series WHERE series = :s) w;
