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

/* Half-width of the level interval at horizon step h (1-based). */
double		rnn_interval_halfwidth(const RnnModel *m, int h, double level);

#endif							/* RNN_PREDICT_H */
