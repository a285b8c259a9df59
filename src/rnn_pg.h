/*
 * rnn_pg.h
 *	  Declarations shared by the PostgreSQL glue (the .c files in src): GUCs, the
 *	  palloc-backed allocator for the core, model bytea reading and writing,
 *	  the training configuration and time-axis helpers.
 */
#ifndef RNN_PG_H
#define RNN_PG_H

#include "postgres.h"

#include "fmgr.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "rnn_common.h"
#include "rnn_model.h"
#include "rnn_net.h"

/* the one errcode every malformed model is reported with */
#define ERRCODE_RNN_BAD_MODEL ERRCODE_INVALID_BINARY_REPRESENTATION

/* GUCs (rnn_forecast.c) */
extern int	rnn_threads;
extern bool rnn_progress;
extern int	rnn_max_parameters;
extern int	rnn_max_training_seconds;
extern int	rnn_max_epochs;
extern int	rnn_max_training_memory;
extern int	rnn_max_series;

/* allocator over palloc in CurrentMemoryContext (huge allocations allowed) */
extern const RnnAlloc rnn_palloc_allocator;

/* model_io.c */
extern void rnn_model_read(RnnModel *m, bytea *raw);
extern const RnnModel *rnn_model_cached(Datum model);
extern void rnn_model_copy(RnnModel *dst, const RnnModel *src);

/* A model datum kept to recognise the same model in later rows (model_io.c). */
typedef struct RnnModelDatum
{
	Size		len;
	char	   *raw;			/* the datum as passed (maybe a TOAST pointer) */
} RnnModelDatum;

extern void rnn_model_datum_keep(RnnModelDatum *k, Datum model);
extern bool rnn_model_datum_same(const RnnModelDatum *k, Datum model);
extern bytea *rnn_model_write(const RnnModel *m);
extern bytea *rnn_model_write_checked(const RnnModel *m, int sqlerrcode, const char *message);
extern void rnn_report_status(RnnStatus st, const char *what);

/* config.c */
typedef struct RnnConfig
{
	int			cell;
	int			hidden_size;
	int			num_layers;
	bool		bidirectional;
	int			window;			/* 0: chosen from the season and length */
	int			horizon;		/* outputs of the network */
	int			epochs;
	int			batch_size;
	double		learning_rate;
	int			optimizer;
	double		clip_norm;
	double		validation_fraction;
	int			patience;
	int64		seed;
	bool		interpolate;	/* missing => 'interpolate' (else 'error') */
	int			scaling;
	int			loss;
	double		quantile;
	int			season;			/* 0: inferred */
	int			strategy;		/* RnnStrategy; AUTO until rnn_config_resolve */
	int			ensemble;		/* members (of each kind, with strategy mixed) */
	int			log;			/* log transform: -1 auto (positive series), 0 off, 1 on */
	int			deseasonalize;	/* seasonal indices: -1 auto (unless shrunk to 0), 0 off, 1 on */
	int			despike;		/* one-point spikes replaced: -1 auto (no features, window or
								 * zscore scaling), 0 off, 1 on */
	int			refit;			/* retrain on all windows for the best epoch count: -1 auto */
	int64		epoch_size;		/* windows per epoch: -1 auto, 0 all, else a sample of that many */
	bool		on_error_null;	/* on_error => 'null': a group that cannot train gives NULL */
	bool		init_mismatch_cold; /* on_init_mismatch => 'cold': train an incompatible
									 * warm start from scratch, with a NOTICE */
	char		time_zone[RNN_MAX_ZONE_NAME + 1];	/* "" = the session's TimeZone */
	bool		calendar;		/* calendar features (rnn_calendar.h) */
	double		theta_weight;	/* weight of the Theta forecast (rnn_theta.h); -1 automatic */
	const char *group;			/* not a key: the rows being trained, for progress notices */
	bool		fold;			/* not a key: a backtest's fold, which goes without what
								 * its fewer rows cannot give (deseasonalize => true) */
} RnnConfig;

/* scaling => 'auto': chosen by rnn_fit (never stored in a model) */
#define RNN_CONFIG_SCALE_AUTO (-1)

