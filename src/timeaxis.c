/*
 * timeaxis.c
 *	  The time axis of a series: timestamps as integer keys, calendar-month
 *	  detection, the default seasonal period, future timestamps and text.
 *
 * Keys: microseconds for timestamp and timestamptz, days for date, the
 * value itself for bigint.  Series whose rows all fall on the same day of
 * the month (at most the 28th) at the same time of day, or all on the last
 * day of their month, at least 28 days apart, are monthly: their keys
 * become month numbers and forecasts step in calendar months.
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "rnn_pg.h"
#include "rnn_calendar.h"

/*
 * The zone whose calendar a model's timestamptz axis follows: the one it
 * recorded (format 4), else the session's (models of earlier formats were
 * made and read that way).
 */
pg_tz *
rnn_model_tz(const RnnModel *m)
{
	pg_tz	   *tz;

	if (m->time_zone[0] == '\0')
		return session_timezone;
	tz = pg_tzset(m->time_zone);
	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model's time zone \"%s\" is not known to this server", m->time_zone),
				 errdetail("The model continues the calendar of the time zone it was trained in."),
				 errhint("Install the same time zone data as on the server that trained it.")));
	return tz;
}

/*
 * The zone a training reads timestamptz rows in: time_zone of the
 * configuration, else the session's TimeZone; its name goes to name_out
 * (RNN_MAX_ZONE_NAME + 1 bytes).
 */
pg_tz *
rnn_training_tz(const char *configured, char *name_out)
{
	const char *name = configured && configured[0] ? configured : pg_get_timezone_name(session_timezone);
	pg_tz	   *tz = pg_tzset(name);

	if (tz == NULL || strlen(name) > RNN_MAX_ZONE_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown time zone \"%s\"", name),
				 errhint("Use a name from pg_timezone_names, e.g. 'Europe/Berlin' or 'UTC'.")));
	/* (rnn_config refuses them as time_zone) */
	if (rnn_zone_is_servers_own(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the session's TimeZone '%s' is this server's own setting", name),
				 errdetail("A model records the zone its calendar continues in; '%s' is another zone on another server.", name),
				 errhint("Set time_zone in rnn_config to the rows' zone, e.g. 'Europe/Berlin'.")));
	strlcpy(name_out, name, RNN_MAX_ZONE_NAME + 1);
	return tz;
}

/*
 * Whether a zone name is whatever zone this server's files point it to
 * (localtime, posixrules: Debian lists both in pg_timezone_names), so that
 * a model recording it would continue its calendar in another zone on
 * another server.
 */
bool
rnn_zone_is_servers_own(const char *name)
{
	return pg_strcasecmp(name, "localtime") == 0 || pg_strcasecmp(name, "posixrules") == 0;
}

