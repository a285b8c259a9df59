/*
 * rnn_train.c
 *	  The training loop over sliding windows of a series.
 *
 * Window k reads series[k .. k+W-1] and predicts series[k+W .. k+W+O-1].
 * The last validation_fraction of windows is held out (chronologically);
 * O-1 windows before it are dropped so no training target is a held-out
 * target.  Each epoch shuffles the training windows with a seeded
 * generator and takes mini-batches; inputs are gathered time-major.
 */
#include "rnn_train.h"

#include <math.h>
#include <string.h>

#include "rnn_rng.h"
#include "rnn_threads.h"

size_t
rnn_window_count(size_t n, int window, int output_size)
{
	size_t		need = (size_t) window + (size_t) output_size;

	return n >= need ? n - need + 1 : 0;
}

/*
 * The sum of the losses of n outputs, and dy = inv * d loss / d y (when not
 * NULL): inv is 1 / the outputs of the whole batch that the mean is over.
 */
static double
loss_sum(rnn_real *dy, const rnn_real *y, const rnn_real *target,
		 size_t n, double inv, int loss, double quantile)
{
	double		total = 0.0;

	for (size_t i = 0; i < n; i++)
	{
		double		d = (double) y[i] - target[i];
		double		g;

		switch (loss)
		{
			case RNN_LOSS_MAE:
				total += fabs(d);
				g = d > 0 ? 1 : d < 0 ? -1 : 0;
				break;
			case RNN_LOSS_HUBER:
				if (fabs(d) < 1.0)
				{
					total += 0.5 * d * d;
					g = d;
				}
				else
				{
					total += fabs(d) - 0.5;
					g = d > 0 ? 1 : -1;
				}
				break;
			case RNN_LOSS_PINBALL:
				/* e = target - y: loss max(q e, (q - 1) e) */
				if (d < 0)
				{
					total += quantile * -d;
					g = -quantile;
				}
				else
				{
					total += (1.0 - quantile) * d;
					g = d > 0 ? 1.0 - quantile : 0;
				}
				break;
			default:
				total += d * d;
				g = 2.0 * d;
				break;
		}
		if (dy)
			dy[i] = (rnn_real) (g * inv);
	}
	return total;
}

double
rnn_loss(rnn_real *dy, const rnn_real *y, const rnn_real *target,
		 size_t n, int loss, double quantile)
{
	double		inv = 1.0 / (double) n;

	return loss_sum(dy, y, target, n, inv, loss, quantile) * inv;
}

/*
 * x (W, B, 1 + k) and target (B, O) for windows idx[0..B-1]: the values,
 * made relative to the window (norm), and the k features of the next row
 */
static void
gather_batch(rnn_real *x, rnn_real *target, const rnn_real *series,
			 const size_t *idx, int B, const RnnTrainSpec *spec)
{
	int			W = spec->window;
	int			O = spec->shape.output_size;
	int			norm = spec->window_norm;
	int			k = spec->n_features;

	if (k > 0)
	{
		/* the features are not made relative to the window */
		for (int b = 0; b < B; b++)
			for (int t = 0; t < W; t++)
				memcpy(x + ((size_t) t * B + b) * (k + 1) + 1,
					   spec->features + (idx[b] + t + 1) * (size_t) k, sizeof(rnn_real) * k);
	}
	for (int b = 0; b < B; b++)
	{
		const rnn_real *src = series + idx[b];
		size_t		I = (size_t) k + 1;

		if (norm == RNN_NORM_MEAN_RATIO)
		{
			/* v / mean(window) - 1; the caller checked the series is positive */
			double		mean = 0;

			for (int t = 0; t < W; t++)
				mean += src[t];
			mean /= W;
			for (int t = 0; t < W; t++)
				x[((size_t) t * B + b) * I] = (rnn_real) (src[t] / mean - 1.0);
			for (int o = 0; o < O; o++)
				target[(size_t) b * O + o] = (rnn_real) (src[W + o] / mean - 1.0);
			continue;
		}
		{
			rnn_real	base = norm == RNN_NORM_LAST ? src[W - 1] : 0;

			for (int t = 0; t < W; t++)
				x[((size_t) t * B + b) * I] = src[t] - base;
			for (int o = 0; o < O; o++)
				target[(size_t) b * O + o] = src[W + o] - base;
		}
	}
}

