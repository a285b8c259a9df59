/*
 * rnn_net.c
 *	  Forward and backward passes of the recurrent network, batched so that
 *	  BLAS does the work: the input projection of all time steps of a layer
 *	  is one GEMM, the recurrent projection one GEMM per step, and weight
 *	  gradients are accumulated with one GEMM per weight over all steps.
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

/*
 * The per-step cell loops are compiled twice on x86-64 (AVX2+FMA and the
 * baseline) and picked at load time, so one binary package runs well on
 * every CPU.  Everything else is left to OpenBLAS's own dispatch.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(RNN_NO_CLONES)
#define RNN_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RNN_SIMD_CLONES
#endif

/* float activations vectorise; the double build (gradient check) uses libm */
#ifdef RNN_DOUBLE
#define ACT_SIGMOID(x) (1.0 / (1.0 + exp(-(x))))
#define ACT_TANH(x) tanh(x)
#else
#define ACT_SIGMOID(x) rnn_sigmoidf(x)
#define ACT_TANH(x) rnn_tanhf(x)
#endif

void		(*rnn_step_hook) (void) = NULL;

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
	rnn_real   *dh;				/* (B, H) */
	rnn_real   *dh_next;		/* (B, H) */
	rnn_real   *dc;				/* (B, H) */
	void	   *block;
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
	/* all dimensions are bounded, so this count cannot overflow size_t */
	if (rnn_param_count(s) > RNN_MAX_PARAMS)
		return RNN_ERR_LIMIT;
	return RNN_OK;
}

int
rnn_tensor_table(const RnnShape *s, RnnTensorInfo *out)
{
	int			G = rnn_gate_count(s->cell);
	int			H = s->hidden_size;
	int			D = s->bidirectional ? 2 : 1;
	size_t		off = 0;
	int			n = 0;

	for (int l = 0; l < s->num_layers; l++)
	{
		int			Il = l == 0 ? s->input_size : D * H;

		for (int d = 0; d < D; d++)
		{
			const char *sfx = d ? "_reverse" : "";

			snprintf(out[n].name, sizeof(out[n].name), "rnn.weight_ih_l%d%s", l, sfx);
			out[n].offset = off;
			out[n].rows = G * H;
			out[n].cols = Il;
			off += (size_t) G * H * Il;
			n++;
			snprintf(out[n].name, sizeof(out[n].name), "rnn.weight_hh_l%d%s", l, sfx);
			out[n].offset = off;
			out[n].rows = G * H;
			out[n].cols = H;
			off += (size_t) G * H * H;
			n++;
			snprintf(out[n].name, sizeof(out[n].name), "rnn.bias_ih_l%d%s", l, sfx);
			out[n].offset = off;
			out[n].rows = G * H;
			out[n].cols = 0;
			off += (size_t) G * H;
			n++;
			snprintf(out[n].name, sizeof(out[n].name), "rnn.bias_hh_l%d%s", l, sfx);
			out[n].offset = off;
			out[n].rows = G * H;
			out[n].cols = 0;
			off += (size_t) G * H;
			n++;
		}
	}
	snprintf(out[n].name, sizeof(out[n].name), "fc.weight");
	out[n].offset = off;
	out[n].rows = s->output_size;
	out[n].cols = D * H;
	off += (size_t) s->output_size * D * H;
	n++;
	snprintf(out[n].name, sizeof(out[n].name), "fc.bias");
	out[n].offset = off;
	out[n].rows = s->output_size;
	out[n].cols = 0;
	n++;
	return n;
}

/* Offset of weight_ih of (layer l, direction d); the other three follow it. */
static size_t
layer_offset(const RnnShape *s, int l, int d)
{
	size_t		G = rnn_gate_count(s->cell);
	size_t		H = s->hidden_size;
	size_t		D = s->bidirectional ? 2 : 1;
	size_t		off = 0;

	for (int k = 0; k < l; k++)
	{
		size_t		Ik = k == 0 ? (size_t) s->input_size : D * H;

		off += D * (G * H * Ik + G * H * H + 2 * G * H);
	}
	{
		size_t		Il = l == 0 ? (size_t) s->input_size : D * H;

		off += d * (G * H * Il + G * H * H + 2 * G * H);
	}
	return off;
}

