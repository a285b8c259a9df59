/*
 * rnn_act.h
 *	  Vectorisable float activations for the cells: exp by range reduction
 *	  and a polynomial, sigmoid and tanh built on it.  Written so that
 *	  compilers turn the array loops into SIMD code without -ffast-math; the
 *	  error is a few float32 ulps (checked against libm in the C tests).
 */
#ifndef RNN_ACT_H
#define RNN_ACT_H

#include "rnn_common.h"

/* e^x for float x, |relative error| < 4e-7 on [-87, 88]; NaN gives NaN */
static inline float
rnn_expf(float x)
{
	const float magic = 12582912.0f;	/* 1.5 * 2^23: adding it rounds to an integer */
	float		xc,
				n,
				r,
				p;
	union
	{
		float		f;
		int32_t		i;
	}			scale;

	/* clamp so that n stays in [-126, 127]; NaN fails both tests and becomes -87 */
	xc = x >= -87.0f ? x : -87.0f;
	xc = xc <= 88.0f ? xc : 88.0f;
	n = (xc * 1.44269504088896341f + magic) - magic;
	/* Cody-Waite: r = x - n ln2 in two parts */
	r = xc - n * 0.693359375f;
	r = r + n * 2.12194440e-4f;
	/* e^r on |r| <= ln2/2: Taylor polynomial to degree 7 */
	p = 1.0f / 5040.0f;
	p = p * r + 1.0f / 720.0f;
	p = p * r + 1.0f / 120.0f;
	p = p * r + 1.0f / 24.0f;
	p = p * r + 1.0f / 6.0f;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	scale.i = ((int32_t) n + 127) << 23;
	return x == x ? p * scale.f : x;
}

static inline float
rnn_sigmoidf(float x)
{
	return 1.0f / (1.0f + rnn_expf(-x));
}

/* tanh(x) = sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}), accurate near 0 too */
static inline float
rnn_tanhf(float x)
{
	float		ax = x < 0 ? -x : x;
	float		e = rnn_expf(-2.0f * ax);
	float		t = (1.0f - e) / (1.0f + e);

	return x < 0 ? -t : t;
}

/*
 * sigmoid(a) * tanh(b) with one division instead of two:
 * sign(b) (1 - e^{-2|b|}) / ((1 + e^{-a}) (1 + e^{-2|b|})).  The
 * denominator stays below 2 e^88 < FLT_MAX, and the result is within a
 * float32 ulp or two of rnn_sigmoidf(a) * rnn_tanhf(b) (the C tests check).
 */
static inline float
rnn_sigmoid_tanhf(float a, float b)
{
	float		ea = rnn_expf(-a);
	float		ab = b < 0 ? -b : b;
	float		eb = rnn_expf(-2.0f * ab);
	float		t = (1.0f - eb) / ((1.0f + ea) * (1.0f + eb));

	return b < 0 ? -t : t;
}

#endif							/* RNN_ACT_H */
