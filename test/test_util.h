/*
 * test_util.h
 *	  Tiny test harness for the core tests: TAP-like "ok - name" lines and a
 *	  failure count that becomes the exit status.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnn_common.h"
#include "rnn_model.h"

static int	tests_passed = 0;
static int	tests_failed = 0;

static void
report(int ok, const char *fmt, ...)
{
	va_list		ap;

	printf(ok ? "ok - " : "not ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		tests_passed++;
	else
		tests_failed++;
}

static int
finish(const char *suite)
{
	printf("# %s: %d passed, %d failed\n", suite, tests_passed, tests_failed);
	return tests_failed == 0 ? 0 : 1;
}

/* like palloc: uninitialised, here filled with junk so a read before a write shows */
static void *
test_alloc(void *ctx, size_t size)
{
	void	   *p = malloc(size);

	(void) ctx;
	if (p)
		memset(p, 0xA5, size);
	return p;
}

static void
test_release(void *ctx, void *p)
{
	(void) ctx;
	free(p);
}

static const RnnAlloc test_allocator = {test_alloc, test_release, NULL};

/* Recompute the closing CRC-32 of an encoded model of len bytes after an edit. */
static inline void
reseal_model(uint8_t *buf, size_t len)
{
	uint32_t	crc = rnn_crc32(buf, len - 4);

	for (int i = 0; i < 4; i++)
		buf[len - 4 + i] = (uint8_t) (crc >> (8 * i));
}

/*
 * Whether every truncation of an encoded model of len bytes, and every
 * single-bit flip of it, is refused with a reason.
 */
static inline bool
every_cut_and_flip_refused(const uint8_t *buf, size_t len)
{
	RnnModel	d;
	const char *why;
	uint8_t    *bad = malloc(len);
	bool		refused = bad != NULL;

	for (size_t cut = 0; refused && cut < len; cut++)
	{
		why = NULL;
		if (rnn_model_decode(&d, buf, cut, &test_allocator, &why) == RNN_OK || why == NULL)
			refused = false;
		rnn_model_free(&d, &test_allocator);
	}
	for (size_t i = 0; refused && i < len * 8; i++)
	{
		memcpy(bad, buf, len);
		bad[i / 8] ^= (uint8_t) (1u << (i % 8));
		if (rnn_model_decode(&d, bad, len, &test_allocator, &why) == RNN_OK)
			refused = false;
		rnn_model_free(&d, &test_allocator);
	}
	free(bad);
	return refused;
}

#endif							/* TEST_UTIL_H */
