/*
 * rnn_theta.h
 *	  The Theta method on the pipeline's adjusted series (the log and
 *	  seasonally adjusted values the network reads), and its combination with
 *	  the network's forecast.
 *
 * Theta (Assimakopoulos and Nikolopoulos, as Hyndman and Billah showed it
 * to be): simple exponential smoothing of the adjusted series u[0..n-1],
 * its level before u[0] and its alpha (one of 0.01, 0.02, ..., 1) those of
 * the least squared one-step errors (the level in closed form for each
 * alpha, as R's forecast::thetaf fits it), plus half the slope b of the
 * least-squares line through u as a drift:
 *
 *	 theta(h) = level + b/2 ((h - 1) + (1 - (1 - alpha)^n) / alpha)
 *
 * A combined forecast is (1 - w) network + w theta on the series' own scale
 * (after the pipeline's inverse), w = the model's theta_weight.  Theta is
 * fitted on the last RNN_THETA_MAX_POINTS points of the history a forecast
 * is made from: the training series (kept in the model), or the history a
 * caller passes.
 */
#ifndef RNN_THETA_H
#define RNN_THETA_H

#include "rnn_common.h"
#include "rnn_model.h"

#define RNN_THETA_MAX_POINTS	1000

/*
 * Fit on u[0..n-1] (its last RNN_THETA_MAX_POINTS); the unfitted state
 * (all zeros) when n = 0 or a value is not finite.
 */
void		rnn_theta_fit(RnnTheta *th, const double *u, size_t n);

/* The forecast h >= 1 steps after the last point, on the adjusted scale. */
double		rnn_theta_forecast(const RnnTheta *th, int h);

/*
 * Fit on the values v[0], v[stride], ... (n of them) of a series whose last
 * value has phase phase_last: each taken to the adjusted scale by m's
 * pipeline first.  th->n = 0 when a value cannot be (<= 0 under log).
 */
void		rnn_theta_fit_values(RnnTheta *th, const RnnModel *m, const double *v, size_t n,
								 size_t stride, int32_t phase_last);

/*
 * out[h] = (1 - w) out[h] + w theta(h + 1) for h < horizon, theta taken
 * back to the series' scale at the phase of each step after phase_last;
 * nothing when m->theta_weight is 0 or th->n is 0.
 */
void		rnn_theta_combine(double *out, const RnnModel *m, const RnnTheta *th, int horizon,
							  int32_t phase_last);

/*
 * Each of B histories hist (B rows of T steps, stride values a step, the
 * series' value first) gets its own Theta, combined into out (B rows of
 * horizon); phases: each history's last phase (NULL: m->phase_last).
 * Each row is floored at 0 by its history's rule (rnn_pipeline_history_floors),
 * combined or not; given: the histories before spikes were replaced
 * (rnn_pipeline_histories_despiked; NULL: hist), which the floor reads (a
 * spike below 0 replaced still says the series goes below 0).
 */
void		rnn_theta_combine_histories(double *out, const RnnModel *m, const double *hist,
										const double *given, int B, int T, int stride,
										int horizon, const int32_t *phases);

/*
 * The weight a model gets: the configured one (>= 0), else 0 for a model
 * with features or weights imported from elsewhere, or with a season whose
 * adjustment the configuration turned off (Theta's straight line cannot
 * follow a seasonal pattern: it needs the seasonally adjusted series),
 * else a warm start's: its model's weight warm_weight, 0 included (the
 * windows a new validation would use were learnt; negative without a warm
 * start), else the default of its kind, chosen by cross-validation on the
 * M3 training parts (README).
 */
#define RNN_THETA_WEIGHT_SERIES 0.75
#define RNN_THETA_WEIGHT_GLOBAL 0.5
double		rnn_theta_weight(double configured, bool global, int n_features, bool imported,
							 bool season_unadjusted, double warm_weight);

/*
 * Choosing the weight by validation (one series, automatic weight): mv, a
 * model trained on v[0..mv_n-1] (mv_n <= first_origin: a second model
 * trained without the series' tail; mv_n = n: the model itself, whose
 * training held out the windows after first_origin), forecasts `steps`
 * steps from each of `origins` consecutive origins of v (the first at
 * first_origin), and so does Theta fitted on v up to each origin.  With
 * e_net and e_theta their mean absolute errors on the network's scale (the
 * log and seasonally adjusted series over its spread), *w = e_net / (e_net
 * + e_theta): each forecast weighted by its inverse error; 0 or 1 when
 * only one of them has a non-finite forecast (it gets no weight); dflt when
 * both have, or neither has an error.  err_out (3), when not NULL, gets e_net,
 * e_theta and the mean absolute error of the combination at *w (NaN for
 * one that could not be measured).  check(check_arg) as for
 * rnn_calibration_errors.
 */
