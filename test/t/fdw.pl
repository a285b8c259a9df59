# Scale-out with postgres_fdw: a coordinator and two shards, the sales table hash-partitioned
# over foreign tables on the shards.
#
#   (a) with enable_partitionwise_aggregate = on and the foreign servers' option
#       extensions 'rnn_forecast', per-series rnn_train (GROUP BY the partition key), the
#       global rnn_train(series, ...) per region (a table partitioned by region) and
#       rnn_backtest run on the shards: an Async Foreign Scan per shard whose Remote SQL holds
#       the aggregate and the GROUP BY; what is not pushed down (GROUP BY another column, a
#       warm start from a local table, a filter on current_date, the setting off, a server
#       without the extensions option) trains on the coordinator, and the plan says so
#   (b) the models trained on the shards are the models one server trains on the same rows
#       (the same bytes but the training time and the checksum), and forecast the same rows;
#       the backtests agree
#   (c) pg_cancel_backend of the coordinator's backend stops the trainings on both shards
#   (d) a note with the wall time of the per-series training on the shards against one server
#   time zones: timestamptz (with time_zone), timestamp and date series trained on the shards
#       from coordinator sessions in UTC, Europe/Berlin, America/New_York and Asia/Kolkata
#       give the models, forecast instants and ts_local of one server
#   (e) rnn_forecast.max_training_seconds set in the coordinator's session does not reach the
#       shards; ALTER ROLE / ALTER DATABASE ... SET on a shard does
#
# Run by test/run.sh (tap section) with PostgreSQL::Test::Cluster; needs postgres_fdw
# (postgresql-contrib) and rnn_forecast installed in the server's directories.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

# ------------------------------------------------------------------ servers
my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->start;
my @shards;
for my $i (1, 2)
{
	my $node = PostgreSQL::Test::Cluster->new("shard$i");
	$node->init;
	$node->start;
	push @shards, $node;
}
my ($shard1, $shard2) = @shards;

for my $node ($coord, @shards)
{
	$node->safe_psql('postgres', 'CREATE EXTENSION rnn_forecast');
}
for my $node (@shards)
{
	# the shards hold the rows: one table per partitioning of the coordinator
	$node->safe_psql('postgres', q{
		CREATE TABLE sales (store text, region text, month date, sales float8);
		CREATE TABLE sales_r (LIKE sales);
	});
}

$coord->safe_psql('postgres', 'CREATE EXTENSION postgres_fdw');
for my $i (1, 2)
{
	my $node = $shards[ $i - 1 ];
	my ($host, $port) = ($node->host, $node->port);
	$coord->safe_psql('postgres', qq{
		CREATE SERVER shard$i FOREIGN DATA WRAPPER postgres_fdw
		  OPTIONS (host '$host', port '$port', dbname 'postgres',
		           extensions 'rnn_forecast', async_capable 'true');
		CREATE USER MAPPING FOR CURRENT_USER SERVER shard$i OPTIONS (user 'postgres');
	});
}

# sales: partitioned by store (the series); sales_r: the same rows partitioned by region;
# sales_local: all rows on the coordinator, the one-server reference.
# Six stores, 60 months each: a trend, a yearly season and noise from a fixed seed. The
# store names are chosen so that each shard gets three (hash partitioning of text).
$coord->safe_psql('postgres', q{
	CREATE TABLE sales (store text, region text, month date, sales float8) PARTITION BY HASH (store);
	CREATE FOREIGN TABLE sales_1 PARTITION OF sales FOR VALUES WITH (MODULUS 2, REMAINDER 0)
	  SERVER shard1 OPTIONS (table_name 'sales');
	CREATE FOREIGN TABLE sales_2 PARTITION OF sales FOR VALUES WITH (MODULUS 2, REMAINDER 1)
	  SERVER shard2 OPTIONS (table_name 'sales');

	CREATE TABLE sales_r (store text, region text, month date, sales float8) PARTITION BY HASH (region);
	CREATE FOREIGN TABLE sales_r1 PARTITION OF sales_r FOR VALUES WITH (MODULUS 2, REMAINDER 0)
	  SERVER shard1 OPTIONS (table_name 'sales_r');
	CREATE FOREIGN TABLE sales_r2 PARTITION OF sales_r FOR VALUES WITH (MODULUS 2, REMAINDER 1)
	  SERVER shard2 OPTIONS (table_name 'sales_r');

	CREATE TABLE sales_local (store text, region text, month date, sales float8);
	SELECT setseed(0.25);
	INSERT INTO sales_local
	SELECT store, region, date '2020-01-01' + make_interval(months => m),
	       round((100 + 20 * k + (0.5 + 0.1 * k) * m + (8 + k) * sin(2 * pi() * m / 12)
	              + 4 * (random() - 0.5))::numeric, 2)
	FROM (VALUES (1, 'berlin', 'north'), (2, 'lisbon', 'south'), (3, 'oslo', 'north'),
	             (4, 'rome', 'south'), (5, 'vienna', 'north'), (6, 'madrid', 'south'))
	       st(k, store, region),
	     generate_series(0, 59) m
	ORDER BY k, m;
	INSERT INTO sales SELECT * FROM sales_local;
	INSERT INTO sales_r SELECT * FROM sales_local;
});

