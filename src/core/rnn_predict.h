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
 * Rearrange m's weights once for the forecasts that follow
 * (rnn_infer_weights of every member): forecasts of one history at a time
 * then take the recurrent products from them.  Optional: without it (or
 * after RNN_ERR_ALLOC) forecasts are the same, slower.
 */
RnnStatus	rnn_model_prepare_infer(RnnModel *m, const RnnAlloc *a);

/*
 * out (B, horizon) = forecasts after each of B histories, hist (B, T,
 * input_size) unscaled, batch-first.  When m->window > 0, only the last
 * m->window rows are read and T must be at least that.  A horizon above the
 * output size needs input_size 1 (recursive).  phases[b] is the seasonal
 * phase of history b's last row (rnn_pipeline.h); NULL: every history ends
 * where the training series did (m->phase_last).
 */
RnnStatus	rnn_forecast_batch(double *out, const RnnModel *m, const double *hist,
							   int B, int T, int horizon, const int32_t *phases,
							   const RnnAlloc *a);

/* The same, calling check(check_arg) before every pass of the network (may longjmp out). */
RnnStatus	rnn_forecast_batch_checked(double *out, const RnnModel *m, const double *hist,
									   int B, int T, int horizon, const int32_t *phases,
									   void (*check) (void *), void *check_arg,
									   const RnnAlloc *a);

/*
 * The same for a model with features (m->n_features = K > 0): hist (B, T,
 * 1 + K) rows of a value and the features of its own step, future (B,
 * horizon, K) the features of the steps forecast (unscaled).  The network
 * reads each step's value with the next step's features.  future is NULL
 * for models without features.
 */
RnnStatus	rnn_forecast_features(double *out, const RnnModel *m, const double *hist,
								  const double *future, int B, int T, int horizon,
								  const int32_t *phases, void (*check) (void *), void *check_arg,
								  const RnnAlloc *a);

/*
 * Fill m->cal_steps, cal_n and cal_err from forecasts of the unscaled series
 * v[0..n-1] (with its features feats (n, m->n_features), NULL without) made
 * at origins first_origin.. (each origin o forecasts v[o..]
 * from v[o-W..o-1]); max_steps bounds the calibrated horizon.  With
 * floor_lag >= 0 (and m->cal_scaled), every stored order statistic of a
 * step is at least that of the naive (no-change) forecast's errors from the
 * same origins: origins inside the training data flatter a fitted network,
 * not the naive forecast, so short series do not get intervals narrower
 * than the naive forecast's; with floor_lag > 0 (rnn_floor_lag), the lesser
 * at each rank of the naive forecast's and the seasonal naive's of the
 * changes at that lag (rnn_floor_pick); with features, the least at each
 * rank of those and the same forecasts with the features' effect
 * (rnn_feature_effect on the rows before first_origin).  floor_lag < 0: no
 * floor.
 * check(check_arg), when not NULL, is called before every pass of the
 * network (cancellation and the training-time limit).
 */
RnnStatus	rnn_calibrate(RnnModel *m, const double *v, const double *feats, size_t n,
						  size_t first_origin, int max_steps, int floor_lag,
						  void (*check) (void *), void *check_arg, const RnnAlloc *a);

/*
 * Absolute errors err (steps, origins) of forecasts from `origins`
 * consecutive origins of v, the first at first_origin (each origin o
 * forecasts v[o..] from the window before it, padded with its first value
 * when the series is shorter than the window): in the series' units, or in
 * the network's scaled units when m->cal_scaled; a non-finite error is
 * stored as 0.  check(check_arg), when not NULL, is called between chunks
 * of origins (it may longjmp out).
 */
RnnStatus	rnn_calibration_errors(float *err, const RnnModel *m, const double *v,
								   const double *feats, size_t n,
								   size_t first_origin, size_t origins, int steps,
								   void (*check) (void *), void *check_arg,
								   const RnnAlloc *a);