/* The buffers of one part of a batch: one thread's. */
typedef struct PartBuffers
{
	rnn_real   *x;				/* (W, cap, 1 + n_features) time-major inputs */
	rnn_real   *y;				/* (cap, O) */
	rnn_real   *target;			/* (cap, O) */
	rnn_real   *dy;				/* (cap, O) */
	rnn_real   *grads;			/* (np); part 0's is the one the optimizer reads */
	RnnWork    *work;			/* activations for (W, cap) */
	int			bs;				/* windows of the current batch in this part */
	double		loss_sum;		/* their summed losses (not divided) */
} PartBuffers;

/* One batch handed to the parts: windows idx[0..bs-1]. */
typedef struct BatchJob
{
	const RnnTrainSpec *spec;
	const rnn_real *params;
	const rnn_real *series;
	const size_t *idx;
	int			bs;
	int			chunk;			/* windows per part: ceil(bs / parts) */
	bool		train;			/* forward, loss and backward; else forward and loss */
	double		inv;			/* 1 / (bs * O): the batch mean's weight */
	size_t		np;
	PartBuffers *pb;
} BatchJob;

/* Part k of a batch: windows [k * chunk, (k + 1) * chunk) of it (any thread). */
static void
batch_part(void *arg, int k)
{
	BatchJob   *j = arg;
	PartBuffers *p = &j->pb[k];
	const RnnShape *s = &j->spec->shape;
	int			W = j->spec->window;
	int			O = s->output_size;
	size_t		lo = (size_t) k * j->chunk;

	p->bs = lo >= (size_t) j->bs ? 0 :
		(int) ((size_t) j->bs - lo < (size_t) j->chunk ? (size_t) j->bs - lo : (size_t) j->chunk);
	p->loss_sum = 0.0;
	if (p->bs == 0)
		return;
	gather_batch(p->x, p->target, j->series, j->idx + lo, p->bs, j->spec);
	if (!j->train)
	{
		rnn_forward(p->y, p->x, j->params, s, W, p->bs, p->work);
		p->loss_sum = loss_sum(NULL, p->y, p->target, (size_t) p->bs * O, j->inv,
							   j->spec->loss, j->spec->quantile);
		return;
	}
	rnn_forward_train(p->y, p->x, p->target, j->params, s, W, p->bs, p->work);
	p->loss_sum = loss_sum(p->dy, p->y, p->target, (size_t) p->bs * O, j->inv,
						   j->spec->loss, j->spec->quantile);
	if (!isfinite(p->loss_sum))
		return;					/* the batch's loss is not finite: no step follows */
	memset(p->grads, 0, sizeof(rnn_real) * j->np);
	rnn_backward(p->grads, p->dy, p->x, j->params, s, W, p->bs, p->work);
}

/* the threads of one training: parts per batch, their buffers, the pool (NULL: one part) */
typedef struct BatchThreads
{
	int			parts;
	PartBuffers *pb;
	RnnThreads *pool;
} BatchThreads;

/*
 * The mean loss of batch idx[0..bs-1]; when training, the batch's
 * gradients in pb[0].grads (summed over the parts in part order).
 */
