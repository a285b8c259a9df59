/*
 * rnn_pipeline.h
 *	  The statistical steps around the network: a log transform of positive
 *	  series and a classical seasonal adjustment (seasonal indices from a
 *	  centred moving average, shrunk by how far they stand above their
 *	  noise), and their inverses.  The network reads and predicts the
 *	  adjusted series.
 *
 * Positions: seasonal[k] belongs to the points whose position p (0 = the
 * first training point) has p mod season == k; the model's phase_last is
 * the phase of the last training point, so the stored history's last value
 * has that phase, and forecast step h has phase (phase_last + h) mod season.
 */
#ifndef RNN_PIPELINE_H
#define RNN_PIPELINE_H

#include "rnn_common.h"
#include "rnn_model.h"

/*
 * Additive seasonal indices of u (the log of a positive series makes them
 * multiplicative): the weighted mean, per phase, of u minus its centred
 * moving average of order m (2 x m for even m), each deviation's weight
 * halved every max(2 m, n / 4) points before the newest one (two seasons,
 * or a quarter of a series of more than eight), so that a season that
 * changed its shape follows it; centred to sum 0, then
 * shrunk towards 0 by the positive-part James-Stein factor f = max(0, 1 -
 * (m - 1) se2 / sum idx^2), where se2 is the mean over phases of the
 * squared standard error of the phase's weighted mean (the deviations'
 * weighted variance times sum w^2 / (sum w)^2; a phase of one deviation
 * takes the other phases' mean variance).  idx has m entries; *shrink
 * (when not NULL) gets f: near 1 for a clear season, 0 when the indices are
 * no larger than their noise.  A season that took a new shape for its last
 * two seasons (rnn_pipeline_season_changed) gets those two seasons' own
 * indices instead, shrunk the same way (2026-12-08: the weights above
 * still held most of the old shape two seasons after a change), and
 * *changed (when not NULL) says so.  Exactly two seasons (n = 2m), too
 * short for the moving average: the least-squares fit of a line and the
 * indices, each a mean of two points, shrunk by the noise its residuals
 * leave (2026-12-07: before, none, and two years of monthly data went
 * without a season).  False when n < 2m.  A series of at least five
 * seasons with steps in its level far beyond its noise (a store that lost
 * most of its trade) has its deviations taken from the series without them
 * (level_steps, up to three; 2026-12-07: the averages that straddle a step
 * left a ramp of deviations in the newest seasons, which the weights
 * favour, and the season was found to be noise); a allocates the scratch
 * to find them (NULL: not looked for), and the copy that a series of an
 * extreme magnitude is taken on (rnn_series_extreme_exponent; NULL: none).
 */
bool		rnn_pipeline_seasonal_indices(const double *u, size_t n, int m, double *idx,
										  double *shrink, bool *changed, const RnnAlloc *a);

/*
 * Whether the season of u (n points, season m) took a new shape that held
 * for its last two seasons: each of them, less the plain classical indices
 * of the points before them (the mean deviation from the centred moving
 * average per position) and less a least-squares line (its level and
 * trend: a level shift between seasons is no departure) fitted again
 * without the point farthest from it (one spike is no change of shape),
 * leaves squares, each over its index's variance, whose sum without that
 * point passes the F quantile at 1 - 1e-3 (m - 3 and the deviations'
 * degrees of freedom); and the two depart alike: the changes from the
 * first to the second, position by position, less their line fitted the
 * same way, pass no more than twice the noise passes the same test (two
 * seasons that swing wildly, each its own way, are no shape).  Two, so that
 * a level shift inside a season, or one unusual season, is no new shape.
 * When it did, fresh[] (m entries) gets
 * the two seasons' mean deviations by position from their common level and
 * the trend between their means (they sum to 0), and *var the variance of
 * one of them.  Needs a season of 4 or more, the points before the two
 * seasons to hold two seasons and a point (n >= 4 m + 1), and the
 * deviations RNN_SEASON_SHIFT_MIN_DOF degrees of freedom; else false.
 */
