#!/usr/bin/env bash
# SQL-level fuzzing of every function that takes a model (under 90 s).
#
# Trains a few small models, derives thousands of malformed values from them in
# SQL (deterministic: setseed), and passes each value through rnn_model_info,
# rnn_model_to_json, rnn_forecast(m, 3), rnn_forecast(m, history, 2), the
# rnn_predict aggregate, the rnn_evaluate aggregate and the warm start of
# rnn_train, each call in its own BEGIN ... EXCEPTION block that records the
# SQLSTATE. Malformed values:
#   trunc      truncated at a random length (0 .. length-1)
#   flip1      one bit flipped
#   flipN      2 to 16 bits flipped
#   replace    1 to 8 bytes replaced by other values
#   splice     the head of one model + the tail of another (random cut points)
#   splice_eq  the same, cut at the same offset (same-sized models: the result
#              has the exact size its header announces)
#   append     1 to 64 random bytes appended
#   random     random bytes of a random length (0 .. 3000)
#   hdr_rand   a model's valid 8-byte header followed by random bytes
# and, with the trailing CRC-32 recomputed so that the value gets past the
# checksum to the checks behind it (these may decode to valid models):
#   crc_flip1, crc_replace
#
# Pass: every malformed value is rejected by every function with SQLSTATE 22P03
# (invalid_binary_representation); a value is accepted only if rnn_model_info
# accepts it too (then it is a valid model; expected: 0 outside the crc_*
# kinds); for the crc_* kinds the errors may also be the deliberate classes in
# CRC_ALLOWED (e.g. a forecast that overflows, a time axis that runs out of the
# timestamp range); no value accepted by one function is rejected by another
# as malformed; the server did not restart and its log gained no "terminated by
# signal". Prints the number of values and calls and the SQLSTATE distribution.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

NAME=fuzz_sql
DB=rnn_fuzz_sql
# deliberate error classes for values with a recomputed checksum
CRC_ALLOWED="22P03 22003 22008 22023 54000"
# shellcheck source=test/t/lib/fuzz_db.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/fuzz_db.sh"

V1_HEX=$(tr -d ' \n' <test/ref/models/format_v1_gru.hex)
[ -n "$V1_HEX" ] || fail "test/ref/models/format_v1_gru.hex is missing"

SECONDS=0
OUT=$WORK/session.out

# ---------------------------------------------------------------- generate and probe
if ! "${PSQL[@]}" -d "$DB" -v v1hex="$V1_HEX" >"$OUT" 2>&1 <<'EOF'; then
SET client_min_messages = warning;
SET statement_timeout = '85s';
CREATE EXTENSION rnn_forecast;

-- 120 rows: rows 0..99 train the base models, 100..119 are "after" them for rnn_evaluate
CREATE TABLE fz_series AS
SELECT i, i::bigint AS t_big, (DATE '2010-01-01' + make_interval(months => i))::date AS t_date,
       100 + 10 * sin(i * 2 * pi() / 12) + 0.5 * i + 0.3 * cos(i * 7.0) AS v
FROM generate_series(0, 119) i;

-- base models: name, configuration (for the warm start), time column, bytes
CREATE TABLE fz_base (name text PRIMARY KEY, cfg jsonb, tcol text, m bytea, ord int);
INSERT INTO fz_base (name, cfg, tcol, ord) VALUES
  ('lstm_a',   rnn_config(cell => 'lstm', hidden_size => 4, "window" => 12, epochs => 2, seed => 1), 't_big', 1),
  ('lstm_b',   rnn_config(cell => 'lstm', hidden_size => 4, "window" => 12, epochs => 2, seed => 2), 't_big', 2),
  ('gru_bi2',  rnn_config(cell => 'gru', hidden_size => 3, num_layers => 2, bidirectional => true,
                          "window" => 8, horizon => 2, epochs => 2), 't_big', 3),
  ('tanh_ens', rnn_config(cell => 'rnn_tanh', hidden_size => 4, "window" => 10, ensemble => 2,
                          scaling => 'zscore', epochs => 2), 't_big', 4),
  ('monthly',  rnn_config(cell => 'gru', hidden_size => 3, epochs => 2), 't_date', 5),
  ('seq2seq',  rnn_config(cell => 'lstm', hidden_size => 3, "window" => 12, horizon => 3, strategy => 'seq2seq',
                          ensemble => 1, epochs => 2), 't_big', 7),
  ('mixed',    rnn_config(cell => 'lstm', hidden_size => 3, "window" => 12, horizon => 3, strategy => 'mixed',
                          ensemble => 1, epochs => 2), 't_big', 8);
