/*
 * test_gradcheck.c
 *	  Central-difference check of the gradient of every parameter, for each
 *	  cell with 1-3 layers in both directions, and for every loss.  Built with
 *	  RNN_DOUBLE so the core computes in double precision.
 */
#include "test_util.h"

#include "rnn_net.h"
#include "rnn_train.h"

static double
loss_at(const rnn_real *params, const RnnShape *s, const rnn_real *x,
		const rnn_real *target, int T, int B, RnnWork *w, rnn_real *y, int loss)
{
	rnn_forward_train(y, x, target, params, s, T, B, w);
	return rnn_loss(NULL, y, target, (size_t) B * s->output_size, loss, 0.3);
}

static void
check_case(int cell, int layers, int bidir, int loss, int seq2seq)
{
	RnnShape	s = {cell, seq2seq ? 1 : 2, 3, layers, bidir, seq2seq ? 3 : 2, seq2seq};
	int			T = 4,
				B = 3;
	size_t		np = rnn_param_count(&s);
	rnn_real   *p = calloc(np, sizeof(rnn_real));
	rnn_real   *g = calloc(np, sizeof(rnn_real));
	rnn_real	x[4 * 3 * 2],
				target[3 * 3],
				y[3 * 3],
				dy[3 * 3];
	RnnWork    *w = rnn_work_create(&s, T, B, &test_allocator);
	double		max_rel = 0.0;
	double		max_grad = 0.0;
	size_t		worst = 0;

	for (size_t i = 0; i < np; i++)
		p[i] = 0.5 * sin((double) i * 1.7 + cell);
	for (int i = 0; i < T * B * 2; i++)
		x[i] = cos(i * 0.9);
	for (int i = 0; i < B * s.output_size; i++)
		target[i] = 0.3 * sin(i * 2.1);

	rnn_forward_train(y, x, target, p, &s, T, B, w);
	rnn_loss(dy, y, target, (size_t) B * s.output_size, loss, 0.3);
	rnn_backward(g, dy, x, p, &s, T, B, w);

	for (size_t i = 0; i < np; i++)
	{
		double		eps = 1e-6;
		rnn_real	keep = p[i];
		double		lp,
					lm,
					num,
					rel;

		p[i] = keep + eps;
		lp = loss_at(p, &s, x, target, T, B, w, y, loss);
		p[i] = keep - eps;
		lm = loss_at(p, &s, x, target, T, B, w, y, loss);
		p[i] = keep;
		num = (lp - lm) / (2 * eps);
		/* absolute difference: the gradients here are O(1) */
		rel = fabs(num - g[i]);
		if (rel > max_rel)
		{
			max_rel = rel;
			worst = i;
		}
		if (fabs(g[i]) > max_grad)
			max_grad = fabs(g[i]);
	}
	report(max_rel < 1e-7 && max_grad > 1e-3,
		   "gradient check %s%s layers=%d bidirectional=%d loss=%d (%zu params, max abs err %.2e at %zu, max |grad| %.3f)",
		   seq2seq ? "seq2seq " : "", rnn_cell_name(cell), layers, bidir, loss, np, max_rel, worst, max_grad);
	rnn_work_free(w, &test_allocator);
	free(p);
	free(g);
}

int
main(void)
{
	int			cells[] = {RNN_CELL_TANH, RNN_CELL_RELU, RNN_CELL_LSTM, RNN_CELL_GRU};

	for (int c = 0; c < 4; c++)
		for (int l = 1; l <= 3; l++)
			for (int b = 0; b <= 1; b++)
				check_case(cells[c], l, b, RNN_LOSS_MSE, 0);
	/* encoder-decoder: every parameter of both stacks and the head */
	for (int c = 0; c < 4; c++)
		for (int l = 1; l <= 2; l++)
			check_case(cells[c], l, 0, RNN_LOSS_MSE, 1);
	/* the other losses, on one architecture (their kinks are avoided by the data) */
	check_case(RNN_CELL_GRU, 2, 1, RNN_LOSS_MAE, 0);
	check_case(RNN_CELL_LSTM, 1, 0, RNN_LOSS_HUBER, 0);
	check_case(RNN_CELL_TANH, 1, 1, RNN_LOSS_PINBALL, 0);
	return finish("gradcheck");
}
