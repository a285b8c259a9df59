#!/usr/bin/env bash
# An ordinary role can use everything; function labels; a hostile search_path; a parallel plan.
#
#   1. rnn_user (LOGIN, not superuser, no grants on the extension's objects; CREATE on the
#      database only, for its own schemas) trains with every rnn_train form, forecasts with both
#      rnn_forecast forms, runs rnn_predict as a window function, rnn_model_info / to_json /
#      from_json, rnn_backtest and rnn_evaluate, in a database owned by the superuser where the
#      superuser created the extension. The superuser-only limits stay out of its reach.
#   2. pg_proc labels: rnn_forecast(bytea, float8[], int) and rnn_model_from_json are IMMUTABLE
#      STRICT PARALLEL SAFE, rnn_forecast(bytea, int, float8) is STABLE STRICT PARALLEL SAFE,
#      every function of the extension is PARALLEL SAFE.
#   3. Hostile search_path: schema evil with functions and an operator that shadow what
#      rnn_config's body calls; rnn_config(hidden_size => 5)->>'hidden_size' is still 5.
#   4. Parallel query: 100,000 rows holding the same model; rnn_forecast(m, history, 1) over
#      them plans as Gather / Parallel Seq Scan, launches workers and gives the serial answer.
#
# Environment (from test/run.sh): PGHOST, PGPORT, PGUSER (a superuser), RNN_TMP.
set -uo pipefail

: "${PGHOST:?PGHOST must be set}" "${PGPORT:?PGPORT must be set}" "${PGUSER:?PGUSER must be set}"
export PGHOST PGPORT PGUSER
unset PGDATABASE PGOPTIONS
export PGTZ=UTC
RNN_TMP=${RNN_TMP:-/tmp}

DB=rnn_priv_test
ROLE=rnn_user
SUPER=$PGUSER
WORK=$(mktemp -d "$RNN_TMP/priv.XXXXXX") || exit 1
# shellcheck source=test/t/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

# as_super DB [psql args]; as_user [psql args] (in $DB)
as_super() {
    local db=$1
    shift
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -At -F '|' -U "$SUPER" -d "$db" "$@"
}
as_user() {
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -At -F '|' -U "$ROLE" -d "$DB" "$@"
}

