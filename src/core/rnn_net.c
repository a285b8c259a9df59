/*
 * rnn_net.c
 *	  Forward and backward passes of the recurrent network, batched so that
 *	  matrix products do the work: the input projection of all time steps
 *	  of a layer is one product, the recurrent projection one per step, and
 *	  weight gradients are accumulated with one product per weight over all
 *	  steps.  In training these are the register-blocked products below
 *	  (rows_product, grad_product), which read the weights and activations
 *	  in place; sgemm would copy them into packed blocks at every call.
 *	  sgemm remains for the output layer, the first layer's input
 *	  projection when it has several inputs (a layer of input size 1 uses
 *	  plain loops) and inference's input projections of large batches.
 *
 * Cell equations (PyTorch documentation of nn.RNN, nn.LSTM, nn.GRU):
 *	 RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)
 *	 LSTM: i,f,g,o = split(W_ih x + b_ih + W_hh h + b_hh)
 *		   c' = sig(f) * c + sig(i) * tanh(g);  h' = sig(o) * tanh(c')
 *	 GRU:  r = sig(W_ir x + b_ir + W_hr h + b_hr)
 *		   z = sig(W_iz x + b_iz + W_hz h + b_hz)
 *		   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *		   h' = (1 - z) * n + z * h
 * All buffers are time-major: row (t * B + b).
 */
#include "rnn_net.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rnn_act.h"
#include "rnn_blas.h"
#include "rnn_rng.h"
#include "rnn_threads.h"

/*
 * The per-step cell loops are compiled three times on x86-64 (AVX-512,
 * AVX2+FMA and the baseline) and picked at load time, so one binary package
 * runs well on every CPU.  Everything else is left to OpenBLAS's own dispatch.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(RNN_AVX2_ONLY)
/* the AVX2+FMA clone alone, for checking that path on any newer CPU (test/t/baseline_isa.sh) */
#define RNN_SIMD_CLONES __attribute__((target("arch=x86-64-v3")))
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(RNN_NO_CLONES)
#define RNN_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RNN_SIMD_CLONES
#endif

/* the row helpers of the cells are inlined into each clone, so they get its instruction set */
#if defined(__GNUC__)
#define RNN_ROW static inline __attribute__((always_inline))
#else
#define RNN_ROW static inline
#endif

/* float activations vectorise; the double build (gradient check) uses libm */
#ifdef RNN_DOUBLE
#define ACT_SIGMOID(x) (1.0 / (1.0 + exp(-(x))))
#define ACT_TANH(x) tanh(x)
#define ACT_SIGMOID_TANH(a, b) (ACT_SIGMOID(a) * ACT_TANH(b))
#else
#define ACT_SIGMOID(x) rnn_sigmoidf(x)
#define ACT_TANH(x) rnn_tanhf(x)
#define ACT_SIGMOID_TANH(a, b) rnn_sigmoid_tanhf(a, b)
#endif

void		(*rnn_step_hook) (void) = NULL;

/* A stack of recurrent layers: the encoder, or the seq2seq decoder. */
typedef struct Stack
{
	int			cell;
	int			input_size;
	int			hidden_size;
	int			num_layers;
	int			D;				/* directions */
} Stack;

struct RnnWork
{
	int			max_T;
	int			max_B;
	int			nld;			/* num_layers * directions */
	rnn_real  **gates;			/* per (l,d): (T, B, G*H) activated gates */
	rnn_real  **state;			/* per (l,d): LSTM c (T,B,H); GRU W_hn h + b_hn (T,B,H) */
	rnn_real  **out;			/* per layer: (T, B, D*H) hidden outputs */
	rnn_real   *dgi;			/* (T, B, G*H) d pre-activation, input path */
	rnn_real   *dgh;			/* (T, B, G*H) d pre-activation, hidden path (GRU) */
	rnn_real   *dout_a;			/* (T, B, D*H) */
	rnn_real   *dout_b;			/* (T, B, D*H) */
	rnn_real   *tmp;			/* (B, G*H) recurrent projection */
	rnn_real   *hhT;			/* (H + D*H, hht_stride) W_hh^T, then W_ih^T (upper layers), of
								 * the layer being run forward */
	rnn_real   *dh;				/* (B, H) */
	rnn_real   *dh_next;		/* (B, H) */
	rnn_real   *dc;				/* (B, H) */
	rnn_real   *zeros;			/* (H) zeros: the rows of dout that are not stored */
	void	   *block;

	/* seq2seq only */
	struct RnnWork *dec;		/* the decoder's activations, T = output_size */
	rnn_real   *xd;				/* (O, B) decoder inputs */
	rnn_real   *yflat;			/* (O, B) outputs, then their gradients */
	rnn_real   *hs[RNN_MAX_LAYERS]; /* (B, H) decoder states while decoding */
	rnn_real   *cs[RNN_MAX_LAYERS];
	rnn_real   *dhs[RNN_MAX_LAYERS];	/* (B, H) gradients of the encoder's final states */
	rnn_real   *dcs[RNN_MAX_LAYERS];
	void	   *s2s_block;
};

int
rnn_gate_count(int cell)
{
	switch (cell)
	{
		case RNN_CELL_LSTM:
			return 4;
		case RNN_CELL_GRU:
			return 3;
		default:
			return 1;
	}
}

const char *
rnn_cell_name(int cell)
{
	switch (cell)
	{
		case RNN_CELL_TANH:
			return "rnn_tanh";
		case RNN_CELL_RELU:
			return "rnn_relu";
		case RNN_CELL_LSTM:
			return "lstm";
		case RNN_CELL_GRU:
			return "gru";
	}
	return "unknown";
}

int
rnn_cell_from_name(const char *name)
{
	if (strcmp(name, "rnn_tanh") == 0 || strcmp(name, "rnn") == 0)
		return RNN_CELL_TANH;
	if (strcmp(name, "rnn_relu") == 0)
		return RNN_CELL_RELU;
	if (strcmp(name, "lstm") == 0)
		return RNN_CELL_LSTM;
	if (strcmp(name, "gru") == 0)
		return RNN_CELL_GRU;
	return 0;
}

RnnStatus
rnn_shape_check(const RnnShape *s)
{
	if (s->cell < RNN_CELL_TANH || s->cell > RNN_CELL_GRU)
		return RNN_ERR_ARGUMENT;
	if (s->bidirectional != 0 && s->bidirectional != 1)
		return RNN_ERR_ARGUMENT;
	if (s->input_size < 1 || s->hidden_size < 1 || s->num_layers < 1 ||
		s->output_size < 1)
		return RNN_ERR_ARGUMENT;
	if (s->input_size > RNN_MAX_INPUT_SIZE || s->hidden_size > RNN_MAX_HIDDEN_SIZE ||
		s->num_layers > RNN_MAX_LAYERS || s->output_size > RNN_MAX_OUTPUT_SIZE)
		return RNN_ERR_LIMIT;
	/* the decoder starts from the encoder's states and feeds back one value */
	if (s->seq2seq != 0 && (s->seq2seq != 1 || s->bidirectional || s->input_size != 1))
		return RNN_ERR_ARGUMENT;
	/* all dimensions are bounded, so this count cannot overflow size_t */
	if (rnn_param_count(s) > RNN_MAX_PARAMS)
		return RNN_ERR_LIMIT;
	return RNN_OK;
}

/* The encoder (rnn.*) or, for seq2seq, the decoder (decoder.*) stack. */
static Stack
stack_of(const RnnShape *s, bool decoder)
{
	Stack		k;

	k.cell = s->cell;
	k.input_size = decoder ? 1 : s->input_size;
	k.hidden_size = s->hidden_size;
	k.num_layers = s->num_layers;
	k.D = !decoder && s->bidirectional ? 2 : 1;
	return k;
}

/* Offset of weight_ih of (layer l, direction d) in a stack; the other three follow it. */
static size_t
stack_offset(const Stack *k, int l, int d)
{
	size_t		G = rnn_gate_count(k->cell);
	size_t		H = k->hidden_size;
	size_t		D = k->D;
	size_t		off = 0;

	for (int i = 0; i < l; i++)
	{
		size_t		Ii = i == 0 ? (size_t) k->input_size : D * H;

		off += D * (G * H * Ii + G * H * H + 2 * G * H);
	}
	{
		size_t		Il = l == 0 ? (size_t) k->input_size : D * H;

		off += d * (G * H * Il + G * H * H + 2 * G * H);
	}
	return off;
}

static size_t
stack_size(const Stack *k)
{
	return stack_offset(k, k->num_layers, 0);
}

/* Where fc.weight starts: after the encoder and, for seq2seq, the decoder. */
static size_t
fc_offset(const RnnShape *s)
{
	Stack		enc = stack_of(s, false);
	Stack		dec = stack_of(s, true);

	return stack_size(&enc) + (s->seq2seq ? stack_size(&dec) : 0);
}

/* fc maps the last output (D*H) to O values, or each decoder output (H) to one. */
static void
fc_dims(const RnnShape *s, int *rows, int *cols)
{
	*rows = s->seq2seq ? 1 : s->output_size;
	*cols = s->seq2seq ? s->hidden_size : (s->bidirectional ? 2 : 1) * s->hidden_size;
}

static int
stack_tensor_table(const Stack *k, const char *prefix, size_t base, RnnTensorInfo *out)
{
	int			G = rnn_gate_count(k->cell);
	int			H = k->hidden_size;
	int			n = 0;

	for (int l = 0; l < k->num_layers; l++)
	{
		for (int d = 0; d < k->D; d++)
		{
			const char *sfx = d ? "_reverse" : "";
			size_t		off = base + stack_offset(k, l, d);
			int			Il = l == 0 ? k->input_size : k->D * H;
			struct
			{
				const char *what;
				int			rows,
							cols;
			}			t[4] = {
				{"weight_ih", G * H, Il}, {"weight_hh", G * H, H},
				{"bias_ih", G * H, 0}, {"bias_hh", G * H, 0}
			};

			for (int i = 0; i < 4; i++)
			{
				snprintf(out[n].name, sizeof(out[n].name), "%s.%s_l%d%s", prefix, t[i].what, l, sfx);
				out[n].offset = off;
				out[n].rows = t[i].rows;
				out[n].cols = t[i].cols;
				off += (size_t) t[i].rows * (t[i].cols ? t[i].cols : 1);
				n++;
			}
		}
	}
	return n;
}

int
rnn_tensor_table(const RnnShape *s, RnnTensorInfo *out)
{
	Stack		enc = stack_of(s, false);
	Stack		dec = stack_of(s, true);
	size_t		off = fc_offset(s);
	int			rows,
				cols;
	int			n;

	n = stack_tensor_table(&enc, "rnn", 0, out);
	if (s->seq2seq)
		n += stack_tensor_table(&dec, "decoder", stack_size(&enc), out + n);
	fc_dims(s, &rows, &cols);
	snprintf(out[n].name, sizeof(out[n].name), "fc.weight");
	out[n].offset = off;
	out[n].rows = rows;
	out[n].cols = cols;
	n++;
	snprintf(out[n].name, sizeof(out[n].name), "fc.bias");
	out[n].offset = off + (size_t) rows * cols;
	out[n].rows = rows;
	out[n].cols = 0;
	n++;
	return n;
}

size_t
rnn_param_count(const RnnShape *s)
{
	int			rows,
				cols;

	fc_dims(s, &rows, &cols);
	return fc_offset(s) + (size_t) rows * cols + rows;
}

