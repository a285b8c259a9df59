#!/usr/bin/env bash
# SQL-level fuzzing of rnn_model_from_json, the other parser of user input (under 60 s).
#
# The JSON a user passes to rnn_model_from_json is as hostile as a bytea: it
# may come from a file, another tool or another version. This script exports
# five small models (one series; global mixed with validated Theta weights;
# covariates; seq2seq of 2 layers; bidirectional mixed) and derives
# thousands of mutated documents from them in SQL (deterministic: setseed).
# Each mutation walks down from the root to a random node (stopping at each
# level with probability 0.3) and there:
#   set      puts a hostile value (null, a boolean, strings, 0, -1, 1e308,
#            -1e308, 1e-320, 2^31, 2^53 + 1, [], {}, [[1]], "NaN", a long
#            string, out-of-range counts, ...)
#   delete   removes the key or element
#   resize   drops the last element of an array or repeats it
#   graft    puts another random node of the same document there
# one to three times per document. Each document goes to rnn_model_from_json;
# each model it accepts goes through rnn_model_info, rnn_model_to_json,
# rnn_forecast (by series for a global model; with future features for the
# covariates model), rnn_forecast from a history array, and a JSON round trip.
#
# Pass: every refusal of a document is SQLSTATE 22023 ("invalid model JSON")
# or 54000 (a limit); at least 1 in 20 documents is accepted; every model
# accepted is described and exported without error, and its forecasts
# work or fail only with deliberate classes (22023 no or too short a
# history, 22008 time out of range, 22003 a forecast overflows, 54000); no
# accepted model forecasts NaN or infinity; from_json(to_json(m)) has
# every byte of m; the unmodified documents pass every probe (the covariates model
# has no history probe: its history needs features); the server did not
# restart and its log gained no "terminated by signal". Prints the counts
# and the SQLSTATE distribution.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

NAME=fuzz_json
DB=rnn_fuzz_json
# FUZZ_JSON_KEEP=1 keeps the database (documents and results) for a look afterwards
KEEP_DB=${FUZZ_JSON_KEEP:-0}
PER_BASE=${FUZZ_JSON_PER_BASE:-3000}
SEED=${FUZZ_JSON_SEED:-0.2718}
# shellcheck source=test/t/lib/fuzz_db.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/fuzz_db.sh"

SECONDS=0
OUT=$WORK/session.out
if ! "${PSQL[@]}" -d "$DB" -v per_base="$PER_BASE" -v seed="$SEED" >"$OUT" 2>&1 <<'EOF'; then
SET client_min_messages = warning;
SET statement_timeout = '300s';
SET fj.per_base = :'per_base';
CREATE EXTENSION rnn_forecast;

-- three monthly series of 100 points, a covariate every fifth point
CREATE TABLE fj_series AS
SELECT i, 'k' || (i % 3) AS id, (DATE '2010-01-01' + make_interval(months => i / 3))::date AS d,
       100 + 10 * sin(i * 2 * pi() / 36) + 0.2 * i + (i % 3) * 5 AS v, (i % 5 = 0)::int::float8 AS f
FROM generate_series(0, 299) i;

CREATE TABLE fj_base (name text PRIMARY KEY, j jsonb);
INSERT INTO fj_base
SELECT 'series', rnn_model_to_json(rnn_train(i::bigint, v, rnn_config(hidden_size => 3, "window" => 8, epochs => 2, horizon => 2)))
FROM fj_series WHERE id = 'k0';
INSERT INTO fj_base
SELECT 'global', rnn_model_to_json(rnn_train(id, d, v, rnn_config(hidden_size => 3, epochs => 2, horizon => 3)))
FROM fj_series;
INSERT INTO fj_base
SELECT 'features', rnn_model_to_json(rnn_train(i::bigint, v, ARRAY[f], rnn_config(hidden_size => 3, "window" => 8, epochs => 2)))
FROM fj_series WHERE id = 'k1';
INSERT INTO fj_base
SELECT 'seq2seq', rnn_model_to_json(rnn_train(d, v, rnn_config(cell => 'gru', hidden_size => 3, "window" => 8, epochs => 2,
                                                             horizon => 3, strategy => 'seq2seq', num_layers => 2)))
FROM fj_series WHERE id = 'k2';
INSERT INTO fj_base
SELECT 'mixed_bi', rnn_model_to_json(rnn_train(i::bigint, v, rnn_config(cell => 'lstm', hidden_size => 3, "window" => 8, epochs => 2,
                                                                      horizon => 3, strategy => 'mixed', ensemble => 1,
                                                                      bidirectional => true)))
FROM fj_series WHERE id = 'k1';

