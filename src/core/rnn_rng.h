/*
 * rnn_rng.h
 *	  A small seeded generator (xoshiro256**, seeded through splitmix64) so
 *	  that the same seed gives the same model on every call and platform.
 */
#ifndef RNN_RNG_H
#define RNN_RNG_H

#include "rnn_common.h"

typedef struct RnnRng
{
	uint64_t	s[4];
} RnnRng;

void		rnn_rng_seed(RnnRng *rng, uint64_t seed);
uint64_t	rnn_rng_next(RnnRng *rng);
double		rnn_rng_double(RnnRng *rng);	/* [0, 1) */
double		rnn_rng_uniform(RnnRng *rng, double lo, double hi);
uint64_t	rnn_rng_below(RnnRng *rng, uint64_t n);	/* [0, n) */

#endif							/* RNN_RNG_H */
