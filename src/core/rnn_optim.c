/*
 * rnn_optim.c
 *	  SGD, Adam (Kingma and Ba, https://arxiv.org/abs/1412.6980, in the form
 *	  of torch.optim.Adam) and global gradient-norm clipping.
 */
#include "rnn_optim.h"

#include <math.h>
#include <string.h>

void
rnn_sgd_step(rnn_real *params, const rnn_real *grads, size_t n, double lr)
{
	rnn_real	a = (rnn_real) lr;

	for (size_t i = 0; i < n; i++)
		params[i] -= a * grads[i];
}

void
rnn_adam_init(RnnAdam *adam, rnn_real *m, rnn_real *v, size_t n)
{
	adam->m = m;
	adam->v = v;
	memset(m, 0, n * sizeof(rnn_real));
	memset(v, 0, n * sizeof(rnn_real));
	adam->step = 0;
	adam->beta1 = 0.9;
	adam->beta2 = 0.999;
	adam->eps = 1e-8;
}

void
rnn_adam_step(rnn_real *params, const rnn_real *grads, size_t n,
			  double lr, RnnAdam *adam)
{
	double		bc1,
				bc2;
	rnn_real	step_size,
				bc2_sqrt,
				b1 = (rnn_real) adam->beta1,
				b2 = (rnn_real) adam->beta2,
				eps = (rnn_real) adam->eps;

	adam->step++;
	bc1 = 1.0 - pow(adam->beta1, (double) adam->step);
	bc2 = 1.0 - pow(adam->beta2, (double) adam->step);
	step_size = (rnn_real) (lr / bc1);
	bc2_sqrt = (rnn_real) sqrt(bc2);

	for (size_t i = 0; i < n; i++)
	{
		rnn_real	g = grads[i];
		rnn_real	m = adam->m[i] * b1 + g * (1 - b1);
		rnn_real	v = adam->v[i] * b2 + g * g * (1 - b2);
		rnn_real	denom = (rnn_real) sqrt((double) v) / bc2_sqrt + eps;

		adam->m[i] = m;
		adam->v[i] = v;
		params[i] -= step_size * (m / denom);
	}
}

double
rnn_clip_grad_norm(rnn_real *grads, size_t n, double max_norm)
{
	double		ss = 0.0;
	double		norm;

	for (size_t i = 0; i < n; i++)
		ss += (double) grads[i] * grads[i];
	norm = sqrt(ss);
	if (max_norm > 0)
	{
		double		coef = max_norm / (norm + 1e-6);

		if (coef < 1.0)
		{
			rnn_real	c = (rnn_real) coef;

			for (size_t i = 0; i < n; i++)
				grads[i] *= c;
		}
	}
	return norm;
}
