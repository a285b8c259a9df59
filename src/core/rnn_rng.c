/*
 * rnn_rng.c
 *	  xoshiro256** (Blackman and Vigna, https://prng.di.unimi.it/) seeded
 *	  with splitmix64.
 */
#include "rnn_rng.h"

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

void
rnn_rng_seed(RnnRng *rng, uint64_t seed)
{
	uint64_t	st = seed;

	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&st);
}

uint64_t
rnn_rng_next(RnnRng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
rnn_rng_double(RnnRng *rng)
{
	return (double) (rnn_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

double
rnn_rng_uniform(RnnRng *rng, double lo, double hi)
{
	return lo + (hi - lo) * rnn_rng_double(rng);
}

uint64_t
rnn_rng_below(RnnRng *rng, uint64_t n)
{
	/* rejection sampling removes the modulo bias */
	uint64_t	limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t	r;

	do
		r = rnn_rng_next(rng);
	while (r >= limit);
	return r % n;
}