extern void rnn_config_defaults(RnnConfig *cfg);
extern RnnConfig rnn_config_resolve(const RnnConfig *cfg, const RnnModel *init, int dflt);
extern const char *rnn_scaling_name(int scaling);
extern const char *rnn_strategy_name(int strategy);
extern void rnn_config_from_jsonb(RnnConfig *cfg, Jsonb *jb);
extern char *rnn_config_to_json(const RnnConfig *c);
extern void rnn_config_record(RnnModel *m, const RnnConfig *cfg);

/* rows.c: rows collected by aggregates */
#include "rnn_series.h"

/* Distinct series names in first-seen order, with a hash index. */
typedef struct RnnNames
{
	int32		n;
	int32		cap;
	char	  **name;			/* (n) not terminated */
	int32	   *len;			/* (n) */
	int32	   *slot;			/* (slots) name index + 1, 0 = empty */
	int32		slots;			/* power of two, > 2 n */
} RnnNames;

typedef struct RnnRows
{
	int			ts_kind;		/* RnnTsKind */
	size_t		n;
	size_t		cap;
	int64	   *keys;			/* NULL for RNN_TS_NONE */
	double	   *values;
	bool	   *isnull;
	Jsonb	   *config;			/* the first row's config, copied (NULL: none) */
	bytea	   *init;			/* the first row's warm-start model, copied (NULL: none) */
	/*
	 * the first row's init as stored, when a TOAST pointer: a later row's
	 * pointer to the same stored value is the same model without reading it
	 * (rnn_arg_same_as_kept; a joined or subquery model is not a constant)
	 */
	struct varatt_external init_toast;
	bool		init_toasted;
	bool		options_seen;	/* config and init were read from the first row */
	bool		options_stable; /* and are constants (or external parameters) of
								 * the query: every row passes the same ones */
	int32		n_feat;			/* features per row (0: none, or none known yet) */
	bool		feat_form;		/* the aggregate takes features (all NULL so far when n_feat is 0) */
	double	   *feats;			/* (cap, n_feat) */
	bool	   *feat_null;		/* (cap, n_feat) */
	int32		horizon;		/* rnn_backtest */
	int32		folds;			/* rnn_backtest */

	/*
	 * on_error => 'null': a row's own error (its timestamp, its features)
	 * waits for the group's training, where it gives the group NULL; the
	 * first one is kept (RnnRowError, its row and figure), the rows after
	 * it are still read
	 */
	bool		defer_errors;
	size_t		seen;			/* rows given (added or left out): row numbers */
	int			deferred;
	size_t		deferred_row;
	int			deferred_arg;

	/* global models: the series of each row and the table of series names */
	int32	   *sidx;			/* (n) index into names; NULL for one series */
	RnnNames   *names;
} RnnRows;

/* The time axis of a regular series. */
typedef struct RnnAxis
{
	int			ts_kind;
	int			step_kind;
	int64		step;
	int64		last_ts;		/* native value of the last row */
	char		time_zone[RNN_MAX_ZONE_NAME + 1];	/* timestamptz: the zone read in */
	bool		month_end;		/* a month axis of rows on the last day of their months */
	int64		shift;			/* steps from the last of the rows trained on to last_ts: 0, or
								 * negative for a backtest fold's first rows (calendar features) */
} RnnAxis;

/*
 * In a transition function: a row without a timestamp (argument ts_arg) and
 * without a value (value_arg), an outer join's side that has no rows, is
 * no row: the state comes back as it was (NULL before the first row, so a
 * group of such rows alone gives NULL).
 */
/*
 * The most rows without a value a window may end in and still forecast
 * (moved back to its last value: rnn_predict, rnn_predict_rows,
 * rnn_anomaly); more, and the row gets no forecast
 */
#define RNN_ROWS_MAX_GAP(W) (2 * (W))

#define RNN_SKIP_EMPTY_ROW(ts_arg, value_arg) \
	do { \
		if (PG_ARGISNULL(ts_arg) && PG_ARGISNULL(value_arg)) \
		{ \
			if (PG_ARGISNULL(0)) \
				PG_RETURN_NULL(); \
			PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
		} \
	} while (0)