is( $shard1->safe_psql('postgres',
		"SELECT string_agg(DISTINCT store, ',') || ' ' || count(*) FROM sales"),
	'berlin,lisbon,oslo 180',
	'shard 1 holds three stores (60 months each)');
is( $shard2->safe_psql('postgres',
		"SELECT string_agg(DISTINCT store, ',') || ' ' || count(*) FROM sales"),
	'madrid,rome,vienna 180',
	'shard 2 holds the other three');
is( $shard1->safe_psql('postgres',
		"SELECT string_agg(DISTINCT region, ',') || ' ' || count(*) FROM sales_r")
	  . ' / '
	  . $shard2->safe_psql('postgres',
		"SELECT string_agg(DISTINCT region, ',') || ' ' || count(*) FROM sales_r"),
	'north 180 / south 180',
	'partitioned by region: one region per shard');

# ------------------------------------------------------------------ helpers
my $PWA = 'SET enable_partitionwise_aggregate = on;';
my $CFG = 'rnn_config(horizon => 6, epochs => 10, seed => 1)';

sub plan_of
{
	my ($query, $settings) = @_;
	$settings = $PWA unless defined $settings;
	return $coord->safe_psql('postgres',
		"$settings EXPLAIN (VERBOSE, COSTS OFF) $query");
}

# (number of Async Foreign Scans, the Remote SQL lines)
sub plan_parts
{
	my ($plan) = @_;
	my $async = () = $plan =~ /Async Foreign Scan/g;
	my @remote = $plan =~ /Remote SQL: (.*)/g;
	return ($async, @remote);
}

