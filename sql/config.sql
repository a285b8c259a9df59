-- rnn_config: defaults, named notation, validation of every key
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;

SELECT rnn_config();
SELECT rnn_config(cell => 'gru', hidden_size => 16, "window" => 24, horizon => 3);
SELECT rnn_config(cell => 'rnn')->>'cell' AS alias_rnn;
SELECT rnn_config(cell => 'rnn_relu', bidirectional => true, num_layers => 3)->'num_layers';
-- a hand-written jsonb is accepted wherever a config is
SELECT rnn_config_check('{"cell": "lstm", "epochs": 5}')->'epochs';
SELECT rnn_config_check(NULL)->'cell';

-- errors name the key and its range
SELECT rnn_config(cell => 'transformer');
SELECT rnn_config(hidden_size => 0);
SELECT rnn_config(hidden_size => 100000);
SELECT rnn_config(num_layers => 9);
SELECT rnn_config("window" => 0);
SELECT rnn_config(horizon => 2000);
SELECT rnn_config(epochs => 0);
SELECT rnn_config(batch_size => -1);
SELECT rnn_config(learning_rate => 0);
SELECT rnn_config(optimizer => 'lbfgs');
SELECT rnn_config(clip_norm => -1);
SELECT rnn_config(validation_fraction => 0.9);
SELECT rnn_config(patience => -1);
SELECT rnn_config(seed => -5);
SELECT rnn_config(missing => 'drop');
SELECT rnn_config(scaling => 'minmax');
SELECT rnn_config(loss => 'hinge');
SELECT rnn_config(quantile => 1);
SELECT rnn_config(season => 0);
SELECT rnn_config_check('{"hidden": 8}');
SELECT rnn_config_check('{"hidden_size": 8.5}');
SELECT rnn_config_check('{"hidden_size": "8"}');
SELECT rnn_config_check('{"bidirectional": 1}');
-- null is the default of a key that is not automatic, as rnn_config(cell => NULL) gives it
SELECT rnn_config_check('{"cell": null}')->'cell' AS cell, rnn_config(cell => NULL)->'cell' AS from_rnn_config;
-- a number beyond double's range is out of its key's range, named (it was PostgreSQL's
-- 'out of range for type double precision', with every digit)
SELECT rnn_config_check('{"clip_norm": 1e400}');
SELECT rnn_config_check('[1, 2]');
SELECT rnn_config_check('3');

-- the GUCs
SHOW rnn_forecast.threads;
SET rnn_forecast.threads = 2;
SHOW rnn_forecast.threads;
SET rnn_forecast.threads = 0;
SET rnn_forecast.threads = 65;
RESET rnn_forecast.threads;
SET rnn_forecast.nonexistent = 1;
-- an integer bound printed in full; a quantile the loss would not use is an error
SELECT rnn_config(seed => 9007199254740992);
SELECT rnn_config(quantile => 0.9);
SELECT rnn_config(quantile => 0.9, loss => 'pinball')->>'quantile' AS pinball_quantile;