void
rnn_init_params(rnn_real *params, const RnnShape *s, uint64_t seed)
{
	RnnRng		rng;
	size_t		n_rnn = fc_offset(s);
	size_t		n = rnn_param_count(s);
	int			rows,
				cols;
	double		k_rnn = 1.0 / sqrt((double) s->hidden_size);
	double		k_fc;

	fc_dims(s, &rows, &cols);
	k_fc = 1.0 / sqrt((double) cols);
	rnn_rng_seed(&rng, seed);
	/* nn.RNNBase.reset_parameters: every tensor uniform(-1/sqrt(H), 1/sqrt(H)) */
	for (size_t i = 0; i < n_rnn; i++)
		params[i] = (rnn_real) rnn_rng_uniform(&rng, -k_rnn, k_rnn);
	/* nn.Linear: kaiming_uniform(a=sqrt(5)) and bias both give +-1/sqrt(fan_in) */
	for (size_t i = n_rnn; i < n; i++)
		params[i] = (rnn_real) rnn_rng_uniform(&rng, -k_fc, k_fc);
}

void
rnn_zero_output_layer(rnn_real *params, const RnnShape *s)
{
	size_t		n = rnn_param_count(s);

	for (size_t i = fc_offset(s); i < n; i++)
		params[i] = 0;
}

void
rnn_params_embed_one_step(rnn_real *params, const rnn_real *one_step, const RnnShape *s)
{
	size_t		off = fc_offset(s);
	int			rows,
				cols;

	fc_dims(s, &rows, &cols);
	memcpy(params, one_step, sizeof(rnn_real) * (off + (size_t) cols));
	memset(params + off + cols, 0, sizeof(rnn_real) * ((size_t) (rows - 1) * cols + rows));
	params[off + (size_t) rows * cols] = one_step[off + cols];
}

void
rnn_params_extract_one_step(rnn_real *one_step, const rnn_real *params, const RnnShape *s)
{
	size_t		off = fc_offset(s);
	int			rows,
				cols;

	fc_dims(s, &rows, &cols);
	memcpy(one_step, params, sizeof(rnn_real) * (off + (size_t) cols));
	one_step[off + cols] = params[off + (size_t) rows * cols];
}

/*
 * Row stride of the work area's W_hh^T (H, G*H): G*H rounded up to whole
 * 64-byte lines, plus one line when that makes an even number of lines.
 * With an odd number of lines between rows, the rows of a 64-column block
 * fall into every set of the L1 cache; with 256 columns (LSTM, H = 64:
 * rows 1 KB apart) they fell into 16 of its 64 sets and evicted each other
 * while rows_product read the block once per 6 batch rows.
 */
static size_t
hht_stride(size_t GH)
{
	size_t		line = 64 / sizeof(rnn_real);
	size_t		lines = (GH + line - 1) / line;

	return (lines % 2 == 0 ? lines + 1 : lines) * line;
}

/*
 * Elements of one stack's activation block for (max_T, max_B); without
 * backward, only what the forward pass uses.
 */
static size_t
stack_work_elements(const Stack *k, int max_T, int max_B, bool backward)
{
	size_t		G = rnn_gate_count(k->cell);
	size_t		H = k->hidden_size;
	size_t		D = k->D;
	size_t		L = k->num_layers;
	size_t		TB = (size_t) max_T * max_B;
	size_t		nld = L * D;

	/* every factor is bounded by the limits, so these products fit in size_t */
	return nld * TB * G * H		/* gates */
		+ nld * TB * H			/* state */
		+ L * TB * D * H		/* out */
		+ (size_t) max_B * G * H	/* tmp */
		+ (backward ? H + D * H : H) * hht_stride(G * H)	/* hhT, and W_ih^T in training */
		+ H						/* zeros */
		+ (backward ?
		   2 * TB * G * H		/* dgi, dgh */
		   + 2 * TB * D * H		/* dout_a, dout_b */
		   + 3 * (size_t) max_B * H : 0);	/* dh, dh_next, dc */
}

/* seq2seq extras: decoder inputs, outputs and the per-layer state buffers */
static size_t
s2s_extra_elements(const RnnShape *s, int max_B)
{
	return 2 * (size_t) s->output_size * max_B +
		4 * (size_t) s->num_layers * max_B * s->hidden_size;
}

size_t
rnn_work_bytes(const RnnShape *s, int max_T, int max_B)
{
	Stack		enc = stack_of(s, false);
	Stack		dec = stack_of(s, true);
	size_t		n = stack_work_elements(&enc, max_T, max_B, true);

	if (s->seq2seq)
		n += stack_work_elements(&dec, s->output_size, max_B, true) + s2s_extra_elements(s, max_B);
	return n * sizeof(rnn_real);
}

static RnnWork *
stack_work_create(const Stack *k, int max_T, int max_B, bool backward, const RnnAlloc *a)
{
	size_t		G = rnn_gate_count(k->cell);
	size_t		H = k->hidden_size;
	size_t		D = k->D;
	size_t		L = k->num_layers;
	size_t		TB = (size_t) max_T * max_B;
	size_t		nld = L * D;
	size_t		total = stack_work_elements(k, max_T, max_B, backward);
	size_t		ptrs;
	rnn_real   *p;
	RnnWork    *w;

	ptrs = (2 * nld + L) * sizeof(rnn_real *);

	w = rnn_alloc(a, sizeof(RnnWork) + ptrs);
	if (w == NULL)
		return NULL;
	memset(w, 0, sizeof(RnnWork));
	w->block = rnn_alloc(a, total * sizeof(rnn_real));
	if (w->block == NULL)
	{
		rnn_release(a, w);
		return NULL;
	}
	w->max_T = max_T;
	w->max_B = max_B;
	w->nld = (int) nld;
	w->gates = (rnn_real **) (w + 1);
	w->state = w->gates + nld;
	w->out = w->state + nld;
	p = w->block;
	for (size_t i = 0; i < nld; i++)
	{
		w->gates[i] = p;
		p += TB * G * H;
		w->state[i] = p;
		p += TB * H;
	}
	for (size_t l = 0; l < L; l++)
	{
		w->out[l] = p;
		p += TB * D * H;
	}
	w->tmp = p;
	p += (size_t) max_B * G * H;
	w->hhT = p;
	p += (backward ? H + D * H : H) * hht_stride(G * H);
	w->zeros = p;
	memset(w->zeros, 0, sizeof(rnn_real) * H);
	p += H;
	if (!backward)
		return w;				/* dgi .. dc stay NULL */
	w->dgi = p;
	p += TB * G * H;
	w->dgh = p;
	p += TB * G * H;
	w->dout_a = p;
	p += TB * D * H;
	w->dout_b = p;
	p += TB * D * H;
	w->dh = p;
	p += (size_t) max_B * H;
	w->dh_next = p;
	p += (size_t) max_B * H;
	w->dc = p;
	return w;
}

static RnnWork *
work_create(const RnnShape *s, int max_T, int max_B, bool backward, const RnnAlloc *a)
{
	Stack		enc = stack_of(s, false);
	Stack		dec = stack_of(s, true);
	RnnWork    *w = stack_work_create(&enc, max_T, max_B, backward, a);
	rnn_real   *p;
	size_t		BH = (size_t) max_B * s->hidden_size;

	if (w == NULL || !s->seq2seq)
		return w;
	w->dec = stack_work_create(&dec, s->output_size, max_B, backward, a);
	w->s2s_block = rnn_alloc(a, s2s_extra_elements(s, max_B) * sizeof(rnn_real));
	if (w->dec == NULL || w->s2s_block == NULL)
	{
		rnn_work_free(w, a);
		return NULL;
	}
	p = w->s2s_block;
	w->xd = p;
	p += (size_t) s->output_size * max_B;
	w->yflat = p;
	p += (size_t) s->output_size * max_B;
	for (int l = 0; l < s->num_layers; l++)
	{
		w->hs[l] = p;
		p += BH;
		w->cs[l] = p;
		p += BH;
		w->dhs[l] = p;
		p += BH;
		w->dcs[l] = p;
		p += BH;
	}
	return w;
}

RnnWork *
rnn_work_create(const RnnShape *s, int max_T, int max_B, const RnnAlloc *a)
{
	return work_create(s, max_T, max_B, true, a);
}

RnnWork *
rnn_work_create_infer(const RnnShape *s, int max_T, int max_B, const RnnAlloc *a)
{
	return work_create(s, max_T, max_B, false, a);
}

void
rnn_work_free(RnnWork *w, const RnnAlloc *a)
{
	if (w == NULL)
		return;
	rnn_work_free(w->dec, a);
	rnn_release(a, w->s2s_block);
	rnn_release(a, w->block);
	rnn_release(a, w);
}

/*
 * Time steps per chunk for GEMMs over all steps: about 2^24 multiply-adds
 * each (a few milliseconds), so rnn_step_hook runs between chunks and a
 * large layer stays cancellable.
 */
static int
steps_per_chunk(int T, int B, size_t row_cost)
{
	size_t		per_step = (size_t) B * (row_cost ? row_cost : 1);
	size_t		n = ((size_t) 1 << 24) / (per_step ? per_step : 1);

	if (n < 1)
		n = 1;
	return n > (size_t) T ? T : (int) n;
}

/* Add bias (N) to every one of M rows of X (M, N). */
static void
add_bias_rows(rnn_real *X, const rnn_real *bias, size_t M, size_t N)
{
	for (size_t i = 0; i < M; i++)
	{
		rnn_real   *row = X + i * N;

		for (size_t j = 0; j < N; j++)
			row[j] += bias[j];
	}
}

/* X (M, N) = x (M) outer w (N): a product with K = 1. */
RNN_ROW void
outer_rows(rnn_real *restrict X, const rnn_real *restrict x, const rnn_real *restrict w,
		   size_t M, size_t N)
{
	for (size_t i = 0; i < M; i++)
	{
		rnn_real   *restrict row = X + i * N;
		rnn_real	xi = x[i];

		for (size_t j = 0; j < N; j++)
			row[j] = xi * w[j];
	}
}

/*
 * dw (N) += X^T (N, M) @ x (M) and acc (N) += column sums of X (M, N), and
 * acc2 too when not NULL: the weight and bias gradients of a product with
 * K = 1, in one pass over X.
 */
RNN_ROW void
outer_grad_rows(rnn_real *restrict dw, rnn_real *restrict acc, rnn_real *restrict acc2,
				const rnn_real *restrict X, const rnn_real *restrict x, size_t M, size_t N)
{
	for (size_t i = 0; i < M; i++)
	{
		const rnn_real *restrict row = X + i * N;
		rnn_real	xi = x[i];

		for (size_t j = 0; j < N; j++)
			dw[j] += row[j] * xi;
		for (size_t j = 0; j < N; j++)
			acc[j] += row[j];
		if (acc2)
			for (size_t j = 0; j < N; j++)
				acc2[j] += row[j];
	}
}

/* x (n) += y (n) */
RNN_ROW void
add_rows(rnn_real *restrict x, const rnn_real *restrict y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] += y[i];
}

