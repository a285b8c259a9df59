/*
 * rnn_calendar.h
 *	  Calendar features of a time step: its position in the day, the week,
 *	  the month and the year as sine/cosine pairs, and which of them a
 *	  series' step makes meaningful.  The network reads them as features
 *	  (rnn_train.h) that are known for every future step.
 */
#ifndef RNN_CALENDAR_H
#define RNN_CALENDAR_H

#include "rnn_common.h"

/* Which cycles a model's calendar features follow (bits of RnnModel.calendar). */
#define RNN_CAL_DAY		1			/* time of day */
#define RNN_CAL_WEEK	2			/* day of the week (Monday first) */
#define RNN_CAL_MONTH	4			/* day of the month */
#define RNN_CAL_YEAR	8			/* position in the year (month of year for monthly rows) */
#define RNN_CAL_ALL		15

/* A wall-clock time in the series' own calendar. */
typedef struct RnnCivilTime
{
	int			year;
	int			month;			/* 1..12 */
	int			day;			/* 1..31 */
	double		seconds;		/* since midnight */
} RnnCivilTime;

/*
 * The cycles a step makes meaningful: steps shorter than a day see the day
 * and the week; steps of one to six days the week, the month and the year;
 * steps of a week up to a year, and of 1 to 11 months, the year.  0 for
 * longer steps and for axes without calendar time.  step_usecs: the step in
 * microseconds (days * 86400e6 for dates); months: the step in months (0
 * when the step is not in months).
 */
int			rnn_calendar_bits(int64_t step_usecs, int64_t months);

/* Features the bits give: two per cycle. */
int			rnn_calendar_count(int bits);

/* The features of time t for bits, written to out[0 .. rnn_calendar_count(bits) - 1]. */
void		rnn_calendar_features(int bits, const RnnCivilTime *t, double *out);

/* Comma-separated names of the features of bits ("week_sin, week_cos, ..."), into buf. */
void		rnn_calendar_names(int bits, char *buf, size_t size);

#endif							/* RNN_CALENDAR_H */
