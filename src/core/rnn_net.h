/*
 * rnn_net.h
 *	  The network: PyTorch's nn.RNN / nn.LSTM / nn.GRU (stacked, optionally
 *	  bidirectional, batch_first) followed by nn.Linear on out[:, -1, :].
 *
 * Parameters live in one flat array in the order of PyTorch's state_dict:
 * for each layer l, for each direction (forward, then _reverse):
 *	 rnn.weight_ih_l{l} (G*H, I_l), rnn.weight_hh_l{l} (G*H, H),
 *	 rnn.bias_ih_l{l} (G*H), rnn.bias_hh_l{l} (G*H)
 * then fc.weight (O, D*H), fc.bias (O).  G is 1 (RNN), 4 (LSTM: i,f,g,o) or
 * 3 (GRU: r,z,n); D is 2 when bidirectional; I_0 = input_size, I_l = D*H.
 *
 * seq2seq (unidirectional, input_size 1): the stack above is the encoder; a
 * decoder stack of the same cell and sizes with input size 1
 * (decoder.weight_ih_l0 ...) starts from the encoder's final states, reads
 * the last input value and then each previous output, and fc (1, H) maps
 * every decoder output to one forecast value.  Training feeds the decoder
 * the targets instead of its outputs (teacher forcing).
 */
#ifndef RNN_NET_H
#define RNN_NET_H

#include "rnn_common.h"

typedef enum RnnCell
{
	RNN_CELL_TANH = 1,
	RNN_CELL_RELU = 2,
	RNN_CELL_LSTM = 3,
	RNN_CELL_GRU = 4
} RnnCell;

typedef struct RnnShape
{
	int			cell;			/* RnnCell */
	int			input_size;		/* features per time step */
	int			hidden_size;
	int			num_layers;
	int			bidirectional;	/* 0 or 1 */
	int			output_size;	/* outputs of the linear head; forecast steps for seq2seq */
	int			seq2seq;		/* 1: encoder-decoder (see below) */
} RnnShape;

/* One named tensor of the flat parameter array. */
typedef struct RnnTensorInfo
{
	char		name[40];		/* PyTorch name without the "rnn."/"fc." prefix rule: full name */
	size_t		offset;			/* in elements */
	int			rows;
	int			cols;			/* 0 for a 1-D tensor */
} RnnTensorInfo;

#define RNN_MAX_TENSORS (RNN_MAX_LAYERS * 2 * 4 + RNN_MAX_LAYERS * 4 + 2)

int			rnn_gate_count(int cell);
const char *rnn_cell_name(int cell);
int			rnn_cell_from_name(const char *name);	/* 0 when unknown */

/* RNN_OK when every dimension is within the limits (and the count fits). */
RnnStatus	rnn_shape_check(const RnnShape *s);
size_t		rnn_param_count(const RnnShape *s);
int			rnn_tensor_table(const RnnShape *s, RnnTensorInfo *out);

/* PyTorch's default initialisation, from a seeded generator. */
void		rnn_init_params(rnn_real *params, const RnnShape *s, uint64_t seed);

/*
 * Zero fc.weight and fc.bias: the untrained network outputs 0, which under
 * window scaling is the naive forecast (the last value), so training starts
 * from naive and early stopping can keep it.
 */
void		rnn_zero_output_layer(rnn_real *params, const RnnShape *s);

/*
 * A one-step network (one output) inside a network of shape s (output_size
 * O, not seq2seq) and back: the same recurrent weights, fc's first row and
 * bias, the other O - 1 rows and biases zero.  A mixed model
 * (RNN_STRATEGY_MIXED) keeps its one-step members so, and forecasts with
 * their first output fed back.  one_step has rnn_param_count of s with
 * output_size 1.
 */
void		rnn_params_embed_one_step(rnn_real *params, const rnn_real *one_step, const RnnShape *s);
void		rnn_params_extract_one_step(rnn_real *one_step, const rnn_real *params, const RnnShape *s);

/*
 * Called once per time step of every layer in forward and backward passes,
 * so a long pass can be cancelled promptly (the server sets it to a
 * function that runs CHECK_FOR_INTERRUPTS, which may longjmp).  NULL: none.
 * Only the main thread calls it: the passes call rnn_step_check
 * (rnn_threads.h), which worker threads of a training answer themselves.
 */
extern void (*rnn_step_hook) (void);

/* Activations cached by the forward pass for the backward pass. */
typedef struct RnnWork RnnWork;

/* Bytes of activations rnn_work_create allocates for (max_T, max_B). */
size_t		rnn_work_bytes(const RnnShape *s, int max_T, int max_B);
RnnWork    *rnn_work_create(const RnnShape *s, int max_T, int max_B, const RnnAlloc *a);
void		rnn_work_free(RnnWork *w, const RnnAlloc *a);

/*
 * y (B, O) = model(x), x time-major (T, B, I).  Fills w for rnn_backward.
 */
void		rnn_forward(rnn_real *y, const rnn_real *x, const rnn_real *params,
						const RnnShape *s, int T, int B, RnnWork *w);

/*
 * Inference with weights rearranged once per model: W_hh^T (H, G*H) and
 * W_ih^T (I_l, G*H) of every layer and direction of the encoder, each row
 * padded to a multiple of 64 bytes (rnn_infer_row_stride) and each matrix
 * 64-byte aligned when dst is.  With them, the recurrent product of a small
 * batch (at most RNN_INFER_MAX_ROWS histories, e.g. one rnn_forecast call)
 * streams contiguous rows of W_hh^T through registers instead of calling
 * sgemm for a (1, H) x (H, G*H) product, which OpenBLAS does at a third of
 * the speed, and its input projections need no sgemm either; a larger
 * batch's recurrent products are register-blocked over its rows, without
 * the packing copy sgemm makes at every step.
 */
#define RNN_INFER_MAX_ROWS 4
size_t		rnn_infer_row_stride(const RnnShape *s);
size_t		rnn_infer_weights_count(const RnnShape *s);	/* elements per member */
void		rnn_infer_weights(rnn_real *dst, const rnn_real *params, const RnnShape *s);

/* Forward-only activations (no buffers for rnn_backward) for rnn_forward_infer. */
RnnWork    *rnn_work_create_infer(const RnnShape *s, int max_T, int max_B, const RnnAlloc *a);

/*
 * y (B, O) = model(x) as rnn_forward, with the encoder's recurrent products
 * (and for B <= RNN_INFER_MAX_ROWS its input projections) taken from hhT
 * (rnn_infer_weights of params; NULL: exactly rnn_forward).  With hhT the
 * LSTM cells keep no activations for a backward pass and take products of
 * two activations with one division.  w from rnn_work_create or
 * rnn_work_create_infer.
 */
void		rnn_forward_infer(rnn_real *y, const rnn_real *x, const rnn_real *params,
							  const rnn_real *hhT, const RnnShape *s, int T, int B, RnnWork *w);

/*
 * The training forward pass: rnn_forward, except that a seq2seq decoder
 * reads target (B, O) instead of its own outputs.
 */
void		rnn_forward_train(rnn_real *y, const rnn_real *x, const rnn_real *target,
							  const rnn_real *params, const RnnShape *s, int T, int B,
							  RnnWork *w);

/*
 * grads += d loss / d params, given dy = d loss / d y (B, O), after an
 * rnn_forward_train with the same x, params, T and B.
 */
void		rnn_backward(rnn_real *grads, const rnn_real *dy, const rnn_real *x,
						 const rnn_real *params, const RnnShape *s, int T, int B,
						 RnnWork *w);

#endif							/* RNN_NET_H */