bool		rnn_pipeline_season_changed(const double *u, size_t n, int m, double *fresh,
										double *var);
#define RNN_SEASON_SHIFT_MIN_DOF 6
#define RNN_SEASON_SHIFT_Z 3.090232306167813	/* the normal quantile at 1 - 1e-3 */

/* v to the adjusted scale (log, less the seasonal index) at phase; NaN when v <= 0 under log */
double		rnn_pipeline_in(const RnnModel *m, double v, int phase);

/* the inverse of rnn_pipeline_in (exp overflow is clamped to a finite value) */
double		rnn_pipeline_out(const RnnModel *m, double a, int phase);

/*
 * Final forecasts out[0..n-1] (the members' mean combined with Theta's) at
 * 0 or above for a model trained on values that are all at least 0
 * (m->nonnegative); once, on the combination: a member or Theta below 0
 * still pulls the combination down
 */
void		rnn_pipeline_floor(const RnnModel *m, double *out, size_t n);
/* out[i] below 0 set to 0 (rnn_pipeline_floor's floor, for a caller that decided it) */
void		rnn_floor_at_zero(double *out, size_t n);

/*
 * Whether forecasts from a history given to m (T values, stride apart: an
 * array, a window of rows, a series m never saw) are floored at 0: m's
 * rule (m->nonnegative), unless the history holds a value below 0.  The
 * history m keeps, or a kept series', follows the training rows alone.
 */
bool		rnn_pipeline_history_floors(const RnnModel *m, const double *hist, size_t T,
										size_t stride);

/* phase of point t when point `last` has phase `phase_last` */
int			rnn_pipeline_phase(const RnnModel *m, int phase_last, long offset);

/*
 * The phase of the last of T values of a history whose phase is not known
 * (an array passed by the caller): where the history holds the model's
 * stored window (rnn_phase_anchor_table), the phase that window gives it;
 * else the rotation of the seasonal indices that fits the history best (the
 * least absolute errors of the adjusted series' changes, so that a spike
 * moves it as little as any row: RnnPhaseTrack's criterion, below, over the
 * T values).  The stored phase_last when the model has no seasonal indices,
 * or a value the pipeline cannot read (not finite, or <= 0 under log).  a
 * allocates the anchor's table for the call (without it, no anchor).
 */
int			rnn_pipeline_guess_phase(const RnnModel *m, const double *hist, int T,
									 const RnnAlloc *a);

/*
 * A one-series seasonal model keeps its last window of values (history):
 * a stream of rows that holds those values one after another, exactly,
 * ends the training series there, so its place in the season is known
 * (the training rows, or them and rows after, passed again without
 * timestamps).  The table is the window's values' prefix function (for
 * Knuth-Morris-Pratt matching: entry k is the length of the longest proper
 * prefix of the first k + 1 values that is also their suffix), n_history
 * entries allocated with a; NULL when the model has no such window: a
 * global model, no seasonal indices, fewer than RNN_PHASE_ANCHOR_MIN
 * values, values that are all equal or not finite (or allocation failed).
 */
#define RNN_PHASE_ANCHOR_MIN 4
int32_t    *rnn_phase_anchor_table(const RnnModel *m, const RnnAlloc *a);

/*
 * The phases of a stream of rows one step apart whose place in the season
 * is not known (the rows of a window function's partition, in order): each
 * row's phase is the rotation of the seasonal indices that fits every row
 * so far best (least absolute errors of the adjusted series' changes, the
 * criterion rnn_pipeline_guess_phase applies to one history), so the
 * guess firms up as rows come and never reads ahead.  A missing row (or one
 * the model's log cannot read) breaks the changes around it.  Keeps one sum
 * per rotation: O(season) per row.
 */