/* acc (N) += column sums of X (M, N), and acc2 (N) too when not NULL. */
RNN_ROW void
add_col_sums2(rnn_real *restrict acc, rnn_real *restrict acc2, const rnn_real *restrict X,
			  size_t M, size_t N)
{
	for (size_t i = 0; i < M; i++)
	{
		const rnn_real *restrict row = X + i * N;

		for (size_t j = 0; j < N; j++)
			acc[j] += row[j];
		if (acc2)
			for (size_t j = 0; j < N; j++)
				acc2[j] += row[j];
	}
}

/* acc (N) += column sums of X (M, N). */
static void
add_col_sums(rnn_real *acc, const rnn_real *X, size_t M, size_t N)
{
	for (size_t i = 0; i < M; i++)
	{
		const rnn_real *row = X + i * N;

		for (size_t j = 0; j < N; j++)
			acc[j] += row[j];
	}
}

/*
 * Ask for the cache lines of n elements at p ahead of their use (rw 1:
 * they are going to be written).  The cell passes read and write a batch
 * row of each of several (T, B, G*H) arrays per step, larger than L2 for
 * the standard workload (3 MB a layer), in an order the hardware
 * prefetcher does not follow across so many streams: a row of the next
 * step is asked for while the current step runs, when a layer's gates
 * take more than RNN_PREFETCH_BYTES (smaller ones stay in L2, where
 * asking only costs instructions: 3% of the tanh RNN's step).
 */
#define RNN_PREFETCH_BYTES ((size_t) 1 << 20)
#if defined(__GNUC__)
#define PREFETCH_ROW(p, n, rw) \
	do { \
		const char *pf_ = (const char *) (p); \
		size_t		pf_n_ = (size_t) (n) * sizeof(rnn_real); \
		for (size_t pf_o_ = 0; pf_o_ < pf_n_; pf_o_ += 64) \
			__builtin_prefetch(pf_ + pf_o_, (rw), 3); \
	} while (0)
#else
#define PREFETCH_ROW(p, n, rw) ((void) 0)
#endif

/*
 * The cells' element-wise work on one batch row, one fused pass each so
 * that it vectorises: g (G*H) holds the input projection x W_ih^T and
 * receives the activated gates, t (G*H) the recurrent projection
 * h_prev W_hh^T, bi and bh (G*H) are b_ih and b_hh: the pre-activation is
 * (g + b_ih) + (t + b_hh).  The pointers never alias (restrict), and every
 * gate has its own, so that loops vectorise under -fwrapv too (PostgreSQL
 * builds with it, and g[2 * H + j] is then no simple access pattern).
 */
RNN_ROW void
tanh_row_forward(rnn_real *restrict h, const rnn_real *restrict g,
				 const rnn_real *restrict t, const rnn_real *restrict bi,
				 const rnn_real *restrict bh, int H)
{
	for (int j = 0; j < H; j++)
		h[j] = ACT_TANH((g[j] + bi[j]) + (t[j] + bh[j]));
}

RNN_ROW void
relu_row_forward(rnn_real *restrict h, const rnn_real *restrict g,
				 const rnn_real *restrict t, const rnn_real *restrict bi,
				 const rnn_real *restrict bh, int H)
{
	for (int j = 0; j < H; j++)
	{
		rnn_real	a = (g[j] + bi[j]) + (t[j] + bh[j]);

		h[j] = a <= 0 ? 0 : a;	/* NaN stays NaN, as torch.relu keeps it */
	}
}

/* LSTM gates i, f, g, o: sigmoid, sigmoid, tanh, sigmoid; c = f * c_prev + i * g; h = o * tanh(c) */
RNN_ROW void
lstm_row_forward(rnn_real *restrict h, rnn_real *restrict c, rnn_real *restrict g,
				 const rnn_real *restrict t, const rnn_real *restrict bi,
				 const rnn_real *restrict bh,
				 const rnn_real *restrict cp, int H)
{
	rnn_real   *restrict g0 = g, *restrict g1 = g + H, *restrict g2 = g + 2 * H, *restrict g3 = g + 3 * H;
	const rnn_real *restrict t0 = t, *restrict t1 = t + H, *restrict t2 = t + 2 * H, *restrict t3 = t + 3 * H;
	const rnn_real *restrict bi0 = bi, *restrict bi1 = bi + H, *restrict bi2 = bi + 2 * H, *restrict bi3 = bi + 3 * H;
	const rnn_real *restrict bh0 = bh, *restrict bh1 = bh + H, *restrict bh2 = bh + 2 * H, *restrict bh3 = bh + 3 * H;

	for (int j = 0; j < H; j++)
	{
		rnn_real	ig = ACT_SIGMOID((g0[j] + bi0[j]) + (t0[j] + bh0[j]));
		rnn_real	fg = ACT_SIGMOID((g1[j] + bi1[j]) + (t1[j] + bh1[j]));
		rnn_real	gg = ACT_TANH((g2[j] + bi2[j]) + (t2[j] + bh2[j]));
		rnn_real	og = ACT_SIGMOID((g3[j] + bi3[j]) + (t3[j] + bh3[j]));
		rnn_real	cj = fg * cp[j] + ig * gg;

		g0[j] = ig;
		g1[j] = fg;
		g2[j] = gg;
		g3[j] = og;
		c[j] = cj;
		h[j] = og * ACT_TANH(cj);
	}
}

/* the same with c_prev = 0 */
RNN_ROW void
lstm_row_forward0(rnn_real *restrict h, rnn_real *restrict c, rnn_real *restrict g,
				  const rnn_real *restrict t, const rnn_real *restrict bi,
				 const rnn_real *restrict bh, int H)
{
	rnn_real   *restrict g0 = g, *restrict g1 = g + H, *restrict g2 = g + 2 * H, *restrict g3 = g + 3 * H;
	const rnn_real *restrict t0 = t, *restrict t1 = t + H, *restrict t2 = t + 2 * H, *restrict t3 = t + 3 * H;
	const rnn_real *restrict bi0 = bi, *restrict bi1 = bi + H, *restrict bi2 = bi + 2 * H, *restrict bi3 = bi + 3 * H;
	const rnn_real *restrict bh0 = bh, *restrict bh1 = bh + H, *restrict bh2 = bh + 2 * H, *restrict bh3 = bh + 3 * H;

	for (int j = 0; j < H; j++)
	{
		rnn_real	ig = ACT_SIGMOID((g0[j] + bi0[j]) + (t0[j] + bh0[j]));
		rnn_real	fg = ACT_SIGMOID((g1[j] + bi1[j]) + (t1[j] + bh1[j]));
		rnn_real	gg = ACT_TANH((g2[j] + bi2[j]) + (t2[j] + bh2[j]));
		rnn_real	og = ACT_SIGMOID((g3[j] + bi3[j]) + (t3[j] + bh3[j]));
		rnn_real	cj = ig * gg;

		g0[j] = ig;
		g1[j] = fg;
		g2[j] = gg;
		g3[j] = og;
		c[j] = cj;
		h[j] = og * ACT_TANH(cj);
	}
}

/*
 * The LSTM cell for inference (nothing kept for backward): c = f * c_prev +
 * sig(i) tanh(g) and h = sig(o) tanh(c), each product of two activations
 * with one division (ACT_SIGMOID_TANH); cp NULL: c_prev = 0.  The input
 * projection is g (read only), or with g NULL the single input value xv
 * times wi (W_ih of a layer of input size 1): computed here, the first
 * layer's (T, B, G*H) projection is neither written nor read back.
 */
RNN_ROW void
lstm_row_infer(rnn_real *restrict h, rnn_real *restrict c, const rnn_real *restrict g,
			   rnn_real xv, const rnn_real *restrict wi,
			   const rnn_real *restrict t, const rnn_real *restrict bi,
			   const rnn_real *restrict bh, const rnn_real *restrict cp, int H)
{
	const rnn_real *restrict t0 = t, *restrict t1 = t + H, *restrict t2 = t + 2 * H, *restrict t3 = t + 3 * H;
	const rnn_real *restrict bi0 = bi, *restrict bi1 = bi + H, *restrict bi2 = bi + 2 * H, *restrict bi3 = bi + 3 * H;
	const rnn_real *restrict bh0 = bh, *restrict bh1 = bh + H, *restrict bh2 = bh + 2 * H, *restrict bh3 = bh + 3 * H;
	const rnn_real *restrict g0 = g ? g : wi,
			   *restrict g1 = g0 + H,
			   *restrict g2 = g0 + 2 * H,
			   *restrict g3 = g0 + 3 * H;
	rnn_real	s = g ? 1 : xv;	/* the projection is s * g0[j]: g itself, or xv * wi */

	for (int j = 0; j < H; j++)
	{
		rnn_real	ai = (s * g0[j] + bi0[j]) + (t0[j] + bh0[j]);
		rnn_real	fg = ACT_SIGMOID((s * g1[j] + bi1[j]) + (t1[j] + bh1[j]));
		rnn_real	ag = (s * g2[j] + bi2[j]) + (t2[j] + bh2[j]);
		rnn_real	ao = (s * g3[j] + bi3[j]) + (t3[j] + bh3[j]);
		rnn_real	cj = (cp ? fg * cp[j] : 0) + ACT_SIGMOID_TANH(ai, ag);

		c[j] = cj;
		h[j] = ACT_SIGMOID_TANH(ao, cj);
	}
}

/*
 * GRU: r, z = sigmoid; hn = W_hn h_prev + b_hn (kept for backward);
 * n = tanh(x_n + r * hn); h = (1 - z) * n + z * h_prev
 */
RNN_ROW void
gru_row_forward(rnn_real *restrict h, rnn_real *restrict hn, rnn_real *restrict g,
				const rnn_real *restrict t, const rnn_real *restrict bi,
				 const rnn_real *restrict bh,
				const rnn_real *restrict hp, int H)
{
	rnn_real   *restrict g0 = g, *restrict g1 = g + H, *restrict g2 = g + 2 * H;
	const rnn_real *restrict t0 = t, *restrict t1 = t + H, *restrict t2 = t + 2 * H;
	const rnn_real *restrict bi0 = bi, *restrict bi1 = bi + H, *restrict bi2 = bi + 2 * H;
	const rnn_real *restrict bh0 = bh, *restrict bh1 = bh + H, *restrict bh2 = bh + 2 * H;

	for (int j = 0; j < H; j++)
	{
		rnn_real	r = ACT_SIGMOID((g0[j] + bi0[j]) + (t0[j] + bh0[j]));
		rnn_real	z = ACT_SIGMOID((g1[j] + bi1[j]) + (t1[j] + bh1[j]));
		rnn_real	hnj = t2[j] + bh2[j];
		rnn_real	n = ACT_TANH((g2[j] + bi2[j]) + r * hnj);

		g0[j] = r;
		g1[j] = z;
		g2[j] = n;
		hn[j] = hnj;
		h[j] = (1 - z) * n + z * hp[j];
	}
}

/* the same with h_prev = 0 */
RNN_ROW void
gru_row_forward0(rnn_real *restrict h, rnn_real *restrict hn, rnn_real *restrict g,
				 const rnn_real *restrict t, const rnn_real *restrict bi,
				 const rnn_real *restrict bh, int H)
{
	rnn_real   *restrict g0 = g, *restrict g1 = g + H, *restrict g2 = g + 2 * H;
	const rnn_real *restrict t0 = t, *restrict t1 = t + H, *restrict t2 = t + 2 * H;
	const rnn_real *restrict bi0 = bi, *restrict bi1 = bi + H, *restrict bi2 = bi + 2 * H;
	const rnn_real *restrict bh0 = bh, *restrict bh1 = bh + H, *restrict bh2 = bh + 2 * H;

	for (int j = 0; j < H; j++)
	{
		rnn_real	r = ACT_SIGMOID((g0[j] + bi0[j]) + (t0[j] + bh0[j]));
		rnn_real	z = ACT_SIGMOID((g1[j] + bi1[j]) + (t1[j] + bh1[j]));
		rnn_real	hnj = t2[j] + bh2[j];
		rnn_real	n = ACT_TANH((g2[j] + bi2[j]) + r * hnj);

		g0[j] = r;
		g1[j] = z;
		g2[j] = n;
		hn[j] = hnj;
		h[j] = (1 - z) * n;
	}
}

