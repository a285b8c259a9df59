/*
 * rnn_model.h
 *	  A trained model: architecture, weights, scaling, the last window of the
 *	  series, time axis, training metrics and calibration errors; and its
 *	  portable byte encoding (the bytea users store).
 */
#ifndef RNN_MODEL_H
#define RNN_MODEL_H

#include "rnn_common.h"
#include "rnn_net.h"

#define RNN_MODEL_MAGIC			"RNNF"
#define RNN_MODEL_VERSION		11	/* written for global models some of whose log series have a spread other than the scale they share, 10 for other models that record what trained them, 9 for other models whose Theta weights were validated, 8 for other mixed models, 7 for other global models with per-series Theta weights, 6 for other models combined with Theta, 5 for models with features, 4 for the others; 1 to 3 are still read */
#define RNN_MAX_SERIES			(1024 * 1024)	/* series in one global model */
#define RNN_MAX_SERIES_NAME		1024	/* bytes of a series name */
#define RNN_MODEL_MAX_LOSSES	RNN_MAX_EPOCHS
#define RNN_MAX_ZONE_NAME		255 /* bytes of a time zone name (PostgreSQL's TZ_STRLEN_MAX) */
#define RNN_MAX_CONFIG_TEXT		4096	/* bytes of the stored training configuration */
#define RNN_MAX_TRAINED_WITH	255 /* bytes of the stored provenance (format 10) */
#define RNN_USECS_PER_DAY		INT64_C(86400000000)

typedef enum RnnScaling
{
	RNN_SCALE_NONE = 0,
	RNN_SCALE_ZSCORE = 1,
	RNN_SCALE_WINDOW = 2,		/* zscore, then each window minus its last value */
	RNN_SCALE_SEASONAL = 3,		/* zscore, then differences at the season lag */
	RNN_SCALE_LEVEL = 4,		/* each window divided by its own mean, less 1 (positive series) */
	RNN_SCALE_DIFF = 5			/* zscore, then first differences */
} RnnScaling;

/*
 * The lag of the differences the network reads and predicts: the season for
 * RNN_SCALE_SEASONAL, 1 for RNN_SCALE_DIFF, else 0.  The network reads the
 * model's window less the lag (differences need values before them).
 */
#define RNN_DIFF_LAG(m) ((m)->scaling == RNN_SCALE_SEASONAL ? (m)->season : \
						 (m)->scaling == RNN_SCALE_DIFF ? 1 : 0)

/* What the time axis of the training rows was. */
typedef enum RnnTsKind
{
	RNN_TS_NONE = 0,			/* rows in ORDER BY order, no timestamps */
	RNN_TS_BIGINT = 1,
	RNN_TS_TIMESTAMPTZ = 2,		/* keys in microseconds */
	RNN_TS_TIMESTAMP = 3,		/* keys in microseconds */
	RNN_TS_DATE = 4				/* keys in days */
} RnnTsKind;

typedef enum RnnStepKind
{
	RNN_STEP_UNITS = 0,			/* step in the key's own unit */
	RNN_STEP_MONTHS = 1,		/* step in calendar months (of the model's time zone) */
	RNN_STEP_LOCAL_DAYS = 2		/* timestamptz: whole days of wall-clock time in the
								 * model's time zone (format 4), step in microseconds */
} RnnStepKind;

/* How forecasts beyond one step are made. */
typedef enum RnnStrategy
{
	RNN_STRATEGY_AUTO = 0,		/* format 1: direct within the output size, recursive beyond */
	RNN_STRATEGY_RECURSIVE = 1, /* one output, fed back */
	RNN_STRATEGY_DIRECT = 2,	/* horizon outputs at once */
	RNN_STRATEGY_SEQ2SEQ = 3,	/* encoder-decoder (shape.seq2seq) */
	RNN_STRATEGY_MIXED = 4		/* format 8: half the members direct, half one-step (below) */
} RnnStrategy;

/*
 * A mixed model's members: the first half direct (horizon outputs at
 * once), the second half trained on one-step targets and forecasting
 * recursively with their first output fed back (rnn_params_embed_one_step
 * keeps them in the direct members' shape).  Their forecasts are averaged.
 */
