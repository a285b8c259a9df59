/*
 * rnn_train.h
 *	  Training a network on sliding windows of one series: mini-batches,
 *	  losses, optimizers, validation on the chronologically last windows,
 *	  early stopping that keeps the best weights.
 */
#ifndef RNN_TRAIN_H
#define RNN_TRAIN_H

#include "rnn_common.h"
#include "rnn_net.h"
#include "rnn_optim.h"

typedef enum RnnLoss
{
	RNN_LOSS_MSE = 1,
	RNN_LOSS_MAE = 2,
	RNN_LOSS_HUBER = 3,			/* delta 1, as torch.nn.HuberLoss */
	RNN_LOSS_PINBALL = 4		/* at spec->quantile */
} RnnLoss;

/* Per-window normalisation of inputs and targets. */
typedef enum RnnWindowNorm
{
	RNN_NORM_NONE = 0,
	RNN_NORM_LAST = 1,			/* minus the window's last value */
	RNN_NORM_MEAN_RATIO = 2		/* divided by the window's mean, minus 1 */
} RnnWindowNorm;

/*
 * Epochs sampled from more training windows than this draw their sample with
 * a partial shuffle (O(sample) per epoch); up to it the whole order is
 * shuffled every epoch, as before 0.6.0, so shorter series train as they did.
 */
#define RNN_TRAIN_FULL_SHUFFLE 65536

typedef struct RnnTrainSpec
{
	RnnShape	shape;			/* input_size must be 1 + n_features */
	int			window;			/* inputs per training window */
	int			epochs;
	int			batch_size;		/* 0: all training windows in one batch */
	double		learning_rate;
	int			optimizer;		/* RnnOptimizer */
	double		clip_norm;		/* 0: no clipping */
	double		validation_fraction;	/* share of windows held out, [0, 0.9] */
	int			patience;		/* 0: no early stopping */
	uint64_t	seed;			/* shuffling */
	int			loss;			/* RnnLoss */
	double		quantile;		/* pinball loss */
	int			window_norm;	/* RNN_NORM_*: how each window is made relative to itself */
	int			min_validation; /* hold out at least this many windows when there are enough */
	bool		validate_initial;	/* the initial weights compete with every epoch's */
	bool		refit;			/* then train again on every window for the best epoch count */
	size_t		epoch_windows;	/* 0: an epoch is every training window; else a sample of this many */
	size_t		max_validation; /* 0: validation_fraction alone; else at most this many
								 * held-out windows per segment (the latest ones) */
	int			threads;		/* 0 or 1: one thread; n: every mini-batch in n parts, one per
								 * thread (results depend on n, see rnn_train_segments) */

	/*
	 * Covariates: features (n, n_features), row i belonging to series[i];
	 * the input at window step t is the value at t and the features of the
	 * row after it (those of the step predicted), already scaled.  NULL
	 * when n_features is 0.
	 */
	int			n_features;
	const rnn_real *features;
} RnnTrainSpec;

/*
 * The caller's hooks.  Only the thread that called rnn_train runs them (and
 * rnn_step_hook), never a worker thread.  check runs before every
 * mini-batch, while the workers wait; rnn_step_hook runs at the time steps
 * of the calling thread's own part of a batch, while the workers compute
 * theirs.  When either may longjmp out and spec->threads > 1, the caller
 * must call rnn_threads_abandon() (rnn_threads.h) after the longjmp and
 * before it frees the memory it allocated for the training.
 */
typedef struct RnnTrainHooks
{
	void	   *arg;
	/* called at least once per mini-batch; may longjmp out (cancel) */
	void		(*check) (void *arg);
	/* called after every epoch */
	void		(*epoch_done) (void *arg, int epoch, double train_loss, double val_loss);
} RnnTrainHooks;

typedef struct RnnTrainResult
{
	int			epochs_run;
	int			best_epoch;		/* 1-based epoch whose weights were kept (0: the initial ones) */
	double		train_loss;		/* of the kept epoch */
	double		val_loss;		/* of the kept epoch; -1 without validation */
	float	   *loss_train;		/* per epoch run */
	float	   *loss_val;		/* per epoch run (-1 without validation) */
	size_t		n_train;		/* windows trained on */
	size_t		n_val;			/* windows held out */
} RnnTrainResult;

/* Windows a series of n points gives (0 when too short). */
size_t		rnn_window_count(size_t n, int window, int output_size);

/*
 * The share of n_win windows held out for early stopping: the last
 * floor(validation_fraction * n_win), at most max_validation (> 0; 0: no
 * cap), *capped when the cap applied.  Training may hold out more for its
 * min_validation, or none when the windows are too few (rnn_train_segments).
 */
size_t		rnn_train_held_out(size_t n_win, double validation_fraction, size_t max_validation,
							   bool *capped);

/*
 * Train params (initialised by the caller) on series[0..n-1].  On return
 * params hold the best weights found.  RNN_ERR_DIVERGED when the loss stops
 * being finite.
 */
RnnStatus	rnn_train(rnn_real *params, RnnTrainResult *res,
					  const rnn_real *series, size_t n, const RnnTrainSpec *spec,
					  const RnnAlloc *a, const RnnTrainHooks *hooks);

/*
 * The same over several series at once: segment g is
 * series[seg_start[g] .. seg_start[g] + seg_len[g] - 1]; windows never cross
 * segments, and every segment holds out its own last windows.  Segments too
 * short for a window are skipped.  One segment is exactly rnn_train.
 *
 * With spec->threads = n > 1, every mini-batch (and validation batch) is
 * cut into n contiguous parts of ceil(B / n) windows (the last ones may be
 * smaller or empty); thread k runs the forward and backward passes of part
 * k with its own activations and gradients, the gradients are added up in
 * part order and one optimizer step follows.  The loss is the same mean
 * over the batch.  Results are bit-identical from run to run for a given
 * n; they differ from one thread's in the order of sums only.
 */
RnnStatus	rnn_train_segments(rnn_real *params, RnnTrainResult *res, const rnn_real *series,
							   const size_t *seg_start, const size_t *seg_len, size_t n_seg,
							   const RnnTrainSpec *spec, const RnnAlloc *a,
							   const RnnTrainHooks *hooks);

/* loss over (n) predictions and d loss / d y into dy (when not NULL) */
double		rnn_loss(rnn_real *dy, const rnn_real *y, const rnn_real *target,
					 size_t n, int loss, double quantile);

#endif							/* RNN_TRAIN_H */
