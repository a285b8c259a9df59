-- load.sh: warm start from the series' first (GRU) model on its newer rows (pgbench script);
-- the result is not stored, so that the shared tables grow only with train.sql
\set s random(1, 50)
SELECT length(rnn_train(t, v, rnn_config(cell => 'gru', hidden_size => 4, "window" => 12, epochs => 10, ensemble => 1),
                        (SELECT model FROM load_models WHERE series = :s ORDER BY id LIMIT 1)))
FROM load_series WHERE series = :s AND t >= 100;