/* Broken-down time of a key (timestamptz in zone tz); false when out of range. */
static bool
key_to_tm(int ts_kind, int64 key, struct pg_tm *tm, fsec_t *fsec, pg_tz *tz)
{
	int			off;

	*fsec = 0;
	memset(tm, 0, sizeof(*tm));
	switch (ts_kind)
	{
		case RNN_TS_DATE:
			if (key < INT32_MIN || key > INT32_MAX || DATE_NOT_FINITE((DateADT) key))
				return false;
			j2date((int) key + POSTGRES_EPOCH_JDATE, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
			return true;
		case RNN_TS_TIMESTAMP:
			return !TIMESTAMP_NOT_FINITE(key) && timestamp2tm(key, NULL, tm, fsec, NULL, NULL) == 0;
		case RNN_TS_TIMESTAMPTZ:
			return !TIMESTAMP_NOT_FINITE(key) && timestamp2tm(key, &off, tm, fsec, NULL, tz) == 0;
	}
	return false;
}

/* The wall-clock time in zone tz of an instant, as a timestamp; false out of range. */
static bool
utc_to_local(int64 utc, pg_tz *tz, int64 *local)
{
	struct pg_tm tm;
	fsec_t		fsec;
	Timestamp	t;

	if (!key_to_tm(RNN_TS_TIMESTAMPTZ, utc, &tm, &fsec, tz) || tm2timestamp(&tm, fsec, NULL, &t) != 0)
		return false;
	*local = t;
	return true;
}

/*
 * The instant of a wall-clock time in zone tz (a time that a DST change
 * skips or repeats resolves as PostgreSQL's timestamp -> timestamptz does).
 */
static bool
local_to_utc(int64 local, pg_tz *tz, int64 *utc)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			off;
	TimestampTz t;

	if (TIMESTAMP_NOT_FINITE(local) || timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		return false;
	off = DetermineTimeZoneOffset(&tm, tz);
	if (tm2timestamp(&tm, fsec, &off, &t) != 0 || !IS_VALID_TIMESTAMP(t))
		return false;
	*utc = t;
	return true;
}

static int
days_in_month(int year, int mon)
{
	return day_tab[isleap(year)][mon - 1];
}

/*
 * Sort n keys ascending, in place.  Ascending input is found in one pass
 * and descending input reversed; anything else takes a bottom-up merge
 * sort through a scratch array, O(n log n) and cancellable: n can be as
 * large as RNN_MAX_ROWS.
 */
static void
sort_keys(int64 *a, size_t n)
{
	bool		ascending = true;
	bool		descending = true;
	int64	   *src;
	int64	   *dst;

	for (size_t i = 1; i < n && (ascending || descending); i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (a[i - 1] > a[i])
			ascending = false;
		else if (a[i - 1] < a[i])
			descending = false;
	}
	if (ascending)
		return;
	if (descending)
	{
		for (size_t i = 0, j = n - 1; i < j; i++, j--)
		{
			int64		t = a[i];

			a[i] = a[j];
			a[j] = t;
		}
		return;
	}
	src = a;
	dst = palloc(sizeof(int64) * n);
	for (size_t width = 1; width < n; width *= 2)
	{
		size_t		k = 0;

		/* merge the sorted runs [lo, mid) and [mid, hi) of src into dst */
		for (size_t lo = 0; lo < n; lo += 2 * width)
		{
			size_t		mid = Min(lo + width, n);
			size_t		hi = Min(lo + 2 * width, n);
			size_t		i = lo;
			size_t		j = mid;

			while (k < hi)
			{
				if ((k & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				if (j >= hi || (i < mid && src[i] <= src[j]))
					dst[k++] = src[i++];
				else
					dst[k++] = src[j++];
			}
		}
		{
			int64	   *t = src;

			src = dst;
			dst = t;
		}
	}
	if (src != a)
	{
		memcpy(a, src, sizeof(int64) * n);
		pfree(src);
	}
	else
		pfree(dst);
}

/*
 * The keys as month numbers (year * 12 + month - 1), a new array, when the
 * rows are month-aligned as described above; NULL if not (decided at the
 * first row that is neither on the first row's day of the month nor on the
 * last day of its month, so hourly or daily rows cost a few rows).
 */
int64 *
rnn_keys_to_months(int ts_kind, const int64 *keys, size_t n, pg_tz *tz, bool *month_end)
{
	struct pg_tm tm0;
	fsec_t		fsec0;
	bool		last_day = true;
	bool		same_day = true;
	int64	   *months;
	int64		min_gap = PG_INT64_MAX;

	if (ts_kind != RNN_TS_DATE && ts_kind != RNN_TS_TIMESTAMP && ts_kind != RNN_TS_TIMESTAMPTZ)
		return NULL;
	if (n < 2 || !key_to_tm(ts_kind, keys[0], &tm0, &fsec0, tz))
		return NULL;
	months = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < n; i++)
	{
		struct pg_tm tm;
		fsec_t		fsec;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!key_to_tm(ts_kind, keys[i], &tm, &fsec, tz))
		{
			pfree(months);
			return NULL;
		}
		if (tm.tm_hour != tm0.tm_hour || tm.tm_min != tm0.tm_min ||
			tm.tm_sec != tm0.tm_sec || fsec != fsec0)
		{
			pfree(months);
			return NULL;
		}
		if (tm.tm_mday != tm0.tm_mday || tm0.tm_mday > 28)
			same_day = false;
		if (tm.tm_mday != days_in_month(tm.tm_year, tm.tm_mon))
			last_day = false;
		if (!same_day && !last_day)
		{
			pfree(months);
			return NULL;
		}
		months[i] = (int64) tm.tm_year * 12 + tm.tm_mon - 1;
	}
	/* not month-aligned: no need to look at the gaps */
	if (!same_day && !last_day)
	{
		pfree(months);
		return NULL;
	}
	/*
	 * rows must be at least 28 days apart (keys may be unsorted); timestamptz
	 * rows 27 in absolute time, as the same local day a month later is 28
	 * days less a change of the zone's offset in between (the 15th of
	 * February to the 15th of March across New York's spring change: 28 days
	 * less an hour)
	 */
	{
		int64	   *sorted = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
		int64		unit = ts_kind == RNN_TS_DATE ? 1 : USECS_PER_DAY;
		int64		least = (ts_kind == RNN_TS_TIMESTAMPTZ ? 27 : 28) * unit;

		memcpy(sorted, keys, sizeof(int64) * n);
		sort_keys(sorted, n);
		for (size_t i = 1; i < n; i++)
			if (sorted[i] - sorted[i - 1] < min_gap)
				min_gap = sorted[i] - sorted[i - 1];
		pfree(sorted);
		if (min_gap < least)
			same_day = last_day = false;
	}
	if (!same_day && !last_day)
	{
		pfree(months);
		return NULL;
	}
	/* on month ends, unless every row is also on the first's day (28 February every year) */
	*month_end = last_day && !same_day;
	return months;
}

/*
 * A key's day of the month (in tm) and its time of day in microseconds
 * (in *tod), in zone tz for timestamptz; false when out of range.
 */
static bool
key_day_and_time(int ts_kind, int64 key, pg_tz *tz, struct pg_tm *tm, int64 *tod)
{
	fsec_t		fsec;

	if (!key_to_tm(ts_kind, key, tm, &fsec, tz))
		return false;
	*tod = ((int64) (tm->tm_hour * 60 + tm->tm_min) * 60 + tm->tm_sec) * USECS_PER_SEC + fsec;
	return true;
}

/*
 * Whether rows that are not month-aligned are, but for a few: at least 90%
 * of them on one day of the month (or on month ends) at one time of day.
 * Then *bad_key is the earliest of the others, which the training names
 * as off the grid (as for a daily series with one row at noon), instead
 * of calling the whole series too irregular.  A majority vote, then one
 * pass that counts both grids and keeps the earliest row off each.
 */
bool
rnn_keys_month_strays(int ts_kind, const int64 *keys, size_t n, pg_tz *tz, int64 *bad_key)
{
	int64		cand = 0,
				tod,
				off_day = 0,
				off_end = 0;
	size_t		votes = 0,
				on_day = 0,
				on_end = 0;
	bool		any_off_day = false,
				any_off_end = false;

	if ((ts_kind != RNN_TS_DATE && ts_kind != RNN_TS_TIMESTAMP && ts_kind != RNN_TS_TIMESTAMPTZ) ||
		n < 10)
		return false;
	/* the commonest (day of month, time of day), by majority vote */
	for (size_t i = 0; i < n; i++)
	{
		struct pg_tm tm;
		int64		t,
					code;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!key_day_and_time(ts_kind, keys[i], tz, &tm, &t))
			return false;
		code = (int64) tm.tm_mday * USECS_PER_DAY + t;
		if (votes == 0)
		{
			cand = code;
			votes = 1;
		}
		else
			votes += code == cand ? 1 : -1;
	}
	tod = cand % USECS_PER_DAY;
	/* the rows on that day, and on month ends, at that time of day; the earliest off each */
	for (size_t i = 0; i < n; i++)
	{
		struct pg_tm tm;
		int64		t = 0;
		bool		day,
					end;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		(void) key_day_and_time(ts_kind, keys[i], tz, &tm, &t);
		day = t == tod && (int64) tm.tm_mday * USECS_PER_DAY + t == cand;
		end = t == tod && tm.tm_mday == days_in_month(tm.tm_year, tm.tm_mon);
		on_day += day;
		on_end += end;
		if (!day && (!any_off_day || keys[i] < off_day))
		{
			off_day = keys[i];
			any_off_day = true;
		}
		if (!end && (!any_off_end || keys[i] < off_end))
		{
			off_end = keys[i];
			any_off_end = true;
		}
	}
	if ((double) Max(on_day, on_end) < 0.9 * (double) n || Max(on_day, on_end) == n)
		return false;
	*bad_key = on_end > on_day ? off_end : off_day;
	return true;
}