#define RNN_MEMBER_ONE_STEP(m, k) \
	((m)->strategy == RNN_STRATEGY_MIXED && (k) >= (m)->members / 2)

/*
 * Format 6: the Theta method's state on a series' adjusted values
 * (rnn_theta.h): the smoothed level, half the trend line's slope, the
 * smoothing weight and the points it was fitted on (0: not fitted).
 */
typedef struct RnnTheta
{
	double		level;
	double		drift;
	double		alpha;
	int32_t		n;
} RnnTheta;

/*
 * What a global model keeps of each series it was trained on: the series'
 * own pipeline (log, seasonal indices, scale), its time axis and its last
 * values.  A single-series model keeps the same things in RnnModel itself.
 */
typedef struct RnnSeriesState
{
	char	   *name;			/* name_len bytes, not terminated */
	int32_t		name_len;
	int64_t		last_ts;
	int64_t		rows;
	double		scale_mean;
	double		scale_std;
	double		naive_scale;
	int32_t		phase_last;
	int32_t		log_transform;
	int32_t		month_end;		/* its rows on the last day of their months (the record's
								 * byte after log_transform) */
	int32_t		nonnegative;	/* every training value of the series was at least 0: its
								 * forecasts and bounds are floored at 0 (the byte after
								 * month_end, 2026-12-06; a model's flag bit 2 sets it for
								 * every series) */
	int32_t		leading_zeros_dropped;	/* the zeros before its first positive value were left
										 * out (rnn_pipeline_launch_zeros; bit 0 of the byte
										 * after nonnegative, 2026-12-07) */
	int32_t		spikes_replaced;	/* one-point spikes the pipeline replaced, 0 to
									 * RNN_MAX_SPIKES (rnn_pipeline_clean_spikes; bits 1-4 of
									 * that byte) */
	int32_t		season_changed; /* its indices are those of its last two seasons, a new
								 * shape (rnn_pipeline_season_changed; bit 5 of that byte,
								 * 2026-12-08) */
	int32_t		n_seasonal;		/* 0 or the model's season */
	double	   *seasonal;
	int32_t		n_history;
	double	   *history;
	RnnTheta	theta;			/* format 6 */
	/* format 7: this series' Theta weight, [0, 1] (the model's before) */
	double		theta_weight;

	/*
	 * format 11: the spread of the series' own changes
	 * (rnn_pipeline_change_spread of its adjusted values), which scale_std
	 * is too unless the series is a log series of a global model, whose
	 * scale_std is the one they share (rnn_pipeline_share_log_scale); 0
	 * means scale_std (a model of an earlier format, a series of fewer than
	 * 3 points or constant, or a state built without it).  A global model
	 * calibrates its intervals in each series' own spread
	 * (rnn_series_interval_factor).
	 */
	double		spread;
} RnnSeriesState;

/*
 * The validation behind a model's Theta weights (rnn_theta_choose_weight):
 * the mean absolute errors, on the network's scale, of the network alone,
 * Theta alone and their combination at each series' own weight, each a
 * series' mean over its validation forecasts, averaged over the `series`
 * validated.  A global model drops the combination when network < combined
 * (rnn_theta_combination_kept).
 */
typedef struct RnnThetaValidation
{
	int32_t		series;			/* series validated; 0: no validation ran */
	double		network;
	double		theta;
	double		combined;
} RnnThetaValidation;