typedef struct RnnPhaseTrack
{
	int64_t		rows;			/* rows added */
	double		prev;			/* the last row on the log scale (when have_prev) */
	bool		have_prev;
	bool		any;			/* a change was summed */
	double		rough[RNN_MAX_SEASON_INDICES];	/* by the phase of row 0 */
	/*
	 * the model's stored window (rnn_phase_anchor_table; NULL: not looked
	 * for): the caller sets it, the table its own; matched: how many of the
	 * window's first values the last rows equal; anchor_end: 1 + the row
	 * that ended its latest whole occurrence (0: none yet)
	 */
	const int32_t *anchor;
	int32_t		matched;
	int64_t		anchor_end;
} RnnPhaseTrack;

void		rnn_phase_track_reset(RnnPhaseTrack *t);

/* the next row: its value v, or none (missing) */
void		rnn_phase_track_add(RnnPhaseTrack *t, const RnnModel *m, double v, bool missing);

/*
 * The phase of the last row added: after an occurrence of the stored
 * window, the latest (anchor_end), phase_last advanced by the rows since
 * it (a window that recurs, as counts may, places the rows by its last
 * place: the training's end when they are the training rows); else
 * the rotation of the least sum unless none fits clearly better (a
 * relative 1e-9) than the one that gives that row the stored phase_last,
 * as rnn_pipeline_guess_phase; phase_last when the model has no seasonal
 * indices or no change was summed yet.
 */
int			rnn_phase_track_phase(const RnnPhaseTrack *t, const RnnModel *m);

/*
 * The zeros before a launch: how many values v[0..n-1] begins with that are
 * 0, when they are at least RNN_PIPELINE_LAUNCH_ZEROS, every value after
 * them is positive and at least min_rest of them follow; else 0 (one zero
 * is where a count or a trend may start, not a launch).  Where the pipeline may take the log (its log mode not
 * 0), it leaves those rows out of training (m->leading_zeros_dropped), so
 * that a product's sales from its first month are the positive series they
 * are, logged and seasonally adjusted, not a series whose zeros before the
 * launch keep it from both and draw its level and trend toward 0.
 */
size_t		rnn_pipeline_launch_zeros(const double *v, size_t n, size_t min_rest);

#define RNN_PIPELINE_LAUNCH_ZEROS 2

/*
 * One-point spikes of v[0..n-1], replaced in place: on the pipeline's scale
 * (the log when log_mode allows it and every value is positive, less the
 * seasonal indices of rnn_pipeline_seasonal_indices), a point that stands
 * above (or below) both of its neighbours by more than k times the robust
 * spread of the changes (1.4826 times their median absolute deviation) is
 * set to their mean, and mapped back.  Neither end is a spike (a last
 * value's change may be the series' new level).  A seasonal series (season
 * 2 or more) too short for indices is left as it is: its peaks would look
 * like spikes.  One spike a round, the largest, at most RNN_SPIKE_ROUNDS
 * rounds, each with indices and spread recomputed.  Returns how many
 * points were replaced (0 when k <= 0).
 */
#define RNN_SPIKE_ROUNDS RNN_MAX_SPIKES
/* k of the pipeline's spikes (chosen on M3's training parts: the README's protocol table) */
#define RNN_SPIKE_K 5.0
size_t		rnn_pipeline_clean_spikes(double *v, size_t n, int season, int log_mode, double k,
									  const RnnAlloc *a);

/*
 * The values after the zeros that a series of a global model, or a history
 * forecast as a series of its own (rnn_pipeline_unseen_view), needs for the
 * zeros to be left out: three give it a spread of its own.  (One series'
 * model needs the rows of its training: a window and the outputs.)
 */
#define RNN_PIPELINE_LAUNCH_REST 3

/*
 * Choose the pipeline of one series v[0..n-1] and apply it: log when
 * log_mode is 1, or -1 and every value is positive; seasonal indices when
 * the series is long enough (2 seasons and a point) and deseason_mode is
 * 1, or -1 and their shrinkage leaves anything of them (see
 * rnn_pipeline_seasonal_indices).  Sets m->log_transform, n_seasonal, seasonal
 * (allocated with a) and phase_last; writes the adjusted series into
 * adj[0..n-1].  RNN_ERR_DOMAIN when log_mode is 1 and a value is <= 0.
 */