cleanup() {
    as_super postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
    as_super postgres -c "DROP ROLE IF EXISTS $ROLE" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# report GROUP FILE: turns the lines "label|t|detail" / "label|f|detail" of FILE into ok / not ok
report() {
    local group=$1 file=$2 label result detail n=0
    while IFS='|' read -r label result detail; do
        [ -n "$label" ] || continue
        n=$((n + 1))
        if [ "$result" = t ]; then
            ok "$group: $label${detail:+ ($detail)}"
        else
            not_ok "$group: $label: got '$result'${detail:+ ($detail)}"
        fi
    done <"$file"
    [ "$n" -gt 0 ] || not_ok "$group: no results"
}

# user_step GROUP SQL: runs SQL as rnn_user and reports its "label|bool|detail" rows
user_step() {
    local group=$1 sql=$2
    if as_user -c "$sql" >"$WORK/out" 2>"$WORK/err"; then
        report "$group" "$WORK/out"
    else
        not_ok "$group: failed as $ROLE: $(head -c 1500 "$WORK/err")"
    fi
}

# ------------------------------------------------------------------ setup (superuser)
as_super postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || die "could not drop an old $DB"
as_super postgres -c "DROP ROLE IF EXISTS $ROLE" || die "could not drop an old role $ROLE"
as_super postgres -c "CREATE ROLE $ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" \
    -c "CREATE DATABASE $DB OWNER $SUPER" || die "could not create the role or the database"
as_super "$DB" <<SQL || die "could not create the extension"
CREATE EXTENSION rnn_forecast;
-- CREATE on the database lets $ROLE create its own schemas (rnn_user, evil): nothing else
GRANT CREATE ON DATABASE $DB TO $ROLE;
SQL
echo "# $DB owned by $SUPER, extension $(as_super "$DB" -c "SELECT extversion || ' in schema ' || extnamespace::regnamespace || ' owned by ' || extowner::regrole FROM pg_extension WHERE extname = 'rnn_forecast'")"

# ------------------------------------------------------------------ 1. everything as rnn_user
CFG="rnn_config(hidden_size => 6, epochs => 10, seed => 7, ensemble => 1)"
user_step "as $ROLE: setup" "
CREATE SCHEMA $ROLE;   -- first on the default search_path (\"\$user\", public)
CREATE TABLE sales AS
SELECT store, (DATE '2000-01-01' + make_interval(months => i))::date AS d,
       50 * store + 10 * sin(i * 2 * pi() / 12) + 0.2 * i + sin(i * 1.3) AS v
FROM generate_series(1, 3) store, generate_series(0, 119) i;
SELECT 'not a superuser', NOT rolsuper, current_user || ', search_path ' || current_setting('search_path')
FROM pg_roles WHERE rolname = current_user;
SELECT 'created a table', count(*) = 360, count(*) || ' rows in ' || 'sales'::regclass::text FROM sales;"

user_step "as $ROLE: rnn_train" "
CREATE TABLE m_value AS
SELECT rnn_train(v, $CFG ORDER BY d) AS model FROM sales WHERE store = 1;
CREATE TABLE models AS
SELECT store, rnn_train(d, v, $CFG) AS model FROM sales WHERE d < DATE '2008-01-01' GROUP BY store;
CREATE TABLE m_warm AS
SELECT s.store, rnn_train(s.d, s.v, $CFG, m.model) AS model
FROM sales s JOIN models m USING (store) WHERE s.d < DATE '2008-01-01' GROUP BY s.store, m.model;
SELECT 'value form (ORDER BY)', (rnn_model_info(model)->'training'->>'rows')::int = 120,
       length(model) || ' bytes, ' || (rnn_model_info(model)->'training'->>'rows') || ' rows'
FROM m_value;
SELECT 'timestamp form (GROUP BY store)', count(*) = 3 AND bool_and((rnn_model_info(model)->'training'->>'rows')::int = 96),
       count(*) || ' models of ' || min(rnn_model_info(model)->'training'->>'rows') || ' rows, time kind ' || min(rnn_model_info(model)->'time'->>'kind')
FROM models;
SELECT 'warm start', count(*) = 3 AND bool_and(w.model IS NOT NULL AND w.model <> m.model),
       count(*) || ' models continued from the stored weights'
FROM m_warm w JOIN models m USING (store);"

user_step "as $ROLE: forecasts" "
SELECT 'rnn_forecast(model, 12, 0.9)', count(*) = 36 AND bool_and(ts IS NOT NULL AND lower <= forecast AND forecast <= upper),
       count(*) || ' rows, first ' || min(ts)::date || ', last ' || max(ts)::date
FROM models, LATERAL rnn_forecast(model, 12, 0.9);
SELECT 'rnn_forecast(model, history, 6)', bool_and(array_length(f, 1) = 6),
       'store 1: ' || (array_agg(f::text ORDER BY store))[1]
FROM (SELECT store, rnn_forecast(model, ARRAY(SELECT v FROM sales s WHERE s.store = m.store AND d < DATE '2008-01-01' ORDER BY d), 6) AS f
      FROM models m) t;
SELECT 'rnn_predict as a window function', count(p) > 0 AND count(p) < count(*),
       count(p) || ' of ' || count(*) || ' rows predicted, mean abs error ' || round(avg(abs(p[1] - nv))::numeric, 3)
FROM (SELECT d, v, lead(v) OVER (ORDER BY d) AS nv,
             rnn_predict(v, (SELECT model FROM models WHERE store = 1), 1)
                 OVER (ORDER BY d ROWS BETWEEN 199 PRECEDING AND CURRENT ROW) AS p
      FROM sales WHERE store = 1) t;"

user_step "as $ROLE: inspection" "
SELECT 'rnn_model_info', (rnn_model_info(model)->>'hidden_size')::int = 6,
       'cell ' || (rnn_model_info(model)->>'cell') || ', window ' || (rnn_model_info(model)->>'window') || ', parameters ' || (rnn_model_info(model)->>'parameters')
FROM models WHERE store = 2;
SELECT 'rnn_model_to_json / rnn_model_from_json round trip forecasts the same',
       (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(model)), 6))
         = (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(model, 6)),
       (SELECT count(*) FROM jsonb_object_keys(rnn_model_to_json(model)->'state_dict')) || ' state_dict tensors'