/* Elements of 64 bytes: the alignment of rnn_infer_weights' rows. */
#define RNN_INFER_ALIGN (64 / sizeof(rnn_real))

size_t
rnn_infer_row_stride(const RnnShape *s)
{
	size_t		GH = (size_t) rnn_gate_count(s->cell) * s->hidden_size;

	return (GH + RNN_INFER_ALIGN - 1) / RNN_INFER_ALIGN * RNN_INFER_ALIGN;
}

/*
 * Offset of the rearranged weights of (layer l, direction d) in
 * rnn_infer_weights' output: W_hh^T (H rows), then W_ih^T (Il rows), each
 * row ldw elements, for every (l, d) in the order of the parameters.
 */
static size_t
infer_offset(const Stack *k, size_t ldw, int l, int d)
{
	size_t		H = k->hidden_size;
	size_t		off = 0;

	for (int i = 0; i <= l; i++)
	{
		size_t		Ii = i == 0 ? (size_t) k->input_size : (size_t) k->D * H;

		off += (size_t) (i < l ? k->D : d) * (H + Ii) * ldw;
	}
	return off;
}

size_t
rnn_infer_weights_count(const RnnShape *s)
{
	Stack		k = stack_of(s, false);

	return infer_offset(&k, rnn_infer_row_stride(s), k.num_layers, 0);
}

/* W (rows, cols) -> WT (cols, ldw): WT[c * ldw + r] = W[r * cols + c], padding zeroed */
static void
transpose_padded(rnn_real *WT, const rnn_real *W, size_t rows, size_t cols, size_t ldw)
{
	for (size_t c = 0; c < cols; c++)
	{
		for (size_t r = 0; r < rows; r++)
			WT[c * ldw + r] = W[r * cols + c];
		for (size_t r = rows; r < ldw; r++)
			WT[c * ldw + r] = 0;
	}
}

void
rnn_infer_weights(rnn_real *dst, const rnn_real *params, const RnnShape *s)
{
	Stack		k = stack_of(s, false);
	size_t		G = rnn_gate_count(s->cell);
	size_t		H = s->hidden_size;
	size_t		GH = G * H;
	size_t		ldw = rnn_infer_row_stride(s);

	for (int l = 0; l < k.num_layers; l++)
		for (int d = 0; d < k.D; d++)
		{
			/* W_ih (GH, Il), then W_hh (GH, H) of (l, d) */
			size_t		Il = l == 0 ? (size_t) k.input_size : (size_t) k.D * H;
			const rnn_real *W_ih = params + stack_offset(&k, l, d);
			rnn_real   *hhT = dst + infer_offset(&k, ldw, l, d);

			transpose_padded(hhT, W_ih + GH * Il, GH, H, ldw);
			transpose_padded(hhT + H * ldw, W_ih, GH, Il, ldw);
		}
}

/*
 * t (GH) = h (H) @ W_hh^T for one batch row, from WT = W_hh^T (H, GH) with
 * rows ldw apart: t[j] is the sum over k = 0 .. H-1 of h[k] * W_hh[j, k],
 * added in k order.  Blocks of outputs stay in registers while the rows
 * of WT stream past, so each weight is read once (from L2 for a 64x256
 * matrix) instead of being packed first as sgemm does.  GCC's vector
 * extensions let each clone of the caller use its widest registers.
 */
#if defined(__GNUC__)
typedef rnn_real RnnVec __attribute__((vector_size(64)));
#define RNN_VL ((int) (sizeof(RnnVec) / sizeof(rnn_real)))

/*
 * v in every lane: a broadcast (v - 0 is v for every v, so the compiler
 * drops the subtraction; (RnnVec) {0} + v would add 0 first: -0 + 0 is +0)
 */
#define VEC_SPLAT(v) ((v) - (RnnVec) {0})

/*
 * Outputs j .. j + nv*RNN_VL - 1 with nv accumulators (nv a constant
 * after inlining, so that they live in registers).
 */
RNN_ROW void
recurrent_block(rnn_real *restrict t, const rnn_real *restrict h,
				const rnn_real *restrict WT, int H, size_t ldw, int j, const int nv,
				bool down)
{
	RnnVec		acc[16];

	for (int q = 0; q < nv; q++)
		acc[q] = (RnnVec) {0};
	for (int kk = 0; kk < H; kk++)
	{
		int			k = down ? H - 1 - kk : kk;
		const rnn_real *restrict w = WT + (size_t) k * ldw + j;
		RnnVec		hk = VEC_SPLAT(h[k]);

		for (int q = 0; q < nv; q++)
		{
			RnnVec		wv;

			memcpy(&wv, w + q * RNN_VL, sizeof(wv));
			acc[q] += hk * wv;
		}
	}
	for (int q = 0; q < nv; q++)
		memcpy(t + j + q * RNN_VL, &acc[q], sizeof(acc[q]));
}

/*
 * Blocks of 16 vectors (256 floats: the four gates of 64 units at once)
 * where 32 vector registers hold them (AVX-512: 5-7% faster than 8 in
 * rnn_forecast calls), else of 8, then of 4, 2 and 1 vectors and scalars.
 */
RNN_ROW void
recurrent_row_product(rnn_real *restrict t, const rnn_real *restrict h,
					  const rnn_real *restrict WT, int H, int GH, size_t ldw, bool down)
{
	int			j = 0;

#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f"))
		for (; j + 16 * RNN_VL <= GH; j += 16 * RNN_VL)
			recurrent_block(t, h, WT, H, ldw, j, 16, down);
#endif
	for (; j + 8 * RNN_VL <= GH; j += 8 * RNN_VL)
		recurrent_block(t, h, WT, H, ldw, j, 8, down);
	/* the rest in blocks of 4 and 2 (a GRU of 32 units: 6 vectors), not 1 */
	if (j + 4 * RNN_VL <= GH)
	{
		recurrent_block(t, h, WT, H, ldw, j, 4, down);
		j += 4 * RNN_VL;
	}
	if (j + 2 * RNN_VL <= GH)
	{
		recurrent_block(t, h, WT, H, ldw, j, 2, down);
		j += 2 * RNN_VL;
	}
	if (j + RNN_VL <= GH)
	{
		recurrent_block(t, h, WT, H, ldw, j, 1, down);
		j += RNN_VL;
	}
	for (; j < GH; j++)
	{
		rnn_real	acc = 0;

		for (int k = 0; k < H; k++)
			acc += h[k] * WT[(size_t) k * ldw + j];
		t[j] = acc;
	}
}

/*
 * Rows i .. i+R-1, outputs j .. j + nv*RNN_VL - 1 of out (M, GH) (+)=
 * X (M, K) @ WT (K, GH), with R*nv accumulators (R, nv constants after
 * inlining); each sum is added in k order as recurrent_block's, then to
 * out when add (as sgemm's beta = 1).
 */
RNN_ROW void
rows_block(rnn_real *restrict out, size_t ldo, const rnn_real *restrict X, size_t ldx,
		   const rnn_real *restrict WT, size_t ldw, int k0, int K, size_t i, int j,
		   const int R, const int nv, bool add)
{
	RnnVec		acc[6][4];

	/* k0 > 0: out holds the sums over k < k0, which continue in k order */
	for (int r = 0; r < R; r++)
		for (int q = 0; q < nv; q++)
		{
			if (k0 > 0)
				memcpy(&acc[r][q], out + (i + r) * ldo + j + q * RNN_VL, sizeof(acc[r][q]));
			else
				acc[r][q] = (RnnVec) {0};
		}
	for (int k = k0; k < K; k++)
	{
		const rnn_real *restrict w = WT + (size_t) k * ldw + j;
		RnnVec		wv[4];

		for (int q = 0; q < nv; q++)
			memcpy(&wv[q], w + q * RNN_VL, sizeof(wv[q]));
		for (int r = 0; r < R; r++)
		{
			RnnVec		xr = VEC_SPLAT(X[(i + r) * ldx + k]);

			for (int q = 0; q < nv; q++)
				acc[r][q] += xr * wv[q];
		}
	}
	for (int r = 0; r < R; r++)
		for (int q = 0; q < nv; q++)
		{
			rnn_real   *o = out + (i + r) * ldo + j + q * RNN_VL;

			if (add)
			{
				RnnVec		ov;

				memcpy(&ov, o, sizeof(ov));
				acc[r][q] += ov;
			}
			memcpy(o, &acc[r][q], sizeof(acc[r][q]));
		}
}

/*
 * Rows of WT per pass of a 4-vector column block over the batch's rows:
 * 96 rows of 256 bytes (24 KB) stay in a 32 or 48 KB L1 cache with room
 * for the rows of X, where the 256 rows of the LSTM's W_hh (64 KB) did not.
 */
#define RNN_ROWS_K_CHUNK 96

/*
 * Columns j .. j + nv*RNN_VL - 1 of rows_product's out over all M rows,
 * K in chunks of kc: rows R at a time (6 where 32 vector registers hold
 * 6*nv accumulators), then 2, then 1.
 */
RNN_ROW void
rows_columns(rnn_real *restrict out, const rnn_real *restrict X, size_t ldx,
			 const rnn_real *restrict WT, size_t ldw, size_t M, int K, int kc, int GH,
			 int j, const int nv, size_t R, bool add)
{
	for (int k0 = 0; k0 < K; k0 += kc)
	{
		int			k1 = K - k0 < kc ? K : k0 + kc;
		size_t		i = 0;

		if (R == 6)
			for (; i + 6 <= M; i += 6)
				rows_block(out, GH, X, ldx, WT, ldw, k0, k1, i, j, 6, nv, add);
		for (; i + 2 <= M; i += 2)
			rows_block(out, GH, X, ldx, WT, ldw, k0, k1, i, j, 2, nv, add);
		for (; i < M; i++)
			rows_block(out, GH, X, ldx, WT, ldw, k0, k1, i, j, 1, nv, add);
	}
}

/*
 * out (M, GH) (+)= X (M, K) @ WT (K, GH), WT rows ldw apart (add: out is
 * added to, as sgemm's beta = 1): the products of a batch's rows with one
 * small matrix (the input projection over all steps of a small batch, the
 * per-step recurrent products of a larger one and their gradients),
 * without the packing copies sgemm makes at every call.  Columns in blocks
 * of 4 vectors (a block of WT stays in L1 while every row passes), then
 * of 2 and 1 (the H = 32 columns of d h_prev at the default hidden size),
 * each block over several rows at once: one accumulator per block had
 * every FMA wait for the one before (AVX-512: 60% of a training step at
 * hidden size 32).  Without add, a long K is taken in chunks of rows of
 * WT that fit in L1, each chunk continuing the sums of the one before in
 * out: every sum is still added in k order, as in one pass, so the result
 * does not depend on the blocking.
 */
