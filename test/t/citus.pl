# Citus: rnn_forecast on a coordinator and two workers (issue 10, item 3).
#
# Needs Citus installed in the PostgreSQL 15 used here: tools/build-citus.sh builds it (as root)
# from ../shared/vendor; without it this test skips itself. Three PostgreSQL::Test::Cluster
# nodes with shared_preload_libraries = 'citus' listen on 127.0.0.1 (Citus connects over TCP;
# the test's own psql uses the unix socket). The workers run in other time zones than the
# coordinator (Pacific/Chatham, +12:45/+13:45, and America/St_Johns, -3:30/-2:30).
#
# sales(store text, month date, value float8), 6 stores x 60 months (trend, yearly season,
# deterministic noise), distributed by store over 4 shards, and an undistributed copy
# sales_local on the coordinator. Checks:
#   (a) EXPLAIN of SELECT store, rnn_train(...) FROM sales GROUP BY store is one Custom Scan
#       (Citus Adaptive) with one task per shard, each task's query holding rnn_train and
#       GROUP BY store, the tasks spread over both workers, no aggregation on the coordinator;
#   (b) the models trained on the workers equal those trained from sales_local (every byte
#       except training_seconds, compared through rnn_model_to_json), and rnn_forecast(model, 6)
#       gives the same rows, also when run on the workers (a distributed models table);
#   (c) TimeZone makes no difference: the same models and forecast values with a session
#       SET TimeZone and with SET LOCAL TimeZone propagated to the workers
#       (citus.propagate_set_commands = 'local'), for 4 zones, and the same ts_local; monthly
#       timestamptz rows at Berlin midnight with rnn_config(time_zone => 'Europe/Berlin') give
#       the same models, values, ts and ts_local on the workers whatever the zones; without
#       time_zone a session SET stays on the coordinator (the workers read the rows in their
#       own zones) and SET LOCAL propagated gives the models of a local Berlin session;
#   (d) the global form rnn_train(store, month, value, config) per store (pushed down) and over
#       all stores (rows gathered on the coordinator) equals the local table's;
#   (e) ALTER DATABASE / ALTER ROLE ... SET on the coordinator reach the workers, and
#       rnn_forecast.max_epochs set so bounds the trainings there.
# Timings (distributed vs local training) are notes, never assertions.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $pkglibdir = `pg_config --pkglibdir`;
chomp $pkglibdir;
if (!-f "$pkglibdir/citus.so")
{
	plan skip_all => "Citus is not installed ($pkglibdir/citus.so is absent): "
	  . "run tools/build-citus.sh as root with ../shared/vendor present";
}
if (!-f "$pkglibdir/rnn_forecast.so")
{
	plan skip_all => "rnn_forecast is not installed ($pkglibdir/rnn_forecast.so is absent)";
}

my $shard_count = 4;
my $cfg = q{rnn_config(horizon => 6, epochs => 10, seed => 1)};
my @zones = ('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata');

# ---------------------------------------------------------------- nodes
sub citus_node
{
	my ($name, $timezone) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	# later lines win: TCP on 127.0.0.1 in addition to the unix socket Cluster.pm configures
	$node->append_conf(
		'postgresql.conf', qq{
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
max_connections = 60
timezone = '$timezone'
citus.enable_statistics_collection = off
});
	$node->start;
	return $node;
}

my $coord = citus_node('coordinator', 'UTC');
my @workers = (
	citus_node('worker1', 'Pacific/Chatham'),
	citus_node('worker2', 'America/St_Johns'));

# initdb -A trust (Cluster.pm) writes "host all all 127.0.0.1/32 trust": Citus needs no password
for my $n ($coord, @workers)
{
	$n->safe_psql('postgres', 'CREATE EXTENSION citus');
}
$coord->safe_psql('postgres',
	"SELECT citus_set_coordinator_host('127.0.0.1', " . $coord->port . ")");
for my $w (@workers)
{
	$coord->safe_psql('postgres',
		"SELECT citus_add_node('127.0.0.1', " . $w->port . ")");
}
is( $coord->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND isactive AND groupid > 0"),
	'2',
	'coordinator has two active workers');

# CREATE EXTENSION on the coordinator only: Citus creates it on the workers
$coord->safe_psql('postgres', 'CREATE EXTENSION rnn_forecast');
my $version = $coord->safe_psql('postgres',
	"SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast'");