extern int	rnn_ts_kind_of_type(Oid type);
extern RnnRows *rnn_rows_state(FunctionCallInfo fcinfo, int ts_kind, const char *fname);
extern bool rnn_rows_add(RnnRows *st, int64 key, bool value_null, double value);
extern int64 rnn_ts_arg_key(FunctionCallInfo fcinfo, int argno, int ts_kind, const char *fname);
extern bool rnn_rows_key(FunctionCallInfo fcinfo, RnnRows *st, int argno, const char *fname,
						 int64 *key);
extern void rnn_rows_raise_deferred(const RnnRows *st, const char *fname);
extern int64 rnn_ts_datum_key(Datum d, bool isnull, int ts_kind, const char *fname);
extern void rnn_rows_options(FunctionCallInfo fcinfo, RnnRows *st, int config_arg, int init_arg);
extern bool rnn_toast_pointer(Datum d, struct varatt_external *ptr);
extern bool rnn_same_toast_value(Datum d, const struct varatt_external *kept);
extern bool rnn_arg_same_as_kept(FunctionCallInfo fcinfo, int argno, const struct varlena *kept, bool whole,
								 const struct varatt_external *kept_toast);
extern void rnn_rows_add_features(FunctionCallInfo fcinfo, RnnRows *st, int argno, const char *fname);
extern double *rnn_rows_features_to_grid(const RnnRows *st, const RnnSeries *series,
										 const RnnConfig *cfg, bool **filled, const char *fname);
extern RnnRows *rnn_rows_ts_transfn(FunctionCallInfo fcinfo, int features_arg, int init_arg,
									const char *fname);
extern RnnRows *rnn_rows_series_transfn(FunctionCallInfo fcinfo, int features_arg, int init_arg,
										const char *fname);
extern RnnRows *rnn_rows_of_series(const RnnRows *st, int32 **order, int32 s);
extern void rnn_rows_free(RnnRows *one);
extern bool rnn_rows_has_value(const RnnRows *st);
extern char *rnn_rows_describe(const RnnRows *st);
extern void rnn_rows_to_series(RnnSeries *series, RnnAxis *axis, const RnnRows *st,
							   const RnnConfig *cfg, const char *fname);

/* fit.c: training a model on a regular series, and the steps fit_global.c shares */
#include "portability/instr_time.h"
#include "rnn_train.h"

typedef struct RnnFitProgress
{
	instr_time	start;
	int			epochs;
	int			member;
	int			members;
	const char *fname;
	const char *group;			/* the rows being trained (NULL: not shown) */
	RnnTrainHooks hooks;		/* cancellation, time limit, progress notices */
} RnnFitProgress;

/*
 * A global model's strategy => 'auto': mixed (direct before the products
 * at hidden 32 were sped up, in 0.7.0's development).  It
 * beat direct on the M3 training parts (4 folds x 3 seeds: 0.2 sMAPE
 * yearly, 0.1 quarterly and monthly, other equal) and on the holdout; it
 * trains about four times as long as direct, which those products made
 * affordable: the 1,285 monthly series' model in 207 s, under the
 * 5 minutes it must stay under (README, the protocol table).  A warm start
 * keeps its model's strategy.
 */
#define RNN_GLOBAL_STRATEGY RNN_STRATEGY_MIXED

/* The members a model of cfg has: ensemble, or twice that with strategy mixed. */
static inline int
rnn_config_members(const RnnConfig *cfg)
{
	return cfg->strategy == RNN_STRATEGY_MIXED ? 2 * cfg->ensemble : cfg->ensemble;
}

/*
 * Whether training refits on every window for the chosen epoch count: as
 * configured, else (automatic) for a global model only.  Two-fold CV on the
 * M3 training parts gave global sMAPE 20.0 -> 19.6 yearly, 9.76 -> 9.55
 * quarterly, 14.75 -> 14.55 monthly, 3.93 -> 3.90 other; per series it lost
 * (16.26 -> 16.60 on every 10th series), the last windows being few.
 */
static inline bool
rnn_config_refit(const RnnConfig *cfg, bool global)
{
	return cfg->refit == 1 || (cfg->refit < 0 && global);
}

/* held-out windows at least, under window scaling, when the series has enough */
#define RNN_FIT_MIN_VALIDATION 3
/* windows per epoch of a one-series model (a sample of them when there are more) */
#define RNN_FIT_EPOCH_WINDOWS 512
/*
 * held-out windows of a one-series model whose epochs are sampled
 * automatically: the latest ones, at most twice the epoch's sample, so that
 * an epoch's cost does not grow with the series
 */