/* The time of day of a wall-clock time (microseconds since its midnight). */
static int64
time_of_day(int64 local)
{
	int64		r = local % USECS_PER_DAY;

	return r < 0 ? r + USECS_PER_DAY : r;
}

/*
 * Instant utc, whose wall-clock time in zone tz is l, at time of day tod on
 * its day: l is, or the zone skips that day's tod and resolves it to utc (a
 * DST change at midnight, as in Chile or Cuba, where PostgreSQL puts that
 * day's midnight at 01:00); *local is then that day's tod.
 */
static bool
at_time_of_day(int64 utc, int64 l, pg_tz *tz, int64 tod, int64 *local)
{
	int64		want = l - time_of_day(l) + tod,
				back;

	if (l != want && !(local_to_utc(want, tz, &back) && back == utc))
		return false;
	*local = want;
	return true;
}

/*
 * The wall-clock time in zone tz of instant utc on a grid of local days at
 * time of day tod (at_time_of_day); false when utc is at another time of
 * its day.
 */
static bool
local_on_grid(int64 utc, pg_tz *tz, int64 tod, int64 *local)
{
	int64		l;

	return utc_to_local(utc, tz, &l) && at_time_of_day(utc, l, tz, tod, local);
}

/*
 * The wall-clock time in zone tz of a row of a grid of local days, utc:
 * its own, or that day's midnight when the zone skips it and resolves it
 * to utc (at_time_of_day): a row or a model's last row on such a day
 * stands for the day's midnight, the usual time of such grids.
 */