/*
 * From the same origins (a model without features), the network's forecasts
 * alone fc[0 .. origins * steps - 1] and the Theta method's alone after them
 * (origins, steps each, on the series' scale; NaN where Theta could not be
 * fitted), Theta fitted on v up to each origin; the network forecasts once.
 * phases (origins) gets each origin's phase, for rnn_validation_error_of.
 */
RnnStatus	rnn_validation_forecasts(double *fc, int32_t *phases, const RnnModel *m,
									 const double *v, size_t n, size_t first_origin,
									 size_t origins, int steps,
									 void (*check) (void *), void *check_arg,
									 const RnnAlloc *a);

/*
 * The errors err (steps, origins) of forecasts fc (origins, steps) from
 * rnn_validation_forecasts' origins, on the network's scale when m
 * calibrates there; a non-finite error is stored as 0, and the count of
 * them returned.
 */
size_t		rnn_validation_error_of(float *err, const RnnModel *m, const double *v,
									size_t first_origin, size_t origins, int steps,
									const double *fc, const int32_t *phases);

/*
 * The naive (no-change) forecast's errors err (steps, origins) from the
 * same origins as rnn_calibration_errors, on the network's scale.  With lag
 * > 0, the seasonal naive forecast of the changes instead: the last value
 * plus the change over the same steps k seasons earlier (k = ceil(h / lag)),
 * v[o-1] + v[o-1+h-k lag] - v[o-1-k lag]; an origin without k seasons
 * before it, or whose seasonal forecast is not finite, gets the naive
 * forecast's error.  With feats (n, m->n_features) and beta
 * (rnn_feature_effect; NULL: none), each change is the features' change
 * through beta (the forecast step's features are known), and the seasonal
 * change has the features' change of its own steps taken out.
 */
void		rnn_naive_errors(float *err, const RnnModel *m, const double *v,
							 const double *feats, const double *beta, size_t n,
							 size_t first_origin, size_t origins, int steps, int lag);

/* models with more features floor their intervals by benchmarks that do not know them */
#define RNN_FLOOR_MAX_FEATURES 64
/* the features' effect is fitted on at most this many rows, the latest before the origins */
#define RNN_FEATURE_EFFECT_ROWS 65536

/*
 * The features' effect on the series' one-step changes, for the naive
 * forecasts that floor a model with features (rnn_naive_errors): beta
 * (m->n_features) from the least squares of the changes of v[0..end-1] on
 * the network's scale on the changes of its features feats (n,
 * m->n_features), each divided by m->feature_std, both centred (a drift is
 * not kept), over the last RNN_FEATURE_EFFECT_ROWS rows before end at most,
 * with a ridge of 1e-6 of the mean variance; a feature whose changes are
 * all the same (a time index) gets 0.  All zeros (the plain naive
 * forecast) without features, with more than RNN_FLOOR_MAX_FEATURES, or
 * with fewer rows of finite changes than features + 2.  Fails only to
 * allocate.
 */
RnnStatus	rnn_feature_effect(double *beta, const RnnModel *m, const double *v,
							   const double *feats, size_t n, size_t end, const RnnAlloc *a);

/*
 * The lag of the benchmark forecast that floors a series' calibration
 * (rnn_naive_errors): the season when there is one (> 1) and the pipeline
 * kept it in the series (deseason_mode 0, as rnn_pipeline_modes resolved
 * it: `deseasonalize => false`, a scaling that never removes a season, or a
 * warm start from a model that kept it) with no seasonal indices
 * (n_seasonal 0), so that the naive forecast would miss the season; else 0.
 * A season that the automatic mode (-1) shrank to nothing is floored by the
 * naive forecast alone: the series' own evidence calls it noise.
 */
int			rnn_floor_lag(int season, int n_seasonal, int deseason_mode);