RnnStatus	rnn_theta_choose_weight(double *w, double *err_out, const RnnModel *mv, size_t mv_n,
									const double *v, size_t n, size_t first_origin,
									size_t origins, int steps, double dflt,
									void (*check) (void *), void *check_arg,
									const RnnAlloc *a);

/*
 * Whether a global model keeps its combination with Theta once each series'
 * weight is validated: validated series' mean validation errors (on their
 * own network scale, so they pool like MASE) of the network alone sum to
 * net_sum, of the combination at each series' own weight to comb_sum.  The
 * combination stays unless the network alone is better pooled over them
 * (the M3 "other" series, README): the weights are chosen on the same
 * errors, so this leans towards the combination.  Kept when none was validated.
 */
bool		rnn_theta_combination_kept(double net_sum, double comb_sum, size_t validated);

/*
 * A global model's validation pooled over its `validated` series (sum[0],
 * sum[1], sum[2]: their mean errors of the network alone, Theta alone and
 * the combination at each series' weight, summed): the means kept in
 * m->theta_validation (format 9) when any series was validated, and the
 * combination dropped when rnn_theta_combination_kept says so (the model's
 * and every series' weight 0).  Returns whether it is kept.
 */
bool		rnn_theta_pool_decide(RnnModel *m, const double sum[3], size_t validated);

/*
 * The origins the weight is chosen on (rnn_theta_selection_origins):
 * *origins = max(steps, RNN_THETA_SELECT_MIN_ORIGINS) forecasts of `steps` steps, over a tail of
 * *tail = *origins + steps - 1 points.  rnn_theta_selection_tail: false
 * when a series of n points is too short for a second model trained
 * without the tail: the series must hold three tails, and the rest a
 * window and max(steps, 12) more points.
 */
#define RNN_THETA_SELECT_MIN_ORIGINS 8
#define RNN_THETA_SELECT_MAX_ORIGINS 1024	/* the latest, from a long series' held-out windows */
size_t		rnn_theta_selection_origins(int steps);
bool		rnn_theta_selection_tail(size_t n, int steps, int window, size_t *tail,
									 size_t *origins);

/*
 * The same for a series of a global model, whose validation model trains
 * on every series at once: a series holding three tails gets the
 * *origins of rnn_theta_selection_tail; a shorter one that keeps a window
 * and `steps` points before a tail of `steps` points gets one origin
 * (*tail = steps); false for the others, which keep the model's weight.
 */
bool		rnn_theta_selection_global(size_t n, int steps, int window, size_t *tail,
									   size_t *origins);

/*
 * How one series' weight is validated (rnn_theta_route): on the windows its
 * training held out, n_val of the last of its n points, when they hold
 * rnn_theta_selection_origins(steps) origins of `steps` steps and no refit
 * trained on them (*first_origin and *origins: the latest origins there, at
 * most max(RNN_THETA_SELECT_MAX_ORIGINS, those), which a horizon of at most
 * 1,024 keeps at the cap); else on a second model's forecasts of the
 * series' tail (rnn_theta_selection_tail), unless the held-out windows were
 * capped (a series so long that its horizon exceeds about half the cap),
 * which keeps the default weight, as does steps < 1.  n_val is at most n.
 */
typedef enum RnnThetaRoute
{
	RNN_THETA_ROUTE_KEEP,		/* the default weight */
	RNN_THETA_ROUTE_HELD_OUT,	/* the training's held-out windows */
	RNN_THETA_ROUTE_SECOND_MODEL	/* a model trained without the tail */
} RnnThetaRoute;

RnnThetaRoute rnn_theta_route(size_t n, size_t n_val, bool capped, bool refit, int steps,
							  size_t *first_origin, size_t *origins);

/* Is th a state rnn_theta_fit can produce (finite, alpha in [0.01, 1], n in range)? */
bool		rnn_theta_valid(const RnnTheta *th);

#endif							/* RNN_THETA_H */
