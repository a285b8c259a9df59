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

#include "common/int.h"
#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "rnn_pg.h"

/* Broken-down time of a key; false when out of range. */
static bool
key_to_tm(int ts_kind, int64 key, struct pg_tm *tm, fsec_t *fsec)
{
	int			tz;

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
			return !TIMESTAMP_NOT_FINITE(key) && timestamp2tm(key, &tz, tm, fsec, NULL, session_timezone) == 0;
	}
	return false;
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
 * Convert keys in place to month numbers (year * 12 + month - 1) when the
 * rows are month-aligned as described above; false (keys unchanged) if not.
 */
bool
rnn_keys_to_months(int ts_kind, int64 *keys, size_t n)
{
	struct pg_tm tm0;
	fsec_t		fsec0;
	bool		last_day = true;
	bool		same_day = true;
	int64	   *months;
	int64		min_gap = PG_INT64_MAX;

	if (ts_kind != RNN_TS_DATE && ts_kind != RNN_TS_TIMESTAMP && ts_kind != RNN_TS_TIMESTAMPTZ)
		return false;
	if (n < 2 || !key_to_tm(ts_kind, keys[0], &tm0, &fsec0))
		return false;
	months = palloc(sizeof(int64) * n);
	for (size_t i = 0; i < n; i++)
	{
		struct pg_tm tm;
		fsec_t		fsec;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!key_to_tm(ts_kind, keys[i], &tm, &fsec))
		{
			pfree(months);
			return false;
		}
		if (tm.tm_hour != tm0.tm_hour || tm.tm_min != tm0.tm_min ||
			tm.tm_sec != tm0.tm_sec || fsec != fsec0)
		{
			pfree(months);
			return false;
		}
		if (tm.tm_mday != tm0.tm_mday || tm0.tm_mday > 28)
			same_day = false;
		if (tm.tm_mday != days_in_month(tm.tm_year, tm.tm_mon))
			last_day = false;
		months[i] = (int64) tm.tm_year * 12 + tm.tm_mon - 1;
	}
	/* not month-aligned: no need to look at the gaps */
	if (!same_day && !last_day)
	{
		pfree(months);
		return false;
	}
	/* rows must be at least 28 days apart (keys may be unsorted) */
	{
		int64	   *sorted = palloc(sizeof(int64) * n);
		int64		unit = ts_kind == RNN_TS_DATE ? 1 : USECS_PER_DAY;

		memcpy(sorted, keys, sizeof(int64) * n);
		sort_keys(sorted, n);
		for (size_t i = 1; i < n; i++)
			if (sorted[i] - sorted[i - 1] < min_gap)
				min_gap = sorted[i] - sorted[i - 1];
		pfree(sorted);
		if (min_gap < 28 * unit)
			same_day = last_day = false;
	}
	if (!same_day && !last_day)
	{
		pfree(months);
		return false;
	}
	memcpy(keys, months, sizeof(int64) * n);
	pfree(months);
	return true;
}

/* Seasonal period implied by the step: 24 hourly, 7 daily, 12 monthly... */
int
rnn_default_season(int ts_kind, int step_kind, int64 step)
{
	if (step_kind == RNN_STEP_MONTHS)
	{
		if (step == 1)
			return 12;
		if (step == 3)
			return 4;
		return 1;
	}
	if (ts_kind == RNN_TS_DATE)
		return step == 1 ? 7 : step == 7 ? 52 : 1;
	if (ts_kind == RNN_TS_TIMESTAMP || ts_kind == RNN_TS_TIMESTAMPTZ)
	{
		if (step == USECS_PER_HOUR)
			return 24;
		if (step == USECS_PER_DAY)
			return 7;
		if (step == 7 * USECS_PER_DAY)
			return 52;
		if (step < USECS_PER_HOUR && USECS_PER_DAY % step == 0 && USECS_PER_DAY / step <= 2000)
			return (int) (USECS_PER_DAY / step);
	}
	return 1;
}

/* Add months to a broken-down time, clamping (or snapping to month end). */
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

	return !pg_mul_s64_overflow(m->step, steps, &delta) &&
		!pg_add_s64_overflow(m->last_ts, delta, key);
}

/*
 * The timestamp step_ahead steps after the model's last training row, as
 * timestamptz; *isnull for models without calendar timestamps.
 */
