/*
 * rnn_predict.h
 *	  Forecasting with a model: scaling in and out, ensemble averaging,
 *	  direct (within the output size) or recursive multi-step forecasts, and
 *	  the calibration of prediction intervals on held-out windows.
 */
#ifndef RNN_PREDICT_H
#define RNN_PREDICT_H

#include "rnn_common.h"
#include "rnn_model.h"

/*
 * out (B, horizon) = forecasts after each of B histories, hist (B, T,
 * input_size) unscaled, batch-first.  When m->window > 0, only the last
 * m->window rows are read and T must be at least that.  A horizon above the
 * output size needs input_size 1 (recursive).
 */
RnnStatus	rnn_forecast_batch(double *out, const RnnModel *m, const double *hist,
							   int B, int T, int horizon, const RnnAlloc *a);

/*
 * Fill m->cal_steps, cal_n and cal_err from forecasts of the unscaled series
 * v[0..n-1] made at origins first_origin.. (each origin o forecasts v[o..]
 * from v[o-W..o-1]); max_steps bounds the calibrated horizon.
 */
RnnStatus	rnn_calibrate(RnnModel *m, const double *v, size_t n,
						  size_t first_origin, int max_steps, const RnnAlloc *a);

/*
 * Prediction intervals: forecast +- q * scale(h), where scale(h) is the mean
 * held-out absolute error at step h (non-decreasing in h) and q the
 * split-conformal quantile at `level` of all held-out errors, each divided
 * by its step's scale.  Beyond the calibrated steps the width grows with
 * sqrt(h / steps).  Prepare once per level, then ask per step.
 */
typedef struct RnnIntervals
{
	int			steps;			/* 0: the model has no calibration (no intervals) */
	double		q;
	double	   *scale;			/* (steps) */
} RnnIntervals;

RnnStatus	rnn_intervals_prepare(RnnIntervals *iv, const RnnModel *m, double level,
								  const RnnAlloc *a);
double		rnn_intervals_halfwidth(const RnnIntervals *iv, int h);	/* NaN without calibration */
void		rnn_intervals_free(RnnIntervals *iv, const RnnAlloc *a);

/* One half-width (prepares and frees; for single use). */
double		rnn_interval_halfwidth(const RnnModel *m, int h, double level, const RnnAlloc *a);

#endif							/* RNN_PREDICT_H */