RnnStatus	rnn_pipeline_fit(RnnModel *m, const double *v, size_t n, int season,
							 int log_mode, int deseason_mode, double *adj,
							 const RnnAlloc *a);

/*
 * A warm start whose rows are too few to estimate seasonal indices (after
 * rnn_pipeline_fit left them unadjusted): the indices its model had (given,
 * season of them, its last point at phase given_phase of them) adjust the n
 * points of adj instead, placed so that the last is at given_phase; sets
 * m->n_seasonal, seasonal (allocated with a) and phase_last.
 */
RnnStatus	rnn_pipeline_keep_indices(RnnModel *m, double *adj, size_t n, int season,
									  const double *given, int given_phase,
									  const RnnAlloc *a);

/*
 * One series of a global model: its pipeline (as rnn_pipeline_fit), its
 * scale (the spread of the adjusted series' changes; windows are taken
 * relative to their last value), the MASE scale at season, its last
 * min(n, window) values, and the series on the network's scale in
 * scaled[0..n-1] (not computed when scaled is NULL: a history that is only
 * forecast from).  given, given_phase: a warm start's indices of the series
 * (rnn_pipeline_keep_indices), or NULL.  The caller sets the name, last_ts
 * and rows.  RNN_ERR_LIMIT: its mean or scale beyond 1e300 in magnitude, its
 * scale or spread below 1e-300, or its MASE scale
 * not finite (a stored model bounds them); RNN_ERR_NONFINITE:
 * a value too far from the mean on the network's scale.
 */
RnnStatus	rnn_pipeline_series_state(RnnSeriesState *st, const double *v, size_t n,
									  int season, int window, int log_mode,
									  int deseason_mode, const double *given,
									  int given_phase, rnn_real *scaled,
									  const RnnAlloc *a);

/*
 * A history that global model m did not keep, forecast as a series of its
 * own: st gets the history's pipeline and scale (rnn_pipeline_series_state
 * of v[0..n-1], the model's season and window; the zeros before a launch
 * left out where it may be logged, as in training) and the model's Theta
 * weight, and view is m's view of it (rnn_model_series_view).  A logged
 * history takes the scale m's log series share, as they had in training
 * (so a kept series' own training history gives its stored forecast), and
 * keeps its own spread for its intervals where they keep theirs (format
 * 11).  rows, when not NULL, are the history's n rows of
 * m->shape.input_size values (the value, then the features), whose last
 * ones become the view's history; else its last values do.  st must
 * outlive view.
 */
RnnStatus	rnn_pipeline_unseen_view(RnnModel *view, RnnSeriesState *st, const RnnModel *m,
									 const double *v, size_t n, const double *rows,
									 const RnnAlloc *a);

/*
 * Give the log-transformed series among st[0..ns-1] one scale, the median of
 * their scales, rescaling their values in scaled (series k at
 * seg_start[k], seg_len[k] values).
 */
RnnStatus	rnn_pipeline_share_log_scale(RnnSeriesState *st, int ns, rnn_real *scaled,
										 const size_t *seg_start, const size_t *seg_len,
										 const RnnAlloc *a);

/*
 * The series among st[0..ns-1] kept on their values (no log) that have no
 * spread of their own (constant, or fewer than three points), which would
 * be scaled by their magnitude: their scale becomes their level times the
 * model's relative spread (the log series' shared scale, else the median
 * spread over level of the non-log series that have one), rescaling their
 * values in scaled, so that their forecasts and intervals are relative like
 * the others' (after rnn_pipeline_share_log_scale).  None when the model
 * has no relative spread, or a series' level is 0, except a series of
 * zeros: it takes the median over the series with a level of their scale
 * in the values' units (its magnitude, 0, would leave it at 1 in any unit).
 */
RnnStatus	rnn_pipeline_scale_spreadless(RnnSeriesState *st, int ns, rnn_real *scaled,
										  const size_t *seg_start, const size_t *seg_len,
										  const RnnAlloc *a);