FROM models WHERE store = 2;"

user_step "as $ROLE: evaluation" "
SELECT 'rnn_backtest(d, v, config, 6, 2)', (r->>'folds')::int = 2 AND (r->>'mae')::float8 >= 0,
       'mae ' || round((r->>'mae')::numeric, 3) || ', mase ' || round((r->>'mase')::numeric, 3)
FROM (SELECT rnn_backtest(d, v, $CFG, 6, 2) AS r FROM sales WHERE store = 3) t;
SELECT 'rnn_evaluate(model, d, v)', (r->>'points')::int = 24,
       (r->>'points') || ' points, mae ' || round((r->>'mae')::numeric, 3)
FROM (SELECT rnn_evaluate(m.model, s.d, s.v) AS r FROM models m JOIN sales s USING (store)
      WHERE m.store = 3 AND s.d >= DATE '2008-01-01') t;"

user_step "as $ROLE: settings" "
SET rnn_forecast.progress = on;
SELECT 'SET rnn_forecast.progress (user setting)', current_setting('rnn_forecast.progress') = 'on', NULL;"
# the superuser-only limits: refused once the library is loaded; a value set as a placeholder
# before the library loads is dropped (with a WARNING) when it loads
for guc in max_training_seconds max_parameters max_training_memory; do
    if as_user -c "SELECT rnn_config() IS NOT NULL" -c "SET rnn_forecast.$guc = 1" >/dev/null 2>"$WORK/err"; then
        not_ok "as $ROLE: SET rnn_forecast.$guc = 1 succeeded (a superuser-only limit)"
    else
        grep -q 'permission denied' "$WORK/err"
        check $? "as $ROLE: SET rnn_forecast.$guc is refused: $(grep -m1 -o 'ERROR.*' "$WORK/err")"
    fi
    default=$(as_super "$DB" -c "SELECT rnn_config() IS NOT NULL" -c "SELECT current_setting('rnn_forecast.$guc')" 2>&1 | tail -n 1)
    placeholder=$(as_user -c "SET rnn_forecast.$guc = 1" -c "SELECT rnn_config() IS NOT NULL" \
        -c "SELECT current_setting('rnn_forecast.$guc')" 2>"$WORK/err" | tail -n 1)
    [ -n "$default" ] && [ "$placeholder" = "$default" ]
    check $? "as $ROLE: rnn_forecast.$guc = 1 set before the library loaded is dropped when it loads: $placeholder (default $default; $(grep -m1 -o 'WARNING.*' "$WORK/err"))"
done

# ------------------------------------------------------------------ 2. function labels
as_super "$DB" -c "
SELECT p.oid::regprocedure, p.prokind,
       CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
       CASE WHEN p.proisstrict THEN 'STRICT' ELSE '' END,
       CASE p.proparallel WHEN 's' THEN 'PARALLEL SAFE' WHEN 'r' THEN 'PARALLEL RESTRICTED' ELSE 'PARALLEL UNSAFE' END
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'rnn_forecast'
ORDER BY 1::text" >"$WORK/labels" || die "could not read pg_proc"
n_funcs=$(wc -l <"$WORK/labels")
echo "# $n_funcs functions and aggregates of the extension:"
sed 's/^/#   /' "$WORK/labels"
# label SIGNATURE EXPECTED ("IMMUTABLE|STRICT|PARALLEL SAFE")
label() {
    local got
    got=$(awk -F'|' -v s="$1" '$1 == s { print $3 "|" $4 "|" $5 }' "$WORK/labels")
    [ "$got" = "$2" ]
    check $? "label $1: ${got:-not found} (want $2)"
}
label "rnn_forecast(bytea,double precision[],integer)" "IMMUTABLE|STRICT|PARALLEL SAFE"
label "rnn_model_from_json(jsonb)" "IMMUTABLE|STRICT|PARALLEL SAFE"
label "rnn_forecast(bytea,integer,double precision)" "STABLE|STRICT|PARALLEL SAFE"
not_safe=$(awk -F'|' '$5 != "PARALLEL SAFE" { print $1 " " $5 }' "$WORK/labels")
[ "$n_funcs" -gt 0 ] && [ -z "$not_safe" ]
check $? "all $n_funcs functions and aggregates of the extension are PARALLEL SAFE${not_safe:+; not: $not_safe}"