/*
 * At each of steps steps, sort the rows of naive and seasonal (both (steps,
 * count), rnn_naive_errors without and with rnn_floor_lag) and keep in naive
 * the smaller of the two at each rank: the floor is the lesser of the two
 * benchmarks, so that a seasonal series is not floored by the naive
 * forecast's misses of its season, nor a series without one by the noisier
 * seasonal forecast.
 */
void		rnn_floor_pick(float *naive, float *seasonal, int steps, size_t count);

/*
 * Floor m's stored errors by the naive forecast's naive (m->cal_steps,
 * count; sorted here per step) from the same count origins: every stored
 * order statistic is at least the naive one's at the same rank.
 */
void		rnn_calibration_floor(RnnModel *m, float *naive, size_t count);

/*
 * Store errors err (steps, count) as m's calibration: sorted per step (err
 * is sorted in place), at most RNN_MAX_CAL_SAMPLES evenly spaced order
 * statistics kept per step.
 */
RnnStatus	rnn_calibration_store(RnnModel *m, float *err, int steps, size_t count,
								  const RnnAlloc *a);

/*
 * Prediction intervals: forecast +- q * scale(h), where scale(h) is the mean
 * held-out absolute error at step h (non-decreasing in h, and at step 1 at
 * least step 2's times sqrt(1/2)) and q the split-conformal quantile at
 * `level` of all held-out errors, each divided by its step's scale; above
 * RNN_TAIL_FROM, q is at least the quantile of an exponential tail through
 * the errors' median and their RNN_TAIL_FROM quantile (q_from + (q_from - med)
 * * ln((1 - from) / (1 - level)) / ln(0.5 / (1 - from))).  Beyond the
 * calibrated steps the width grows with sqrt(h / steps).  Prepare once per
 * level, then ask per step.  The step floor, the tail and the widening
 * below were chosen on the M3 series' training parts (the README's interval
 * coverage table): without them the 99% intervals of per-series models
 * covered 0.96 and their first steps least.
 */
#define RNN_TAIL_FROM 0.8
/*
 * Below RNN_LOW_FROM, q is at most RNN_LOW_FROM's q times ln(1 - level) /
 * ln(1 - RNN_LOW_FROM), as an exponential distribution's quantiles of the
 * absolute errors scale: the split-conformal quantiles of the held-out
 * errors, floored rank by rank by the naive forecast's, made 50% intervals
 * cover 0.56 to 0.72 of M3's training parts with per-series models and 0.42
 * to 0.80 with global ones (chosen there against a normal distribution's
 * shape and against anchoring at 0.8: the README's interval coverage table).
 * Levels from RNN_LOW_FROM up are unchanged by it.
 */
#define RNN_LOW_FROM 0.9
/*
 * Intervals that rest on fewer than RNN_FEW_CAL_ORIGINS forecast origins
 * are widened by rnn_interval_widening(origins, level): the square root of
 * the factor by which a normal prediction interval estimated from n errors
 * is wider than one with a known spread, t_{n-1, (1+level)/2} /
 * z_{(1+level)/2} * sqrt(1 + 1/n) (t from the Cornish-Fisher expansion of
 * Abramowitz and Stegun 26.7.5; the whole factor over-covered on M3's
 * training parts): 1.26 at 4 origins, 1.09 at 9, at level 0.9; 1 from
 * RNN_FEW_CAL_ORIGINS on.
 */
#define RNN_FEW_CAL_ORIGINS 10
double		rnn_interval_widening(int origins, double level);

/*
 * A global model's calibration: one origin per series, `steps` ahead, at the
 * start of the series' held-out end, from the series at least steps + 2 *
 * window long.  When none is that long, the most steps s (at most `steps`)
 * that half of the series longer than the window (at most
 * RNN_FEW_CAL_ORIGINS series) can give from their last s points, which lie
 * inside the training data; the naive floor covers that.  Returns the
 * steps, 0 when no series is longer than the window, and sets *min_len to
 * the length a series needs.
 */
int			rnn_global_calibration_steps(const size_t *len, size_t ns, int window,
										 int steps, size_t *min_len);