/*
 * The seasonal period a time axis's step implies: 12 for monthly steps, 4
 * quarterly; 7 for daily dates, 52 weekly; 24 for hourly timestamps, 7
 * daily, 52 weekly, and the steps of a day for a step that divides a day
 * (at most 2,000); else 1.
 */
int			rnn_pipeline_default_season(int ts_kind, int step_kind, int64_t step);

/*
 * A model's season: the configuration's (cfg_season > 0); a warm start's
 * model's (init_season) unless that model had neither a time axis nor a
 * season (init_ts_kind RNN_TS_NONE, init_season 1); else the step's
 * (rnn_pipeline_default_season), except that rows with bigint keys or
 * none, whose step says nothing of a calendar, take the autocorrelation's
 * of v[0..n-1] (rnn_series_acf_season, lags up to min(n / 3, 400); check
 * is called before each lag and may not return).  init_* are read only
 * when warm.
 */
int			rnn_pipeline_choose_season(int cfg_season, bool warm, int init_season, int init_ts_kind,
									   int ts_kind, int step_kind, int64_t step,
									   const double *v, size_t n,
									   void (*check) (void *), void *check_arg);

/*
 * The automatic window: two seasons, at least 12 steps and at most
 * max(one season, RNN_PIPELINE_MAX_AUTO_WINDOW), then at most half of the
 * `room` values a series leaves for windows (at least 2), plus the lag of
 * seasonal differences.  The cap keeps long seasons (half-hourly, 48) from
 * making every step of training twice as long; the seasonal indices carry
 * the pattern the second season would show.
 */
#define RNN_PIPELINE_MAX_AUTO_WINDOW 48
int			rnn_pipeline_auto_window(int season, size_t room, int lag);

/*
 * A model's window: the configuration's (cfg_window > 0), a warm start's
 * model's (init_window > 0, read only when warm), else the automatic one
 * above.
 */
int			rnn_pipeline_choose_window(int cfg_window, bool warm, int init_window, int season,
									   size_t room, int lag);

/*
 * The room a global model's automatic window gets (rnn_pipeline_choose_window's
 * `room`): what the median of the series' lengths len[0..ns-1] (sorted here,
 * in place) leaves after the outputs, so that most series give windows and
 * the shorter ones are padded; when the median leaves nothing, what the
 * longest leaves (so that some series give windows: a window of two
 * seasons fitted none of them); no bound (SIZE_MAX) when no series leaves
 * anything, or when ns is 0.
 */
size_t		rnn_pipeline_global_room(size_t *len, size_t ns, int outputs);

/*
 * spread, unless adj[0..n-1] is constant to 12 digits of its own magnitude
 * (spread <= 1e-12 max |adj|; no absolute floor, so a series of values near
 * 1e-14 is not taken for a constant): then that magnitude, or 1 when every
 * value is 0.  The network's scale of a series.
 */
double		rnn_pipeline_spread_or_magnitude(double spread, const double *adj, size_t n);

/*
 * The spread of the changes of adj[0..n-1] (their root mean square), 0 for
 * fewer than 3 points or a constant series; rnn_pipeline_change_scale: that
 * spread, or as above for a constant or short series.
 */
double		rnn_pipeline_change_spread(const double *adj, size_t n);
double		rnn_pipeline_change_scale(const double *adj, size_t n);

/*
 * The log and seasonal-adjustment modes (1 on, 0 off, -1 automatic:
 * rnn_pipeline_fit) of a one-series model.  cfg_log, cfg_ds: the
 * configuration's (-1 unset).  An imported model (weights trained
 * elsewhere) takes the configuration's where it sets them, else its own
 * (init_log, init_ds: 0 or 1), as a warm start always does; otherwise the
 * configuration's, where unset automatic only under the scalings that
 * leave the series' level to the windows (window, zscore), else off.
 */