# ------------------------------------------------------------------ 3. hostile search_path
# A SQL or PL/pgSQL function cannot take VARIADIC "any", so the exact shadow of
# pg_catalog.jsonb_build_object(VARIADIC "any") needs a C-level function: the superuser makes
# it from the built-in that returns '{}' (jsonb_build_object_noargs) in rnn_user's schema evil.
# Everything else in evil is rnn_user's own.
user_step "as $ROLE: schema evil" "
CREATE SCHEMA evil;
CREATE FUNCTION evil.jsonb_strip_nulls(jsonb) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT '{}'::jsonb \$\$;
CREATE FUNCTION evil.jsonb_build_object(VARIADIC text[]) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT '{}'::jsonb \$\$;
CREATE FUNCTION evil.rnn_config_check(jsonb) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT '{\"hidden_size\": 666}'::jsonb \$\$;
CREATE FUNCTION evil.evil_get(jsonb, text) RETURNS text LANGUAGE sql AS \$\$ SELECT 'evil'::text \$\$;
CREATE OPERATOR evil.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = evil.evil_get);
CREATE FUNCTION evil.evil_concat(jsonb, jsonb) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT '{}'::jsonb \$\$;
CREATE OPERATOR evil.|| (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = evil.evil_concat);
SELECT 'created schema evil', count(*) >= 5, string_agg(p.oid::regprocedure::text, ', ' ORDER BY 1)
FROM pg_proc p WHERE p.pronamespace = 'evil'::regnamespace;"
as_super "$DB" -c "CREATE FUNCTION evil.jsonb_build_object(VARIADIC \"any\") RETURNS jsonb LANGUAGE internal STABLE AS 'jsonb_build_object_noargs'" \
    -c "ALTER FUNCTION evil.jsonb_build_object(VARIADIC \"any\") OWNER TO $ROLE" \
    || not_ok "could not create evil.jsonb_build_object(VARIADIC \"any\")"

# with evil before pg_catalog every trap fires for an unqualified call; with pg_catalog implicitly
# first (evil, public) only the shadow of the extension's own rnn_config_check does
for path in "evil, public" "evil, pg_catalog, public"; do
    case "$path" in
        *pg_catalog*) trap_live=true ;;
        *) trap_live=false ;;
    esac
    user_step "as $ROLE, search_path = $path" "
SET search_path = $path;
-- controls: which traps are live for an unqualified call
SELECT 'control: unqualified rnn_config_check(''{}'') is evil''s', rnn_config_check('{}') OPERATOR(pg_catalog.=) '{\"hidden_size\": 666}'::jsonb,
       rnn_config_check('{}')::text;
SELECT 'control: unqualified jsonb_build_object(''a'', 1) is evil''s: $trap_live',
       (jsonb_build_object('a', 1) OPERATOR(pg_catalog.=) '{}'::jsonb) OPERATOR(pg_catalog.=) $trap_live, jsonb_build_object('a', 1)::text;
SELECT 'control: unqualified jsonb_strip_nulls(''{\"a\": 1}'') is evil''s: $trap_live',
       (jsonb_strip_nulls('{\"a\": 1}') OPERATOR(pg_catalog.=) '{}'::jsonb) OPERATOR(pg_catalog.=) $trap_live, jsonb_strip_nulls('{\"a\": 1}')::text;
SELECT 'control: ''{\"a\": 1}''::jsonb ->> ''a'' is evil''s: $trap_live',
       ('{\"a\": 1}'::jsonb ->> 'a' OPERATOR(pg_catalog.=) 'evil') OPERATOR(pg_catalog.=) $trap_live, '{\"a\": 1}'::jsonb ->> 'a';
-- the extension qualifies its calls
SELECT 'rnn_config(hidden_size => 5)->>''hidden_size'' = 5',
       (rnn_config(hidden_size => 5) OPERATOR(pg_catalog.->>) 'hidden_size') OPERATOR(pg_catalog.=) '5',
       rnn_config(hidden_size => 5)::text;
SELECT 'rnn_config(hidden_size => 5)->>''hidden_size'' (unqualified operator)', true,
       rnn_config(hidden_size => 5)->>'hidden_size';
