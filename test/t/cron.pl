# The README's nightly job under the real pg_cron: scheduled with cron.schedule_in_database,
# it trains new stores cold and known stores warm (their models as init), upserts the models
# and replaces the forecasts. It runs twice with rows added in between (a week more for every
# store and a new store), and the forecasts must move on.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
# background workers: the jobs need no connection over TCP or a password
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
cron.timezone = 'UTC'
});
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE shop');
$node->safe_psql('shop', q{
CREATE EXTENSION rnn_forecast;
CREATE TABLE sales(store int, day date, sales float8, PRIMARY KEY (store, day));
INSERT INTO sales
SELECT s, date '2024-01-01' + d, 100 * s + 10 * sin(2 * pi() * d / 7) + d * 0.2 + (d * s % 5)
FROM generate_series(1, 3) s, generate_series(0, 119) d;
});

# the job as the README gives it (its "```sql pg_cron" block): the tables and the
# procedure, then the schedule, every minute here instead of at 3 am
open(my $fh, '<', "$ENV{RNN_SRC}/README.md") or die "README.md: $!";
my $readme = do { local $/; <$fh> };
close $fh;
my ($job) = $readme =~ /^```sql pg_cron\n(.*?)^```$/ms or die 'no "```sql pg_cron" block in README.md';
my ($procedure, $schedule) = $job =~ /\A(.*?END \$\$;\n)(.*)\z/s or die 'the job block has no procedure';
$schedule =~ s/'0 3 \* \* \*'/'* * * * *'/ or die 'the job block has no 3 am schedule';
$node->safe_psql('shop', $procedure);
$node->safe_psql('postgres', "CREATE EXTENSION pg_cron;\n$schedule");

# wait for the n-th finished run of the job; its status and message
sub wait_run
{
	my ($n) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) >= $n FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')")
	  or die "the job did not run $n times";
	return $node->safe_psql('postgres',
		"SELECT status || ' ' || coalesce(return_message, '') FROM cron.job_run_details "
		  . "WHERE status IN ('succeeded', 'failed') ORDER BY runid OFFSET " . ($n - 1) . " LIMIT 1");
}

my $t0 = time;
like(wait_run(1), qr/^succeeded/, 'first run of the scheduled job succeeded');
note sprintf('first run finished %d s after scheduling (pg_cron runs once a minute)', time - $t0);
is( $node->safe_psql('shop',
		"SELECT count(*) || ' ' || string_agg(store::text, ',' ORDER BY store) FROM models"),
	'3 1,2,3', 'first run: a model for each of the 3 stores (trained cold)');
is( $node->safe_psql('shop',
		"SELECT count(*) || ' ' || min(day) || ' ' || max(day) FROM forecasts"),
	'21 2024-04-30 2024-05-06', 'first run: 7 forecasts per store after the last day (2024-04-29)');
my $before = $node->safe_psql('shop',
	"SELECT string_agg(round(forecast::numeric, 6)::text, ',' ORDER BY day) FROM forecasts WHERE store = 1");
my $rows_before = $node->safe_psql('shop',
	"SELECT rnn_model_info(model)->'training'->>'rows' FROM models WHERE store = 1");

# a week more for every store, and a new store
$node->safe_psql('shop', q{
INSERT INTO sales
SELECT s, date '2024-01-01' + d, 100 * s + 10 * sin(2 * pi() * d / 7) + d * 0.2 + (d * s % 5)
FROM generate_series(1, 3) s, generate_series(120, 126) d;
INSERT INTO sales
SELECT 4, date '2024-01-01' + d, 400 + 10 * sin(2 * pi() * d / 7) FROM generate_series(0, 126) d;
});
my $runs_at_insert = $node->safe_psql('postgres',
	"SELECT count(*) FROM cron.job_run_details WHERE status IN ('succeeded', 'failed', 'running', 'starting')");
# the run after the one that may have been going on while the rows went in
like(wait_run($runs_at_insert + 1), qr/^succeeded/, 'the next run of the job succeeded');

is($node->safe_psql('shop', "SELECT count(*) FROM models"), '4', 'the new store got a model');
is( $node->safe_psql('shop',
		"SELECT count(*) || ' ' || min(day) || ' ' || max(day) FROM forecasts WHERE store = 1"),
	'7 2024-05-07 2024-05-13', 'store 1 forecasts the week after its new last day');
is($node->safe_psql('shop', "SELECT count(*) FROM forecasts WHERE store = 4"),
	'7', 'store 4 (new, trained cold) has forecasts');
my $after = $node->safe_psql('shop',
	"SELECT string_agg(round(forecast::numeric, 6)::text, ',' ORDER BY day) FROM forecasts WHERE store = 1");
isnt($after, $before, 'the forecasts of store 1 moved');
my $rows_after = $node->safe_psql('shop',
	"SELECT rnn_model_info(model)->'training'->>'rows' FROM models WHERE store = 1");
is($rows_after - $rows_before, 7, "store 1's model was trained again on 7 more rows ($rows_before -> $rows_after)");
my $durations = $node->safe_psql('postgres',
	"SELECT string_agg(round(extract(epoch FROM end_time - start_time)::numeric, 2)::text, ' s, ' ORDER BY runid) "
	  . "FROM cron.job_run_details WHERE status = 'succeeded'");
note "job durations: $durations s";

$node->safe_psql('postgres', "SELECT cron.unschedule('refresh-forecasts')");
$node->stop;
done_testing();
