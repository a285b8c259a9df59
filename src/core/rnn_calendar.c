/*
 * rnn_calendar.c
 *	  Calendar features: positions in the day, week, month and year as
 *	  points on the unit circle, so that the last hour of a day sits next to
 *	  the first and December next to January.
 */
#include "rnn_calendar.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define USECS_PER_DAY INT64_C(86400000000)

int
rnn_calendar_bits(int64_t step_usecs, int64_t months)
{
	if (months > 0)
		return months < 12 ? RNN_CAL_YEAR : 0;
	if (step_usecs <= 0)
		return 0;
	if (step_usecs < USECS_PER_DAY)
		return RNN_CAL_DAY | RNN_CAL_WEEK;
	if (step_usecs < 7 * USECS_PER_DAY)
		return RNN_CAL_WEEK | RNN_CAL_MONTH | RNN_CAL_YEAR;
	if (step_usecs < 365 * USECS_PER_DAY)
		return RNN_CAL_YEAR;
	return 0;
}

int
rnn_calendar_count(int bits)
{
	int			n = 0;

	for (int b = RNN_CAL_DAY; b <= RNN_CAL_YEAR; b <<= 1)
		if (bits & b)
			n += 2;
	return n;
}

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap_year(y) ? 29 : days[(m - 1) % 12];
}

/* days since 1970-01-01 of a proleptic Gregorian date (valid for any year) */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
put_cycle(double **out, double position)
{
	double		a = 2.0 * M_PI * position;

	*(*out)++ = sin(a);
	*(*out)++ = cos(a);
}

void
rnn_calendar_features(int bits, const RnnCivilTime *t, double *out)
{
	double		day_frac = t->seconds / 86400.0;

	if (bits & RNN_CAL_DAY)
		put_cycle(&out, day_frac);
	if (bits & RNN_CAL_WEEK)
	{
		/* 1970-01-01 was a Thursday: Monday is 0 */
		int64_t		d = days_from_civil(t->year, t->month, t->day) + 3;
		int			dow = (int) (((d % 7) + 7) % 7);

		put_cycle(&out, (dow + day_frac) / 7.0);
	}
	if (bits & RNN_CAL_MONTH)
		put_cycle(&out, (t->day - 1 + day_frac) / month_days(t->year, t->month));
	if (bits & RNN_CAL_YEAR)
		put_cycle(&out, (t->month - 1 + (t->day - 1 + day_frac) / month_days(t->year, t->month)) / 12.0);
}

void
rnn_calendar_names(int bits, char *buf, size_t size)
{
	static const char *const names[4] = {"day", "week", "month", "year"};
	size_t		used = 0;

	if (size > 0)
		buf[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (bits & (1 << i))
		{
			int			w = snprintf(buf + used, size > used ? size - used : 0,
									 "%s%s_sin, %s_cos", used ? ", " : "", names[i], names[i]);

			if (w > 0)
				used += (size_t) w;
		}
}