/*
 * A global model's calibration (its series m->series[k] are values[k],
 * len[k] points, with feats[k] when the model has features; feats NULL
 * without): the steps and the series long enough from
 * rnn_global_calibration_steps(horizon at most RNN_MAX_CAL_STEPS); from each
 * such series one origin at the start of its held-out end (its last
 * validation_fraction of the points after the window, at least the steps,
 * at most all of them); the network's errors on the series' scale, pooled
 * (each divided by the series' rnn_series_interval_factor) and stored, and floored by the naive forecast's from the same
 * origins (divided alike)
 * (rnn_calibration_floor: the held-out origins flatter the network, which
 * early stopping chose on them); with floor_lags (NULL: none), the series
 * k with floor_lags[k] > 0 (rnn_floor_lag) add the seasonal naive's errors
 * of the changes at that lag (the others their naive errors again); with
 * features, each series adds both again with its own features' effect
 * (rnn_feature_effect on its rows before its origin); the floor is the
 * least of the pooled benchmarks at each rank (rnn_floor_pick).
 * Sets m->cal_scaled and resets cal_steps
 * and cal_n first; no series long enough: no calibration.  m's cal_err is
 * replaced, not freed (a model fresh from training has none).
 * check(check_arg), when not NULL, is called before every series.
 */
RnnStatus	rnn_calibrate_global(RnnModel *m, const double *const *values,
								 const double *const *feats, const size_t *len, int horizon,
								 double validation_fraction, const int *floor_lags,
								 void (*check) (void *), void *check_arg, const RnnAlloc *a);

/*
 * One series' calibration origins (rnn_calibrate's first_origin): the
 * windows training held out (n_val of them, their targets n_val + outputs -
 * 1 points), or when those are fewer the last RNN_MIN_CAL_REGION points
 * (which include training windows), but no more than the points after the
 * first window; 0 when the region is the whole series or more (rnn_calibrate
 * then calibrates nothing, as for any origin inside the first window).
 * rnn_calibration_max_steps: the steps the intervals are calibrated for,
 * the horizon or at least a season and 12 steps.
 */
#define RNN_MIN_CAL_REGION 30
size_t		rnn_calibration_first_origin(size_t n, int window, size_t n_val, int outputs);
int			rnn_calibration_max_steps(int horizon, int season);

typedef struct RnnIntervals
{
	int			steps;			/* 0: the model has no calibration (no intervals) */
	double		q;
	double	   *scale;			/* (steps) */
} RnnIntervals;

RnnStatus	rnn_intervals_prepare(RnnIntervals *iv, const RnnModel *m, double level,
								  const RnnAlloc *a);
/* count levels at once (iv[count]), the errors normalised and sorted once; free each */
RnnStatus	rnn_intervals_prepare_levels(RnnIntervals *iv, const double *levels, int count,
										 const RnnModel *m, const RnnAlloc *a);
double		rnn_intervals_halfwidth(const RnnIntervals *iv, int h);	/* NaN without calibration */
void		rnn_intervals_free(RnnIntervals *iv, const RnnAlloc *a);

/*
 * The interval of a forecast at step h after a history whose last value had
 * phase phase_last: forecast +- the half-width, or, when the model
 * calibrates in scaled units, the half-width (times the scale and a global
 * model's series' interval_factor) taken around the forecast on the
 * network's scale and transformed back (asymmetric under log); at least
 * RNN_BOUND_ULPS units in the forecast's last place either side of it.
 * NaN without calibration.
 */
#define RNN_BOUND_ULPS 4
void		rnn_interval_bounds(const RnnModel *m, const RnnIntervals *iv, double forecast,
								int h, int phase_last, double *lower, double *upper);

/* One half-width (prepares and frees; for single use). */
double		rnn_interval_halfwidth(const RnnModel *m, int h, double level, const RnnAlloc *a);

#endif							/* RNN_PREDICT_H */