static double
run_batch(const BatchThreads *bt, const RnnTrainSpec *spec, const rnn_real *params,
		  const rnn_real *series, const size_t *idx, int bs, bool train)
{
	BatchJob	j;
	double		total;

	j.spec = spec;
	j.params = params;
	j.series = series;
	j.idx = idx;
	j.bs = bs;
	j.chunk = (bs + bt->parts - 1) / bt->parts;
	j.train = train;
	j.inv = 1.0 / (double) ((size_t) bs * spec->shape.output_size);
	j.np = rnn_param_count(&spec->shape);
	j.pb = bt->pb;
	if (bt->pool)
		rnn_threads_run(bt->pool, batch_part, &j);
	else
		batch_part(&j, 0);
	/* fixed order: the result depends on the number of parts only */
	total = bt->pb[0].loss_sum;
	for (int k = 1; k < bt->parts; k++)
		total += bt->pb[k].loss_sum;
	if (train && isfinite(total))
		for (int k = 1; k < bt->parts; k++)
		{
			rnn_real   *restrict g = bt->pb[0].grads;
			const rnn_real *restrict gk = bt->pb[k].grads;

			if (bt->pb[k].bs == 0)
				continue;
			for (size_t i = 0; i < j.np; i++)
				g[i] += gk[i];
		}
	return total * j.inv;
}

/* mean loss over the held-out windows val_idx[0..n_val-1], in batches of Bval */
static double
validation_loss(const rnn_real *params, const rnn_real *series, const size_t *val_idx,
				size_t n_val, int Bval, const RnnTrainSpec *spec, const BatchThreads *bt,
				const RnnTrainHooks *hooks)
{
	double		val_sum = 0.0;

	for (size_t start = 0; start < n_val; start += Bval)
	{
		int			bs = (int) (n_val - start < (size_t) Bval ? n_val - start : (size_t) Bval);

		if (hooks && hooks->check)
			hooks->check(hooks->arg);
		val_sum += run_batch(bt, spec, params, series, val_idx + start, bs, false) * bs;
	}
	return val_sum / (double) n_val;
}

/* state of one training run besides the weights */
typedef struct EpochBuffers
{
	BatchThreads *bt;
	RnnAdam    *adam;
	RnnRng	   *rng;
} EpochBuffers;

/*
 * One epoch over windows idx[0..n-1] (shuffled in place) in batches of B;
 * the mean loss, or NaN when it stopped being finite.
 */