RNN_ROW void
rows_product(rnn_real *restrict out, const rnn_real *restrict X, size_t ldx,
			 const rnn_real *restrict WT, size_t ldw, size_t M, int K, int GH, bool add)
{
	int			j = 0;
	size_t		R = 2;
	int			nchunks = add ? 1 : (K + RNN_ROWS_K_CHUNK - 1) / RNN_ROWS_K_CHUNK;
	int			kc = nchunks > 1 ? (K + nchunks - 1) / nchunks : K;

#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f"))
		R = 6;
#endif
	for (; j + 4 * RNN_VL <= GH; j += 4 * RNN_VL)
		rows_columns(out, X, ldx, WT, ldw, M, K, kc, GH, j, 4, R, add);
	if (j + 2 * RNN_VL <= GH)
	{
		rows_columns(out, X, ldx, WT, ldw, M, K, kc, GH, j, 2, R, add);
		j += 2 * RNN_VL;
	}
	if (j + RNN_VL <= GH)
	{
		rows_columns(out, X, ldx, WT, ldw, M, K, kc, GH, j, 1, R, add);
		j += RNN_VL;
	}
	for (; j < GH; j++)
		for (size_t i = 0; i < M; i++)
		{
			rnn_real	acc = 0;

			for (int k = 0; k < K; k++)
				acc += X[i * ldx + k] * WT[(size_t) k * ldw + j];
			out[i * GH + j] = add ? acc + out[i * GH + j] : acc;
		}
}

/*
 * Rows i .. i+R-1, outputs j .. j + nv*RNN_VL - 1 of dW (M, N) +=
 * A^T (M, K) @ Bm (K, N) over k = k0 .. k1-1, A (K, M) rows lda apart,
 * Bm rows ldb apart: the sums continue from dW's values in k order.
 */
RNN_ROW void
grad_block(rnn_real *restrict dW, size_t ldo, const rnn_real *restrict A, size_t lda,
		   const rnn_real *restrict Bm, size_t ldb, size_t k0, size_t k1, int i, int j,
		   const int R, const int nv)
{
	RnnVec		acc[6][4];

	for (int r = 0; r < R; r++)
		for (int q = 0; q < nv; q++)
			memcpy(&acc[r][q], dW + (size_t) (i + r) * ldo + j + q * RNN_VL, sizeof(acc[r][q]));
	for (size_t k = k0; k < k1; k++)
	{
		const rnn_real *restrict b = Bm + k * ldb + j;
		const rnn_real *restrict a = A + k * lda + i;
		RnnVec		wv[4];

		for (int q = 0; q < nv; q++)
			memcpy(&wv[q], b + q * RNN_VL, sizeof(wv[q]));
		for (int r = 0; r < R; r++)
		{
			RnnVec		ar = VEC_SPLAT(a[r]);

			for (int q = 0; q < nv; q++)
				acc[r][q] += ar * wv[q];
		}
	}
	for (int r = 0; r < R; r++)
		for (int q = 0; q < nv; q++)
			memcpy(dW + (size_t) (i + r) * ldo + j + q * RNN_VL, &acc[r][q], sizeof(acc[r][q]));
}

/*
 * Columns j .. j + nv*RNN_VL - 1 of grad_product's dW over all M rows, the
 * K rows of Bm in chunks that stay in L1: rows of dW R at a time, then 2,
 * then 1, as rows_columns.
 */
RNN_ROW void
grad_columns(rnn_real *restrict dW, const rnn_real *restrict A, size_t lda,
			 const rnn_real *restrict Bm, size_t ldb, int M, size_t K, int N, int j,
			 const int nv, int R)
{
	for (size_t k0 = 0; k0 < K; k0 += RNN_ROWS_K_CHUNK)
	{
		size_t		k1 = K - k0 < RNN_ROWS_K_CHUNK ? K : k0 + RNN_ROWS_K_CHUNK;
		int			i = 0;

		if (R == 6)
			for (; i + 6 <= M; i += 6)
				grad_block(dW, N, A, lda, Bm, ldb, k0, k1, i, j, 6, nv);
		for (; i + 2 <= M; i += 2)
			grad_block(dW, N, A, lda, Bm, ldb, k0, k1, i, j, 2, nv);
		for (; i < M; i++)
			grad_block(dW, N, A, lda, Bm, ldb, k0, k1, i, j, 1, nv);
	}
}

/*
 * dW (M, N) += A^T (M, K) @ Bm (K, N): a weight gradient over all time
 * steps (A the gradients of the pre-activations (T*B, G*H), Bm the layer's
 * inputs or previous states (T*B, N)), each sum continued from dW in k
 * order.  sgemm packed A again, with a transposing copy, for every call
 * (about 5% of a training step); here the rows of Bm are taken in chunks
 * that stay in L1 while the blocks of dW pass over them, and A is read in
 * place.  Columns in blocks of 4, 2 and 1 vectors, several rows of dW at
 * once (dW_hh has N = H = 32 columns at the default hidden size), as in
 * rows_product.
 */
RNN_ROW void
grad_product(rnn_real *restrict dW, const rnn_real *restrict A, size_t lda,
			 const rnn_real *restrict Bm, size_t ldb, int M, size_t K, int N)
{
	int			R = 2;
	int			j = 0;

#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f"))
		R = 6;
#endif
	for (; j + 4 * RNN_VL <= N; j += 4 * RNN_VL)
		grad_columns(dW, A, lda, Bm, ldb, M, K, N, j, 4, R);
	if (j + 2 * RNN_VL <= N)
	{
		grad_columns(dW, A, lda, Bm, ldb, M, K, N, j, 2, R);
		j += 2 * RNN_VL;
	}
	if (j + RNN_VL <= N)
	{
		grad_columns(dW, A, lda, Bm, ldb, M, K, N, j, 1, R);
		j += RNN_VL;
	}
	for (; j < N; j++)
		for (int i = 0; i < M; i++)
		{
			rnn_real	acc = dW[(size_t) i * N + j];

			for (size_t k = 0; k < K; k++)
				acc += A[k * lda + i] * Bm[k * ldb + j];
			dW[(size_t) i * N + j] = acc;
		}
}
#else
RNN_ROW void
recurrent_row_product(rnn_real *restrict t, const rnn_real *restrict h,
					  const rnn_real *restrict WT, int H, int GH, size_t ldw, bool down)
{
	for (int j = 0; j < GH; j++)
		t[j] = 0;
	for (int k = 0; k < H; k++)
		for (int j = 0; j < GH; j++)
			t[j] += h[k] * WT[(size_t) k * ldw + j];
}

RNN_ROW void
rows_product(rnn_real *restrict out, const rnn_real *restrict X, size_t ldx,
			 const rnn_real *restrict WT, size_t ldw, size_t M, int K, int GH, bool add)
{
	for (size_t i = 0; i < M; i++)
		for (int j = 0; j < GH; j++)
		{
			rnn_real	acc = 0;

			for (int k = 0; k < K; k++)
				acc += X[i * ldx + k] * WT[(size_t) k * ldw + j];
			out[i * GH + j] = add ? acc + out[i * GH + j] : acc;
		}
}
RNN_ROW void
grad_product(rnn_real *restrict dW, const rnn_real *restrict A, size_t lda,
			 const rnn_real *restrict Bm, size_t ldb, int M, size_t K, int N)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++)
		{
			rnn_real	acc = dW[(size_t) i * N + j];

			for (size_t k = 0; k < K; k++)
				acc += A[k * lda + i] * Bm[k * ldb + j];
			dW[(size_t) i * N + j] = acc;
		}
}
#endif

/*
 * One direction of one layer, forward.
 * x (T, B, Il) -> out[:, :, d*H:(d+1)*H] with row stride D*H.
 * h0, c0 (B, H): initial states, or NULL for zeros (PyTorch's default).
 * W_hhT, W_ihT: rnn_infer_weights' W_hh^T and W_ih^T of this layer and
 * direction (rows ldw apart), for the products of batches of at most
 * RNN_INFER_MAX_ROWS, or NULL.  With them (inference), the activated gates
 * are not kept: gates holds the input projection only.  hhT_buf (H, ldt):
 * room for W_hh^T, and with ihT_room (training) for an upper layer's W_ih^T
 * (D*H, ldt) after it.
 */