-- a random path: down from the root, stopping with probability 0.3 at each level below it
CREATE FUNCTION fj_walk(j jsonb) RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE p text[] := '{}'; node jsonb := j; n int; k text;
BEGIN
  LOOP
    IF jsonb_typeof(node) = 'object' THEN
      SELECT key INTO k FROM jsonb_object_keys(node) key ORDER BY random() LIMIT 1;
      IF k IS NULL THEN RETURN p; END IF;
    ELSIF jsonb_typeof(node) = 'array' THEN
      n := jsonb_array_length(node);
      IF n = 0 THEN RETURN p; END IF;
      k := floor(random() * n)::int::text;
    ELSE
      RETURN p;
    END IF;
    IF cardinality(p) > 0 AND random() < 0.3 THEN RETURN p; END IF;
    p := p || k;
    node := node #> ARRAY[k];
  END LOOP;
END $$;

CREATE FUNCTION fj_hostile() RETURNS jsonb LANGUAGE sql VOLATILE AS $$
  SELECT (ARRAY['null', 'true', 'false', '"x"', '""', '-1', '0', '1e308', '-1e308', '1e-320', '2147483648',
                '9007199254740993', '[]', '{}', '[[1]]', '"NaN"', '1.5', '-0.5', '1e20', '3', '65537',
                '[0, 0, 0]', to_jsonb(repeat('y', 300))::text, '[1e300, -1e300]', '"2010-01-01"', '1048577',
                '-2147483649', '{"a": 1}', '[null]', '"\u0001"'])[1 + floor(random() * 30)::int]::jsonb
$$;