typedef struct RnnModel
{
	RnnShape	shape;
	int32_t		window;			/* time steps the network reads; 0 = any */
	int32_t		season;			/* seasonal period (1 = none) */
	int32_t		members;		/* ensemble members, each n_params weights */
	int32_t		strategy;		/* RnnStrategy */

	int32_t		scaling;		/* RnnScaling */
	double		scale_mean;
	double		scale_std;		/* > 0 */

	int32_t		ts_kind;		/* RnnTsKind */
	int32_t		step_kind;		/* RnnStepKind */
	int64_t		step;			/* >= 1 when ts_kind != NONE */
	int64_t		last_ts;		/* native value of the last training row */
	/* format 4: the zone whose calendar a timestamptz axis follows ("" before) */
	char		time_zone[RNN_MAX_ZONE_NAME + 1];
	/* format 4: the resolved training configuration as JSON text ("" before) */
	char		config[RNN_MAX_CONFIG_TEXT + 1];
	/*
	 * format 10: what trained the model, as printable text: the extension's
	 * version, the BLAS and the kernel it picked for this CPU, the training
	 * threads ("" before, or for a model built from JSON without it).  The
	 * kernel adds in its own order, so models trained elsewhere differ.
	 */
	char		trained_with[RNN_MAX_TRAINED_WITH + 1];

	int32_t		n_history;		/* rows of history (each input_size values) */
	double	   *history;		/* last rows of the series, unscaled */

	int64_t		rows;			/* grid points trained on */
	int32_t		epochs_run;
	int32_t		best_epoch;
	double		train_loss;
	double		val_loss;		/* -1 when nothing was held out */
	double		train_seconds;
	double		naive_scale;	/* in-sample seasonal naive MAE (0: unknown) */
	uint64_t	seed;
	int32_t		n_loss;			/* per-epoch losses kept */
	float	   *loss_train;
	float	   *loss_val;

	int32_t		cal_steps;		/* horizon steps with held-out errors */
	int32_t		cal_n;			/* errors per step */
	float	   *cal_err;		/* (cal_steps, cal_n) absolute errors, ascending per step */
	int32_t		cal_scaled;		/* errors in scaled units (format 3 flag bit 0), else the series' */
	int32_t		month_end;		/* a month axis of rows on the last day of their months (flag
								 * bit 1): 28 February is then followed by 31 March */
	int32_t		nonnegative;	/* every training value was at least 0: forecasts and their
								 * bounds are too (flag bit 2, any format from 3, 2026-12-06) */
	int32_t		leading_zeros_dropped;	/* the training rows' zeros before the first positive
										 * value were left out (rnn_pipeline_launch_zeros; flag
										 * bit 3, any format from 3, 2026-12-07) */
	int32_t		despike;		/* the pipeline replaced one-point spikes where it found
								 * them (flag bit 4, any format from 3, 2026-12-07): a history
								 * a global model did not keep is read the same way */
	int32_t		spikes_replaced;	/* how many, 0 to RNN_MAX_SPIKES, in the training rows of
									 * a single-series model (the header byte after
									 * log_transform, format 3 and later) */
	int32_t		season_changed; /* a single-series model's seasonal indices are those of its
								 * last two seasons, a new shape (rnn_pipeline_season_changed;
								 * flag bit 5, any format from 3, 2026-12-08) */
	/*
	 * a global model's series (rnn_model_series_view): the factor on its
	 * half-widths in scaled units, rnn_series_interval_factor; 0 means 1
	 * (a model of one series, or its own calibration)
	 */
	double		interval_factor;

	/* pipeline (format 3): log transform and seasonal indices (rnn_pipeline.h) */
	int32_t		log_transform;	/* values were logged (all positive) */
	int32_t		n_seasonal;		/* 0, or season: seasonal indices kept */
	double	   *seasonal;		/* (n_seasonal) additive on the (log) scale */
	int32_t		phase_last;		/* phase of the last training point */

	/* global models (format 3): the series trained on, 0 for one series */
	int32_t		n_series;
	RnnSeriesState *series;
	int32_t		n_short;		/* series too short for a window (naive forecasts) */
	/*
	 * set by rnn_model_decode, not stored: rnn_model_shared_log_scale's
	 * answer, so that a history forecast per row does not scan the series
	 */
	int32_t		log_scale_known;
	double		log_scale;
	int32_t		log_scale_own;

	/*
	 * format 5: covariates.  The network's input at step t is the value at t
	 * and the n_features features at t + 1 (those of the step it predicts):
	 * input_size = 1 + n_features.  The user's features come first, then the
	 * calendar's (rnn_calendar.h bits in calendar).  history rows hold the
	 * value and the features at the same step; the features are scaled by
	 * (f - feature_mean) / feature_std.
	 */
	int32_t		n_features;
	int32_t		calendar;
	double	   *feature_mean;	/* (n_features) */
	double	   *feature_std;	/* (n_features) > 0 */

	/*
	 * format 6: forecasts are (1 - theta_weight) network + theta_weight
	 * Theta (rnn_theta.h); theta is the training series' state (a global
	 * model keeps one per series record)
	 */
	double		theta_weight;	/* [0, 1]; 0: the network alone */
	RnnTheta	theta;

	/*
	 * format 9: the validation that chose the Theta weights at training
	 * (series 0: none ran)
	 */
	RnnThetaValidation theta_validation;

	int32_t		format_version; /* as read (not stored; the writer writes the current one) */

	size_t		n_params;		/* per member */
	rnn_real   *params;			/* (members, n_params) */

	/*
	 * Not stored: the weights rearranged for inference
	 * (rnn_model_prepare_infer), (members, rnn_infer_weights_count) from
	 * infer_block, 64-byte aligned.  Used only while infer_of == params:
	 * a copy of the model with weights of its own does not use them.
	 */
	void	   *infer_block;
	const rnn_real *infer_hhT;
	const rnn_real *infer_of;
} RnnModel;