RNN_SIMD_CLONES static void
layer_dir_forward(rnn_real *out, rnn_real *gates, rnn_real *state, rnn_real *tmp,
				  rnn_real *hhT_buf, bool ihT_room,
				  const rnn_real *x, int Il, const rnn_real *W_ih, const rnn_real *W_hh,
				  const rnn_real *b_ih, const rnn_real *b_hh,
				  const rnn_real *h0, const rnn_real *c0,
				  const rnn_real *W_hhT, const rnn_real *W_ihT, size_t ldw,
				  int cell, int T, int B, int H, int D, int d)
{
	int			G = rnn_gate_count(cell);
	int			GH = G * H;
	int			DH = D * H;
	size_t		TB = (size_t) T * B;
	/* inference: no backward pass follows, the cells need not keep the activated gates */
	bool		infer = W_hhT != NULL;
	bool		prefetch = !infer && TB * GH * sizeof(rnn_real) > RNN_PREFETCH_BYTES;

	/*
	 * Without rearranged weights (training), the per-step products of the
	 * batch come from a transposed copy of W_hh made here, as rows_product
	 * over the batch's rows: sgemm would pack W_hh again at every step (its
	 * packing copies were about 15% of a training step).
	 */
	size_t		ldt = hht_stride(GH);

	rnn_real   *ihT_buf = NULL;

	if (W_hhT)
		hhT_buf = NULL;
	if (hhT_buf && (T > 1 || h0))
		for (int k = 0; k < H; k++)
			for (int j = 0; j < GH; j++)
				hhT_buf[(size_t) k * ldt + j] = W_hh[(size_t) j * H + k];

	/*
	 * In training (ihT_room), an upper layer's input projection likewise,
	 * from W_ih^T after W_hh^T (sgemm packed the (T*B, Il) input with a
	 * transposing copy).  Not in inference: its batches of more than
	 * RNN_INFER_MAX_ROWS windows use sgemm with rearranged weights, and
	 * OpenBLAS's kernels for a small K (a first layer with features) round
	 * differently, so the forms of a forecast would not agree to the bit.
	 */
	if (hhT_buf && ihT_room && Il > 1 && Il <= DH)
	{
		ihT_buf = hhT_buf + (size_t) H * ldt;
		for (int k = 0; k < Il; k++)
			for (int j = 0; j < GH; j++)
				ihT_buf[(size_t) k * ldt + j] = W_ih[(size_t) j * Il + k];
	}

	/* gates (T*B, GH) = x (T*B, Il) @ W_ih^T: all time steps at once; the cells add b_ih */
	if (Il == 1 && infer && cell == RNN_CELL_LSTM)
		;						/* the cell multiplies x by W_ih itself */
	else if (Il == 1)
		outer_rows(gates, x, W_ih, TB, GH);
	else
	{
		int			tc = steps_per_chunk(T, B, (size_t) GH * Il);

		for (int t0 = 0; t0 < T; t0 += tc)
		{
			int			nt = T - t0 < tc ? T - t0 : tc;

			rnn_step_check();
			if (W_ihT && B <= RNN_INFER_MAX_ROWS)
				rows_product(gates + (size_t) t0 * B * GH, x + (size_t) t0 * B * Il, Il,
							 W_ihT, ldw, (size_t) nt * B, Il, GH, false);
			else if (ihT_buf)
				rows_product(gates + (size_t) t0 * B * GH, x + (size_t) t0 * B * Il, Il,
							 ihT_buf, ldt, (size_t) nt * B, Il, GH, false);
			else
				rnn_gemm(false, true, nt * B, GH, Il, 1, x + (size_t) t0 * B * Il, Il,
						 W_ih, Il, 0, gates + (size_t) t0 * B * GH, GH);
		}
	}

	for (int step = 0; step < T; step++)
	{
		int			t = d ? T - 1 - step : step;
		int			tp = d ? t + 1 : t - 1; /* previous time index in processing order */
		/* the previous state: the initial one (row stride H) or the last output */
		int			ldp = step == 0 ? H : DH;
		const rnn_real *h_prev = step == 0 ? h0 : out + (size_t) tp * B * DH + (size_t) d * H;
		rnn_real   *g = gates + (size_t) t * B * GH;
		rnn_real   *h = out + (size_t) t * B * DH + (size_t) d * H;

		rnn_step_check();
		/* tmp (B, GH) = h_prev @ W_hh^T; the cells add b_hh */
		if (h_prev && W_hhT && B <= RNN_INFER_MAX_ROWS)
			for (int b = 0; b < B; b++)
				recurrent_row_product(tmp + (size_t) b * GH, h_prev + (size_t) b * ldp, W_hhT,
									  H, GH, ldw, (step & 1) != 0);
		else if (h_prev && W_hhT)
			rows_product(tmp, h_prev, ldp, W_hhT, ldw, B, H, GH, false);
		else if (h_prev && hhT_buf)
			rows_product(tmp, h_prev, ldp, hhT_buf, ldt, B, H, GH, false);
		else if (h_prev)
			rnn_gemm(false, true, B, GH, H, 1, h_prev, ldp, W_hh, H, 0, tmp, GH);
		else
			memset(tmp, 0, sizeof(rnn_real) * B * GH);

		for (int b = 0; b < B; b++)
		{
			rnn_real   *gb = g + (size_t) b * GH;
			const rnn_real *tb = tmp + (size_t) b * GH;
			rnn_real   *hb = h + (size_t) b * DH;
			const rnn_real *hpb = h_prev ? h_prev + (size_t) b * ldp : NULL;

			/* the next step's input projection of this row */
			if (prefetch && step + 1 < T)
				PREFETCH_ROW(gates + ((size_t) (d ? t - 1 : t + 1) * B + b) * GH, GH, 1);

			switch (cell)
			{
				case RNN_CELL_TANH:
					tanh_row_forward(hb, gb, tb, b_ih, b_hh, H);
					break;
				case RNN_CELL_RELU:
					relu_row_forward(hb, gb, tb, b_ih, b_hh, H);
					break;
				case RNN_CELL_LSTM:
					{
						rnn_real   *c = state + (size_t) t * B * H + (size_t) b * H;
						const rnn_real *cp = step == 0 ? (c0 ? c0 + (size_t) b * H : NULL) :
							state + (size_t) tp * B * H + (size_t) b * H;

						if (infer)
							lstm_row_infer(hb, c, Il == 1 ? NULL : gb, Il == 1 ? x[(size_t) t * B + b] : 0, W_ih,
										   tb, b_ih, b_hh, cp, H);
						else if (cp)
							lstm_row_forward(hb, c, gb, tb, b_ih, b_hh, cp, H);
						else
							lstm_row_forward0(hb, c, gb, tb, b_ih, b_hh, H);
					}
					break;
				case RNN_CELL_GRU:
					{
						rnn_real   *hn = state + (size_t) t * B * H + (size_t) b * H;

						if (hpb)
							gru_row_forward(hb, hn, gb, tb, b_ih, b_hh, hpb, H);
						else
							gru_row_forward0(hb, hn, gb, tb, b_ih, b_hh, H);
					}
					break;
			}
		}
	}
}

/* The weights of layer l, direction d of stack k starting at p. */
typedef struct LayerWeights
{
	const rnn_real *W_ih,
			   *W_hh,
			   *b_ih,
			   *b_hh;
	size_t		offset;			/* of W_ih from p */
	int			Il;
} LayerWeights;

static LayerWeights
layer_weights(const Stack *k, const rnn_real *p, int l, int d)
{
	LayerWeights lw;
	int			G = rnn_gate_count(k->cell);
	int			H = k->hidden_size;

	lw.Il = l == 0 ? k->input_size : k->D * H;
	lw.offset = stack_offset(k, l, d);
	lw.W_ih = p + lw.offset;
	lw.W_hh = lw.W_ih + (size_t) G * H * lw.Il;
	lw.b_ih = lw.W_hh + (size_t) G * H * H;
	lw.b_hh = lw.b_ih + (size_t) G * H;
	return lw;
}

/*
 * The layers of stack k (weights at p) over x (T, B, input_size); w->out[l]
 * holds each layer's outputs.  h0[l], c0[l] (B, H): initial states (NULL:
 * zeros), only for unidirectional stacks.  hhT: rnn_infer_weights of the
 * encoder, rows ldw apart, or NULL.
 */
static void
stack_forward(RnnWork *w, const Stack *k, const rnn_real *p, const rnn_real *x, int T, int B,
			  const rnn_real *const *h0, const rnn_real *const *c0,
			  const rnn_real *hhT, size_t ldw)
{
	int			D = k->D;
	size_t		H = k->hidden_size;

	for (int l = 0; l < k->num_layers; l++)
	{
		const rnn_real *xin = l == 0 ? x : w->out[l - 1];

		for (int d = 0; d < D; d++)
		{
			LayerWeights lw = layer_weights(k, p, l, d);

			layer_dir_forward(w->out[l], w->gates[l * D + d], w->state[l * D + d], w->tmp,
							  w->hhT, w->dgi != NULL,
							  xin, lw.Il, lw.W_ih, lw.W_hh, lw.b_ih, lw.b_hh,
							  h0 ? h0[l] : NULL, c0 ? c0[l] : NULL,
							  hhT ? hhT + infer_offset(k, ldw, l, d) : NULL,
							  hhT ? hhT + infer_offset(k, ldw, l, d) + H * ldw : NULL, ldw,
							  k->cell, T, B, k->hidden_size, D, d);
		}
	}
}

/* Final states of a unidirectional stack after T steps: pointers into w. */
static void
stack_final_states(const RnnWork *w, const Stack *k, int T, int B,
				   const rnn_real **h, const rnn_real **c)
{
	size_t		H = k->hidden_size;

	for (int l = 0; l < k->num_layers; l++)
	{
		h[l] = w->out[l] + (size_t) (T - 1) * B * H;
		c[l] = k->cell == RNN_CELL_LSTM ? w->state[l] + (size_t) (T - 1) * B * H : NULL;
	}
}

/*
 * seq2seq, y (B, O): run the decoder over inputs xd (O, B), starting from
 * the encoder's final states; fc on every decoder output.
 */
static void
seq2seq_head(rnn_real *y, RnnWork *w, const RnnShape *s, const rnn_real *params, int B)
{
	Stack		dec = stack_of(s, true);
	int			O = s->output_size;
	int			H = s->hidden_size;
	const rnn_real *fc_w = params + fc_offset(s);
	const rnn_real *last = w->dec->out[dec.num_layers - 1];

	/* yflat (O*B) = decoder outputs (O*B, H) @ fc_w^T + fc_b */
	rnn_gemm(false, true, O * B, 1, H, 1, last, H, fc_w, H, 0, w->yflat, 1);
	for (int k = 0; k < O; k++)
		for (int b = 0; b < B; b++)
			y[(size_t) b * O + k] = w->yflat[(size_t) k * B + b] + fc_w[H];
}

void
rnn_forward(rnn_real *y, const rnn_real *x, const rnn_real *params,
			const RnnShape *s, int T, int B, RnnWork *w)
{
	rnn_forward_infer(y, x, params, NULL, s, T, B, w);
}

void
rnn_forward_infer(rnn_real *y, const rnn_real *x, const rnn_real *params,
				  const rnn_real *hhT, const RnnShape *s, int T, int B, RnnWork *w)
{
	Stack		enc = stack_of(s, false);
	int			DH = enc.D * s->hidden_size;
	const rnn_real *fc_w = params + fc_offset(s);

	stack_forward(w, &enc, params, x, T, B, NULL, NULL, hhT, hhT ? rnn_infer_row_stride(s) : 0);
	if (s->seq2seq)
	{
		/* decode one step at a time, each output the next input */
		Stack		dec = stack_of(s, true);
		const rnn_real *decp = params + stack_size(&enc);
		const rnn_real *h[RNN_MAX_LAYERS],
				   *c[RNN_MAX_LAYERS];
		size_t		BH = (size_t) B * s->hidden_size;
		int			H = s->hidden_size;
		int			O = s->output_size;

		stack_final_states(w, &enc, T, B, h, c);
		for (int l = 0; l < dec.num_layers; l++)
		{
			memcpy(w->hs[l], h[l], sizeof(rnn_real) * BH);
			if (c[l])
				memcpy(w->cs[l], c[l], sizeof(rnn_real) * BH);
		}
		for (int b = 0; b < B; b++)
			w->xd[b] = x[((size_t) (T - 1) * B + b) * s->input_size];
		for (int k = 0; k < O; k++)
		{
			const rnn_real *last;

			stack_forward(w->dec, &dec, decp, w->xd, 1, B,
						  (const rnn_real *const *) w->hs,
						  s->cell == RNN_CELL_LSTM ? (const rnn_real *const *) w->cs : NULL,
						  NULL, 0);
			for (int l = 0; l < dec.num_layers; l++)
			{
				memcpy(w->hs[l], w->dec->out[l], sizeof(rnn_real) * BH);
				if (s->cell == RNN_CELL_LSTM)
					memcpy(w->cs[l], w->dec->state[l], sizeof(rnn_real) * BH);
			}
			last = w->dec->out[dec.num_layers - 1];
			rnn_gemm(false, true, B, 1, H, 1, last, H, fc_w, H, 0, w->yflat, 1);
			for (int b = 0; b < B; b++)
			{
				y[(size_t) b * O + k] = w->yflat[b] + fc_w[H];
				w->xd[b] = y[(size_t) b * O + k];
			}
		}
		return;
	}

	/* y (B, O) = out[T-1] (B, DH) @ fc_w^T + fc_b */
	{
		const rnn_real *last = w->out[s->num_layers - 1] + (size_t) (T - 1) * B * DH;

		rnn_gemm(false, true, B, s->output_size, DH, 1, last, DH, fc_w, DH, 0, y, s->output_size);
		add_bias_rows(y, fc_w + (size_t) s->output_size * DH, B, s->output_size);
	}
}