static bool
utc_to_grid_local(int64 utc, pg_tz *tz, int64 *local)
{
	int64		l;

	if (!utc_to_local(utc, tz, &l))
		return false;
	if (!at_time_of_day(utc, l, tz, 0, local))
		*local = l;
	return true;
}

/*
 * The timestamptz keys as wall-clock times in zone tz, a new array, when
 * every row has the same time of day there (daily or weekly rows at local
 * midnight, across DST changes, a day whose midnight the zone skips among
 * them: local_on_grid): their grid is one of local days.  The time of day
 * is the first row's (utc_to_grid_local: midnight for such a day's first
 * instant), or the second's.  NULL
 * otherwise: hourly rows stay on absolute time.
 */
int64 *
rnn_keys_to_local_days(const int64 *keys, size_t n, pg_tz *tz)
{
	int64	   *local;

	if (n < 2)
		return NULL;
	local = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	for (int first = 0; first < 2; first++)
	{
		int64		tod;
		size_t		i;

		if (!utc_to_grid_local(keys[first], tz, &tod))
			break;
		tod = time_of_day(tod);
		for (i = 0; i < n; i++)
		{
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (!local_on_grid(keys[i], tz, tod, &local[i]))
				break;
		}
		if (i == n)
			return local;
	}
	pfree(local);
	return NULL;
}

/*
 * The step of timestamptz rows in zone tz's wall-clock time, when they lie
 * on one there and a DST change moved them in absolute time: the commonest
 * distance between neighbours in local time, every distance a multiple of
 * it, and some pair a different distance apart in absolute time.  0
 * otherwise (rows regular in absolute time, irregular ones, or two rows
 * at one wall-clock time).  Rows at fixed local times across a change
 * (every 6 hours at 00, 06, 12 and 18 in Berlin) are off the absolute grid,
 * or on one of the hour the change moves them by: the training refuses
 * them, and says so.
 */
int64
rnn_keys_local_step(const int64 *keys, size_t n, pg_tz *tz)
{
	int64	   *abs_keys = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
	int64		d = 0,
				step = 0;
	size_t		votes = 0;
	bool		moved = false;

	memcpy(abs_keys, keys, sizeof(int64) * n);
	sort_keys(abs_keys, n);
	/* the commonest local distance between neighbours (majority vote) */
	for (int pass = 0; pass < 2; pass++)
	{
		int64		prev = 0;

		for (size_t i = 0; i < n; i++)
		{
			int64		local,
						dist;

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (!utc_to_local(abs_keys[i], tz, &local))
			{
				pfree(abs_keys);
				return 0;
			}
			dist = local - prev;
			prev = local;
			if (i == 0)
				continue;
			if (dist <= 0)
			{
				pfree(abs_keys);
				return 0;
			}
			if (pass == 0)
			{
				if (votes == 0)
				{
					d = dist;
					votes = 1;
				}
				else
					votes += dist == d ? 1 : -1;
				moved |= dist != abs_keys[i] - abs_keys[i - 1];
			}
			else if (dist % d != 0)
			{
				pfree(abs_keys);
				return 0;
			}
		}
		/* rows no change moved (a zone without DST, or none in their span) */
		if (!moved)
			break;
	}
	step = moved ? d : 0;
	pfree(abs_keys);
	return step;
}

