/*
 * rnn_optim.h
 *	  Optimizers and gradient clipping with PyTorch's exact update rules.
 */
#ifndef RNN_OPTIM_H
#define RNN_OPTIM_H

#include "rnn_common.h"

typedef enum RnnOptimizer
{
	RNN_OPT_ADAM = 1,
	RNN_OPT_SGD = 2
} RnnOptimizer;

/* Adam moments; m and v hold n values each (zeroed at start). */
typedef struct RnnAdam
{
	rnn_real   *m;
	rnn_real   *v;
	long		step;
	double		beta1;
	double		beta2;
	double		eps;
} RnnAdam;

/* torch.optim.SGD (no momentum, no weight decay): p -= lr * g */
void		rnn_sgd_step(rnn_real *params, const rnn_real *grads, size_t n, double lr);

/* torch.optim.Adam with default betas (0.9, 0.999) and eps 1e-8 */
void		rnn_adam_init(RnnAdam *adam, rnn_real *m, rnn_real *v, size_t n);
void		rnn_adam_step(rnn_real *params, const rnn_real *grads, size_t n,
						  double lr, RnnAdam *adam);

/*
 * torch.nn.utils.clip_grad_norm_: scales grads by max_norm / (norm + 1e-6)
 * when that factor is below 1.  Returns the total norm before clipping.
 */
double		rnn_clip_grad_norm(rnn_real *grads, size_t n, double max_norm);

#endif							/* RNN_OPTIM_H */