void		rnn_pipeline_modes(int cfg_log, int cfg_ds, int scaling, bool warm, bool imported,
							   int init_log, int init_ds, int *log_mode, int *ds_mode);

/*
 * The median of x[0..n-1] (n >= 1; the mean of the two middle values for
 * even n), the value sorting would give, in linear time on average and
 * n log n at worst; reorders x.
 */
double		rnn_pipeline_median(double *x, size_t n);

/*
 * A copy of v[0..n-1] (allocated with a) whose one-point spikes are
 * replaced (rnn_pipeline_clean_spikes at RNN_SPIKE_K); *count gets how
 * many.  NULL when the allocation fails.
 */
double	   *rnn_pipeline_despiked(const double *v, size_t n, int season, int log_mode,
								  size_t *count, const RnnAlloc *a);

/*
 * B histories of a one-series model (rows of T values) as its training read
 * its series: when m replaced one-point spikes (m->despike) and reads one
 * value a step (no features), a copy (allocated with a) in which each
 * history's own spikes are replaced (rnn_pipeline_clean_spikes at
 * RNN_SPIKE_K, m's season and log, each history a series of its own) among
 * its last points that a forecast reads (RNN_THETA_MAX_POINTS, or the
 * window where longer: the time stays bounded for any T), so that the
 * network and Theta read the training rows as training did; else (a global
 * model, features, input_size > 1, no despike, stride > 1) NULL: the
 * histories as given.  *failed: the allocation failed (NULL returned).
 * check(check_arg), when not NULL, is called before each history.
 */
double	   *rnn_pipeline_histories_despiked(const RnnModel *m, const double *hist, int B, int T,
											int stride, bool *failed, void (*check) (void *),
											void *check_arg, const RnnAlloc *a);

/*
 * Whether a model's pipeline replaces one-point spikes
 * (rnn_pipeline_clean_spikes): the configuration's despike where set (0 or
 * 1); else a warm start's model's (init_despike), none for an imported
 * model (weights trained elsewhere), and otherwise on for a model without
 * features (which may explain a spike: a promotion) under the scalings
 * that leave the level to the windows (window, zscore).
 */
bool		rnn_pipeline_despike(int cfg_despike, int scaling, bool warm, bool imported,
								 int init_despike, int n_features);

/*
 * The network's series of a one-series model from the pipeline's adjusted
 * series adj[0..n-1] (n >= 1).  Unless keep (a warm start with the same
 * scaling keeps m's statistics), sets m->scale_mean and m->scale_std: 0
 * and 1 under scaling none or level; else the mean, and the spread of the
 * changes under window scaling (its windows are relative to their last
 * value; more than 2 points) or the standard deviation, each made safe for
 * a constant series (rnn_pipeline_spread_or_magnitude).  Then scaled[i] =
 * (adj[i] - mean) / std, differenced at lag > 0 (z[t] - z[t - lag] from t
 * = lag on).  RNN_ERR_LIMIT: a statistic beyond 1e300 in magnitude, or the
 * scale below 1e-300 (the stored model bounds them); RNN_ERR_NONFINITE: a scaled value beyond 1e30
 * (the network's float inputs).
 */
RnnStatus	rnn_pipeline_scale_series(RnnModel *m, const double *adj, size_t n, int lag, bool keep,
									  rnn_real *scaled);

/*
 * Features (n rows of m->n_features; the user's first, then the
 * calendar's) on the network's scale into Fs: each user feature less its
 * mean, divided by its spread (as the series' own constant rule:
 * rnn_pipeline_spread_or_magnitude), or as it is under scaling none;
 * calendar features as they are (in [-1, 1]).  Sets m->feature_mean and
 * feature_std (allocated by the caller) unless keep (a warm start's).
 * RNN_ERR_NONFINITE, with the column in *bad, when a scaled feature would
 * be out of float range.
 */
RnnStatus	rnn_pipeline_scale_features(RnnModel *m, const double *F, size_t n, bool keep,
										rnn_real *Fs, int *bad);

#endif							/* RNN_PIPELINE_H */
