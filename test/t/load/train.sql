-- load.sh: train a small model on one series and store it (pgbench script)
\set s random(1, 50)
\set c random(1, 3)
INSERT INTO load_models (series, model)
SELECT :s, rnn_train(t, v, rnn_config(cell => (ARRAY['lstm', 'gru', 'rnn_tanh'])[:c], hidden_size => 8,
                                      "window" => 12, epochs => 15, ensemble => 1, seed => :s))
FROM load_series WHERE series = :s;