#define RNN_FIT_VALIDATION_WINDOWS (2 * RNN_FIT_EPOCH_WINDOWS)

extern void rnn_fit(RnnModel *m, const double *values, const double *feats, int n_user,
					size_t n, const RnnAxis *axis, const RnnConfig *cfg, const RnnModel *init,
					const char *fname);
extern void rnn_model_set_axis(RnnModel *m, const RnnAxis *axis);
/* the error of values whose spread (or scale) is below the 1e-300 a stored model keeps */
extern pg_attribute_noreturn() void rnn_values_too_small(const char *fname, double spread);
extern double *rnn_fit_features(RnnModel *m, const double *feats, int n_user, size_t n,
								int64 shift, const RnnConfig *cfg, const RnnModel *init,
								const char *fname);
extern rnn_real *rnn_fit_scale_features(RnnModel *m, const double *F, size_t n,
										const RnnModel *init);
extern void rnn_fit_architecture(RnnModel *m, const RnnConfig *cfg, int window, int outputs,
								 const char *fname);
extern void rnn_check_training_memory(const RnnModel *m, const RnnConfig *cfg, int window,
									  size_t n, size_t n_win, const char *fname);
extern void rnn_fit_init_params(RnnModel *m, const RnnConfig *cfg, const RnnModel *init);
extern void rnn_fit_train_spec(RnnTrainSpec *spec, const RnnModel *m, const RnnConfig *cfg);
extern RnnStatus rnn_fit_run_training(rnn_real *params, RnnTrainResult *res,
									  const rnn_real *series, const size_t *seg_start,
									  const size_t *seg_len, size_t n_seg,
									  const RnnTrainSpec *spec, const RnnTrainHooks *hooks);
extern RnnStatus rnn_fit_train_member(RnnModel *m, int k, bool warm, RnnTrainResult *res,
									  const rnn_real *series, const size_t *seg_start,
									  const size_t *seg_len, size_t n_seg,
									  const RnnTrainSpec *spec, const RnnTrainHooks *hooks);
extern void rnn_fit_sum_losses(const RnnTrainResult *res, double *sum_train, int *trained,
							   double *sum_val);
extern void rnn_fit_keep_history(RnnModel *m, const RnnTrainResult *res);
extern void rnn_fit_finish(RnnModel *m, const RnnConfig *cfg, instr_time t0);
extern void rnn_check_interrupts(void *arg);
extern void rnn_fit_progress_init(RnnFitProgress *p, instr_time start, const RnnConfig *cfg,
								  const char *fname);

/* warm_start.c: whether a warm-start model continues these rows and this configuration */
extern bool rnn_axis_matches(const RnnModel *init, const RnnAxis *axis);
extern bool rnn_model_imported(const RnnModel *m);
extern void rnn_check_warm_axis(const RnnModel *init, const RnnAxis *axis, size_t n,
								const char *fname);
extern char *rnn_warm_log_mismatch(bool logged, const RnnConfig *cfg, const RnnAxis *axis,
								   const double *values, size_t n, int despike_season,
								   const char *series, int name_len);
extern void rnn_warm_log_error(const char *why, const char *fname) pg_attribute_noreturn();
extern void rnn_warm_cold_notice(const char *why, const char *group, const char *fname);
extern char *rnn_warm_axis_text(const RnnModel *init, const RnnAxis *axis);
extern const RnnModel *rnn_warm_start_or_cold(const RnnModel *init, const RnnAxis *axis, size_t rows,
											  const double *values, int n_user,
											  const RnnConfig *cfg, int dflt, bool global,
											  const char *fname);
extern void rnn_check_warm_start(const RnnModel *init, const RnnShape *s, int window,
								 int strategy, int members, const char *fname);
extern char *rnn_warm_pipeline_mismatch(const RnnModel *init, const RnnConfig *cfg,
										const RnnAxis *axis, const double *values, size_t n,
										bool *is_log);
extern bool rnn_warm_season_phase(const RnnModel *init, const RnnAxis *axis, int *phase);
extern bool rnn_warm_features_fit(const RnnModel *init, int K, int bits);
extern void rnn_warm_kept_notice(const char *fname, const RnnConfig *cfg, const char *kept,
								 const char *asked);

