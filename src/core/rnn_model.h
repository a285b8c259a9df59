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
#define RNN_MODEL_VERSION		2	/* written; 1 is still read */
#define RNN_MODEL_MAX_LOSSES	RNN_MAX_EPOCHS

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
	RNN_STEP_MONTHS = 1			/* step in calendar months */
} RnnStepKind;

/* How forecasts beyond one step are made. */
typedef enum RnnStrategy
{
	RNN_STRATEGY_AUTO = 0,		/* format 1: direct within the output size, recursive beyond */
	RNN_STRATEGY_RECURSIVE = 1, /* one output, fed back */
	RNN_STRATEGY_DIRECT = 2,	/* horizon outputs at once */
	RNN_STRATEGY_SEQ2SEQ = 3	/* encoder-decoder (shape.seq2seq) */
} RnnStrategy;

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

	int32_t		format_version; /* as read (not stored; the writer writes the current one) */

	size_t		n_params;		/* per member */
	rnn_real   *params;			/* (members, n_params) */
} RnnModel;

/* Size in bytes of the encoding of m (0 when m is inconsistent or too large). */
size_t		rnn_model_encoded_size(const RnnModel *m);

/* Write m into buf (exactly rnn_model_encoded_size(m) bytes). */
void		rnn_model_encode(const RnnModel *m, uint8_t *buf);

/*
 * Decode and fully validate len bytes into *m, allocating its arrays.
 * Returns RNN_ERR_CORRUPT, RNN_ERR_VERSION or RNN_ERR_LIMIT for bad input,
 * with a static description in *why.
 */
RnnStatus	rnn_model_decode(RnnModel *m, const uint8_t *buf, size_t len,
							 const RnnAlloc *a, const char **why);

/* Checks a model built in memory (e.g. from JSON) the way decode does. */
RnnStatus	rnn_model_validate(const RnnModel *m, const char **why);

uint32_t	rnn_crc32(const uint8_t *buf, size_t len);

#endif							/* RNN_MODEL_H */