SELECT 'rnn_config(...) in a training and rnn_model_info',
       (rnn_model_info(rnn_train(v, rnn_config(hidden_size => 5, epochs => 2, ensemble => 1) ORDER BY d))
           OPERATOR(pg_catalog.->>) 'hidden_size') OPERATOR(pg_catalog.=) '5', NULL
FROM $ROLE.sales WHERE store OPERATOR(pg_catalog.=) 1;"
done

# ------------------------------------------------------------------ 4. parallel plan
as_super "$DB" <<SQL >"$WORK/pm.out" 2>"$WORK/pm.err"
CREATE TABLE pm_series AS
SELECT i, 10 + sin(i * 2 * pi() / 12) AS v FROM generate_series(1, 20) i;
CREATE TABLE pm (id int, m bytea);
-- a small model (about 500 bytes: the table is about 60 MB)
INSERT INTO pm
SELECT g, (SELECT rnn_train(v, rnn_config(cell => 'rnn_tanh', hidden_size => 1, "window" => 4, season => 1, scaling => 'zscore',
                                          epochs => 3, seed => 1, ensemble => 1) ORDER BY i) FROM pm_series)
FROM generate_series(1, 100000) g;
ANALYZE pm;
SELECT 'pm', count(*), count(DISTINCT m), min(length(m)), pg_size_pretty(pg_total_relation_size('pm')) FROM pm;
SQL
if [ -s "$WORK/pm.err" ] || ! grep -q '^pm|' "$WORK/pm.out"; then
    not_ok "parallel: could not create pm: $(head -c 1500 "$WORK/pm.err")"
else
    IFS='|' read -r _ pm_rows pm_distinct pm_len pm_size <"$WORK/pm.out"
    echo "# pm: $pm_rows rows, $pm_distinct distinct model of $pm_len bytes, $pm_size"
    HIST="ARRAY[$(awk 'BEGIN { for (i = 1; i <= 12; i++) printf "%s%.4f", (i > 1 ? ", " : ""), 10 + sin(i * 2 * 3.14159265 / 12) }')]::float8[]"
    Q="SELECT sum((rnn_forecast(m, $HIST, 1))[1]) FROM pm"
    PAR="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;"
    as_super "$DB" -c "$PAR" -c "EXPLAIN (COSTS OFF) $Q" >"$WORK/plan" 2>&1
    echo "# EXPLAIN (COSTS OFF) $Q:"
    sed 's/^/#   /' "$WORK/plan"
    grep -q 'Gather' "$WORK/plan" && grep -q 'Parallel Seq Scan on pm' "$WORK/plan"
    check $? "parallel: the plan has Gather and Parallel Seq Scan on pm"
    as_super "$DB" -c "$PAR" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) $Q" >"$WORK/analyze" 2>&1
    launched=$(sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' "$WORK/analyze" | head -n 1)
    exec_ms=$(sed -n 's/.*Execution Time: \([0-9.]*\) ms.*/\1/p' "$WORK/analyze")
    [ "${launched:-0}" -ge 1 ]
    check $? "parallel: EXPLAIN ANALYZE launched ${launched:-no} workers, execution ${exec_ms:-?} ms"
    par_sum=$(as_super "$DB" -c "$PAR" -c "$Q" 2>&1)
    ser_sum=$(as_super "$DB" -c "SET max_parallel_workers_per_gather = 0" -c "$Q" 2>&1)
    one=$(as_super "$DB" -c "SELECT (rnn_forecast(m, $HIST, 1))[1] FROM pm LIMIT 1" 2>&1)
    awk -v p="$par_sum" -v s="$ser_sum" -v o="$one" 'BEGIN {
        if (p == "" || s == "" || o == "" || p !~ /^-?[0-9.e+-]+$/ || s !~ /^-?[0-9.e+-]+$/) exit 1
        d = p - s; if (d < 0) d = -d
        e = p - 100000 * o; if (e < 0) e = -e
        a = s < 0 ? -s : s
        exit !(d <= 1e-9 * a && e <= 1e-9 * a) }'
    check $? "parallel: the query runs: sum $par_sum (serial $ser_sum; 100000 x $one)"
fi

echo "# summary: $n_funcs extension functions checked; $failures failed"
[ "$failures" -eq 0 ]
