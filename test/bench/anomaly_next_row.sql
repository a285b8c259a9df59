-- test/bench/anomaly_next_row.sh, once per level (psql variable lv): rnn_anomaly's flags on
-- the CO2 series with sql/anomaly.sql's model and injected anomalies, as it is and under the
-- rule "a flagged value is left out of the next row's window". The rule is simulated row by
-- row in order: where row t - 1 is flagged under the rule, row t's verdict is rnn_anomaly's
-- over the rows with t - 1's value NULL (a window that ends in a missing step moves back to
-- the step before it and compares the row with the two-step forecast, with the two-step
-- interval), else it is rnn_anomaly's as it is.
SET client_min_messages = warning;
DROP TABLE IF EXISTS an_co2, an_model, an_truth, an_out, an_rule;
CREATE TABLE an_co2 (ts date, value float8);
\copy an_co2 FROM 'data/co2.csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE an_co2 ADD COLUMN k int;
UPDATE an_co2 a SET k = n.k FROM (SELECT ts, row_number() OVER (ORDER BY ts) AS k FROM an_co2) n WHERE n.ts = a.ts;
CREATE TABLE an_model AS
SELECT rnn_train(ts, value, rnn_config(horizon => 1, epochs => 30, hidden_size => 16, ensemble => 1)) AS m
FROM an_co2 WHERE k <= 400;
CREATE TABLE an_truth AS
SELECT k, CASE WHEN k IN (410, 425, 450) THEN 'spike' WHEN k IN (415, 440) THEN 'dropout'
               WHEN k BETWEEN 455 AND 460 THEN 'shift' END AS kind
FROM an_co2;
UPDATE an_co2 a SET value = CASE t.kind WHEN 'spike' THEN a.value + 4 WHEN 'dropout' THEN 0
                                        WHEN 'shift' THEN a.value + 3 END
FROM an_truth t WHERE t.k = a.k AND t.kind IS NOT NULL;
CREATE TABLE an_out AS
SELECT c.k, t.kind, (rnn_anomaly(c.value, m.m, :lv) OVER (ORDER BY c.ts)).is_anomaly
FROM an_co2 c JOIN an_truth t USING (k), an_model m;

SET anomaly_next_row.level = :'lv';
CREATE TABLE an_rule AS SELECT * FROM an_out;
DO $rule$
DECLARE
    prev bool := false;
    t int;
    flag bool;
BEGIN
    FOR t IN SELECT k FROM an_rule ORDER BY k LOOP
        IF prev THEN
            SELECT (a).is_anomaly INTO flag
            FROM (SELECT k, rnn_anomaly(CASE WHEN k = t - 1 THEN NULL ELSE value END, m,
                                        current_setting('anomaly_next_row.level')::float8)
                                OVER (ORDER BY ts) AS a
                  FROM an_co2, an_model) x
            WHERE k = t;
            UPDATE an_rule SET is_anomaly = flag WHERE k = t;
        END IF;
        SELECT coalesce(is_anomaly, false) INTO prev FROM an_rule WHERE k = t;
    END LOOP;
END
$rule$;

SELECT :'lv' AS level, r.rule,
       count(*) FILTER (WHERE is_anomaly AND kind IS NOT NULL) AS injected_flagged,
       count(*) FILTER (WHERE kind IS NOT NULL) AS injected,
       count(*) FILTER (WHERE is_anomaly AND kind IS NULL AND k > 400) AS other_flagged_after_400,
       count(*) FILTER (WHERE is_anomaly AND kind IS NULL AND k <= 400) AS flagged_in_training,
       string_agg(CASE WHEN is_anomaly AND kind IS NULL AND k > 400 THEN k::text END, ',' ORDER BY k)
           AS other_rows_after_400
FROM (SELECT 'as built' AS rule, * FROM an_out UNION ALL SELECT 'next row left out', * FROM an_rule) r
GROUP BY r.rule ORDER BY r.rule;