for my $i (0 .. $#workers)
{
	is( $workers[$i]->safe_psql(
			'postgres',
			"SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast'"),
		$version,
		"CREATE EXTENSION rnn_forecast on the coordinator propagated to worker "
		  . ($i + 1) . " (version $version)");
}

# ---------------------------------------------------------------- data
# 6 stores x 60 months from 2019-01: level and trend per store, a yearly season with a
# store-specific phase, deterministic noise from the row numbers.
my $rows_sql = q{
SELECT 'store_' || s AS store,
       (date '2019-01-01' + make_interval(months => m))::date AS month,
       round((100 + 20 * s + (0.5 + 0.2 * s) * m
              + (8 + s) * sin(2 * pi() * (m + s) / 12)
              + ((m * 37 + s * 101) % 17 - 8) * 0.6)::numeric, 2)::float8 AS value
FROM generate_series(1, 6) s, generate_series(0, 59) m};
$coord->safe_psql(
	'postgres', qq{
CREATE TABLE sales (store text, month date, value float8);
SELECT create_distributed_table('sales', 'store', shard_count => $shard_count);
INSERT INTO sales $rows_sql;
CREATE TABLE sales_local (store text, month date, value float8);
INSERT INTO sales_local $rows_sql;
CREATE TABLE models_dist (store text, model bytea);
SELECT create_distributed_table('models_dist', 'store', colocate_with => 'sales');
});
is( $coord->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'sales'::regclass"),
	$shard_count,
	"sales is distributed by store over $shard_count shards");
is($coord->safe_psql('postgres', 'SELECT count(*) FROM sales'),
	'360', 'sales holds 360 rows (6 stores x 60 months) on the workers');
my $shards_with_rows = $coord->safe_psql(
	'postgres', q{
SELECT count(DISTINCT get_shard_id_for_distribution_column('sales', store)) FROM sales_local});
my $stores_per_worker = $coord->safe_psql(
	'postgres', q{
SELECT string_agg(format('%s stores on port %s', n, nodeport), ', ' ORDER BY nodeport)
FROM (SELECT p.nodeport, count(DISTINCT s.store) AS n
      FROM sales_local s JOIN pg_dist_shard_placement p
        ON p.shardid = get_shard_id_for_distribution_column('sales', s.store)
      GROUP BY p.nodeport) t});
note "the 6 stores fall into $shards_with_rows of the $shard_count shards: $stores_per_worker";

# ---------------------------------------------------------------- (a) the plan
my $train_q = "SELECT store, rnn_train(month, value, $cfg) AS model FROM sales GROUP BY store";
my $plan = $coord->safe_psql(
	'postgres', qq{
SET citus.explain_all_tasks = on;
EXPLAIN (VERBOSE, COSTS OFF) $train_q});
note "EXPLAIN VERBOSE:\n$plan";
my @plan_lines = split /\n/, $plan;
like($plan_lines[0], qr/^Custom Scan \(Citus Adaptive\)/,
	'(a) the plan is a Custom Scan (Citus Adaptive) with nothing above it (no coordinator aggregation)');
my ($task_count) = $plan =~ /Task Count: (\d+)/;
is($task_count, $shard_count, "(a) Task Count is $shard_count, one task per shard");
my @task_queries = $plan =~ /Query: (.*)/g;
my $pushed = grep { /rnn_train\(month, value, '.*'::jsonb\).*GROUP BY store/ } @task_queries;
is($pushed, $shard_count,
	"(a) each of the $shard_count task queries runs rnn_train(month, value, <config>) ... GROUP BY store on a worker"
);
my %task_ports = map { $_ => 1 } ($plan =~ /Node: host=127\.0\.0\.1 port=(\d+)/g);
is_deeply(
	[ sort keys %task_ports ],
	[ sort map { $_->port } @workers ],
	'(a) the tasks run on both workers');

# ---------------------------------------------------------------- (b) models and forecasts
# fingerprint of a model: md5 of its JSON form without training_seconds (the only bytes that
# differ between two trainings of the same data and seed, see README "Limits") and without
# time.last, the last timestamp as text in the zone of the session that renders it (a worker's
# when Citus pushes the expression down; time.last_value is the same instant as a number)
my $fp = q{md5((rnn_model_to_json(%s) #- '{training,training_seconds}' #- '{time,last}')::text)};
my $model_fp = sprintf($fp, 'model');

sub models_fingerprint
{
	my ($node, $query, $pre) = @_;
	$pre //= '';
	return $node->safe_psql(
		'postgres', qq{$pre
SELECT string_agg(store || ' ' || $model_fp, E'\\n' ORDER BY store) FROM ($query) t});
}

my $t0 = time;
$coord->safe_psql('postgres', "CREATE TABLE m_dist AS $train_q");
my $t_dist = time - $t0;
$t0 = time;
(my $train_local_q = $train_q) =~ s/FROM sales /FROM sales_local /;
$coord->safe_psql('postgres', "CREATE TABLE m_local AS $train_local_q");
my $t_local = time - $t0;
note sprintf('training 6 models (epochs 10): distributed %.2f s, local table %.2f s',
	$t_dist, $t_local);

is($coord->safe_psql('postgres', 'SELECT count(model) FROM m_dist'),
	'6', '(b) 6 models trained on the workers');
my $fp_local = models_fingerprint($coord, 'SELECT * FROM m_local');
my $fp_dist = models_fingerprint($coord, 'SELECT * FROM m_dist');
is( $coord->safe_psql('postgres', "SELECT count(DISTINCT $model_fp) FROM m_local"),
	'6', '(b) the 6 local models differ from one another');
is($fp_dist, $fp_local,
	'(b) the models trained on the workers equal the local ones (all bytes but training_seconds)');

# forecast rows: values and intervals (the timestamps are compared in (c))
my $fc_cols = q{format('%s|%s|%s|%s|%s', m.store, f.step, f.forecast, f.lower, f.upper)};
sub forecasts
{
	my ($node, $models, $pre, $cols) = @_;
	$pre //= '';
	$cols //= $fc_cols;
	return $node->safe_psql(
		'postgres', qq{$pre
SELECT string_agg($cols, E'\\n' ORDER BY m.store, f.step)
FROM ($models) m, LATERAL rnn_forecast(m.model, 6) f});
}
my $fc_local = forecasts($coord, 'SELECT * FROM m_local');
is(scalar(() = $fc_local =~ /\n/g) + 1, 36, '(b) 36 forecast rows (6 stores x 6 steps)');
is(forecasts($coord, 'SELECT * FROM m_dist'),
	$fc_local, '(b) rnn_forecast(model, 6) of the distributed models gives the same rows');

# the same with the models and their forecasts staying on the workers
$coord->safe_psql('postgres',
	"INSERT INTO models_dist $train_q");
my $fc_plan = $coord->safe_psql('postgres',
	"EXPLAIN (COSTS OFF) SELECT m.store, f.* FROM models_dist m, LATERAL rnn_forecast(m.model, 6) f");
my ($fc_tasks) = $fc_plan =~ /Task Count: (\d+)/;
is($fc_tasks, $shard_count,
	'(b) forecasting from a distributed models table runs one task per shard');
is(forecasts($coord, 'SELECT * FROM models_dist'),
	$fc_local,
	'(b) INSERT ... SELECT rnn_train and rnn_forecast on the workers give the same rows');

# ---------------------------------------------------------------- (c) TimeZone
# ts_local (0.5.0): the forecast's wall-clock time in the series' own calendar
my $has_ts_local = $coord->safe_psql(
	'postgres', q{
SELECT count(*) FROM pg_proc
WHERE proname = 'rnn_forecast' AND pg_get_function_result(oid) LIKE '%ts_local timestamp without time zone%'});
my $ts_local_cols = q{format('%s|%s|%s', m.store, f.step, f.ts_local)};
my $ts_local_ref;
$ts_local_ref = forecasts($coord, 'SELECT * FROM m_local', "SET TimeZone = 'UTC';", $ts_local_cols)
  if $has_ts_local;

for my $tz (@zones)
{
	# session SET: the coordinator's session only (Citus does not send it to the workers)
	my $set = "SET TimeZone = '$tz';";
	is(models_fingerprint($coord, $train_q, $set),
		$fp_local, "(c) SET TimeZone = '$tz': distributed training gives the same models");
	is(forecasts($coord, $train_q, $set),
		$fc_local, "(c) SET TimeZone = '$tz': the same forecast values");
	is( forecasts($coord, 'SELECT * FROM m_local', $set),
		$fc_local, "(c) SET TimeZone = '$tz': the local models' forecasts are the same values");

	# SET LOCAL propagated to the workers' sessions: training and forecasting on the workers
	my $begin = "BEGIN; SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL TimeZone = '$tz';";
	my $zones_seen = $coord->safe_psql(
		'postgres', qq{$begin
SELECT string_agg(DISTINCT z, ',') FROM (SELECT store, current_setting('TimeZone') AS z FROM sales GROUP BY store) t;
COMMIT;});
	is($zones_seen, $tz, "(c) SET LOCAL TimeZone = '$tz' reaches the workers");
	is(models_fingerprint($coord, $train_q, $begin),
		$fp_local, "(c) SET LOCAL TimeZone = '$tz' on the workers: the same models");
	is( forecasts($coord, 'SELECT * FROM models_dist', $begin),
		$fc_local,
		"(c) SET LOCAL TimeZone = '$tz' on the workers: rnn_forecast there gives the same values");

  SKIP:
	{
		skip 'rnn_forecast has no ts_local column', 2 unless $has_ts_local;
		is( forecasts($coord, 'SELECT * FROM models_dist', $set, $ts_local_cols),
			$ts_local_ref,
			"(c) SET TimeZone = '$tz', workers in their own zones: the same ts_local");
		is( forecasts($coord, 'SELECT * FROM models_dist', $begin, $ts_local_cols),
			$ts_local_ref,
			"(c) SET LOCAL TimeZone = '$tz' on the workers: the same ts_local");
	}
}

# ts of a date series is the date's midnight in the zone of the session that forecasts: on a
# worker, the worker's zone (for the record; ts_local is the zone-free form)
my $ts_diff = $coord->safe_psql(
	'postgres', q{
SELECT count(*) FROM (SELECT m.store, f.step, f.ts FROM models_dist m, LATERAL rnn_forecast(m.model, 6) f) d
JOIN (SELECT m.store, f.step, f.ts FROM m_local m, LATERAL rnn_forecast(m.model, 6) f) l USING (store, step)
WHERE d.ts <> l.ts});
note "date series: forecast ts computed on the workers (in their own zones) differ from the coordinator's in $ts_diff of 36 rows";

# timestamptz rows at Berlin midnight on the first of each month: read in a time zone, which
# is the worker session's unless rnn_config(time_zone => ...) names it
SKIP:
{
	my $has_time_zone = $coord->safe_psql('postgres',
		q{SELECT count(*) FROM pg_proc WHERE proname = 'rnn_config' AND 'time_zone' = ANY (proargnames)});
	skip 'rnn_config has no time_zone key', 4 + 2 * @zones unless $has_time_zone && $has_ts_local;

	$coord->safe_psql(
		'postgres', q{
CREATE TABLE sales_tz (store text, month timestamptz, value float8);
SELECT create_distributed_table('sales_tz', 'store', colocate_with => 'sales');
INSERT INTO sales_tz SELECT store, month::timestamp AT TIME ZONE 'Europe/Berlin', value FROM sales_local;
CREATE TABLE sales_tz_local AS SELECT * FROM sales_tz;
});
	my $cfg_tz = q{rnn_config(horizon => 6, epochs => 10, seed => 1, time_zone => 'Europe/Berlin')};
	my $tz_q = "SELECT store, rnn_train(month, value, $cfg_tz) AS model FROM sales_tz GROUP BY store";
	(my $tz_local_q = $tz_q) =~ s/FROM sales_tz /FROM sales_tz_local /;
	my $tz_cols = q{format('%s|%s|%s|%s|%s', m.store, f.step, f.forecast, extract(epoch FROM f.ts), f.ts_local)};
	my $fp_tz = models_fingerprint($coord, $tz_local_q, "SET TimeZone = 'UTC';");
	my $fc_tz = forecasts($coord, $tz_local_q, "SET TimeZone = 'UTC';", $tz_cols);
	like($fc_tz, qr/\|2024-01-01 00:00:00$/m,
		'(c) timestamptz, time_zone => Europe/Berlin: local forecasts start on 2024-01-01 (ts_local)');
	for my $tz (@zones)
	{
		my $set = "SET TimeZone = '$tz';";
		is(models_fingerprint($coord, $tz_q, $set),
			$fp_tz,
			"(c) timestamptz, time_zone => Europe/Berlin, SET TimeZone = '$tz': the workers train the same models");
		is(forecasts($coord, $tz_q, $set, $tz_cols),
			$fc_tz,
			"(c) timestamptz, time_zone => Europe/Berlin, SET TimeZone = '$tz': the same forecast values, ts instants and ts_local on the workers"
		);
	}

	# without time_zone: the session's zone reads the rows; a session SET stays on the coordinator
	my $nozone_q = "SELECT store, rnn_train(month, value, $cfg) AS model FROM sales_tz GROUP BY store";
	(my $nozone_local_q = $nozone_q) =~ s/FROM sales_tz /FROM sales_tz_local /;
	my $berlin_local = models_fingerprint($coord, $nozone_local_q, "SET TimeZone = 'Europe/Berlin';");
	is( models_fingerprint(
			$coord, $nozone_q,
			"BEGIN; SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL TimeZone = 'Europe/Berlin';"),
		$berlin_local,
		'(c) timestamptz without time_zone, SET LOCAL TimeZone propagated: the workers train the same models as a local Berlin session'
	);
	my ($rc, $out, $err) = $coord->psql(
		'postgres', qq{SET TimeZone = 'Europe/Berlin';
SELECT string_agg(DISTINCT coalesce(rnn_model_info(model)->'time'->>'time_zone', '?'), ',') FROM ($nozone_q) t});
	my $berlin_session_only =
	  $rc == 0 ? "the workers' models record the zones $out" : "the training fails: $err";
	note "timestamptz without time_zone, SET TimeZone = 'Europe/Berlin' on the coordinator only: $berlin_session_only";
	isnt($rc == 0 ? models_fingerprint($coord, $nozone_q, "SET TimeZone = 'Europe/Berlin';") : 'error',
		$berlin_local,
		'(c) timestamptz without time_zone, SET TimeZone only on the coordinator: the workers read the rows in their own zones (not the same models)');
}

# ---------------------------------------------------------------- (d) global form
my $global_q =
  "SELECT store, rnn_train(store, month, value, $cfg) AS model FROM sales GROUP BY store";
my $gplan = $coord->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $global_q");
my ($gtasks) = $gplan =~ /Task Count: (\d+)/;
ok( $gplan =~ /^Custom Scan \(Citus Adaptive\)/ && $gtasks == $shard_count
	  && $gplan =~ /Query: .*rnn_train\(store, month, value,/,
	"(d) the global form grouped by store runs on the workers, $shard_count tasks");
(my $global_local_q = $global_q) =~ s/FROM sales /FROM sales_local /;
is(models_fingerprint($coord, $global_q),
	models_fingerprint($coord, $global_local_q),
	'(d) global form per store: the same models as from the local table');

my $all_q = "SELECT 'all' AS store, rnn_train(store, month, value, $cfg) AS model FROM sales";
my $aplan = $coord->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $all_q");
note "EXPLAIN of one global model over all stores:\n$aplan";
like($aplan, qr/^Aggregate.*\n.*Custom Scan \(Citus Adaptive\)/s,
	'(d) one global model over all stores: the rows are gathered and aggregated on the coordinator');
(my $all_local_q = $all_q) =~ s/FROM sales$/FROM sales_local/;
is(models_fingerprint($coord, $all_q),
	models_fingerprint($coord, $all_local_q),
	'(d) one global model over all stores: the same model as from the local table');

# ---------------------------------------------------------------- (e) settings per node
# ALTER DATABASE / ALTER ROLE ... SET on the coordinator: which reach the workers' catalogs
for my $stmt (
	'ALTER DATABASE postgres SET rnn_forecast.max_epochs = 2',
	'ALTER ROLE CURRENT_USER SET rnn_forecast.progress = on')
{
	$coord->safe_psql('postgres', $stmt);
}
for my $i (0 .. $#workers)
{
	is( $workers[$i]->safe_psql(
			'postgres',
			q{SELECT string_agg(array_to_string(setconfig, ','), ';' ORDER BY setconfig::text) FROM pg_db_role_setting}),
		'rnn_forecast.max_epochs=2;rnn_forecast.progress=on',
		'(e) ALTER DATABASE ... SET and ALTER ROLE ... SET on the coordinator reach worker ' . ($i + 1));
}
# a superuser-only limit set that way bounds the trainings on the workers (new sessions)
is( $coord->safe_psql(
		'postgres', qq{
SELECT string_agg(DISTINCT rnn_model_info(model)->'training'->>'epochs_run', ',') FROM ($train_q) t}),
	'2',
	'(e) after ALTER DATABASE postgres SET rnn_forecast.max_epochs = 2 the workers train 2 epochs (config asks 10)');
$coord->safe_psql('postgres', 'ALTER DATABASE postgres RESET rnn_forecast.max_epochs');
$coord->safe_psql('postgres', 'ALTER ROLE CURRENT_USER RESET rnn_forecast.progress');

# ---------------------------------------------------------------- timing (notes only)
# a heavier training (100 epochs, no early stop) where the workers' parallelism shows
my $heavy = q{rnn_config(horizon => 6, epochs => 100, patience => 0, seed => 1)};
$t0 = time;
$coord->safe_psql('postgres',
	"SELECT count(m) FROM (SELECT store, rnn_train(month, value, $heavy) AS m FROM sales GROUP BY store) t");
$t_dist = time - $t0;
$t0 = time;
$coord->safe_psql('postgres',
	"SELECT count(m) FROM (SELECT store, rnn_train(month, value, $heavy) AS m FROM sales_local GROUP BY store) t");
$t_local = time - $t0;
note sprintf(
	'training 6 models (epochs 100, patience 0): distributed over 2 workers %.2f s, local table %.2f s, speed-up %.2fx',
	$t_dist, $t_local, $t_local / $t_dist);

$_->stop for ($coord, @workers);
done_testing();