void
rnn_forward_train(rnn_real *y, const rnn_real *x, const rnn_real *target,
				  const rnn_real *params, const RnnShape *s, int T, int B, RnnWork *w)
{
	Stack		enc = stack_of(s, false);
	Stack		dec;
	const rnn_real *h[RNN_MAX_LAYERS],
			   *c[RNN_MAX_LAYERS];
	int			O = s->output_size;

	if (!s->seq2seq)
	{
		rnn_forward(y, x, params, s, T, B, w);
		return;
	}
	/* teacher forcing: decoder inputs are the last input, then the targets */
	dec = stack_of(s, true);
	stack_forward(w, &enc, params, x, T, B, NULL, NULL, NULL, 0);
	stack_final_states(w, &enc, T, B, h, c);
	for (int b = 0; b < B; b++)
		w->xd[b] = x[((size_t) (T - 1) * B + b) * s->input_size];
	for (int k = 1; k < O; k++)
		for (int b = 0; b < B; b++)
			w->xd[(size_t) k * B + b] = target[(size_t) b * O + k - 1];
	stack_forward(w->dec, &dec, params + stack_size(&enc), w->xd, O, B, h,
				  s->cell == RNN_CELL_LSTM ? c : NULL, NULL, 0);
	seq2seq_head(y, w, s, params, B);
}

/*
 * Backward of the cells on one batch row, one fused pass each: dh (H) is
 * the gradient reaching the row's output from the next step, to which the
 * gradient dout from above is added first; g (G*H) are the activated gates
 * of the forward pass; dgi (G*H) receives d pre-activation (input path),
 * for the GRU dgh (G*H) the hidden path's and dhp (H) the direct part of
 * d h_prev.  The pointers never alias (restrict).
 */
RNN_ROW void
tanh_row_backward(rnn_real *restrict dgi, rnn_real *restrict dh,
				  const rnn_real *restrict dout, const rnn_real *restrict h, int H)
{
	/* h = tanh(a): da = dh * (1 - h^2) */
	for (int j = 0; j < H; j++)
	{
		rnn_real	dhj = dh[j] + dout[j];

		dh[j] = dhj;
		dgi[j] = dhj * (1 - h[j] * h[j]);
	}
}

RNN_ROW void
relu_row_backward(rnn_real *restrict dgi, rnn_real *restrict dh,
				  const rnn_real *restrict dout, const rnn_real *restrict h, int H)
{
	/* h = max(a, 0): da = dh * [h > 0] (a NaN h passes dh on, as torch's threshold_backward) */
	for (int j = 0; j < H; j++)
	{
		rnn_real	dhj = dh[j] + dout[j];

		dh[j] = dhj;
		dgi[j] = h[j] <= 0 ? 0 : dhj;
	}
}

/* dc (H): the gradient of c from the next step on entry, of c_prev on exit */
RNN_ROW void
lstm_row_backward(rnn_real *restrict dgi, rnn_real *restrict dc, rnn_real *restrict dh,
				  const rnn_real *restrict dout, const rnn_real *restrict g,
				  const rnn_real *restrict c, const rnn_real *restrict cp, int H)
{
	const rnn_real *restrict g0 = g, *restrict g1 = g + H, *restrict g2 = g + 2 * H, *restrict g3 = g + 3 * H;
	rnn_real   *restrict dgi0 = dgi, *restrict dgi1 = dgi + H, *restrict dgi2 = dgi + 2 * H, *restrict dgi3 = dgi + 3 * H;

	for (int j = 0; j < H; j++)
	{
		rnn_real	dhj = dh[j] + dout[j];
		rnn_real	ig = g0[j],
					fg = g1[j],
					gg = g2[j],
					og = g3[j];
		rnn_real	tc = ACT_TANH(c[j]);
		/* h = o * tanh(c) */
		rnn_real	d_o = dhj * tc;
		rnn_real	d_c = dc[j] + dhj * og * (1 - tc * tc);

		/* c = f * c_prev + i * g */
		dh[j] = dhj;
		dgi0[j] = d_c * gg * ig * (1 - ig);
		dgi1[j] = d_c * fg * (1 - fg) * cp[j];
		dgi2[j] = d_c * ig * (1 - gg * gg);
		dgi3[j] = d_o * og * (1 - og);
		dc[j] = d_c * fg;		/* d c_prev */
	}
}

/* the same with c_prev = 0 */
RNN_ROW void
lstm_row_backward0(rnn_real *restrict dgi, rnn_real *restrict dc, rnn_real *restrict dh,
				   const rnn_real *restrict dout, const rnn_real *restrict g,
				   const rnn_real *restrict c, int H)
{
	const rnn_real *restrict g0 = g, *restrict g1 = g + H, *restrict g2 = g + 2 * H, *restrict g3 = g + 3 * H;
	rnn_real   *restrict dgi0 = dgi, *restrict dgi1 = dgi + H, *restrict dgi2 = dgi + 2 * H, *restrict dgi3 = dgi + 3 * H;

	for (int j = 0; j < H; j++)
	{
		rnn_real	dhj = dh[j] + dout[j];
		rnn_real	ig = g0[j],
					fg = g1[j],
					gg = g2[j],
					og = g3[j];
		rnn_real	tc = ACT_TANH(c[j]);
		rnn_real	d_o = dhj * tc;
		rnn_real	d_c = dc[j] + dhj * og * (1 - tc * tc);

		dh[j] = dhj;
		dgi0[j] = d_c * gg * ig * (1 - ig);
		dgi1[j] = 0;
		dgi2[j] = d_c * ig * (1 - gg * gg);
		dgi3[j] = d_o * og * (1 - og);
		dc[j] = d_c * fg;
	}
}

/* GRU; hn (H) = W_hn h_prev + b_hn of the forward pass */
RNN_ROW void
gru_row_backward(rnn_real *restrict dgi, rnn_real *restrict dgh, rnn_real *restrict dhp,
				 rnn_real *restrict dh, const rnn_real *restrict dout,
				 const rnn_real *restrict g, const rnn_real *restrict hn,
				 const rnn_real *restrict hp, int H)
{
	const rnn_real *restrict g0 = g, *restrict g1 = g + H, *restrict g2 = g + 2 * H;
	rnn_real   *restrict dgi0 = dgi, *restrict dgi1 = dgi + H, *restrict dgi2 = dgi + 2 * H;
	rnn_real   *restrict dgh0 = dgh, *restrict dgh1 = dgh + H, *restrict dgh2 = dgh + 2 * H;

	for (int j = 0; j < H; j++)
	{
		rnn_real	dhj = dh[j] + dout[j];
		rnn_real	r = g0[j],
					z = g1[j],
					n = g2[j];

		/* h = (1 - z) * n + z * h_prev */
		rnn_real	dn = dhj * (1 - z);
		rnn_real	dz = -dhj * n;
		/* n = tanh(a_n), a_n = x_n + r * hn */
		rnn_real	dan = dn * (1 - n * n);
		rnn_real	dr = dan * hn[j];
		rnn_real	dar = dr * r * (1 - r);
		rnn_real	daz = dz * z * (1 - z) + dhj * hp[j] * z * (1 - z);

		dh[j] = dhj;
		dhp[j] = dhj * z;
		dgi0[j] = dar;
		dgi1[j] = daz;
		dgi2[j] = dan;
		dgh0[j] = dar;
		dgh1[j] = daz;
		dgh2[j] = dan * r;	/* hn = W_hn h + b_hn */
	}
}

/* the same with h_prev = 0 */
RNN_ROW void
gru_row_backward0(rnn_real *restrict dgi, rnn_real *restrict dgh, rnn_real *restrict dhp,
				  rnn_real *restrict dh, const rnn_real *restrict dout,
				  const rnn_real *restrict g, const rnn_real *restrict hn, int H)
{
	const rnn_real *restrict g0 = g, *restrict g1 = g + H, *restrict g2 = g + 2 * H;
	rnn_real   *restrict dgi0 = dgi, *restrict dgi1 = dgi + H, *restrict dgi2 = dgi + 2 * H;
	rnn_real   *restrict dgh0 = dgh, *restrict dgh1 = dgh + H, *restrict dgh2 = dgh + 2 * H;

	for (int j = 0; j < H; j++)
	{
		rnn_real	dhj = dh[j] + dout[j];
		rnn_real	r = g0[j],
					z = g1[j],
					n = g2[j];
		rnn_real	dn = dhj * (1 - z);
		rnn_real	dz = -dhj * n;
		rnn_real	dan = dn * (1 - n * n);
		rnn_real	dr = dan * hn[j];
		rnn_real	dar = dr * r * (1 - r);
		rnn_real	daz = dz * z * (1 - z);

		dh[j] = dhj;
		dhp[j] = dhj * z;
		dgi0[j] = dar;
		dgi1[j] = daz;
		dgi2[j] = dan;
		dgh0[j] = dar;
		dgh1[j] = daz;
		dgh2[j] = dan * r;
	}
}

/*
 * One direction of one layer, backward through time.
 * dout (T, B, D*H): gradient reaching this direction's outputs (column d*H).
 * Only the rows of time steps t >= dout_from are read: the earlier ones are
 * zero.  Accumulates into dW_ih.. and, when dx is not NULL, computes
 * dx (T, B, Il) = dx_beta * dx + the gradient of this direction's input.
 * dhT, dcT (B, H), or NULL: gradient reaching the final states (seq2seq).
 * h0, c0: the initial states of the forward pass; dh0, dc0 (B, H), when not
 * NULL, receive the gradient of the initial states.
 */