/* Add months to a broken-down time, clamping (or snapping to month end). */
/*
 * Whether a month axis continues on month ends from its last row (tm): the
 * model says so (since format 11's month_end flag), or that row is a last
 * day after the 28th, the only evidence older models keep (their month-end
 * series ending on 28 February went on on the 28th).
 */
static bool
model_month_end(const RnnModel *m, const struct pg_tm *tm)
{
	return m->month_end ||
		(tm->tm_mday > 28 && tm->tm_mday == days_in_month(tm->tm_year, tm->tm_mon));
}

/*
 * Whether a model that says its axis is on month ends (m->month_end) has
 * its last row, and each series its own, on the last day of its month (an
 * imported model may say otherwise); true for other models.
 */
bool
rnn_axis_month_ends_hold(const RnnModel *m)
{
	pg_tz	   *tz = m->ts_kind == RNN_TS_TIMESTAMPTZ ? rnn_model_tz(m) : NULL;

	for (int32 k = -1; k < m->n_series; k++)
	{
		bool		flag = k < 0 ? m->month_end : m->series[k].month_end;
		int64		last = k < 0 ? m->last_ts : m->series[k].last_ts;
		struct pg_tm tm;
		fsec_t		fsec;

		if (!flag)
			continue;
		if (!key_to_tm(m->ts_kind, last, &tm, &fsec, tz) ||
			tm.tm_mday != days_in_month(tm.tm_year, tm.tm_mon))
			return false;
	}
	return true;
}

static void
tm_add_months(struct pg_tm *tm, int64 months, bool month_end)
{
	int64		idx = (int64) tm->tm_year * 12 + (tm->tm_mon - 1) + months;
	int			dim;

	tm->tm_year = (int) (idx >= 0 ? idx / 12 : -((-idx + 11) / 12));
	tm->tm_mon = (int) (idx - (int64) tm->tm_year * 12) + 1;
	dim = days_in_month(tm->tm_year, tm->tm_mon);
	if (month_end || tm->tm_mday > dim)
		tm->tm_mday = dim;
}

static void
time_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("forecast timestamp out of range")));
}

bool
rnn_key_after(const RnnModel *m, int64 steps, int64 *key)
{
	int64		delta;

	if (m->step_kind == RNN_STEP_LOCAL_DAYS)
	{
		pg_tz	   *tz = rnn_model_tz(m);
		int64		local;

		return utc_to_grid_local(m->last_ts, tz, &local) &&
			!pg_mul_s64_overflow(m->step, steps, &delta) &&
			!pg_add_s64_overflow(local, delta, &local) &&
			local_to_utc(local, tz, key);
	}
	return !pg_mul_s64_overflow(m->step, steps, &delta) &&
		!pg_add_s64_overflow(m->last_ts, delta, key);
}

/*
 * The point step_ahead steps after the model's last training row: its
 * wall-clock time in the series' own calendar (the date at midnight, the
 * timestamp, or the time in the model's zone) and, for timestamptz
 * models, its instant.  Calendar steps are continued in the model's zone,
 * never the session's.
 */
static void
future_point(const RnnModel *m, int step_ahead, int64 *utc, Timestamp *local)
{
	pg_tz	   *tz = m->ts_kind == RNN_TS_TIMESTAMPTZ ? rnn_model_tz(m) : NULL;
	int64		key;

	*utc = 0;
	if (m->step_kind == RNN_STEP_MONTHS)
	{
		struct pg_tm tm;
		fsec_t		fsec;
		bool		month_end;
		int64		delta;

		if (pg_mul_s64_overflow(m->step, step_ahead, &delta) ||
			!key_to_tm(m->ts_kind, m->last_ts, &tm, &fsec, tz) || delta > 12 * 100000 ||
			delta < -12 * 100000)
			time_overflow();
		month_end = model_month_end(m, &tm);
		tm_add_months(&tm, delta, month_end);
		if (!IS_VALID_JULIAN(tm.tm_year, tm.tm_mon, tm.tm_mday) ||
			tm2timestamp(&tm, fsec, NULL, local) != 0 || !IS_VALID_TIMESTAMP(*local))
			time_overflow();
		if (m->ts_kind == RNN_TS_TIMESTAMPTZ && !local_to_utc(*local, tz, utc))
			time_overflow();
		return;
	}
	if (!rnn_key_after(m, step_ahead, &key))
		time_overflow();
	switch (m->ts_kind)
	{
		case RNN_TS_DATE:
			if (key < INT32_MIN || key > INT32_MAX || !IS_VALID_DATE(key) ||
				pg_mul_s64_overflow(key, USECS_PER_DAY, local) || !IS_VALID_TIMESTAMP(*local))
				time_overflow();
			break;
		case RNN_TS_TIMESTAMP:
			if (!IS_VALID_TIMESTAMP(key))
				time_overflow();
			*local = key;
			break;
		default:
			if (!IS_VALID_TIMESTAMP(key) || !utc_to_local(key, tz, local) || !IS_VALID_TIMESTAMP(*local))
				time_overflow();
			*utc = key;
			break;
	}
}

