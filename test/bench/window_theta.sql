-- One-series window functions: does Theta read the window or the partition? (measured
-- 2026-12-06 for the session note; no default changed on it yet.) On M3 series' training
-- parts only: each series' model trains on its training part without its last H points,
-- then rnn_predict_rows (Theta fitted on the model's window of rows) and rnn_predict over
-- the frame from the partition's start (Theta on up to 1,000 rows; the same network, window
-- and season placement) forecast STEP steps ahead from every row, scored by sMAPE where
-- the target is one of those H points. The competition's test part is deleted unread.
--
--   psql -v P=MONTHLY -v S=5 -v H=18 -v STEP=1 -f test/bench/window_theta.sql
--   (P: the period; S: one series in S by hash of its id; psql run from the repository root,
--   as it reads data/m3, on a database with the extension)
\set QUIET on
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
DROP TABLE IF EXISTS m3s, m3m, fc;
CREATE TEMP TABLE raw (id text, ts text, value float8, part text);
\copy raw FROM PROGRAM 'zcat data/m3/m3_series.csv.gz' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE meta (id text, period text, type text, n int, h int, season int, scale float8);
\copy meta FROM PROGRAM 'zcat data/m3/m3_meta.csv.gz' WITH (FORMAT csv, HEADER true)
CREATE TABLE m3s AS SELECT r.id, r.ts::date AS ts, r.value, r.part, m.period, row_number() OVER (PARTITION BY r.id ORDER BY r.ts) AS k FROM raw r JOIN meta m USING (id)
WHERE m.period = :'P' AND abs(hashtext(r.id)) % :S = 0;
SELECT count(DISTINCT id) AS series FROM m3s;
-- the fold: the training part without its last H points; scored on those (the test part is never read)
DELETE FROM m3s WHERE part = 'test';
UPDATE m3s s SET part = CASE WHEN k > n - :H THEN 'test' ELSE 'train' END FROM (SELECT id, count(*) AS n FROM m3s GROUP BY id) c WHERE c.id = s.id;
CREATE TABLE m3m AS SELECT id, rnn_train(ts, value, rnn_config(horizon => :H)) AS m FROM m3s WHERE part = 'train' GROUP BY id;
CREATE TABLE fc AS
SELECT id, k, part, lead(value, :STEP) OVER w AS actual,
       (rnn_predict_rows(value, m, :STEP) OVER w)[:STEP] AS rows_form,
       (rnn_predict(value, m, :STEP) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))[:STEP] AS unbounded
FROM m3s JOIN m3m USING (id) WINDOW w AS (PARTITION BY id ORDER BY ts);
\set QUIET off
-- scored where the forecast's target is a test point
SELECT count(*) AS points,
       round(avg(200 * abs(actual - rows_form) / (abs(actual) + abs(rows_form)))::numeric, 3) AS smape_window_theta,
       round(avg(200 * abs(actual - unbounded) / (abs(actual) + abs(unbounded)))::numeric, 3) AS smape_partition_theta,
       count(*) FILTER (WHERE abs(actual - unbounded) < abs(actual - rows_form)) AS partition_better,
       count(*) FILTER (WHERE abs(actual - unbounded) > abs(actual - rows_form)) AS window_better
FROM (SELECT f.*, lead(part, :STEP) OVER (PARTITION BY id ORDER BY k) AS target_part FROM fc f) x
WHERE target_part = 'test' AND actual IS NOT NULL AND rows_form IS NOT NULL AND unbounded IS NOT NULL;