RNN_SIMD_CLONES static void
layer_dir_backward(rnn_real *dW_ih, rnn_real *dW_hh, rnn_real *db_ih, rnn_real *db_hh,
				   rnn_real *dx, rnn_real dx_beta, RnnWork *w, const rnn_real *dout, int dout_from,
				   const rnn_real *out, const rnn_real *gates, const rnn_real *state,
				   const rnn_real *x, int Il, const rnn_real *W_ih, const rnn_real *W_hh,
				   const rnn_real *h0, const rnn_real *c0, const rnn_real *dhT, const rnn_real *dcT,
				   rnn_real *dh0, rnn_real *dc0,
				   int cell, int T, int B, int H, int D, int d)
{
	int			G = rnn_gate_count(cell);
	int			GH = G * H;
	int			DH = D * H;
	size_t		TB = (size_t) T * B;
	rnn_real   *dgi = w->dgi;
	rnn_real   *dgh = cell == RNN_CELL_GRU ? w->dgh : w->dgi;
	rnn_real   *dh = w->dh;
	rnn_real   *dh_next = w->dh_next;
	rnn_real   *dc = w->dc;
	bool		prefetch = TB * GH * sizeof(rnn_real) > RNN_PREFETCH_BYTES;

	if (dhT)
		memcpy(dh, dhT, sizeof(rnn_real) * B * H);
	else
		memset(dh, 0, sizeof(rnn_real) * B * H);
	if (dcT)
		memcpy(dc, dcT, sizeof(rnn_real) * B * H);
	else
		memset(dc, 0, sizeof(rnn_real) * B * H);

	/* walk the steps in reverse processing order */
	for (int step = T - 1; step >= 0; step--)
	{
		int			t = d ? T - 1 - step : step;
		int			tp = d ? t + 1 : t - 1;
		int			ldp = step == 0 ? H : DH;
		const rnn_real *h_prev = step == 0 ? h0 : out + (size_t) tp * B * DH + (size_t) d * H;

		rnn_step_check();
		/*
		 * the GRU's cells write the direct part of dh_prev into dc (the
		 * LSTM's buffer, unused by the GRU), added after the product below;
		 * the other cells leave dh_prev to the product
		 */
		if (cell != RNN_CELL_GRU && !h_prev)
			memset(dh_next, 0, sizeof(rnn_real) * B * H);
		for (int b = 0; b < B; b++)
		{
			rnn_real   *dhb = dh + (size_t) b * H;
			rnn_real   *dcb = dc + (size_t) b * H;
			rnn_real   *dnb = dc + (size_t) b * H;	/* GRU only */
			const rnn_real *doutb = t < dout_from ? w->zeros :
				dout + (size_t) t * B * DH + (size_t) b * DH + (size_t) d * H;
			const rnn_real *hb = out + (size_t) t * B * DH + (size_t) b * DH + (size_t) d * H;
			const rnn_real *gb = gates + (size_t) t * B * GH + (size_t) b * GH;
			rnn_real   *dgib = dgi + (size_t) t * B * GH + (size_t) b * GH;
			rnn_real   *dghb = dgh + (size_t) t * B * GH + (size_t) b * GH;
			const rnn_real *hpb = h_prev ? h_prev + (size_t) b * ldp : NULL;

			/* the gates this row reads and the gradients it writes at the next step */
			if (prefetch && step > 0)
			{
				PREFETCH_ROW(gates + ((size_t) tp * B + b) * GH, GH, 0);
				PREFETCH_ROW(dgi + ((size_t) tp * B + b) * GH, GH, 1);
			}

			switch (cell)
			{
				case RNN_CELL_TANH:
					tanh_row_backward(dgib, dhb, doutb, hb, H);
					break;
				case RNN_CELL_RELU:
					relu_row_backward(dgib, dhb, doutb, hb, H);
					break;
				case RNN_CELL_LSTM:
					{
						const rnn_real *c = state + (size_t) t * B * H + (size_t) b * H;
						const rnn_real *cp = step == 0 ? (c0 ? c0 + (size_t) b * H : NULL) :
							state + (size_t) tp * B * H + (size_t) b * H;

						if (cp)
							lstm_row_backward(dgib, dcb, dhb, doutb, gb, c, cp, H);
						else
							lstm_row_backward0(dgib, dcb, dhb, doutb, gb, c, H);
					}
					break;
				case RNN_CELL_GRU:
					{
						const rnn_real *hn = state + (size_t) t * B * H + (size_t) b * H;

						if (hpb)
							gru_row_backward(dgib, dghb, dnb, dhb, doutb, gb, hn, hpb, H);
						else
							gru_row_backward0(dgib, dghb, dnb, dhb, doutb, gb, hn, H);
					}
					break;
			}
		}
		/*
		 * dh_prev = dgh[t] (B, GH) @ W_hh (GH, H): W_hh is already the
		 * (K, N) operand of rows_product, which needs no packing copy
		 */
		if (h_prev)
			rows_product(dh_next, dgh + (size_t) t * B * GH, GH, W_hh, H, B, GH, H, false);
		if (cell == RNN_CELL_GRU)
		{
			/*
			 * product + direct part: the one addition sgemm's beta = 1 made,
			 * but after a product that could take W_hh in chunks that stay
			 * in L1 (rows_product does not chunk when it adds)
			 */
			if (h_prev)
				add_rows(dh_next, dc, (size_t) B * H);
			else
				memcpy(dh_next, dc, sizeof(rnn_real) * B * H);
		}

		/*
		 * The bias gradients (and a layer of input size 1's dW_ih, a product
		 * with K = 1) from this step's rows while they are in cache: db_ih
		 * += sum dgi, db_hh too when the hidden path's gradient is the same
		 * (not GRU); steps in processing order, reversed
		 */
		if (Il == 1 && !dx)
			outer_grad_rows(dW_ih, db_ih, dgh == dgi ? db_hh : NULL, dgi + (size_t) t * B * GH,
							x + (size_t) t * B, B, GH);
		else
			add_col_sums2(db_ih, dgh == dgi ? db_hh : NULL, dgi + (size_t) t * B * GH, B, GH);
		if (dgh != dgi)
			add_col_sums2(db_hh, NULL, dgh + (size_t) t * B * GH, B, GH);
		{
			rnn_real   *swap = dh;

			dh = dh_next;
			dh_next = swap;
		}
	}
	/* after the first step: the gradient of the initial states */
	if (dh0)
		memcpy(dh0, dh, sizeof(rnn_real) * B * H);
	if (dc0)
		memcpy(dc0, dc, sizeof(rnn_real) * B * H);

	/* dW_ih (GH, Il) += dgi^T (GH, TB) @ x (TB, Il), unless taken per step above */
	if (Il > 1 || dx)
	{
		int			tc = steps_per_chunk(T, B, (size_t) GH * Il);

		for (int t0 = 0; t0 < T; t0 += tc)
		{
			int			nt = T - t0 < tc ? T - t0 : tc;

			rnn_step_check();
			grad_product(dW_ih, dgi + (size_t) t0 * B * GH, GH, x + (size_t) t0 * B * Il, Il,
						 GH, (size_t) nt * B, Il);
			/*
			 * dx (TB, Il) (+)= dgi (TB, GH) @ W_ih (GH, Il): W_ih as stored is
			 * rows_product's (K, N) operand, as W_hh is for dh_prev above
			 */
			if (dx)
				rows_product(dx + (size_t) t0 * B * Il, dgi + (size_t) t0 * B * GH, GH,
							 W_ih, Il, (size_t) nt * B, GH, Il, dx_beta != 0);
		}
	}
	/* dW_hh (GH, H) += sum_t dgh[t]^T @ h_prev[t], skipping the first step */
	if (T > 1)
	{
		const rnn_real *dg_rows = d ? dgh : dgh + (size_t) B * GH;
		const rnn_real *hp_rows = d ? out + (size_t) B * DH + (size_t) d * H : out;

		int			tc = steps_per_chunk(T - 1, B, (size_t) GH * H);

		for (int t0 = 0; t0 < T - 1; t0 += tc)
		{
			int			nt = T - 1 - t0 < tc ? T - 1 - t0 : tc;

			rnn_step_check();
			grad_product(dW_hh, dg_rows + (size_t) t0 * B * GH, GH,
						 hp_rows + (size_t) t0 * B * DH, DH, GH, (size_t) nt * B, H);
		}
	}
	/* the first step's recurrent input was the initial state */
	if (h0)
		rnn_gemm(true, false, GH, H, B, 1, dgh + (size_t) (d ? T - 1 : 0) * B * GH, GH,
				 h0, H, 1, dW_hh, H);
}

/*
 * Backward through stack k (weights p, gradients g), given the gradient of
 * its top layer's outputs in w->dout_a (clobbered) at the time steps
 * t >= dout_from (the earlier ones are zero, not read).  h0/c0: the initial
 * states of the forward pass; dhT/dcT: gradients reaching the final states;
 * dh0/dc0: receive the gradients of the initial states (all per layer, may
 * be NULL).
 */
static void
stack_backward(rnn_real *g, RnnWork *w, const Stack *k, const rnn_real *p,
			   const rnn_real *x, int T, int B, int dout_from,
			   const rnn_real *const *h0, const rnn_real *const *c0,
			   rnn_real *const *dhT, rnn_real *const *dcT,
			   rnn_real *const *dh0, rnn_real *const *dc0)
{
	int			D = k->D;
	int			DH = D * k->hidden_size;
	rnn_real   *dout = w->dout_a;
	rnn_real   *dx = w->dout_b;

	for (int l = k->num_layers - 1; l >= 0; l--)
	{
		const rnn_real *xin = l == 0 ? x : w->out[l - 1];
		int			Il = l == 0 ? k->input_size : DH;

		for (int d = 0; d < D; d++)
		{
			LayerWeights lw = layer_weights(k, p, l, d);
			rnn_real   *dW_ih = g + lw.offset;
			rnn_real   *dW_hh = dW_ih + (size_t) rnn_gate_count(k->cell) * k->hidden_size * Il;
			rnn_real   *db_ih = dW_hh + (size_t) rnn_gate_count(k->cell) * k->hidden_size * k->hidden_size;
			rnn_real   *db_hh = db_ih + (size_t) rnn_gate_count(k->cell) * k->hidden_size;

			/* the first direction sets dx, the second adds to it */
			layer_dir_backward(dW_ih, dW_hh, db_ih, db_hh, l > 0 ? dx : NULL, d == 0 ? 0 : 1,
							   w, dout, l == k->num_layers - 1 ? dout_from : 0,
							   w->out[l], w->gates[l * D + d], w->state[l * D + d],
							   xin, Il, lw.W_ih, lw.W_hh,
							   h0 ? h0[l] : NULL, c0 ? c0[l] : NULL,
							   dhT ? dhT[l] : NULL, dcT ? dcT[l] : NULL,
							   dh0 ? dh0[l] : NULL, dc0 ? dc0[l] : NULL,
							   k->cell, T, B, k->hidden_size, D, d);
		}
		{
			rnn_real   *swap = dout;

			dout = dx;
			dx = swap;
		}
	}
}

void
rnn_backward(rnn_real *grads, const rnn_real *dy, const rnn_real *x,
			 const rnn_real *params, const RnnShape *s, int T, int B, RnnWork *w)
{
	Stack		enc = stack_of(s, false);
	int			H = s->hidden_size;
	int			DH = enc.D * H;
	int			O = s->output_size;
	size_t		fco = fc_offset(s);
	const rnn_real *fc_w = params + fco;
	rnn_real   *dfc_w = grads + fco;

	if (s->seq2seq)
	{
		Stack		dec = stack_of(s, true);
		const rnn_real *h[RNN_MAX_LAYERS],
				   *c[RNN_MAX_LAYERS];
		const rnn_real *last = w->dec->out[dec.num_layers - 1];
		bool		lstm = s->cell == RNN_CELL_LSTM;

		/* y[b, k] = dec_out[k, b] . fc_w + fc_b */
		for (int k = 0; k < O; k++)
			for (int b = 0; b < B; b++)
				w->yflat[(size_t) k * B + b] = dy[(size_t) b * O + k];
		rnn_gemm(true, false, 1, H, O * B, 1, w->yflat, 1, last, H, 1, dfc_w, H);
		add_col_sums(dfc_w + H, w->yflat, (size_t) O * B, 1);
		rnn_gemm(false, false, O * B, H, 1, 1, w->yflat, 1, fc_w, H, 0, w->dec->dout_a, H);
		/* decoder, then the encoder from the gradient of its final states */
		stack_final_states(w, &enc, T, B, h, c);
		stack_backward(grads + stack_size(&enc), w->dec, &dec, params + stack_size(&enc),
					   w->xd, O, B, 0, h, lstm ? c : NULL, NULL, NULL, w->dhs, lstm ? w->dcs : NULL);
		/* no gradient reaches the encoder's outputs, only its final states */
		stack_backward(grads, w, &enc, params, x, T, B, T, NULL, NULL,
					   w->dhs, lstm ? w->dcs : NULL, NULL, NULL);
		return;
	}

	/* y = last @ fc_w^T + fc_b */
	{
		const rnn_real *last = w->out[s->num_layers - 1] + (size_t) (T - 1) * B * DH;

		rnn_gemm(true, false, O, DH, B, 1, dy, O, last, DH, 1, dfc_w, DH);
		add_col_sums(dfc_w + (size_t) O * DH, dy, B, O);
		/* only the last step's outputs reach the head */
		rnn_gemm(false, false, B, DH, O, 1, dy, O, fc_w, DH, 0,
				 w->dout_a + (size_t) (T - 1) * B * DH, DH);
	}
	stack_backward(grads, w, &enc, params, x, T, B, T - 1, NULL, NULL, NULL, NULL, NULL, NULL);
}