static double
train_epoch(rnn_real *params, const rnn_real *series, size_t *idx, size_t n, int B,
			const RnnTrainSpec *spec, EpochBuffers *eb, const RnnTrainHooks *hooks)
{
	const RnnShape *s = &spec->shape;
	size_t		np = rnn_param_count(s);
	rnn_real   *grads = eb->bt->pb[0].grads;
	double		sum = 0.0;

	if (spec->epoch_windows > 0 && spec->epoch_windows < n && n > RNN_TRAIN_FULL_SHUFFLE)
	{
		/*
		 * a sample of many windows: the first epoch_windows steps of a
		 * Fisher-Yates shuffle from the front draw it uniformly, in time
		 * proportional to the sample and not to the series (the full
		 * shuffle of 9M windows took 77% of a 10M-row training)
		 */
		for (size_t i = 0; i < spec->epoch_windows; i++)
		{
			size_t		j = i + (size_t) rnn_rng_below(eb->rng, n - i);
			size_t		t = idx[i];

			idx[i] = idx[j];
			idx[j] = t;
		}
		n = spec->epoch_windows;
	}
	else
	{
		/* Fisher-Yates shuffle of the training windows */
		for (size_t i = n; i > 1; i--)
		{
			size_t		j = (size_t) rnn_rng_below(eb->rng, i);
			size_t		t = idx[i - 1];

			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		/* a sample of the shuffled windows when epochs are capped */
		if (spec->epoch_windows > 0 && spec->epoch_windows < n)
			n = spec->epoch_windows;
	}
	for (size_t start = 0; start < n; start += B)
	{
		int			bs = (int) (n - start < (size_t) B ? n - start : (size_t) B);
		double		loss;

		/* between batches: every worker thread waits for the next one */
		if (hooks && hooks->check)
			hooks->check(hooks->arg);
		loss = run_batch(eb->bt, spec, params, series, idx + start, bs, true);
		if (!isfinite(loss))
			return NAN;
		sum += loss * bs;
		if (spec->clip_norm > 0)
			rnn_clip_grad_norm(grads, np, spec->clip_norm);
		if (spec->optimizer == RNN_OPT_SGD)
			rnn_sgd_step(params, grads, np, spec->learning_rate);
		else
			rnn_adam_step(params, grads, np, spec->learning_rate, eb->adam);
	}
	return sum / (double) n;
}

/* stop the workers, then free every part's buffers */
static void
batch_threads_free(BatchThreads *bt, const RnnAlloc *a)
{
	rnn_threads_stop(bt->pool, a);
	bt->pool = NULL;
	if (!bt->pb)
		return;
	for (int k = 0; k < bt->parts; k++)
	{
		PartBuffers *p = &bt->pb[k];

		rnn_work_free(p->work, a);
		rnn_release(a, p->x);
		rnn_release(a, p->y);
		rnn_release(a, p->target);
		rnn_release(a, p->dy);
		rnn_release(a, p->grads);
	}
	rnn_release(a, bt->pb);
	bt->pb = NULL;
}

/*
 * The parts of batches of up to Bmax windows: spec->threads of them (one
 * per window at most), each with buffers for ceil(Bmax / parts) windows,
 * all allocated here on the calling thread; then the worker threads start.
 * false when memory runs out.
 */
static bool
batch_threads_create(BatchThreads *bt, const RnnTrainSpec *spec, int Bmax, const RnnAlloc *a)
{
	const RnnShape *s = &spec->shape;
	int			W = spec->window;
	int			O = s->output_size;
	size_t		np = rnn_param_count(s);
	int			parts = spec->threads > 1 ? spec->threads : 1;
	int			cap;

	if (parts > RNN_MAX_THREADS)
		parts = RNN_MAX_THREADS;
	if (parts > Bmax)
		parts = Bmax > 1 ? Bmax : 1;
	cap = (Bmax + parts - 1) / parts;
	bt->parts = parts;
	bt->pool = NULL;
	bt->pb = rnn_alloc(a, sizeof(PartBuffers) * parts);
	if (!bt->pb)
		return false;
	memset(bt->pb, 0, sizeof(PartBuffers) * parts);
	for (int k = 0; k < parts; k++)
	{
		PartBuffers *p = &bt->pb[k];

		p->x = rnn_alloc(a, sizeof(rnn_real) * (size_t) W * cap * spec->shape.input_size);
		p->y = rnn_alloc(a, sizeof(rnn_real) * (size_t) cap * O);
		p->target = rnn_alloc(a, sizeof(rnn_real) * (size_t) cap * O);
		p->dy = rnn_alloc(a, sizeof(rnn_real) * (size_t) cap * O);
		p->grads = rnn_alloc(a, sizeof(rnn_real) * np);
		p->work = rnn_work_create(s, W, cap, a);
		if (!p->x || !p->y || !p->target || !p->dy || !p->grads || !p->work)
			return false;
	}
	if (parts > 1)
	{
		bt->pool = rnn_threads_start(parts, a);
		if (!bt->pool)
			return false;
	}
	return true;
}

RnnStatus
rnn_train(rnn_real *params, RnnTrainResult *res,
		  const rnn_real *series, size_t n, const RnnTrainSpec *spec,
		  const RnnAlloc *a, const RnnTrainHooks *hooks)
{
	size_t		start = 0;

	return rnn_train_segments(params, res, series, &start, &n, 1, spec, a, hooks);
}

size_t
rnn_train_held_out(size_t n_win, double validation_fraction, size_t max_validation, bool *capped)
{
	size_t		n_val = (size_t) floor(validation_fraction * (double) n_win);

	*capped = max_validation > 0 && n_val > max_validation;
	return *capped ? max_validation : n_val;
}

/*
 * Held-out windows of a segment with n_win windows: the last ones (their
 * share validation_fraction, at most max_validation), with O - 1 windows
 * before them dropped so no training target is held out.
 */
static void
segment_split(size_t n_win, const RnnTrainSpec *spec, size_t *n_val, size_t *gap)
{
	int			O = spec->shape.output_size;
	size_t		mv = (size_t) spec->min_validation;
	bool		capped;

	*n_val = rnn_train_held_out(n_win, spec->validation_fraction, spec->max_validation, &capped);

	/*
	 * at least min_validation held out when the segment keeps, besides them
	 * and the gap, as many training windows as held-out windows plus
	 * outputs (and three)
	 */
	if (spec->validation_fraction > 0 && *n_val < mv &&
		n_win >= mv + (size_t) (O - 1) + (mv + O > 3 ? mv + O : 3))
		*n_val = mv;
	*gap = *n_val > 0 ? (size_t) (O - 1) : 0;
	if (*n_val + *gap >= n_win)
	{
		/* too few windows to hold any out: train on all */
		*n_val = 0;
		*gap = 0;
	}
}

RnnStatus
rnn_train_segments(rnn_real *params, RnnTrainResult *res, const rnn_real *series,
				   const size_t *seg_start, const size_t *seg_len, size_t n_seg,
				   const RnnTrainSpec *spec, const RnnAlloc *a, const RnnTrainHooks *hooks)
{
	const RnnShape *s = &spec->shape;
	int			W = spec->window;
	int			O = s->output_size;
	size_t		n_win = 0;
	size_t		n_val = 0,
				n_train = 0;
	size_t		np = rnn_param_count(s);
	int			B;
	int			Bval;
	size_t	   *idx = NULL;
	size_t	   *val_idx = NULL;
	rnn_real   *best = NULL,
			   *initial = NULL,
			   *m = NULL,
			   *v = NULL;
	BatchThreads bt = {0, NULL, NULL};
	RnnAdam		adam;
	RnnRng		rng;
	EpochBuffers eb;
	RnnStatus	status = RNN_OK;
	double		best_val = INFINITY;
	int			since_best = 0;

	memset(res, 0, sizeof(*res));
	for (size_t g = 0; g < n_seg; g++)
	{
		size_t		w = rnn_window_count(seg_len[g], W, O),
					v,
					gap;

		segment_split(w, spec, &v, &gap);
		n_win += w;
		n_val += v;
		n_train += w - v - gap;
	}
	if (s->input_size != 1 + spec->n_features || (spec->n_features > 0 && !spec->features) || W < 1 || n_win == 0 || n_train == 0 || spec->epochs < 1)
		return RNN_ERR_ARGUMENT;
	B = spec->batch_size <= 0 || (size_t) spec->batch_size > n_train ?
		(int) n_train : spec->batch_size;
	if (n_train > (size_t) RNN_MAX_BATCH && spec->batch_size <= 0)
		return RNN_ERR_LIMIT;
	Bval = n_val == 0 ? 0 : (n_val < (size_t) B ? (int) n_val : B);

	res->loss_train = rnn_alloc(a, sizeof(float) * spec->epochs);
	res->loss_val = rnn_alloc(a, sizeof(float) * spec->epochs);
	idx = rnn_alloc(a, sizeof(size_t) * n_train);
	val_idx = rnn_alloc(a, sizeof(size_t) * (n_val ? n_val : 1));
	best = rnn_alloc(a, sizeof(rnn_real) * np);
	if (spec->refit)
		initial = rnn_alloc(a, sizeof(rnn_real) * np);
	m = rnn_alloc(a, sizeof(rnn_real) * np);
	v = rnn_alloc(a, sizeof(rnn_real) * np);
	if (!res->loss_train || !res->loss_val || !idx || !val_idx || !best ||
		!m || !v || (spec->refit && !initial) ||
		!batch_threads_create(&bt, spec, B > Bval ? B : Bval, a))
	{
		status = RNN_ERR_ALLOC;
		goto done;
	}

	res->n_train = n_train;
	res->n_val = n_val;
	{
		/* window offsets into series: training ones, then held-out ones */
		size_t		it = 0,
					iv = 0;

		for (size_t g = 0; g < n_seg; g++)
		{
			size_t		w = rnn_window_count(seg_len[g], W, O),
						v,
						gap;

			segment_split(w, spec, &v, &gap);
			for (size_t i = 0; i < w - v - gap; i++)
				idx[it++] = seg_start[g] + i;
			for (size_t i = w - v; i < w; i++)
				val_idx[iv++] = seg_start[g] + i;
		}
	}
	rnn_adam_init(&adam, m, v, np);
	rnn_rng_seed(&rng, spec->seed);
	memcpy(best, params, sizeof(rnn_real) * np);
	if (initial)
		memcpy(initial, params, sizeof(rnn_real) * np);

	if (spec->validate_initial && n_val > 0)
	{
		double		v0 = validation_loss(params, series, val_idx, n_val, Bval, spec,
										 &bt, hooks);

		if (isfinite(v0))
		{
			best_val = v0;
			res->best_epoch = 0;
			res->val_loss = v0;
		}
	}

	eb.bt = &bt;
	eb.adam = &adam;
	eb.rng = &rng;
	for (int epoch = 1; epoch <= spec->epochs; epoch++)
	{
		double		train_loss = train_epoch(params, series, idx, n_train, B, spec, &eb, hooks);
		double		val_loss = -1.0;

		if (!isfinite(train_loss))
		{
			status = RNN_ERR_DIVERGED;
			goto done;
		}
		res->loss_train[epoch - 1] = (float) train_loss;

		if (n_val > 0)
		{
			val_loss = validation_loss(params, series, val_idx, n_val, Bval, spec,
									   &bt, hooks);
			if (!isfinite(val_loss))
			{
				status = RNN_ERR_DIVERGED;
				goto done;
			}
		}
		res->loss_val[epoch - 1] = (float) val_loss;
		res->epochs_run = epoch;

		if (hooks && hooks->epoch_done)
			hooks->epoch_done(hooks->arg, epoch, res->loss_train[epoch - 1], val_loss);

		if (n_val == 0 || val_loss < best_val)
		{
			best_val = n_val ? val_loss : -1.0;
			res->best_epoch = epoch;
			res->train_loss = res->loss_train[epoch - 1];
			res->val_loss = n_val ? res->loss_val[epoch - 1] : -1.0;
			memcpy(best, params, sizeof(rnn_real) * np);
			since_best = 0;
		}
		else if (spec->patience > 0 && ++since_best >= spec->patience)
			break;
	}
	memcpy(params, best, sizeof(rnn_real) * np);

	/*
	 * refit: the held-out windows chose the number of epochs; train again
	 * from the initial weights for that many epochs over every window, the
	 * latest ones included (the loss history stays the first run's)
	 */
	if (spec->refit && n_val > 0 && res->best_epoch > 0)
	{
		size_t		n_all = 0;
		size_t	   *all;

		for (size_t g = 0; g < n_seg; g++)
			n_all += rnn_window_count(seg_len[g], W, O);
		all = rnn_alloc(a, sizeof(size_t) * n_all);
		if (!all)
		{
			status = RNN_ERR_ALLOC;
			goto done;
		}
		n_all = 0;
		for (size_t g = 0; g < n_seg; g++)
			for (size_t i = 0; i < rnn_window_count(seg_len[g], W, O); i++)
				all[n_all++] = seg_start[g] + i;
		memcpy(params, initial, sizeof(rnn_real) * np);
		rnn_adam_init(&adam, m, v, np);
		rnn_rng_seed(&rng, spec->seed);
		for (int epoch = 1; epoch <= res->best_epoch; epoch++)
			if (!isfinite(train_epoch(params, series, all, n_all, B, spec, &eb, hooks)))
			{
				rnn_release(a, all);
				status = RNN_ERR_DIVERGED;
				goto done;
			}
		rnn_release(a, all);
	}

done:
	batch_threads_free(&bt, a);
	rnn_release(a, idx);
	rnn_release(a, val_idx);
	rnn_release(a, best);
	rnn_release(a, initial);
	rnn_release(a, m);
	rnn_release(a, v);
	return status;
}