size_t
rnn_param_count(const RnnShape *s)
{
	size_t		D = s->bidirectional ? 2 : 1;

	return layer_offset(s, s->num_layers, 0) +
		(size_t) s->output_size * D * s->hidden_size + s->output_size;
}

void
rnn_init_params(rnn_real *params, const RnnShape *s, uint64_t seed)
{
	RnnRng		rng;
	size_t		n_rnn = layer_offset(s, s->num_layers, 0);
	size_t		n = rnn_param_count(s);
	double		k_rnn = 1.0 / sqrt((double) s->hidden_size);
	double		k_fc = 1.0 / sqrt((double) (s->bidirectional ? 2 : 1) * s->hidden_size);

	rnn_rng_seed(&rng, seed);
	/* nn.RNNBase.reset_parameters: every tensor uniform(-1/sqrt(H), 1/sqrt(H)) */
	for (size_t i = 0; i < n_rnn; i++)
		params[i] = (rnn_real) rnn_rng_uniform(&rng, -k_rnn, k_rnn);
	/* nn.Linear: kaiming_uniform(a=sqrt(5)) and bias both give +-1/sqrt(fan_in) */
	for (size_t i = n_rnn; i < n; i++)
		params[i] = (rnn_real) rnn_rng_uniform(&rng, -k_fc, k_fc);
}

/* Elements of the activation block for (max_T, max_B). */
static size_t
work_elements(const RnnShape *s, int max_T, int max_B)
{
	size_t		G = rnn_gate_count(s->cell);
	size_t		H = s->hidden_size;
	size_t		D = s->bidirectional ? 2 : 1;
	size_t		L = s->num_layers;
	size_t		TB = (size_t) max_T * max_B;
	size_t		nld = L * D;

	/* every factor is bounded by the limits, so these products fit in size_t */
	return nld * TB * G * H		/* gates */
		+ nld * TB * H			/* state */
		+ L * TB * D * H		/* out */
		+ 2 * TB * G * H		/* dgi, dgh */
		+ 2 * TB * D * H		/* dout_a, dout_b */
		+ (size_t) max_B * G * H	/* tmp */
		+ 3 * (size_t) max_B * H;	/* dh, dh_next, dc */
}

size_t
rnn_work_bytes(const RnnShape *s, int max_T, int max_B)
{
	return work_elements(s, max_T, max_B) * sizeof(rnn_real);
}

RnnWork *
rnn_work_create(const RnnShape *s, int max_T, int max_B, const RnnAlloc *a)
{
	size_t		G = rnn_gate_count(s->cell);
	size_t		H = s->hidden_size;
	size_t		D = s->bidirectional ? 2 : 1;
	size_t		L = s->num_layers;
	size_t		TB = (size_t) max_T * max_B;
	size_t		nld = L * D;
	size_t		total = work_elements(s, max_T, max_B);
	size_t		ptrs;
	rnn_real   *p;
	RnnWork    *w;

	ptrs = (2 * nld + L) * sizeof(rnn_real *);

	w = rnn_alloc(a, sizeof(RnnWork) + ptrs);
	if (w == NULL)
		return NULL;
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
	w->dgi = p;
	p += TB * G * H;
	w->dgh = p;
	p += TB * G * H;
	w->dout_a = p;
	p += TB * D * H;
	w->dout_b = p;
	p += TB * D * H;
	w->tmp = p;
	p += (size_t) max_B * G * H;
	w->dh = p;
	p += (size_t) max_B * H;
	w->dh_next = p;
	p += (size_t) max_B * H;
	w->dc = p;
	return w;
}