CREATE FUNCTION fj_mutate(j jsonb) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE p text[] := fj_walk(j); r float8 := random(); node jsonb; n int;
BEGIN
  IF cardinality(p) = 0 THEN RETURN j; END IF;
  node := j #> p;
  IF r < 0.5 THEN
    RETURN jsonb_set(j, p, fj_hostile());
  ELSIF r < 0.65 THEN
    RETURN j #- p;
  ELSIF r < 0.85 AND jsonb_typeof(node) = 'array' THEN
    n := jsonb_array_length(node);
    IF random() < 0.5 AND n > 0 THEN
      RETURN jsonb_set(j, p, node - (n - 1));
    END IF;
    RETURN jsonb_set(j, p, node || CASE WHEN n > 0 THEN jsonb_build_array(node -> (n - 1)) ELSE '[1]' END);
  END IF;
  RETURN jsonb_set(j, p, COALESCE(j #> fj_walk(j), 'null'));
END $$;

CREATE TABLE fj_doc (id serial PRIMARY KEY, base text, j jsonb);
SELECT setseed(:'seed');
INSERT INTO fj_doc (base, j) SELECT name, j FROM fj_base ORDER BY name;   -- the controls, ids 1 to 5
DO $$
DECLARE b record; d jsonb;
BEGIN
  FOR b IN SELECT * FROM fj_base ORDER BY name LOOP
    FOR k IN 1 .. current_setting('fj.per_base')::int LOOP
      d := fj_mutate(b.j);
      IF random() < 0.4 THEN d := fj_mutate(d); END IF;
      IF random() < 0.2 THEN d := fj_mutate(d); END IF;
      IF d IS DISTINCT FROM b.j THEN
        INSERT INTO fj_doc (base, j) VALUES (b.name, d);
      END IF;
    END LOOP;
  END LOOP;
END $$;

CREATE TABLE fj_result (id int, probe text, state text, msg text, detail text, nonfinite bool);
CREATE FUNCTION fj_run() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  d record; m bytea; m2 bytea; st text; msg text; det text; bad bool; ser text; pr text;
  hist float8[] := (SELECT array_agg(v ORDER BY i) FROM fj_series WHERE id = 'k0' AND i < 60);
BEGIN
  FOR d IN SELECT * FROM fj_doc ORDER BY id LOOP
    m := NULL;
    BEGIN
      m := rnn_model_from_json(d.j);
      st := '00000'; msg := NULL; det := NULL;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    END;
    INSERT INTO fj_result VALUES (d.id, 'from_json', st, msg, det, NULL);
    CONTINUE WHEN m IS NULL;
    FOREACH pr IN ARRAY ARRAY['info', 'forecast', 'history', 'round_trip'] LOOP
      bad := NULL;
      BEGIN
        IF pr = 'info' THEN
          PERFORM rnn_model_info(m), rnn_model_to_json(m);
        ELSIF pr = 'forecast' THEN
          SELECT s INTO ser FROM rnn_model_series(m) s LIMIT 1;
          IF ser IS NOT NULL THEN
            SELECT bool_or(NOT (forecast > '-Infinity' AND forecast < 'Infinity')) INTO bad FROM rnn_forecast(m, ser, 4);
          ELSIF d.base = 'features' THEN
            SELECT bool_or(NOT (forecast > '-Infinity' AND forecast < 'Infinity')) INTO bad
            FROM rnn_forecast(m, 2, 0.9, ARRAY[[0], [1]]::float8[]);
          ELSE
            SELECT bool_or(NOT (forecast > '-Infinity' AND forecast < 'Infinity')) INTO bad FROM rnn_forecast(m, 4);
          END IF;
        ELSIF pr = 'history' THEN
          IF d.base <> 'features' THEN
            SELECT bool_or(NOT (x > '-Infinity' AND x < 'Infinity')) INTO bad FROM unnest(rnn_forecast(m, hist, 3)) x;
          END IF;
        ELSE
          -- every byte
          IF rnn_model_from_json(rnn_model_to_json(m)) <> m THEN
            RAISE EXCEPTION 'a JSON round trip changed the model' USING ERRCODE = 'FJRT1';
          END IF;
        END IF;
        st := '00000'; msg := NULL; det := NULL;
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
      END;
      INSERT INTO fj_result VALUES (d.id, pr, st, msg, det, bad);
    END LOOP;
  END LOOP;
END $$;
SELECT fj_run();
EOF
    cat "$OUT"
    fail "the fuzzing session failed (psql exit status above)"
fi
run_secs=$SECONDS

bad_controls=$(q "SELECT count(*) FROM fj_result WHERE id <= 5 AND (state <> '00000' OR nonfinite)")
n_controls=$(q "SELECT count(DISTINCT id) FROM fj_result WHERE id <= 5 AND probe = 'round_trip'")
if [ "$bad_controls" != 0 ] || [ "$n_controls" != 5 ]; then
    qt "SELECT d.base, r.probe, r.state, r.msg, r.detail FROM fj_result r JOIN fj_doc d USING (id)
        WHERE d.id <= 5 AND (r.state <> '00000' OR r.nonfinite) ORDER BY d.id"
    errors+=("the unmodified documents did not pass every probe ($bad_controls failure(s), $n_controls of 5 complete)")
fi

n_docs=$(q "SELECT count(*) FROM fj_doc WHERE id > 5")
n_accepted=$(q "SELECT count(*) FROM fj_result WHERE id > 5 AND probe = 'from_json' AND state = '00000'")
n_calls=$(q "SELECT count(*) FROM fj_result WHERE id > 5")
echo "fuzz_json: $n_docs mutated documents, $n_accepted accepted as models, $n_calls calls in ${run_secs} s"
echo "fuzz_json: outcomes per probe (00000 = accepted)"
qt "SELECT probe, state, count(*) AS calls, min(msg) AS example_message FROM fj_result WHERE id > 5
    GROUP BY probe, state ORDER BY min(CASE probe WHEN 'from_json' THEN 1 WHEN 'info' THEN 2 WHEN 'forecast' THEN 3
                                                  WHEN 'history' THEN 4 ELSE 5 END), state"
echo "fuzz_json: the most frequent reasons for refusing a document (DETAIL)"
qt "SELECT detail, count(*) AS documents FROM fj_result WHERE id > 5 AND probe = 'from_json' AND state <> '00000'
    GROUP BY detail ORDER BY count(*) DESC, detail LIMIT 12"

wrong_refusal=$(q "SELECT count(*) FROM fj_result WHERE id > 5 AND probe = 'from_json' AND state NOT IN ('00000', '22023', '54000')")
if [ "$wrong_refusal" != 0 ]; then
    qt "SELECT state, msg, detail, count(*) FROM fj_result WHERE id > 5 AND probe = 'from_json'
        AND state NOT IN ('00000', '22023', '54000') GROUP BY 1, 2, 3 ORDER BY 4 DESC"
    errors+=("$wrong_refusal document(s) refused with a SQLSTATE other than 22023 or 54000")
fi
# forecasts may fail deliberately (no history or too short a one, time or values out of
# range, a limit); rnn_model_info, rnn_model_to_json and the round trips may not fail at all
wrong_use=$(q "SELECT count(*) FROM fj_result WHERE id > 5 AND probe <> 'from_json' AND state <> '00000'
               AND (probe IN ('info', 'round_trip') OR state NOT IN ('22023', '22008', '22003', '54000'))")
if [ "$wrong_use" != 0 ]; then
    qt "SELECT probe, state, msg, detail, count(*) FROM fj_result WHERE id > 5 AND probe <> 'from_json' AND state <> '00000'
        AND (probe IN ('info', 'round_trip') OR state NOT IN ('22023', '22008', '22003', '54000'))
        GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC"
    errors+=("$wrong_use call(s) on accepted models failed where they may not (FJRT1: a JSON round trip changed the model)")
fi
# the mutations must leave enough valid models for the probes to mean something
if [ "$n_accepted" -lt $((n_docs / 20)) ]; then
    errors+=("only $n_accepted of $n_docs documents were accepted: the probes of models saw too few")
fi
nonfinite=$(q "SELECT count(*) FROM fj_result WHERE id > 5 AND nonfinite")
if [ "$nonfinite" != 0 ]; then
    qt "SELECT d.base, r.probe, count(*) FROM fj_result r JOIN fj_doc d USING (id) WHERE r.nonfinite GROUP BY 1, 2"
    errors+=("$nonfinite forecast(s) of accepted models were NaN or infinite")
fi

fuzz_db_finish "$n_docs documents, refused with 22023 or 54000 only; $n_accepted accepted models described," \
     "forecasting finite values or failing deliberately, and the same after JSON round trips"