/* The calendar features a model's time axis makes meaningful (rnn_calendar_bits). */
int
rnn_axis_calendar_bits(const RnnModel *m)
{
	switch (m->ts_kind)
	{
		case RNN_TS_DATE:
			if (m->step_kind == RNN_STEP_MONTHS)
				return rnn_calendar_bits(0, m->step);
			return m->step < 366 ? rnn_calendar_bits(m->step * USECS_PER_DAY, 0) : 0;
		case RNN_TS_TIMESTAMP:
		case RNN_TS_TIMESTAMPTZ:
			if (m->step_kind == RNN_STEP_MONTHS)
				return rnn_calendar_bits(0, m->step);
			return rnn_calendar_bits(m->step, 0);
	}
	return 0;
}

/*
 * The calendar features (m->calendar) of the count points first, first +
 * 1, ... steps after the model's last training row (0: that row; negative:
 * earlier rows), in the series' own calendar: row i's at out[i * stride +
 * col ..].
 */
void
rnn_calendar_rows(const RnnModel *m, int64 first, size_t count, double *out, int stride, int col)
{
	for (size_t i = 0; i < count; i++)
	{
		int64		utc;
		Timestamp	local;
		struct pg_tm tm;
		fsec_t		fsec;
		RnnCivilTime t;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (first + (int64) i < INT_MIN || first + (int64) i > INT_MAX)
			time_overflow();
		future_point(m, (int) (first + (int64) i), &utc, &local);
		if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
			time_overflow();
		t.year = tm.tm_year;
		t.month = tm.tm_mon;
		t.day = tm.tm_mday;
		t.seconds = tm.tm_hour * 3600.0 + tm.tm_min * 60.0 + tm.tm_sec + fsec / 1e6;
		rnn_calendar_features(m->calendar, &t, out + i * stride + col);
	}
}

/*
 * The timestamp step_ahead steps after the model's last training row, as
 * timestamptz (date and timestamp series: their wall-clock time in the
 * session's TimeZone, as a cast would give); *isnull for models without
 * calendar timestamps.
 */
Datum
rnn_future_timestamptz(const RnnModel *m, int step_ahead, bool *isnull)
{
	int64		utc;
	Timestamp	local;

	*isnull = m->ts_kind == RNN_TS_NONE || m->ts_kind == RNN_TS_BIGINT;
	if (*isnull)
		return (Datum) 0;
	future_point(m, step_ahead, &utc, &local);
	if (m->ts_kind == RNN_TS_TIMESTAMPTZ)
		return TimestampTzGetDatum(utc);
	return DirectFunctionCall1(timestamp_timestamptz, TimestampGetDatum(local));
}

/*
 * The same point as a timestamp in the series' own calendar (ts_local):
 * independent of the session's TimeZone.
 */
Datum
rnn_future_local(const RnnModel *m, int step_ahead, bool *isnull)
{
	int64		utc;
	Timestamp	local;

	*isnull = m->ts_kind == RNN_TS_NONE || m->ts_kind == RNN_TS_BIGINT;
	if (*isnull)
		return (Datum) 0;
	future_point(m, step_ahead, &utc, &local);
	return TimestampGetDatum(local);
}

/*
 * The point `offset` steps after the model's last training row (offset <= 0
 * for training points) as text for messages: its timestamp, or for rows
 * without timestamps its row number, counting from the first row given
 * (rows without a value before the first value included).
 */
