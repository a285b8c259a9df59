-- Timing inside one session, for the benchmarks that compare two statements in turns
-- (bench_anomaly.sh, bench_despike.sh): pg_temp.t(q) runs q (a query of one row and one
-- column) and returns the seconds it took by clock_timestamp(); r keeps one row per statement
-- and turn. Read with \i test/bench/lib/timing.sql from the repository's root.
CREATE FUNCTION pg_temp.t(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN
    EXECUTE q INTO n;
    RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;
CREATE TEMP TABLE r (turn int, what text, seconds float8);