/* Size in bytes of the encoding of m (0 when m is inconsistent or too large). */
size_t		rnn_model_encoded_size(const RnnModel *m);

/* Write m into buf (exactly rnn_model_encoded_size(m) bytes). */
void		rnn_model_encode(const RnnModel *m, uint8_t *buf);

/*
 * Whether the n bytes at p are printable ASCII (0x20 to 0x7e): the only bytes
 * the format's texts (time zone, configuration, provenance) hold.
 */
bool		rnn_model_text_ok(const char *p, size_t n);

/*
 * Keep text as m->config when the format can hold it (printable ASCII, at
 * most RNN_MAX_CONFIG_TEXT bytes); else m->config stays as it is.
 */
void		rnn_model_set_config(RnnModel *m, const char *text);

/*
 * Decode and fully validate len bytes into *m, allocating its arrays.
 * Returns RNN_ERR_CORRUPT, RNN_ERR_VERSION or RNN_ERR_LIMIT for bad input,
 * with a static description in *why.
 */
RnnStatus	rnn_model_decode(RnnModel *m, const uint8_t *buf, size_t len,
							 const RnnAlloc *a, const char **why);

/*
 * Release what rnn_model_decode allocated, also after it failed (pointers
 * it did not reach are NULL: decode starts from a zeroed model).
 */
void		rnn_model_free(RnnModel *m, const RnnAlloc *a);

/* Checks a model built in memory (e.g. from JSON) the way decode does. */
RnnStatus	rnn_model_validate(const RnnModel *m, const char **why);

uint32_t	rnn_crc32(const uint8_t *buf, size_t len);

/* Index of the series called name in a global model, or -1. */
int			rnn_model_find_series(const RnnModel *m, const char *name, int32_t name_len);

/*
 * A single-series model that shares m's weights and has series i's
 * pipeline, history and time axis (no copy: valid while m is).
 */
void		rnn_model_series_view(RnnModel *view, const RnnModel *m, int32_t i);

/*
 * The scale a global model's log series share (rnn_pipeline_share_log_scale),
 * 0 when it has none or they differ (a model from before they shared one);
 * *own: whether they keep spreads of their own (format 11).  The cached
 * answer of a decoded model, else a scan of its series.
 */
double		rnn_model_shared_log_scale(const RnnModel *m, bool *own);

/* Whether a series keeps a spread of its own, one that is not its scale. */
static inline bool
rnn_series_own_spread(const RnnSeriesState *st)
{
	return st->spread > 0 && st->spread != st->scale_std;
}

/*
 * The factor on a global model's half-widths in scaled units for one of its
 * series: its own spread over the scale it was given, (spread /
 * scale_std)^RNN_SPREAD_POWER; 1 for a series whose spread is its scale or
 * unknown.  rnn_calibrate_global pools each series' errors divided by it.
 * The power was chosen on M3's training parts (folds 1 and 2, every series)
 * by the mean scaled interval score at 90%: 0.5 had the least mean over the
 * two folds in three of the four period groups against 0.25 and 0.75
 * (quarterly: 0.75, which made "other" cover 0.96 to 0.98); 1 gave a few
 * series intervals a hundred times their forecast.
 */
#define RNN_SPREAD_POWER 0.5
/* a series' spread over its scale is within [this, 1 / this] (checked on decoding) */
#define RNN_MIN_SPREAD_RATIO 1e-100
double		rnn_series_interval_factor(const RnnSeriesState *st);

#endif							/* RNN_MODEL_H */