/* the key of the point offset steps after the model's last training row (a calendar axis) */
static int64
point_key(const RnnModel *m, int64 offset)
{
	int64		key;

	if (m->step_kind == RNN_STEP_MONTHS)
	{
		int64		utc;
		Timestamp	local;

		if (offset < PG_INT32_MIN || offset > PG_INT32_MAX)
			time_overflow();
		future_point(m, (int) offset, &utc, &local);
		return m->ts_kind == RNN_TS_DATE ? local / USECS_PER_DAY :
			m->ts_kind == RNN_TS_TIMESTAMP ? local : utc;
	}
	if (!rnn_key_after(m, offset, &key))
		time_overflow();
	return key;
}

char *
rnn_point_text(const RnnModel *m, int64 offset)
{
	if (m->ts_kind == RNN_TS_NONE)
		return psprintf("row " INT64_FORMAT, m->last_ts + 1 + offset);
	return rnn_key_to_text(m->ts_kind, point_key(m, offset));
}

char *
rnn_point_iso(const RnnModel *m, int64 offset)
{
	int64		key;
	char		buf[MAXDATELEN + 1];

	if (m->ts_kind != RNN_TS_DATE && m->ts_kind != RNN_TS_TIMESTAMP && m->ts_kind != RNN_TS_TIMESTAMPTZ)
		return rnn_point_text(m, offset);
	key = point_key(m, offset);
	if (m->ts_kind == RNN_TS_DATE)
	{
		if (key < INT32_MIN || key > INT32_MAX)
			time_overflow();
		return pstrdup(JsonEncodeDateTime(buf, DateADTGetDatum((DateADT) key), DATEOID, NULL));
	}
	if (!IS_VALID_TIMESTAMP(key))
		time_overflow();
	return pstrdup(JsonEncodeDateTime(buf, Int64GetDatum(key),
									  m->ts_kind == RNN_TS_TIMESTAMP ? TIMESTAMPOID : TIMESTAMPTZOID, NULL));
}

/* The step as text: "1 mon", "7 days", "01:00:00", or a number. */
char *
rnn_step_text(const RnnModel *m)
{
	if (m->step_kind == RNN_STEP_MONTHS)
		return psprintf(INT64_FORMAT " mon", m->step);
	if (m->ts_kind == RNN_TS_DATE)
		return psprintf(INT64_FORMAT " days", m->step);
	if (m->step_kind == RNN_STEP_LOCAL_DAYS)
		return psprintf(INT64_FORMAT " days", m->step / USECS_PER_DAY);
	if (m->ts_kind == RNN_TS_TIMESTAMP || m->ts_kind == RNN_TS_TIMESTAMPTZ)
	{
		Interval	iv;

		memset(&iv, 0, sizeof(iv));
		iv.time = m->step;
		return DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(&iv)));
	}
	return psprintf(INT64_FORMAT, m->step);
}

/* The SQL type of a timestamp kind ("none" for rows in ORDER BY order). */
const char *
rnn_ts_kind_name(int ts_kind)
{
	switch (ts_kind)
	{
		case RNN_TS_BIGINT:
			return "bigint";
		case RNN_TS_TIMESTAMPTZ:
			return "timestamptz";
		case RNN_TS_TIMESTAMP:
			return "timestamp";
		case RNN_TS_DATE:
			return "date";
	}
	return "none";
}

/* A key in its own type's text form, for messages and model info. */
char *
rnn_key_to_text(int ts_kind, int64 key)
{
	switch (ts_kind)
	{
		case RNN_TS_DATE:
			if (key >= INT32_MIN && key <= INT32_MAX)
				return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum((DateADT) key)));
			break;
		case RNN_TS_TIMESTAMP:
			if (IS_VALID_TIMESTAMP(key))
				return DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(key)));
			break;
		case RNN_TS_TIMESTAMPTZ:
			if (IS_VALID_TIMESTAMP(key))
				return DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(key)));
			break;
		case RNN_TS_BIGINT:
			return psprintf(INT64_FORMAT, key);
		default:
			return psprintf("row " INT64_FORMAT, key + 1);
	}
	return psprintf(INT64_FORMAT, key);
}

/*
 * Timestamps of ts_kind can be placed on the model's time axis (bigint step
 * numbers for a model trained without timestamps); else an error, prefixed
 * with fname when given.
 */