UPDATE fz_base b SET m = (SELECT rnn_train(s.t_big, s.v, b.cfg) FROM fz_series s WHERE s.i < 100)
WHERE tcol = 't_big';
UPDATE fz_base b SET m = (SELECT rnn_train(s.t_date, s.v, b.cfg) FROM fz_series s WHERE s.i < 100)
WHERE tcol = 't_date';
-- the format-1 model of the compatibility tests (a monthly GRU, hidden 6, window 24)
INSERT INTO fz_base VALUES ('format_v1', rnn_config(cell => 'gru', hidden_size => 6, "window" => 24, epochs => 1),
                            't_date', decode(:'v1hex', 'hex'), 6);
UPDATE fz_base SET cfg = cfg || '{"ensemble": 1}' WHERE name = 'format_v1';

-- ---- helpers: random bytes, CRC-32 ----
CREATE FUNCTION fz_rand_int(lo int, hi int) RETURNS int LANGUAGE sql VOLATILE
AS $$ SELECT lo + floor(random() * (hi - lo + 1))::int $$;

CREATE FUNCTION fz_rand_bytes(n int) RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
DECLARE b bytea := decode(repeat('00', n), 'hex');
BEGIN
  FOR k IN 0 .. n - 1 LOOP
    b := set_byte(b, k, floor(random() * 256)::int);
  END LOOP;
  RETURN b;
END $$;