# the plan pushes AGG down to both shards, concurrently
sub pushed_down_ok
{
	my ($plan, $agg, $group_by, $name) = @_;
	my ($async, @remote) = plan_parts($plan);
	is($async, 2, "$name: an Async Foreign Scan on each shard");
	is(scalar(grep { /\Q$agg\E\(/ && /GROUP BY \Q$group_by\E$/ } @remote),
		2, "$name: both shards' Remote SQL run $agg( ... GROUP BY $group_by")
	  or diag($plan);
}

# the plan fetches rows and aggregates them on the coordinator
sub not_pushed_down_ok
{
	my ($plan, $name) = @_;
	my ($async, @remote) = plan_parts($plan);
	ok(@remote >= 2 && !grep({ /rnn_train\(|rnn_backtest\(/ } @remote),
		"$name: the shards only send rows (no aggregate in the Remote SQL)")
	  or diag($plan);
	like($plan, qr/^\s*(->\s+)?(Hash|Group)?Aggregate/m,
		"$name: the coordinator aggregates");
}

# the model's bytes without the training time (bytes 133-140) and the checksum (last 4)
my $SAME_BYTES = 'md5(substr(model, 1, 132) || substr(model, 141, length(model) - 144))';

# ------------------------------------------------------------------ (a) plans
my $per_store =
  "SELECT store, rnn_train(month, sales, $CFG) AS model FROM sales GROUP BY store";
my $plan = plan_of($per_store);
pushed_down_ok($plan, 'public.rnn_train', '1', 'per-series training');
like($plan, qr/Relations: Aggregate on \(public\.sales_1 sales\)/,
	'per-series training: the aggregate over shard 1\'s partition');
note "plan of the per-series training:\n$plan";

my $per_region =
  "SELECT region, rnn_train(store, month, sales, $CFG) AS model FROM sales_r GROUP BY region";
$plan = plan_of($per_region);
pushed_down_ok($plan, 'public.rnn_train', '1',
	'global model per region, table partitioned by region');
note "plan of the global model per region:\n$plan";

$plan = plan_of(
	"SELECT region, store, rnn_train(month, sales, $CFG) FROM sales_r GROUP BY region, store");
pushed_down_ok($plan, 'public.rnn_train', '1, 2',
	'per-series training, table partitioned by region, GROUP BY region, store');

my $backtest =
  "SELECT store, rnn_backtest(month, sales, rnn_config(epochs => 10, seed => 1), 6, 2) AS b FROM sales GROUP BY store";
$plan = plan_of($backtest);
pushed_down_ok($plan, 'public.rnn_backtest', '1', 'per-series backtest');

my $backtest_region =
  "SELECT region, rnn_backtest(store, month, sales, rnn_config(epochs => 10, seed => 1), 6, 2) AS b FROM sales_r GROUP BY region";
$plan = plan_of($backtest_region);
pushed_down_ok($plan, 'public.rnn_backtest', '1', 'global backtest per region');

# what is not pushed down
$plan = plan_of(
	"SELECT region, rnn_train(store, month, sales, $CFG) FROM sales GROUP BY region");
not_pushed_down_ok($plan, 'GROUP BY region on the table partitioned by store');
note "plan of GROUP BY region on the table partitioned by store:\n$plan";

$plan = plan_of($per_store, 'SET enable_partitionwise_aggregate = off;');
not_pushed_down_ok($plan, 'enable_partitionwise_aggregate = off');

$plan = plan_of(
	"SELECT store, rnn_train(month, sales, $CFG) FROM sales WHERE month >= current_date - 3650 GROUP BY store");
not_pushed_down_ok($plan, 'a filter on current_date');
like($plan, qr/Filter: \(sales\.month >= \(CURRENT_DATE - 3650\)\)/,
	'a filter on current_date: applied on the coordinator');
note "plan with a filter on current_date:\n$plan";

$plan = plan_of(
	"SELECT store, rnn_train(month, sales, $CFG) FROM sales WHERE month >= date '2021-01-01' GROUP BY store");
pushed_down_ok($plan, 'public.rnn_train', '1', 'a filter on a constant date');
like($plan, qr/Remote SQL: .*WHERE \(\(month >= '2021-01-01'(::date)?\)\) GROUP BY 1$/m,
	'a filter on a constant date: shipped with the aggregate');

$coord->safe_psql('postgres', qq{
	CREATE TABLE models_seed AS
	SELECT store, rnn_train(month, sales, $CFG) AS model FROM sales_local GROUP BY store;
	ANALYZE models_seed;
});
my $warm =
  "SELECT s.store, rnn_train(s.month, s.sales, $CFG, m.model) AS model FROM sales s JOIN models_seed m USING (store) GROUP BY s.store, m.model";
$plan = plan_of($warm);
not_pushed_down_ok($plan, 'a warm start from a local models table');
note "plan of a warm start from a local table:\n$plan";
my $warm_rows = $coord->safe_psql('postgres',
	"$PWA SELECT count(*) FILTER (WHERE model IS NOT NULL) FROM ($warm) w");
is($warm_rows, '6', 'a warm start from a local models table trains on the coordinator');

$coord->safe_psql('postgres', 'ALTER SERVER shard1 OPTIONS (DROP extensions)');
$plan = plan_of($per_store);
my ($async_no_ext, @remote_no_ext) = plan_parts($plan);
is( scalar(grep { /rnn_train\(/ } @remote_no_ext),
	1, 'a server without the extensions option: its partition is aggregated locally');
$coord->safe_psql('postgres',
	"ALTER SERVER shard1 OPTIONS (ADD extensions 'rnn_forecast')");

# One store: pruning leaves one partition, and whether its aggregate is pushed down is a
# matter of cost estimates. Foreign tables the coordinator never analyzed: trained on the
# coordinator; after ANALYZE on the coordinator: on the shard; with use_remote_estimate the
# shard's estimate brings it back to the coordinator. Without GROUP BY the partitioned table
# is never aggregated per partition (rnn_train has no combine function).
sub remote_aggs
{
	my ($plan) = @_;
	my ($async, @remote) = plan_parts($plan);
	return scalar(grep { /rnn_train\(/ } @remote);
}
my $one_store =
  "SELECT store, rnn_train(month, sales, $CFG) FROM sales WHERE store = 'berlin' GROUP BY store";
$plan = plan_of($one_store);
is(remote_aggs($plan), 0,
	'one store, foreign tables not analyzed on the coordinator: trained on the coordinator')
  or diag($plan);
$coord->safe_psql('postgres', 'ANALYZE sales; ANALYZE sales_r;');
$plan = plan_of($one_store);
is(remote_aggs($plan), 1, 'one store, after ANALYZE on the coordinator: trained on its shard')
  or diag($plan);
note "plan of one store after ANALYZE:\n$plan";
$plan = plan_of(
	"SELECT rnn_train(month, sales, $CFG) FROM sales WHERE store = 'berlin'");
is(remote_aggs($plan), 0, 'one store without GROUP BY: trained on the coordinator')
  or diag($plan);
$coord->safe_psql('postgres',
	"ALTER SERVER shard1 OPTIONS (ADD use_remote_estimate 'true')");
$plan = plan_of($one_store);
is(remote_aggs($plan), 0, 'one store, use_remote_estimate on: trained on the coordinator')
  or diag($plan);
$coord->safe_psql('postgres', 'ALTER SERVER shard1 OPTIONS (DROP use_remote_estimate)');
pushed_down_ok(plan_of($per_store), 'public.rnn_train', '1',
	'per-series training after ANALYZE');
pushed_down_ok(plan_of($per_region), 'public.rnn_train', '1',
	'global model per region after ANALYZE');

# ------------------------------------------------------------------ (b) same models
# The coordinator's session runs in another time zone than the shards' remote sessions
# (postgres_fdw sets TimeZone GMT there): date series must not depend on it.
my $TZ = "SET TimeZone = 'Pacific/Auckland';";
$coord->safe_psql('postgres', qq{
	$PWA $TZ
	CREATE TABLE m_shards AS $per_store;
	CREATE TABLE m_one AS SELECT store, rnn_train(month, sales, $CFG) AS model FROM sales_local GROUP BY store;
	CREATE TABLE g_shards AS $per_region;
	CREATE TABLE g_one AS SELECT region, rnn_train(store, month, sales, $CFG) AS model FROM sales_local GROUP BY region;
});

my $bytes_shards = $coord->safe_psql('postgres',
	"SELECT string_agg(store || ' ' || $SAME_BYTES, ',' ORDER BY store) FROM m_shards");
my $bytes_one = $coord->safe_psql('postgres',
	"SELECT string_agg(store || ' ' || $SAME_BYTES, ',' ORDER BY store) FROM m_one");
like($bytes_shards, qr/^(\w+ [0-9a-f]{32},){5}\w+ [0-9a-f]{32}$/, 'six per-series models from the shards');
is($bytes_shards, $bytes_one,
	'per-series models from the shards: the same bytes as on one server (but the training time and checksum)');

my $forecast_sql = q{
	SELECT count(*) || E'\n' || string_agg(concat_ws(' ', store, f.step, f.ts, f.forecast, f.lower, f.upper),
	                                      E'\n' ORDER BY store, f.step)
	FROM %s, rnn_forecast(model, 6) f};
my $fc_shards = $coord->safe_psql('postgres', $TZ . sprintf($forecast_sql, 'm_shards'));
my $fc_one = $coord->safe_psql('postgres', $TZ . sprintf($forecast_sql, 'm_one'));
like($fc_shards, qr/^36\n/, 'per-series forecasts: 6 steps for 6 stores');
is($fc_shards, $fc_one, 'per-series forecasts of the shards\' models: the same rows as one server\'s');

$bytes_shards = $coord->safe_psql('postgres',
	"SELECT string_agg(region || ' ' || $SAME_BYTES, ',' ORDER BY region) FROM g_shards");
$bytes_one = $coord->safe_psql('postgres',
	"SELECT string_agg(region || ' ' || $SAME_BYTES, ',' ORDER BY region) FROM g_one");
like($bytes_shards, qr/^north [0-9a-f]{32},south [0-9a-f]{32}$/, 'a global model per region from the shards');
is($bytes_shards, $bytes_one,
	'global models from the shards: the same bytes as on one server (but the training time and checksum)');

my $global_forecast_sql = q{
	SELECT count(*) || E'\n' || string_agg(concat_ws(' ', region, s, f.step, f.ts, f.forecast, f.lower, f.upper),
	                                      E'\n' ORDER BY region, s, f.step)
	FROM %s, rnn_model_series(model) s, rnn_forecast(model, s, 6) f};
$fc_shards = $coord->safe_psql('postgres', $TZ . sprintf($global_forecast_sql, 'g_shards'));
$fc_one = $coord->safe_psql('postgres', $TZ . sprintf($global_forecast_sql, 'g_one'));
like($fc_shards, qr/^36\n/, 'global forecasts: 6 steps for 6 stores');
is($fc_shards, $fc_one, 'global forecasts of the shards\' models: the same rows as one server\'s');

# backtests: the same scores; only the training times may differ
my $scores = q{
	SELECT string_agg(key || ' ' || regexp_replace(b::text, '"training_seconds": [0-9.e+-]+', '', 'g'),
	                  E'\n' ORDER BY key)
	FROM (%s) x(key, b)};
(my $backtest_local = $backtest) =~ s/FROM sales /FROM sales_local /;
my $bt_shards = $coord->safe_psql('postgres', $PWA . sprintf($scores, $backtest));
my $bt_one = $coord->safe_psql('postgres', sprintf($scores, $backtest_local));
like($bt_shards, qr/"mase": [0-9.]+/, 'per-series backtests from the shards have scores');
is($bt_shards, $bt_one, 'per-series backtests from the shards: the same scores as on one server');
(my $backtest_region_local = $backtest_region) =~ s/FROM sales_r /FROM sales_local /;
$bt_shards = $coord->safe_psql('postgres', $PWA . sprintf($scores, $backtest_region));
$bt_one = $coord->safe_psql('postgres', sprintf($scores, $backtest_region_local));
is($bt_shards, $bt_one, 'global backtests per region from the shards: the same scores as on one server');

# ------------------------------------------------------------------ time zones
# The same rows as timestamptz (Berlin midnight on the 1st: their UTC instants are 22:00 or
# 23:00 on the last day of the month before) and as timestamp: trained on the shards, whose
# remote sessions run in GMT, from coordinator sessions in four zones, and on one server in a
# Berlin session. With time_zone => 'Europe/Berlin' every model is the same, and so are the
# forecast instants (ts) and ts_local; the date series (sales) likewise.
for my $node (@shards)
{
	$node->safe_psql('postgres',
		'CREATE TABLE sales_tz (store text, region text, ts timestamptz, lt timestamp, sales float8)');
}
$coord->safe_psql('postgres', q{
	CREATE TABLE sales_tz (store text, region text, ts timestamptz, lt timestamp, sales float8)
	  PARTITION BY HASH (store);
	CREATE FOREIGN TABLE sales_tz1 PARTITION OF sales_tz FOR VALUES WITH (MODULUS 2, REMAINDER 0)
	  SERVER shard1 OPTIONS (table_name 'sales_tz');
	CREATE FOREIGN TABLE sales_tz2 PARTITION OF sales_tz FOR VALUES WITH (MODULUS 2, REMAINDER 1)
	  SERVER shard2 OPTIONS (table_name 'sales_tz');
	CREATE TABLE sales_tz_local AS
	SELECT store, region, month::timestamp AT TIME ZONE 'Europe/Berlin' AS ts, month::timestamp AS lt, sales
	FROM sales_local;
	INSERT INTO sales_tz SELECT * FROM sales_tz_local;
	ANALYZE sales_tz;
});
my $CFG_TZ = "rnn_config(horizon => 6, epochs => 10, seed => 1, time_zone => 'Europe/Berlin')";
my %tz_query = (
	timestamptz => "SELECT store, rnn_train(ts, sales, $CFG_TZ) AS model FROM %s GROUP BY store",
	timestamp   => "SELECT store, rnn_train(lt, sales, $CFG) AS model FROM %s GROUP BY store",
	date        => "SELECT store, rnn_train(month, sales, $CFG) AS model FROM %s GROUP BY store");
my %tz_table = (timestamptz => 'sales_tz', timestamp => 'sales_tz', date => 'sales');
my %tz_local = (timestamptz => 'sales_tz_local', timestamp => 'sales_tz_local', date => 'sales_local');
pushed_down_ok(plan_of(sprintf($tz_query{timestamptz}, 'sales_tz')), 'public.rnn_train', '1',
	'timestamptz training with time_zone');
# models (their bytes but the training time and checksum), forecast instants as epochs
# (timestamptz only: ts of date and timestamp series is their wall-clock time in the
# session's zone, as a cast gives), ts_local and values, of a models table
for my $kind ('timestamptz', 'timestamp', 'date')
{
	my $instant = $kind eq 'timestamptz' ? 'extract(epoch FROM f.ts)' : 'NULL';
	my $tz_signature = qq{
		SELECT string_agg(store || ' ' || $SAME_BYTES || ' ' ||
		                  (SELECT string_agg(concat_ws('/', $instant, f.ts_local, f.forecast), ',' ORDER BY f.step)
		                   FROM rnn_forecast(model, 6) f), E'\\n' ORDER BY store)
		FROM tz_models};
	my $one = $coord->safe_psql('postgres', qq{
		SET TimeZone = 'Europe/Berlin';
		CREATE TEMP TABLE tz_models AS } . sprintf($tz_query{$kind}, $tz_local{$kind}) . qq{;
		$tz_signature});
	like($one, qr/^(\w+ [0-9a-f]{32} [^\n]+\n){5}\w+ [0-9a-f]{32} /, "$kind: six models on one server");
	for my $zone ('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata')
	{
		my $pushed = $coord->safe_psql('postgres', qq{
			$PWA SET TimeZone = '$zone';
			CREATE TEMP TABLE tz_models AS } . sprintf($tz_query{$kind}, $tz_table{$kind}) . qq{;
			$tz_signature});
		is($pushed, $one,
			"$kind, trained on the shards from a session in $zone: the models, forecast instants and ts_local of one server in Berlin");
	}
}

# ------------------------------------------------------------------ (d) wall time
# 120 epochs without early stopping: about a second per store on this class of machine
my $CFG_LONG = 'rnn_config(horizon => 6, epochs => 120, patience => 0, seed => 1)';
my %secs;
for my $round (1, 2)
{
	for my $where ('one', 'shards')
	{
		my $table = $where eq 'one' ? 'sales_local' : 'sales';
		my $t0 = time;
		$coord->safe_psql('postgres', qq{
			$PWA
			CREATE TABLE t_${where}_$round AS
			SELECT store, rnn_train(month, sales, $CFG_LONG) AS model FROM $table GROUP BY store;
		});
		my $t = time - $t0;
		$secs{$where} = $t if !defined $secs{$where} || $t < $secs{$where};
	}
}
is( $coord->safe_psql('postgres',
		"SELECT string_agg(store || ' ' || $SAME_BYTES, ',' ORDER BY store) FROM t_shards_1"),
	$coord->safe_psql('postgres',
		"SELECT string_agg(store || ' ' || $SAME_BYTES, ',' ORDER BY store) FROM t_one_1"),
	'120-epoch per-series models: the same bytes on the shards as on one server');
my $load = '';
if (open(my $fh, '<', '/proc/loadavg'))
{
	$load = '; load average ' . join(' ', (split ' ', <$fh>)[ 0 .. 2 ]);
	close $fh;
}
note sprintf(
	"per-series training, 6 stores x 60 months, 120 epochs (best of 2): one server %.2f s, "
	  . "two shards through postgres_fdw %.2f s, speed-up %.2fx%s",
	$secs{one}, $secs{shards}, $secs{one} / $secs{shards}, $load);

# ------------------------------------------------------------------ (c) cancel
# A training of 100,000 epochs without early stopping (minutes per store) through the
# coordinator; cancel the coordinator's backend once both shards are training.
# On a shard, the training runs in a postgres_fdw session whose current statement is a
# FETCH from the cursor declared over the aggregate; on the coordinator in the test's session.
my $ACTIVE_SHARD = q{
	SELECT count(*) FROM pg_stat_activity
	WHERE state = 'active' AND application_name = 'postgres_fdw' AND query LIKE 'FETCH %'};
my $ACTIVE_COORD = q{
	SELECT count(*) FROM pg_stat_activity
	WHERE state = 'active' AND application_name = 'fdw_cancel'};
my @start_offsets = map { -s $_->logfile } @shards;
my $bg = $coord->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/training starts/, qq{
SET statement_timeout = '60s';
SET application_name = 'fdw_cancel';
$PWA
\\echo training starts
SELECT store, length(rnn_train(month, sales, rnn_config(horizon => 6, epochs => 100000, patience => 0, seed => 1)))
FROM sales GROUP BY store;
});
my $t_start = time;
ok($shard1->poll_query_until('postgres', "SELECT ($ACTIVE_SHARD) = 1"),
	'cancel: shard 1 is training');
ok($shard2->poll_query_until('postgres', "SELECT ($ACTIVE_SHARD) = 1"),
	'cancel: shard 2 is training');
my $t_both = time - $t_start;
for my $i (0, 1)
{
	ok( $shards[$i]->log_contains(
			qr/DECLARE c\d+ CURSOR FOR\s+SELECT store, length\(public\.rnn_train\(/,
			$start_offsets[$i]),
		'cancel: shard ' . ($i + 1) . '\'s cursor is over the pushed-down rnn_train');
}
sleep 1;
my @log_offsets = map { -s $_->logfile } @shards;
my $coord_pid = $coord->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE application_name = 'fdw_cancel' AND state = 'active'");
like($coord_pid, qr/^\d+$/, 'cancel: the coordinator backend is running the query');

my $t_cancel = time;
$coord->safe_psql('postgres', "SELECT pg_cancel_backend($coord_pid)");
my %stopped;
while (time - $t_cancel < 30 && keys(%stopped) < 3)
{
	for my $node ($coord, @shards)
	{
		next if defined $stopped{ $node->name };
		$stopped{ $node->name } = time - $t_cancel
		  if $node->safe_psql('postgres',
			'SELECT (' . ($node == $coord ? $ACTIVE_COORD : $ACTIVE_SHARD) . ')') eq '0';
	}
	usleep(20_000);
}
my $slowest = 0;
for my $name ('shard1', 'shard2', 'coord')
{
	ok(defined $stopped{$name} && $stopped{$name} < 5,
		"cancel: no rnn_train running on $name within 5 s");
	$slowest = $stopped{$name} if defined $stopped{$name} && $stopped{$name} > $slowest;
}
$bg->query('SELECT 1');
like($bg->{stderr}, qr/canceling statement due to user request/,
	'cancel: the client gets "canceling statement due to user request"');
$bg->quit;
for my $i (0, 1)
{
	ok( $shards[$i]->log_contains(qr/canceling statement due to user request/, $log_offsets[$i]),
		"cancel: shard " . ($i + 1) . " logs the cancel postgres_fdw sent it");
}
note sprintf(
	"cancel: both shards training %.2f s after the query started; after pg_cancel_backend: "
	  . "no rnn_train on shard1 at %.0f ms, shard2 at %.0f ms, coordinator at %.0f ms "
	  . "(polled every ~20 ms plus a psql start per poll)",
	$t_both,
	map { 1000 * ($stopped{$_} // -1) } 'shard1', 'shard2', 'coord');

# ------------------------------------------------------------------ (e) settings
# One store per shard, 1,500 epochs of hidden size 64 without early stopping: several seconds
# each (5.5 s here in 0.6.0; 600 epochs of hidden 32 took 0.74 s after its faster training).
my $CFG_LIMIT = 'rnn_config(horizon => 6, epochs => 1500, hidden_size => 64, patience => 0, seed => 1';
my $limited = "SELECT store, rnn_train(month, sales, $CFG_LIMIT)) AS model FROM %s WHERE store IN (%s) GROUP BY store";
my $secs_sql = q{
	SELECT string_agg(store || ' ' || ((rnn_model_info(model)->'training'->>'training_seconds')::float8 > 1),
	                  ',' ORDER BY store)
	FROM (%s) x};
my $LIMIT1 = 'SET rnn_forecast.max_training_seconds = 1;';
my $LIMIT_MSG = qr/rnn_train: training took longer than rnn_forecast\.max_training_seconds \(1 s\)/;

my ($ret, $out, $err) = $coord->psql('postgres',
	"$PWA $LIMIT1 " . sprintf($secs_sql, sprintf($limited, 'sales', "'berlin', 'rome'")));
is($out, 'berlin true,rome true',
	'SET max_training_seconds = 1 on the coordinator: the shards train longer than 1 s')
  or diag($err);
($ret, $out, $err) = $coord->psql('postgres',
	"$LIMIT1 " . sprintf($limited, 'sales_local', "'berlin'"));
like($err, $LIMIT_MSG, 'the same SET stops the same training on the coordinator itself');

$shard1->safe_psql('postgres',
	'ALTER ROLE postgres SET rnn_forecast.max_training_seconds = 1');
$shard2->safe_psql('postgres',
	'ALTER DATABASE postgres SET rnn_forecast.max_training_seconds = 1');
# new coordinator sessions open new connections to the shards, which read the settings
for my $case ([ "'berlin'", 'shard 1 (ALTER ROLE ... SET)' ],
	[ "'rome'", 'shard 2 (ALTER DATABASE ... SET)' ])
{
	my $t0 = time;
	($ret, $out, $err) = $coord->psql('postgres',
		"$PWA " . sprintf($limited, 'sales', $case->[0]));
	like($err, $LIMIT_MSG, "max_training_seconds = 1 set on $case->[1] stops the pushed-down training");
	note sprintf("%s: the error after %.2f s", $case->[1], time - $t0);
}

# on_error => 'null': each shard returns NULL for its store; the client sees no WARNING
my $coord_log_offset = -s $coord->logfile;
@log_offsets = map { -s $_->logfile } @shards;
($ret, $out, $err) = $coord->psql('postgres',
	"$PWA SELECT string_agg(store || ' ' || (model IS NULL), ',' ORDER BY store) FROM ("
	  . "SELECT store, rnn_train(month, sales, $CFG_LIMIT, on_error => 'null')) AS model "
	  . "FROM sales WHERE store IN ('berlin', 'rome') GROUP BY store) x");
is($out, 'berlin true,rome true',
	"on_error => 'null' under the shards' limit: NULL models for both stores");
unlike($err, qr/WARNING/, "on_error => 'null' through postgres_fdw: the shards' WARNINGs do not reach the client");
for my $i (0, 1)
{
	ok( $shards[$i]->log_contains(qr/WARNING:  rnn_train: NULL for a group that cannot be trained/,
			$log_offsets[$i]),
		"on_error => 'null': shard " . ($i + 1) . " logs its WARNING");
}

# postgres_fdw installs no notice receiver: libpq prints the remote WARNINGs to the
# coordinator backend's stderr, which is the coordinator's server log here
ok( $coord->log_contains(
		qr/^WARNING:  rnn_train: NULL for a group that cannot be trained: training took longer/m,
		$coord_log_offset),
	"on_error => 'null' through postgres_fdw: the WARNINGs land in the coordinator's server log");

$shard1->safe_psql('postgres', 'ALTER ROLE postgres RESET rnn_forecast.max_training_seconds');
$shard2->safe_psql('postgres', 'ALTER DATABASE postgres RESET rnn_forecast.max_training_seconds');

done_testing();