void
rnn_check_ts_kind(const RnnModel *m, int ts_kind, const char *fname)
{
	const char *pre;

	if (ts_kind == m->ts_kind || (m->ts_kind == RNN_TS_NONE && ts_kind == RNN_TS_BIGINT))
		return;
	pre = fname ? psprintf("%s: ", fname) : "";
	if (m->ts_kind == RNN_TS_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%sthe timestamps are of type %s, but the model was trained on rows without timestamps",
						pre, rnn_ts_kind_name(ts_kind)),
				 errhint("Pass bigint step numbers: 1 is the first step after the training rows.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("%sthe timestamps are of type %s, but the model was trained on %s timestamps",
					pre, rnn_ts_kind_name(ts_kind), rnn_ts_kind_name(m->ts_kind)),
			 errhint("Cast them to the model's type, e.g. ts::%s.", rnn_ts_kind_name(m->ts_kind))));
}

/*
 * Where a key lies on the model's time grid: *steps after its last training
 * row (0: that row, negative: earlier points; for a model trained without
 * timestamps the key is itself the step, 1 the first after the training
 * rows).  False when the key is off the grid.  An error when it is of
 * another type than the model's, prefixed with fname when given.
 */
bool
rnn_steps_from_last(const RnnModel *m, int ts_kind, int64 key, int64 *steps, const char *fname)
{
	int64		diff;

	rnn_check_ts_kind(m, ts_kind, fname);
	if (m->ts_kind == RNN_TS_NONE)
		diff = key;
	else if (m->step_kind == RNN_STEP_MONTHS)
	{
		struct pg_tm a,
					b;
		fsec_t		fa,
					fb;
		pg_tz	   *tz = m->ts_kind == RNN_TS_TIMESTAMPTZ ? rnn_model_tz(m) : NULL;

		if (!key_to_tm(m->ts_kind, m->last_ts, &a, &fa, tz) || !key_to_tm(ts_kind, key, &b, &fb, tz))
			time_overflow();
		diff = ((int64) b.tm_year * 12 + b.tm_mon) - ((int64) a.tm_year * 12 + a.tm_mon);
		if (diff % m->step != 0)
			return false;
		else
		{
			/* the day and time must be those of the grid point in that month */
			bool		month_end = model_month_end(m, &a);

			tm_add_months(&a, diff, month_end);
			if (a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour || a.tm_min != b.tm_min ||
				a.tm_sec != b.tm_sec || fa != fb)
				return false;
			diff /= m->step;
		}
	}
	else
	{
		int64		a = m->last_ts,
					b = key;

		/* a grid of local days: compare wall-clock times in the model's zone */
		if (m->step_kind == RNN_STEP_LOCAL_DAYS)
		{
			pg_tz	   *tz = rnn_model_tz(m);

			if (!utc_to_grid_local(m->last_ts, tz, &a))
				time_overflow();
			/* on the grid's time of day, a day whose midnight the zone skips included */
			if (!local_on_grid(key, tz, time_of_day(a), &b) && !utc_to_local(key, tz, &b))
				time_overflow();
		}
		if (pg_sub_s64_overflow(b, a, &diff) || diff % m->step != 0)
			return false;
		diff /= m->step;
	}
	*steps = diff;
	return true;
}

/*
 * How many steps after the model's last training row a key lies; 0 when it
 * is at or before that row (in the training period); an error when it is a
 * later key off the model's grid, or of another type.
 */
int
rnn_steps_after(const RnnModel *m, int ts_kind, int64 key, const char *fname)
{
	int64		diff;
	bool		on_grid = rnn_steps_from_last(m, ts_kind, key, &diff, fname);

	/* at or before the last training row: the caller may skip it */
	if (m->ts_kind == RNN_TS_NONE ? key < 1 : key <= m->last_ts)
		return 0;
	if (!on_grid || diff < 1 || diff > RNN_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s is not a forecast step of the model", fname, rnn_key_to_text(ts_kind, key)),
				 m->ts_kind == RNN_TS_NONE ?
				 errdetail("A model trained without timestamps numbers its forecast steps 1 to %d, 1 the first after its training rows.",
						   RNN_MAX_HORIZON) :
				 errdetail("Rows must lie on the model's time grid after its last training row %s, at most %d steps ahead.",
						   rnn_key_to_text(m->ts_kind, m->last_ts), RNN_MAX_HORIZON)));
	return (int) diff;
}