CREATE TABLE fz_crc_table AS
WITH RECURSIVE t(n, k, c) AS (
  SELECT n, 0, n::bigint FROM generate_series(0, 255) n
  UNION ALL
  SELECT n, k + 1, CASE WHEN c & 1 = 1 THEN 3988292384 # (c >> 1) ELSE c >> 1 END FROM t WHERE k < 8)
SELECT array_agg(c ORDER BY n) AS tab FROM t WHERE k = 8;

CREATE FUNCTION fz_crc32(b bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE tab bigint[] := (SELECT tab FROM fz_crc_table); crc bigint := 4294967295;
BEGIN
  FOR k IN 0 .. length(b) - 1 LOOP
    crc := tab[((crc # get_byte(b, k)) & 255) + 1] # (crc >> 8);
  END LOOP;
  RETURN crc # 4294967295;
END $$;

-- the value with its last 4 bytes replaced by the CRC-32 (little-endian) of the rest
CREATE FUNCTION fz_fix_crc(b bytea) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE body bytea := substr(b, 1, length(b) - 4); c bigint := fz_crc32(substr(b, 1, length(b) - 4));
BEGIN
  RETURN body || set_byte(set_byte(set_byte(set_byte('\x00000000'::bytea,
            0, (c & 255)::int), 1, ((c >> 8) & 255)::int), 2, ((c >> 16) & 255)::int), 3, ((c >> 24) & 255)::int);
END $$;

CREATE FUNCTION fz_flip(b bytea, nbits int) RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
DECLARE pos int;
BEGIN
  FOR k IN 1 .. nbits LOOP
    pos := floor(random() * length(b) * 8)::int;
    b := set_bit(b, pos, 1 - get_bit(b, pos));
  END LOOP;
  RETURN b;
END $$;

CREATE FUNCTION fz_replace(b bytea, nbytes int) RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
DECLARE pos int;
BEGIN
  FOR k IN 1 .. nbytes LOOP
    pos := floor(random() * length(b))::int;
    b := set_byte(b, pos, (get_byte(b, pos) + 1 + floor(random() * 255)::int) % 256);
  END LOOP;
  RETURN b;
END $$;

-- ---- the malformed values ----
CREATE TABLE fz_value (id serial PRIMARY KEY, kind text, base text, v bytea);

SELECT setseed(0.4242);
DO $$
DECLARE
  b record; o record; len int; p int; q int;
BEGIN
  FOR b IN SELECT * FROM fz_base ORDER BY ord LOOP
    len := length(b.m);
    FOR k IN 1 .. 200 LOOP
      INSERT INTO fz_value (kind, base, v) VALUES ('trunc', b.name, substr(b.m, 1, fz_rand_int(0, len - 1)));
    END LOOP;
    FOR k IN 1 .. 600 LOOP
      INSERT INTO fz_value (kind, base, v) VALUES ('flip1', b.name, fz_flip(b.m, 1));
    END LOOP;
    FOR k IN 1 .. 400 LOOP
      INSERT INTO fz_value (kind, base, v) VALUES ('flipN', b.name, fz_flip(b.m, fz_rand_int(2, 16)));
    END LOOP;
    FOR k IN 1 .. 400 LOOP
      INSERT INTO fz_value (kind, base, v) VALUES ('replace', b.name, fz_replace(b.m, fz_rand_int(1, 8)));
    END LOOP;
    -- splices with every other base model
    FOR o IN SELECT * FROM fz_base WHERE name <> b.name ORDER BY ord LOOP
      FOR k IN 1 .. 24 LOOP
        p := fz_rand_int(1, len - 1);
        q := fz_rand_int(1, length(o.m) - 1);
        INSERT INTO fz_value (kind, base, v) VALUES ('splice', b.name, substr(b.m, 1, p) || substr(o.m, q + 1));
        p := fz_rand_int(8, least(len, length(o.m)) - 1);
        INSERT INTO fz_value (kind, base, v) VALUES ('splice_eq', b.name, substr(b.m, 1, p) || substr(o.m, p + 1));
      END LOOP;
    END LOOP;
    FOR k IN 1 .. 120 LOOP
      INSERT INTO fz_value (kind, base, v) VALUES ('append', b.name, b.m || fz_rand_bytes(fz_rand_int(1, 64)));
    END LOOP;
    FOR k IN 1 .. 100 LOOP
      -- about a third of them exactly as long as the model
      p := CASE WHEN random() < 0.33 THEN len - 8 ELSE fz_rand_int(0, 2500) END;
      INSERT INTO fz_value (kind, base, v) VALUES ('hdr_rand', b.name, substr(b.m, 1, 8) || fz_rand_bytes(p));
    END LOOP;
    FOR k IN 1 .. 100 LOOP
      INSERT INTO fz_value (kind, base, v) VALUES ('crc_flip1', b.name, fz_fix_crc(fz_flip(b.m, 1)));
    END LOOP;
    FOR k IN 1 .. 60 LOOP
      INSERT INTO fz_value (kind, base, v) VALUES ('crc_replace', b.name, fz_fix_crc(fz_replace(b.m, fz_rand_int(1, 4))));
    END LOOP;
  END LOOP;
  FOR k IN 1 .. 800 LOOP
    INSERT INTO fz_value (kind, base, v) VALUES ('random', 'lstm_a', fz_rand_bytes(fz_rand_int(0, 3000)));
  END LOOP;
END $$;

-- the CRC helper must reproduce the models' own checksums
DO $$
BEGIN
  IF EXISTS (SELECT FROM fz_base WHERE fz_fix_crc(m) <> m) THEN
    RAISE EXCEPTION 'fz_fix_crc does not reproduce the checksum of a real model';
  END IF;
END $$;

-- a mutation that gave back a real model is not malformed
CREATE TABLE fz_identical AS SELECT id FROM fz_value WHERE v IN (SELECT m FROM fz_base);
DELETE FROM fz_value WHERE id IN (SELECT id FROM fz_identical);

-- ---- the probes ----
CREATE TABLE fz_probe (ord int, name text, sql text);
INSERT INTO fz_probe VALUES
  (1, 'rnn_model_info',           'SELECT rnn_model_info($1)'),
  (2, 'rnn_model_to_json',        'SELECT rnn_model_to_json($1)'),
  (3, 'rnn_forecast(m,3)',        'SELECT count(*) FROM rnn_forecast($1, 3)'),
  (4, 'rnn_forecast(m,hist,2)',   'SELECT rnn_forecast($1, $2, 2)'),
  (5, 'rnn_predict aggregate',    'SELECT rnn_predict(x, $1, 2 ORDER BY k) FROM unnest($2) WITH ORDINALITY u(x, k)'),
  (6, 'rnn_evaluate',             'SELECT rnn_evaluate($1, %s, v) FROM fz_series WHERE i >= 100'),
  (7, 'rnn_train(..., init)',     'SELECT rnn_train(%s, v, $3, $1) FROM fz_series WHERE i < 60');

CREATE TABLE fz_result (id int, probe text, ord int, state text, msg text, detail text);

-- run every probe on the base models (must succeed) and on every malformed value
CREATE FUNCTION fz_run(kind_filter text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record; pr record; st text; msg text; det text;
  hist float8[] := (SELECT array_agg(v ORDER BY i) FROM fz_series WHERE i BETWEEN 60 AND 99);
  probes fz_probe[] := (SELECT array_agg(p ORDER BY ord) FROM fz_probe p);
BEGIN
  FOR r IN
    SELECT f.id, f.v, b.cfg, b.tcol FROM fz_value f JOIN fz_base b ON b.name = f.base
    WHERE (kind_filter = 'base') = (f.kind = 'base') ORDER BY f.id
  LOOP
    FOREACH pr IN ARRAY probes LOOP
      BEGIN
        EXECUTE format(pr.sql, r.tcol) USING r.v, hist, r.cfg;
        st := '00000';
        msg := NULL;
        det := NULL;
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
      END;
      INSERT INTO fz_result VALUES (r.id, pr.name, pr.ord, st, msg, det);
    END LOOP;
  END LOOP;
END $$;

INSERT INTO fz_value (kind, base, v) SELECT 'base', name, m FROM fz_base ORDER BY ord;
SELECT fz_run('base');
SELECT fz_run('malformed');
EOF
    cat "$OUT"
    fail "the fuzzing session failed (psql exit status above)"
fi
gen_secs=$SECONDS

# the base models themselves must pass every probe, or the probes are wrong
bad_controls=$(q "SELECT count(*) FROM fz_result r JOIN fz_value f USING (id) WHERE f.kind = 'base' AND r.state <> '00000'")
if [ "$bad_controls" != 0 ]; then
    qt "SELECT f.base, r.probe, r.state, r.msg FROM fz_result r JOIN fz_value f USING (id)
        WHERE f.kind = 'base' AND r.state <> '00000' ORDER BY f.id, r.ord"
    errors+=("$bad_controls probe(s) failed on the unmodified base models")
fi

n_values=$(q "SELECT count(*) FROM fz_value WHERE kind <> 'base'")
n_calls=$(q "SELECT count(*) FROM fz_result r JOIN fz_value f USING (id) WHERE f.kind <> 'base'")
n_identical=$(q "SELECT count(*) FROM fz_identical")
echo "fuzz_sql: $n_values malformed values x 7 functions = $n_calls calls in ${gen_secs} s" \
     "($n_identical mutation(s) that reproduced a real model were dropped)"

echo "fuzz_sql: outcomes per kind of value (00000 = accepted)"
qt "SELECT f.kind, count(DISTINCT f.id) AS values_, r.state, count(*) AS calls
    FROM fz_result r JOIN fz_value f USING (id) WHERE f.kind <> 'base'
    GROUP BY f.kind, r.state ORDER BY min(min(f.id)) OVER (PARTITION BY f.kind), r.state"
echo "fuzz_sql: SQLSTATE distribution over all calls"
qt "SELECT r.state, count(*) AS calls, count(DISTINCT r.id) AS values_, min(r.msg) AS example_message
    FROM fz_result r JOIN fz_value f USING (id) WHERE f.kind <> 'base' GROUP BY r.state ORDER BY count(*) DESC"
echo "fuzz_sql: what the 22P03 errors said (DETAIL)"
qt "SELECT r.detail, count(*) AS calls FROM fz_result r JOIN fz_value f USING (id)
    WHERE f.kind <> 'base' AND r.state = '22P03' GROUP BY r.detail ORDER BY count(*) DESC, r.detail"

# values that are not crc_* must be rejected, always with 22P03
accepted=$(q "SELECT count(DISTINCT r.id) FROM fz_result r JOIN fz_value f USING (id)
              WHERE f.kind NOT IN ('base', 'crc_flip1', 'crc_replace') AND r.state = '00000'")
echo "fuzz_sql: accepted malformed values (checksum not recomputed): $accepted"
if [ "$accepted" != 0 ]; then
    qt "SELECT f.kind, f.base, r.probe, count(*) FROM fz_result r JOIN fz_value f USING (id)
        WHERE f.kind NOT IN ('base', 'crc_flip1', 'crc_replace') AND r.state = '00000'
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    errors+=("$accepted malformed value(s) with a wrong checksum were accepted")
fi
wrong_state=$(q "SELECT count(*) FROM fz_result r JOIN fz_value f USING (id)
                 WHERE f.kind NOT IN ('base', 'crc_flip1', 'crc_replace') AND r.state NOT IN ('00000', '22P03')")
if [ "$wrong_state" != 0 ]; then
    qt "SELECT f.kind, r.probe, r.state, count(*), min(r.msg) FROM fz_result r JOIN fz_value f USING (id)
        WHERE f.kind NOT IN ('base', 'crc_flip1', 'crc_replace') AND r.state NOT IN ('00000', '22P03')
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    errors+=("$wrong_state call(s) on malformed values failed with a SQLSTATE other than 22P03")
fi

# values with a recomputed checksum: deliberate error classes only, and consistent
# shellcheck disable=SC2086 # one quoted item per word of the list
allowed_list=$(printf "'%s'," $CRC_ALLOWED)
allowed_list=${allowed_list%,}
crc_accepted=$(q "SELECT count(DISTINCT f.id) FROM fz_value f JOIN fz_result r USING (id)
                  WHERE f.kind LIKE 'crc_%' AND r.probe = 'rnn_model_info' AND r.state = '00000'")
crc_total=$(q "SELECT count(*) FROM fz_value WHERE kind LIKE 'crc_%'")
echo "fuzz_sql: values with a recomputed checksum that decode to valid models (accepted by rnn_model_info): $crc_accepted of $crc_total"
crc_wrong=$(q "SELECT count(*) FROM fz_result r JOIN fz_value f USING (id)
               WHERE f.kind LIKE 'crc_%' AND r.state NOT IN ('00000', $allowed_list)")
if [ "$crc_wrong" != 0 ]; then
    qt "SELECT f.kind, r.probe, r.state, count(*), min(r.msg) FROM fz_result r JOIN fz_value f USING (id)
        WHERE f.kind LIKE 'crc_%' AND r.state NOT IN ('00000', $allowed_list)
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    errors+=("$crc_wrong call(s) on checksum-fixed values failed with a SQLSTATE outside $CRC_ALLOWED")
fi
inconsistent=$(q "SELECT count(*) FROM (
                    SELECT r.id FROM fz_result r JOIN fz_value f USING (id) WHERE f.kind <> 'base'
                    GROUP BY r.id
                    HAVING bool_or(r.state = '00000') AND bool_or(r.state = '22P03')) t")
if [ "$inconsistent" != 0 ]; then
    qt "SELECT f.kind, f.base, r.probe, r.state, count(*), min(r.msg) FROM fz_result r JOIN fz_value f USING (id)
        WHERE r.id IN (SELECT id FROM fz_result GROUP BY id
                       HAVING bool_or(state = '00000') AND bool_or(state = '22P03'))
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    errors+=("$inconsistent value(s) accepted by one function but rejected as malformed (22P03) by another")
fi

# ---------------------------------------------------------------- server health
fuzz_db_finish "$n_values values; every value with a wrong checksum rejected with 22P03 by all 7 functions;" \
     "of $crc_total with a recomputed checksum, $crc_accepted valid models, the rest rejected with deliberate errors (SQLSTATE in: $CRC_ALLOWED)"