/* fit_global.c: one model over the series of a global aggregate */
typedef struct RnnGlobalData
{
	int32		ns;				/* series, in name order */
	char	  **name;
	int32	   *name_len;
	RnnSeries  *series;			/* regular series */
	RnnAxis    *axes;
	int32		n_user;			/* features per row (0: none) */
	double	  **feat;			/* (ns) each series' features on its grid (series[k].n, n_user) */
	bool	  **feat_filled;	/* (ns) the same: a feature filled in (no row, NULL or NaN) */
	bool	   *zeros_dropped;	/* (ns) its zeros before a launch left out (rnn_series_drop_lead) */
	int32		ref;			/* a series with two rows or more: the shared step */
} RnnGlobalData;

extern RnnGlobalData *rnn_global_collect(const RnnRows *rows, const RnnConfig *cfg,
										 const char *fname);
extern void rnn_fit_global(RnnModel *m, const RnnRows *rows, const RnnConfig *cfg,
						   const RnnModel *init, const char *fname);
extern void rnn_fit_global_data(RnnModel *m, const RnnGlobalData *g, size_t cut,
								const size_t *cuts, const RnnConfig *cfg,
								const RnnModel *init, const char *fname);

/* timeaxis.c */
extern int	rnn_axis_calendar_bits(const RnnModel *m);
extern bool rnn_axis_month_ends_hold(const RnnModel *m);
extern void rnn_calendar_rows(const RnnModel *m, int64 first, size_t count, double *out,
							  int stride, int col);
extern pg_tz *rnn_model_tz(const RnnModel *m);
extern pg_tz *rnn_training_tz(const char *configured, char *name_out);
extern bool rnn_zone_is_servers_own(const char *name);
extern int64 *rnn_keys_to_months(int ts_kind, const int64 *keys, size_t n, pg_tz *tz,
								  bool *month_end);
extern int64 *rnn_keys_to_local_days(const int64 *keys, size_t n, pg_tz *tz);
extern int64 rnn_keys_local_step(const int64 *keys, size_t n, pg_tz *tz);
extern bool rnn_keys_month_strays(int ts_kind, const int64 *keys, size_t n, pg_tz *tz,
								  int64 *bad_key);
/* the unit-step key `steps` steps after the model's last row; false on overflow */
extern bool rnn_key_after(const RnnModel *m, int64 steps, int64 *key);
extern Datum rnn_future_timestamptz(const RnnModel *m, int step_ahead, bool *isnull);
extern Datum rnn_future_local(const RnnModel *m, int step_ahead, bool *isnull);
extern const char *rnn_ts_kind_name(int ts_kind);
extern char *rnn_key_to_text(int ts_kind, int64 key);
extern char *rnn_step_text(const RnnModel *m);
extern void rnn_check_ts_kind(const RnnModel *m, int ts_kind, const char *fname);
extern bool rnn_steps_from_last(const RnnModel *m, int ts_kind, int64 key, int64 *steps,
								const char *fname);
extern int	rnn_steps_after(const RnnModel *m, int ts_kind, int64 key, const char *fname);
extern char *rnn_point_text(const RnnModel *m, int64 offset);
/* the same in ISO 8601 whatever the session's DateStyle (as to_jsonb writes it), for JSON */
extern char *rnn_point_iso(const RnnModel *m, int64 offset);

/* forecast.c */
extern void rnn_check_model_horizon(const RnnModel *m, int horizon, const char *fname);
extern void rnn_check_no_features(const RnnModel *m, const char *fname);
extern void rnn_check_predict_model(const RnnModel *m, int horizon, const char *fname);
extern ArrayType *rnn_float8_array(const double *v, int n);
extern double *rnn_forecast_or_error(const RnnModel *m, const double *hist, int T, int horizon,
									 const char *fname);
extern double *rnn_forecast_stored(const RnnModel *m, int horizon, const char *fname);
extern double *rnn_forecast_view(const RnnModel *view, const double *F, int horizon,
								 const char *fname);
extern double *rnn_forecast_history_features(const RnnModel *m, const double *hist, int T,
											 const double *F, int horizon, const char *fname);

#endif							/* RNN_PG_H */