void
rnn_work_free(RnnWork *w, const RnnAlloc *a)
{
	if (w == NULL)
		return;
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
 * One direction of one layer, forward.
 * x (T, B, Il) -> out[:, :, d*H:(d+1)*H] with row stride D*H.
 */
RNN_SIMD_CLONES static void
layer_dir_forward(rnn_real *out, rnn_real *gates, rnn_real *state, rnn_real *tmp,
				  const rnn_real *x, int Il, const rnn_real *W_ih, const rnn_real *W_hh,
				  const rnn_real *b_ih, const rnn_real *b_hh,
				  int cell, int T, int B, int H, int D, int d)
{
	int			G = rnn_gate_count(cell);
	int			GH = G * H;
	int			DH = D * H;
	size_t		TB = (size_t) T * B;

	/* gates (T*B, GH) = x (T*B, Il) @ W_ih^T + b_ih: all time steps at once */
	{
		int			tc = steps_per_chunk(T, B, (size_t) GH * Il);

		for (int t0 = 0; t0 < T; t0 += tc)
		{
			int			nt = T - t0 < tc ? T - t0 : tc;

			if (rnn_step_hook)
				rnn_step_hook();
			rnn_gemm(false, true, nt * B, GH, Il, 1, x + (size_t) t0 * B * Il, Il,
					 W_ih, Il, 0, gates + (size_t) t0 * B * GH, GH);
		}
	}
	add_bias_rows(gates, b_ih, TB, GH);

	for (int step = 0; step < T; step++)
	{
		int			t = d ? T - 1 - step : step;
		int			tp = d ? t + 1 : t - 1; /* previous time index in processing order */
		const rnn_real *h_prev = step == 0 ? NULL : out + (size_t) tp * B * DH + (size_t) d * H;
		rnn_real   *g = gates + (size_t) t * B * GH;
		rnn_real   *h = out + (size_t) t * B * DH + (size_t) d * H;

		if (rnn_step_hook)
			rnn_step_hook();
		/* tmp (B, GH) = h_prev @ W_hh^T + b_hh */
		for (int b = 0; b < B; b++)
			memcpy(tmp + (size_t) b * GH, b_hh, sizeof(rnn_real) * GH);
		if (h_prev)
			rnn_gemm(false, true, B, GH, H, 1, h_prev, DH, W_hh, H, 1, tmp, GH);

		for (int b = 0; b < B; b++)
		{
			rnn_real   *restrict gb = g + (size_t) b * GH;
			const rnn_real *restrict tb = tmp + (size_t) b * GH;
			rnn_real   *restrict hb = h + (size_t) b * DH;
			const rnn_real *hpb = h_prev ? h_prev + (size_t) b * DH : NULL;

			switch (cell)
			{
				case RNN_CELL_TANH:
					for (int j = 0; j < H; j++)
						hb[j] = ACT_TANH(gb[j] + tb[j]);
					break;
				case RNN_CELL_RELU:
					for (int j = 0; j < H; j++)
					{
						rnn_real	a = gb[j] + tb[j];

						hb[j] = a > 0 ? a : 0;
					}
					break;
				case RNN_CELL_LSTM:
					{
						rnn_real   *restrict c = state + (size_t) t * B * H + (size_t) b * H;
						const rnn_real *cp = step == 0 ? NULL :
							state + (size_t) tp * B * H + (size_t) b * H;

						/* gates i, f, g, o: sigmoid, sigmoid, tanh, sigmoid */
						for (int j = 0; j < 2 * H; j++)
							gb[j] = ACT_SIGMOID(gb[j] + tb[j]);
						for (int j = 2 * H; j < 3 * H; j++)
							gb[j] = ACT_TANH(gb[j] + tb[j]);
						for (int j = 3 * H; j < 4 * H; j++)
							gb[j] = ACT_SIGMOID(gb[j] + tb[j]);
						/* c = f * c_prev + i * g;  h = o * tanh(c) */
						if (cp)
							for (int j = 0; j < H; j++)
								c[j] = gb[H + j] * cp[j] + gb[j] * gb[2 * H + j];
						else
							for (int j = 0; j < H; j++)
								c[j] = gb[j] * gb[2 * H + j];
						for (int j = 0; j < H; j++)
							hb[j] = gb[3 * H + j] * ACT_TANH(c[j]);
					}
					break;
				case RNN_CELL_GRU:
					{
						rnn_real   *restrict hn = state + (size_t) t * B * H + (size_t) b * H;

						/* r, z = sigmoid; hn = W_hn h + b_hn; n = tanh(x_n + r * hn) */
						for (int j = 0; j < 2 * H; j++)
							gb[j] = ACT_SIGMOID(gb[j] + tb[j]);
						for (int j = 0; j < H; j++)
						{
							hn[j] = tb[2 * H + j];
							gb[2 * H + j] = ACT_TANH(gb[2 * H + j] + gb[j] * hn[j]);
						}
						/* h = (1 - z) * n + z * h_prev */
						if (hpb)
							for (int j = 0; j < H; j++)
								hb[j] = (1 - gb[H + j]) * gb[2 * H + j] + gb[H + j] * hpb[j];
						else
							for (int j = 0; j < H; j++)
								hb[j] = (1 - gb[H + j]) * gb[2 * H + j];
					}
					break;
			}
		}
	}
}

void
rnn_forward(rnn_real *y, const rnn_real *x, const rnn_real *params,
			const RnnShape *s, int T, int B, RnnWork *w)
{
	int			H = s->hidden_size;
	int			D = s->bidirectional ? 2 : 1;
	int			G = rnn_gate_count(s->cell);
	int			DH = D * H;
	const rnn_real *fc_w = params + layer_offset(s, s->num_layers, 0);
	const rnn_real *fc_b = fc_w + (size_t) s->output_size * DH;

	for (int l = 0; l < s->num_layers; l++)
	{
		const rnn_real *xin = l == 0 ? x : w->out[l - 1];
		int			Il = l == 0 ? s->input_size : DH;

		for (int d = 0; d < D; d++)
		{
			const rnn_real *W_ih = params + layer_offset(s, l, d);
			const rnn_real *W_hh = W_ih + (size_t) G * H * Il;
			const rnn_real *b_ih = W_hh + (size_t) G * H * H;
			const rnn_real *b_hh = b_ih + (size_t) G * H;

			layer_dir_forward(w->out[l], w->gates[l * D + d], w->state[l * D + d], w->tmp,
							  xin, Il, W_ih, W_hh, b_ih, b_hh, s->cell, T, B, H, D, d);
		}
	}

	/* y (B, O) = out[T-1] (B, DH) @ fc_w^T + fc_b */
	{
		const rnn_real *last = w->out[s->num_layers - 1] + (size_t) (T - 1) * B * DH;

		rnn_gemm(false, true, B, s->output_size, DH, 1, last, DH, fc_w, DH, 0, y, s->output_size);
		add_bias_rows(y, fc_b, B, s->output_size);
	}
}

/*
 * One direction of one layer, backward through time.
 * dout (T, B, D*H): gradient reaching this direction's outputs (column d*H).
 * Accumulates into dW_ih.. and, when dx is not NULL, dx (T, B, Il) +=.
 */
RNN_SIMD_CLONES static void
layer_dir_backward(rnn_real *dW_ih, rnn_real *dW_hh, rnn_real *db_ih, rnn_real *db_hh,
				   rnn_real *dx, RnnWork *w, const rnn_real *dout,
				   const rnn_real *out, const rnn_real *gates, const rnn_real *state,
				   const rnn_real *x, int Il, const rnn_real *W_ih, const rnn_real *W_hh,
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

	memset(dh, 0, sizeof(rnn_real) * B * H);
	memset(dc, 0, sizeof(rnn_real) * B * H);

	/* walk the steps in reverse processing order */
	for (int step = T - 1; step >= 0; step--)
	{
		int			t = d ? T - 1 - step : step;
		int			tp = d ? t + 1 : t - 1;
		const rnn_real *h_prev = step == 0 ? NULL : out + (size_t) tp * B * DH + (size_t) d * H;

		if (rnn_step_hook)
			rnn_step_hook();
		memset(dh_next, 0, sizeof(rnn_real) * B * H);
		for (int b = 0; b < B; b++)
		{
			rnn_real   *dhb = dh + (size_t) b * H;
			rnn_real   *dcb = dc + (size_t) b * H;
			rnn_real   *dnb = dh_next + (size_t) b * H;
			const rnn_real *doutb = dout + (size_t) t * B * DH + (size_t) b * DH + (size_t) d * H;
			const rnn_real *hb = out + (size_t) t * B * DH + (size_t) b * DH + (size_t) d * H;
			const rnn_real *gb = gates + (size_t) t * B * GH + (size_t) b * GH;
			rnn_real   *dgib = dgi + (size_t) t * B * GH + (size_t) b * GH;
			rnn_real   *dghb = dgh + (size_t) t * B * GH + (size_t) b * GH;
			const rnn_real *hpb = h_prev ? h_prev + (size_t) b * DH : NULL;

			for (int j = 0; j < H; j++)
				dhb[j] += doutb[j];

			switch (cell)
			{
				case RNN_CELL_TANH:
					/* h = tanh(a): da = dh * (1 - h^2) */
					for (int j = 0; j < H; j++)
						dgib[j] = dhb[j] * (1 - hb[j] * hb[j]);
					break;
				case RNN_CELL_RELU:
					/* h = max(a, 0): da = dh * [h > 0] */
					for (int j = 0; j < H; j++)
						dgib[j] = hb[j] > 0 ? dhb[j] : 0;
					break;
				case RNN_CELL_LSTM:
					{
						const rnn_real *c = state + (size_t) t * B * H + (size_t) b * H;
						const rnn_real *cp = step == 0 ? NULL :
							state + (size_t) tp * B * H + (size_t) b * H;

						for (int j = 0; j < H; j++)
						{
							rnn_real	ig = gb[j],
										fg = gb[H + j],
										gg = gb[2 * H + j],
										og = gb[3 * H + j];
							rnn_real	tc = ACT_TANH(c[j]);
							/* h = o * tanh(c) */
							rnn_real	d_o = dhb[j] * tc;
							rnn_real	d_c = dcb[j] + dhb[j] * og * (1 - tc * tc);

							/* c = f * c_prev + i * g */
							dgib[j] = d_c * gg * ig * (1 - ig);
							dgib[H + j] = d_c * fg * (1 - fg);	/* times c_prev below */
							dgib[2 * H + j] = d_c * ig * (1 - gg * gg);
							dgib[3 * H + j] = d_o * og * (1 - og);
							dcb[j] = d_c * fg;	/* d c_prev */
						}
						if (cp)
							for (int j = 0; j < H; j++)
								dgib[H + j] *= cp[j];
						else
							for (int j = 0; j < H; j++)
								dgib[H + j] = 0;
					}
					break;
				case RNN_CELL_GRU:
					{
						const rnn_real *hn = state + (size_t) t * B * H + (size_t) b * H;

						for (int j = 0; j < H; j++)
						{
							rnn_real	r = gb[j],
										z = gb[H + j],
										n = gb[2 * H + j];

							/* h = (1 - z) * n + z * h_prev */
							rnn_real	dn = dhb[j] * (1 - z);
							rnn_real	dz = -dhb[j] * n;
							/* n = tanh(a_n), a_n = x_n + r * hn */
							rnn_real	dan = dn * (1 - n * n);
							rnn_real	dr = dan * hn[j];

							dnb[j] = dhb[j] * z;
							dgib[j] = dr * r * (1 - r);
							dgib[H + j] = dz * z * (1 - z);	/* h_prev term added below */
							dgib[2 * H + j] = dan;
							dghb[j] = dgib[j];
							dghb[2 * H + j] = dan * r;	/* hn = W_hn h + b_hn */
						}
						if (hpb)
							for (int j = 0; j < H; j++)
							{
								rnn_real	z = gb[H + j];

								dgib[H + j] += dhb[j] * hpb[j] * z * (1 - z);
							}
						for (int j = 0; j < H; j++)
							dghb[H + j] = dgib[H + j];
					}
					break;
			}
		}
		/* dh_prev += dgh[t] (B, GH) @ W_hh (GH, H) */
		if (h_prev)
			rnn_gemm(false, false, B, H, GH, 1, dgh + (size_t) t * B * GH, GH,
					 W_hh, H, 1, dh_next, H);
		{
			rnn_real   *swap = dh;

			dh = dh_next;
			dh_next = swap;
		}
	}

	/* dW_ih (GH, Il) += dgi^T (GH, TB) @ x (TB, Il); db_ih += sum dgi */
	{
		int			tc = steps_per_chunk(T, B, (size_t) GH * Il);

		for (int t0 = 0; t0 < T; t0 += tc)
		{
			int			nt = T - t0 < tc ? T - t0 : tc;

			if (rnn_step_hook)
				rnn_step_hook();
			rnn_gemm(true, false, GH, Il, nt * B, 1, dgi + (size_t) t0 * B * GH, GH,
					 x + (size_t) t0 * B * Il, Il, 1, dW_ih, Il);
			/* dx (TB, Il) += dgi (TB, GH) @ W_ih (GH, Il) */
			if (dx)
				rnn_gemm(false, false, nt * B, Il, GH, 1, dgi + (size_t) t0 * B * GH, GH,
						 W_ih, Il, 1, dx + (size_t) t0 * B * Il, Il);
		}
	}
	add_col_sums(db_ih, dgi, TB, GH);
	/* dW_hh (GH, H) += sum_t dgh[t]^T @ h_prev[t], skipping the first step */
	if (T > 1)
	{
		const rnn_real *dg_rows = d ? dgh : dgh + (size_t) B * GH;
		const rnn_real *hp_rows = d ? out + (size_t) B * DH + (size_t) d * H : out;

		int			tc = steps_per_chunk(T - 1, B, (size_t) GH * H);

		for (int t0 = 0; t0 < T - 1; t0 += tc)
		{
			int			nt = T - 1 - t0 < tc ? T - 1 - t0 : tc;

			if (rnn_step_hook)
				rnn_step_hook();
			rnn_gemm(true, false, GH, H, nt * B, 1, dg_rows + (size_t) t0 * B * GH, GH,
					 hp_rows + (size_t) t0 * B * DH, DH, 1, dW_hh, H);
		}
	}
	add_col_sums(db_hh, dgh, TB, GH);
}

void
rnn_backward(rnn_real *grads, const rnn_real *dy, const rnn_real *x,
			 const rnn_real *params, const RnnShape *s, int T, int B, RnnWork *w)
{
	int			H = s->hidden_size;
	int			D = s->bidirectional ? 2 : 1;
	int			G = rnn_gate_count(s->cell);
	int			DH = D * H;
	int			O = s->output_size;
	size_t		fc_off = layer_offset(s, s->num_layers, 0);
	const rnn_real *fc_w = params + fc_off;
	rnn_real   *dfc_w = grads + fc_off;
	rnn_real   *dfc_b = dfc_w + (size_t) O * DH;
	size_t		TB = (size_t) T * B;
	const rnn_real *last = w->out[s->num_layers - 1] + (size_t) (T - 1) * B * DH;
	rnn_real   *dout = w->dout_a;
	rnn_real   *dx = w->dout_b;

	/* y = last @ fc_w^T + fc_b */
	rnn_gemm(true, false, O, DH, B, 1, dy, O, last, DH, 1, dfc_w, DH);
	add_col_sums(dfc_b, dy, B, O);
	memset(dout, 0, sizeof(rnn_real) * TB * DH);
	rnn_gemm(false, false, B, DH, O, 1, dy, O, fc_w, DH, 0,
			 dout + (size_t) (T - 1) * B * DH, DH);

	for (int l = s->num_layers - 1; l >= 0; l--)
	{
		const rnn_real *xin = l == 0 ? x : w->out[l - 1];
		int			Il = l == 0 ? s->input_size : DH;

		if (l > 0)
			memset(dx, 0, sizeof(rnn_real) * TB * Il);
		for (int d = 0; d < D; d++)
		{
			size_t		off = layer_offset(s, l, d);
			const rnn_real *W_ih = params + off;
			const rnn_real *W_hh = W_ih + (size_t) G * H * Il;
			rnn_real   *dW_ih = grads + off;
			rnn_real   *dW_hh = dW_ih + (size_t) G * H * Il;
			rnn_real   *db_ih = dW_hh + (size_t) G * H * H;
			rnn_real   *db_hh = db_ih + (size_t) G * H;

			layer_dir_backward(dW_ih, dW_hh, db_ih, db_hh, l > 0 ? dx : NULL, w, dout,
							   w->out[l], w->gates[l * D + d], w->state[l * D + d],
							   xin, Il, W_ih, W_hh, s->cell, T, B, H, D, d);
		}
		{
			rnn_real   *swap = dout;

			dout = dx;
			dx = swap;
		}
	}
}