Datum
rnn_future_timestamptz(const RnnModel *m, int step_ahead, bool *isnull)
{
	int64		key;

	*isnull = false;
	if (m->ts_kind == RNN_TS_NONE || m->ts_kind == RNN_TS_BIGINT)
	{
		*isnull = true;
		return (Datum) 0;
	}

	if (m->step_kind == RNN_STEP_MONTHS)
	{
		struct pg_tm tm;
		fsec_t		fsec;
		bool		month_end;
		int64		delta;

		if (pg_mul_s64_overflow(m->step, step_ahead, &delta))
			time_overflow();

		if (!key_to_tm(m->ts_kind, m->last_ts, &tm, &fsec) || delta > 12 * 100000)
			time_overflow();
		month_end = tm.tm_mday > 28 && tm.tm_mday == days_in_month(tm.tm_year, tm.tm_mon);
		tm_add_months(&tm, delta, month_end);
		if (m->ts_kind == RNN_TS_DATE)
		{
			DateADT		d;

			if (!IS_VALID_JULIAN(tm.tm_year, tm.tm_mon, tm.tm_mday))
				time_overflow();
			d = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
			return DirectFunctionCall1(date_timestamptz, DateADTGetDatum(d));
		}
		else
		{
			Timestamp	ts;

			if (m->ts_kind == RNN_TS_TIMESTAMPTZ)
			{
				int			tz = DetermineTimeZoneOffset(&tm, session_timezone);

				if (tm2timestamp(&tm, fsec, &tz, &ts) != 0)
					time_overflow();
				return TimestampTzGetDatum(ts);
			}
			if (tm2timestamp(&tm, fsec, NULL, &ts) != 0)
				time_overflow();
			return DirectFunctionCall1(timestamp_timestamptz, TimestampGetDatum(ts));
		}
	}

	if (!rnn_key_after(m, step_ahead, &key))
		time_overflow();
	switch (m->ts_kind)
	{
		case RNN_TS_DATE:
			if (key < INT32_MIN || key > INT32_MAX || !IS_VALID_DATE(key))
				time_overflow();
			return DirectFunctionCall1(date_timestamptz, DateADTGetDatum((DateADT) key));
		case RNN_TS_TIMESTAMP:
			if (!IS_VALID_TIMESTAMP(key))
				time_overflow();
			return DirectFunctionCall1(timestamp_timestamptz, TimestampGetDatum(key));
		default:
			if (!IS_VALID_TIMESTAMP(key))
				time_overflow();
			return TimestampTzGetDatum(key);
	}
}

/*
 * The point `offset` steps after the model's last training row (offset <= 0
 * for training points) as text for messages: its timestamp, or its row
 * number for rows without timestamps (n_rows of them).
 */
char *
rnn_point_text(const RnnModel *m, int64 offset, int64 n_rows)
{
	bool		isnull;
	Datum		d;
	int64		key;

	if (m->ts_kind == RNN_TS_NONE)
		return psprintf("row " INT64_FORMAT, n_rows + offset);
	if (m->step_kind == RNN_STEP_MONTHS)
	{
		if (offset < PG_INT32_MIN || offset > PG_INT32_MAX)
			time_overflow();
		d = rnn_future_timestamptz(m, (int) offset, &isnull);
		return DatumGetCString(DirectFunctionCall1(timestamptz_out, d));
	}
	if (!rnn_key_after(m, offset, &key))
		time_overflow();
	return rnn_key_to_text(m->ts_kind, key);
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
 * How many steps after the model's last training row a key lies; 0 when it
 * is at or before that row (in the training period); an error when it is a
 * later key off the model's grid, or of another type.
 */
int
rnn_steps_after(const RnnModel *m, int ts_kind, int64 key)
{
	int64		diff;

	if (ts_kind != m->ts_kind && !(m->ts_kind == RNN_TS_NONE && ts_kind == RNN_TS_BIGINT))
	{
		if (m->ts_kind == RNN_TS_NONE)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the timestamps are of type %s, but the model was trained on rows without timestamps",
							rnn_ts_kind_name(ts_kind)),
					 errhint("Pass bigint step numbers: 1 is the first step after the training rows.")));
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the timestamps are of type %s, but the model was trained on %s timestamps",
						rnn_ts_kind_name(ts_kind), rnn_ts_kind_name(m->ts_kind)),
				 errhint("Cast them to the model's type, e.g. ts::%s.", rnn_ts_kind_name(m->ts_kind))));
	}
	if (m->ts_kind == RNN_TS_NONE)
		diff = key;
	else if (m->step_kind == RNN_STEP_MONTHS)
	{
		struct pg_tm a,
					b;
		fsec_t		fa,
					fb;

		if (!key_to_tm(m->ts_kind, m->last_ts, &a, &fa) || !key_to_tm(ts_kind, key, &b, &fb))
			time_overflow();
		diff = ((int64) b.tm_year * 12 + b.tm_mon) - ((int64) a.tm_year * 12 + a.tm_mon);
		if (diff % m->step != 0)
			diff = -1;
		else
		{
			/* the day and time must be those of the grid point in that month */
			bool		month_end = a.tm_mday > 28 && a.tm_mday == days_in_month(a.tm_year, a.tm_mon);

			tm_add_months(&a, diff, month_end);
			if (a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour || a.tm_min != b.tm_min ||
				a.tm_sec != b.tm_sec || fa != fb)
				diff = -1;
			else
				diff /= m->step;
		}
	}
	else
	{
		if (pg_sub_s64_overflow(key, m->last_ts, &diff) || diff % m->step != 0)
			diff = -1;
		else
			diff /= m->step;
	}
	/* at or before the last training row: the caller may skip it */
	if (m->ts_kind == RNN_TS_NONE ? key < 1 : key <= m->last_ts)
		return 0;
	if (diff < 1 || diff > RNN_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not a forecast step of the model", rnn_key_to_text(ts_kind, key)),
				 errdetail("Rows must lie on the model's time grid after its last training row %s, at most %d steps ahead.",
						   m->ts_kind == RNN_TS_NONE ? "" : rnn_key_to_text(m->ts_kind, m->last_ts),
						   RNN_MAX_HORIZON)));
	return (int) diff;
}
