/*
 * rnn_model.c
 *	  The stored model format (version 11; versions 1 to 10 are still read).  Every number is written
 *	  little-endian byte by byte, so the bytes are the same on every
 *	  platform; every dimension is bounded; a CRC-32 over all preceding bytes
 *	  closes the value.  Decoding trusts nothing: it checks the magic, the
 *	  version, each dimension, the exact total size, the checksum and that
 *	  every number is finite, before anything is used.
 *
 * Layout:
 *	 "RNNF" u16 version u16 flags (v3: bit 0 = cal_scaled, bit 1 = month_end, bit 2
 *	   = nonnegative, bit 3 = leading_zeros_dropped, bit 4 = despike, bit 5 =
 *	   season_changed; else 0)
 *	 u8 cell, bidirectional, scaling, ts_kind, step_kind, strategy (v2, else
 *	   reserved; v8: mixed, and only then), log_transform (v3, else reserved),
 *	   spikes_replaced (v3, 2026-12-07: 0 to RNN_MAX_SPIKES; else reserved, 0)
 *	 i32 input_size hidden_size num_layers output_size window season members
 *	 i32 n_history n_loss cal_steps cal_n epochs_run best_epoch
 *	 i64 step last_ts rows   u64 seed
 *	 f64 scale_mean scale_std train_loss val_loss train_seconds
 *	 f64 naive_scale (v2 and later)
 *	 i32 phase_last n_seasonal n_series n_short (v3)
 *	 u32 n_params (per member)
 *	 u16 zone_len, zone, u16 config_len, config (v4: printable ASCII text, the
 *	   time zone of a timestamptz axis and the resolved configuration JSON)
 *	 u16 trained_with_len, trained_with (v10: printable ASCII, what trained
 *	   the model: extension version, BLAS and its kernel, threads)
 *	 i32 n_features, u32 calendar bits, f64 feature_mean[n_features]
 *	   feature_std[n_features] (v5; v6 too, n_features may be 0)
 *	 f64 theta_weight, theta level drift alpha, i32 theta n (v6)
 *	 i32 validated series, f64 network theta combined errors (v9: the
 *	   validation of the Theta weights, RnnThetaValidation; v10: series 0
 *	   and the errors 0 when none ran)
 *	 f64 history[n_history * input_size]
 *	 f64 seasonal[n_seasonal] (v3)
 *	 f32 loss_train[n_loss] loss_val[n_loss]
 *	 f32 cal_err[cal_steps * cal_n]
 *	 f32 params[members * n_params]
 *	 n_series records (v3), names strictly ascending (bytewise, then shorter first):
 *	   u16 name_len, name bytes, i64 last_ts rows, f64 scale_mean scale_std
 *	   naive_scale, i32 phase_last, u8 log_transform, u8 month_end, u8 nonnegative
 *	   (2026-12-06, else reserved), u8 leading_zeros_dropped in bit 0,
 *	   spikes_replaced in bits 1-4 (2026-12-07) and season_changed in bit 5
 *	   (2026-12-08; else reserved, 0),
 *	   i32 n_seasonal n_history, f64 seasonal[n_seasonal]
 *	   history[n_history * (1 + n_features)] (rows of a value and its features)
 *	   f64 theta level drift alpha, i32 theta n (v6)
 *	   f64 theta_weight (v7 and later: the series' own; before, the model's)
 *	   f64 spread (v11: the spread of the series' own changes, its scale when
 *	   none)
 *	 u32 crc32
 * Version 8 is version 7's layout for a mixed model (RNN_STRATEGY_MIXED).
 * Version 9 is written for every model whose Theta weights were validated
 * at training (theta_validation.series > 0), of any strategy.  Version 10
 * is version 9's layout with the provenance text, written for every model
 * that has one (all trained since); its validation may be empty, and it
 * may be mixed or not.  Version 11 is version 10's layout with each series'
 * spread, written for a global model some of whose series' spreads are not
 * their scales (its log series share one); its text may be empty.  Flag
 * bits 1 (month_end, with format 11), 2 (nonnegative, 2026-12-06), 3
 * (leading_zeros_dropped, 2026-12-07, and its byte in a series record) and
 * 4 (despike, with spikes_replaced in bytes that were reserved) and 5
 * (season_changed, 2026-12-08, and bit 5 of that series byte) came
 * without a format of their own: a reader that does not know them refuses
 * them as unknown flags (or a reserved byte that is not 0, or spikes out of
 * range).
 */
#include "rnn_model.h"

#include "rnn_calendar.h"
#include "rnn_theta.h"

#include <math.h>
#include <string.h>

#define HEADER_BYTES_V1 (4 + 2 + 2 + 8 + 4 * 7 + 4 * 6 + 8 * 4 + 8 * 5 + 4)
#define HEADER_BYTES_V2 (HEADER_BYTES_V1 + 8)
#define HEADER_BYTES_V3 (HEADER_BYTES_V2 + 16)
#define RECORD_FIXED_BYTES (2 + 8 * 2 + 8 * 3 + 4 + 4 + 4 * 2)
#define THETA_BYTES (8 * 3 + 4)
#define THETA_VALIDATION_BYTES (4 + 8 * 3)
#define RECORD_THETA_BYTES(version) \
	((version) >= 7 ? THETA_BYTES + 8 : (version) >= 6 ? THETA_BYTES : 0)
/* what follows a record's history: its Theta state and weight, its spread (v11) */
#define RECORD_TAIL_BYTES(version) (RECORD_THETA_BYTES(version) + ((version) >= 11 ? 8 : 0))

static size_t
header_bytes(int version)
{
	return version == 1 ? HEADER_BYTES_V1 : version == 2 ? HEADER_BYTES_V2 : HEADER_BYTES_V3;
}

/* bytes of the series records (bounded by the checks of payload_counts) */
static size_t
records_size(const RnnModel *m, int version)
{
	size_t		total = 0;

	for (int32_t i = 0; i < m->n_series; i++)
		total += RECORD_FIXED_BYTES + RECORD_TAIL_BYTES(version) + (size_t) m->series[i].name_len +
			8 * ((size_t) m->series[i].n_seasonal +
				 (size_t) m->series[i].n_history * (1 + (size_t) m->n_features));
	return total;
}

uint32_t
rnn_crc32(const uint8_t *buf, size_t len)
{
	uint32_t	t[8][256];
	uint32_t	crc = 0xFFFFFFFFu;
	size_t		i = 0;

	/*
	 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), eight bytes a
	 * step: t[k][b] is byte b's contribution k bytes before the end of the
	 * step (a model of 55 MB is checked in a third of the time a byte a
	 * step took)
	 */
	for (uint32_t b = 0; b < 256; b++)
	{
		uint32_t	c = b;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		t[0][b] = c;
	}
	for (uint32_t b = 0; b < 256; b++)
		for (int k = 1; k < 8; k++)
			t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
	for (; i + 8 <= len; i += 8)
	{
		const uint8_t *p = buf + i;
		uint32_t	lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
								(uint32_t) p[3] << 24);
		uint32_t	hi = (uint32_t) p[4] | (uint32_t) p[5] << 8 | (uint32_t) p[6] << 16 |
			(uint32_t) p[7] << 24;

		crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
			t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
	}
	for (; i < len; i++)
		crc = t[0][(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFu;
}

/* ---- writing ---- */

static uint8_t *
put_u8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	return p + 2;
}

static uint8_t *
put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
	return p + 4;
}

static uint8_t *
put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
	return p + 8;
}

static uint8_t *
put_f32(uint8_t *p, float f)
{
	uint32_t	u;

	memcpy(&u, &f, 4);
	return put_u32(p, u);
}

static uint8_t *
put_f64(uint8_t *p, double f)
{
	uint64_t	u;

	memcpy(&u, &f, 8);
	return put_u64(p, u);
}

/* Payload counts, checked against the limits; false when out of range. */
static bool
payload_counts(const RnnModel *m, size_t *n_hist, size_t *n_cal, size_t *n_par)
{
	if (m->n_history < 0 || m->n_history > RNN_MAX_WINDOW ||
		m->n_loss < 0 || m->n_loss > RNN_MODEL_MAX_LOSSES ||
		m->cal_steps < 0 || m->cal_steps > RNN_MAX_CAL_STEPS ||
		m->cal_n < 0 || m->cal_n > RNN_MAX_CAL_SAMPLES ||
		m->members < 1 || m->members > RNN_MAX_ENSEMBLE ||
		m->n_seasonal < 0 || m->n_seasonal > RNN_MAX_SEASON_INDICES ||
		m->n_series < 0 || m->n_series > RNN_MAX_SERIES ||
		m->n_features < 0 || m->n_features >= RNN_MAX_INPUT_SIZE)
		return false;
	/* the records, once read (decoding checks their sizes in records_fit first) */
	for (int32_t i = 0; m->series != NULL && i < m->n_series; i++)
		if (m->series[i].name_len < 1 || m->series[i].name_len > RNN_MAX_SERIES_NAME ||
			m->series[i].n_seasonal < 0 || m->series[i].n_seasonal > RNN_MAX_SEASON_INDICES ||
			m->series[i].n_history < 0 || m->series[i].n_history > RNN_MAX_WINDOW)
			return false;
	if (rnn_shape_check(&m->shape) != RNN_OK)
		return false;
	*n_hist = (size_t) m->n_history * m->shape.input_size;
	*n_cal = (size_t) m->cal_steps * m->cal_n;
	*n_par = rnn_param_count(&m->shape) * m->members;
	return *n_par <= (size_t) RNN_MAX_PARAMS;
}

/* bytes of the text fields of format 4, and format 10's (all bounded, NUL-terminated) */
static size_t
texts_size(const RnnModel *m, int version)
{
	return 2 + strnlen(m->time_zone, RNN_MAX_ZONE_NAME + 1) +
		2 + strnlen(m->config, RNN_MAX_CONFIG_TEXT + 1) +
		(version >= 10 ? 2 + strnlen(m->trained_with, RNN_MAX_TRAINED_WITH + 1) : 0);
}

static size_t
encoded_size_version(const RnnModel *m, int version)
{
	size_t		n_hist,
				n_cal,
				n_par;

	if (!payload_counts(m, &n_hist, &n_cal, &n_par) ||
		strnlen(m->time_zone, RNN_MAX_ZONE_NAME + 1) > RNN_MAX_ZONE_NAME ||
		strnlen(m->config, RNN_MAX_CONFIG_TEXT + 1) > RNN_MAX_CONFIG_TEXT ||
		strnlen(m->trained_with, RNN_MAX_TRAINED_WITH + 1) > RNN_MAX_TRAINED_WITH)
		return 0;
	/* bounded counts: no overflow possible */
	return header_bytes(version) + 8 * n_hist + 4 * 2 * (size_t) m->n_loss + 4 * n_cal + 4 * n_par + 4 +
		(version >= 3 ? 8 * (size_t) m->n_seasonal + records_size(m, version) : 0) +
		(version >= 4 ? texts_size(m, version) : 0) +
		(version >= 5 ? 8 + 16 * (size_t) m->n_features : 0) +
		(version >= 6 ? 8 + THETA_BYTES : 0) +
		(version >= 9 ? THETA_VALIDATION_BYTES : 0);
}

/* whether a global model's series have Theta weights of their own */
static bool
series_weights_differ(const RnnModel *m)
{
	for (int32_t i = 0; i < m->n_series; i++)
		if (m->series[i].theta_weight != m->theta_weight)
			return true;
	return false;
}

/* whether a global model's series have spreads other than their scales */
static bool
series_spreads_differ(const RnnModel *m)
{
	for (int32_t i = 0; i < m->n_series; i++)
		if (rnn_series_own_spread(&m->series[i]))
			return true;
	return false;
}

/*
 * the version written: 11 for a global model some of whose series have a
 * spread other than their scale (log series, which share one scale;
 * format 11 holds everything format 10 can, the provenance text may be
 * empty), 10 for another model that records what trained it (every
 * model trained by this version; format 10 holds everything format 9 can),
 * 9 for another model whose Theta weights were validated, 8 for another
 * mixed model, 7 for a global model combined with Theta whose
 * series have weights of their own, 6 for other models combined with
 * Theta, 5 for a model with features, 4 for the others (read by 0.5.0 too)
 */
static int
written_version(const RnnModel *m)
{
	if (series_spreads_differ(m))
		return 11;
	if (m->trained_with[0] != '\0')
		return 10;
	if (m->theta_validation.series > 0)
		return 9;
	if (m->strategy == RNN_STRATEGY_MIXED)
		return 8;
	if (m->theta_weight > 0)
		return series_weights_differ(m) ? 7 : 6;
	return m->n_features > 0 ? 5 : 4;
}

static uint8_t *
put_theta(uint8_t *p, const RnnTheta *th)
{
	p = put_f64(p, th->level);
	p = put_f64(p, th->drift);
	p = put_f64(p, th->alpha);
	return put_u32(p, (uint32_t) th->n);
}

size_t
rnn_model_encoded_size(const RnnModel *m)
{
	return encoded_size_version(m, written_version(m));
}

static uint8_t *
put_text(uint8_t *p, const char *text)
{
	size_t		len = strlen(text);

	p = put_u16(p, (uint16_t) len);
	memcpy(p, text, len);
	return p + len;
}

void
rnn_model_encode(const RnnModel *m, uint8_t *buf)
{
	uint8_t    *p = buf;
	int			version = written_version(m);	/* once: it scans the series */
	size_t		n_hist,
				n_cal,
				n_par;

	/*
	 * Without the combination (weight 0, when every series' weight is off
	 * too) the Theta states and the series' weights are not used, and not
	 * exported: zeros are written, so that the bytes are the same after a
	 * JSON round trip (a global model that dropped the combination keeps
	 * format 9 or 10, which holds them).
	 */
	const bool	combined = m->theta_weight > 0;
	static const RnnTheta no_theta = {0};

	(void) payload_counts(m, &n_hist, &n_cal, &n_par);
	memcpy(p, RNN_MODEL_MAGIC, 4);
	p += 4;
	p = put_u16(p, (uint16_t) version);
	p = put_u16(p, (uint16_t) ((m->cal_scaled ? 1 : 0) | (m->month_end ? 2 : 0) |
							   (m->nonnegative ? 4 : 0) | (m->leading_zeros_dropped ? 8 : 0) |
							   (m->despike ? 16 : 0) | (m->season_changed ? 32 : 0)));
	p = put_u8(p, (uint8_t) m->shape.cell);
	p = put_u8(p, (uint8_t) m->shape.bidirectional);
	p = put_u8(p, (uint8_t) m->scaling);
	p = put_u8(p, (uint8_t) m->ts_kind);
	p = put_u8(p, (uint8_t) m->step_kind);
	p = put_u8(p, (uint8_t) m->strategy);
	p = put_u8(p, (uint8_t) (m->log_transform ? 1 : 0));
	p = put_u8(p, (uint8_t) m->spikes_replaced);
	p = put_u32(p, (uint32_t) m->shape.input_size);
	p = put_u32(p, (uint32_t) m->shape.hidden_size);
	p = put_u32(p, (uint32_t) m->shape.num_layers);
	p = put_u32(p, (uint32_t) m->shape.output_size);
	p = put_u32(p, (uint32_t) m->window);
	p = put_u32(p, (uint32_t) m->season);
	p = put_u32(p, (uint32_t) m->members);
	p = put_u32(p, (uint32_t) m->n_history);
	p = put_u32(p, (uint32_t) m->n_loss);
	p = put_u32(p, (uint32_t) m->cal_steps);
	p = put_u32(p, (uint32_t) m->cal_n);
	p = put_u32(p, (uint32_t) m->epochs_run);
	p = put_u32(p, (uint32_t) m->best_epoch);
	p = put_u64(p, (uint64_t) m->step);
	p = put_u64(p, (uint64_t) m->last_ts);
	p = put_u64(p, (uint64_t) m->rows);
	p = put_u64(p, m->seed);
	p = put_f64(p, m->scale_mean);
	p = put_f64(p, m->scale_std);
	p = put_f64(p, m->train_loss);
	p = put_f64(p, m->val_loss);
	p = put_f64(p, m->train_seconds);
	p = put_f64(p, m->naive_scale);
	p = put_u32(p, (uint32_t) m->phase_last);
	p = put_u32(p, (uint32_t) m->n_seasonal);
	p = put_u32(p, (uint32_t) m->n_series);
	p = put_u32(p, (uint32_t) m->n_short);
	p = put_u32(p, (uint32_t) (n_par / m->members));
	p = put_text(p, m->time_zone);
	p = put_text(p, m->config);
	if (version >= 10)
		p = put_text(p, m->trained_with);
	if (version >= 5)
	{
		p = put_u32(p, (uint32_t) m->n_features);
		p = put_u32(p, (uint32_t) m->calendar);
		for (int32_t i = 0; i < m->n_features; i++)
			p = put_f64(p, m->feature_mean[i]);
		for (int32_t i = 0; i < m->n_features; i++)
			p = put_f64(p, m->feature_std[i]);
	}
	if (version >= 6)
	{
		p = put_f64(p, m->theta_weight);
		p = put_theta(p, combined ? &m->theta : &no_theta);
	}
	if (version >= 9)
	{
		p = put_u32(p, (uint32_t) m->theta_validation.series);
		p = put_f64(p, m->theta_validation.network);
		p = put_f64(p, m->theta_validation.theta);
		p = put_f64(p, m->theta_validation.combined);
	}
	for (size_t i = 0; i < n_hist; i++)
		p = put_f64(p, m->history[i]);
	for (int32_t i = 0; i < m->n_seasonal; i++)
		p = put_f64(p, m->seasonal[i]);
	for (int32_t i = 0; i < m->n_loss; i++)
		p = put_f32(p, m->loss_train[i]);
	for (int32_t i = 0; i < m->n_loss; i++)
		p = put_f32(p, m->loss_val[i]);
	for (size_t i = 0; i < n_cal; i++)
		p = put_f32(p, m->cal_err[i]);
	for (size_t i = 0; i < n_par; i++)
		p = put_f32(p, (float) m->params[i]);
	for (int32_t i = 0; i < m->n_series; i++)
	{
		const RnnSeriesState *st = &m->series[i];

		p = put_u16(p, (uint16_t) st->name_len);
		memcpy(p, st->name, st->name_len);
		p += st->name_len;
		p = put_u64(p, (uint64_t) st->last_ts);
		p = put_u64(p, (uint64_t) st->rows);
		p = put_f64(p, st->scale_mean);
		p = put_f64(p, st->scale_std);
		p = put_f64(p, st->naive_scale);
		p = put_u32(p, (uint32_t) st->phase_last);
		p = put_u8(p, (uint8_t) (st->log_transform ? 1 : 0));
		p = put_u8(p, (uint8_t) (st->month_end ? 1 : 0));
		p = put_u8(p, (uint8_t) (st->nonnegative ? 1 : 0));
		p = put_u8(p, (uint8_t) ((st->leading_zeros_dropped ? 1 : 0) | (st->spikes_replaced << 1) |
								 (st->season_changed ? 32 : 0)));
		p = put_u32(p, (uint32_t) st->n_seasonal);
		p = put_u32(p, (uint32_t) st->n_history);
		for (int32_t k = 0; k < st->n_seasonal; k++)
			p = put_f64(p, st->seasonal[k]);
		for (size_t k = 0; k < (size_t) st->n_history * (1 + m->n_features); k++)
			p = put_f64(p, st->history[k]);
		if (version >= 6)
			p = put_theta(p, combined ? &st->theta : &no_theta);
		if (version >= 7)
			p = put_f64(p, combined ? st->theta_weight : 0);
		if (version >= 11)
			p = put_f64(p, st->spread > 0 ? st->spread : st->scale_std);	/* 0: its scale */
	}
	p = put_u32(p, rnn_crc32(buf, (size_t) (p - buf)));
}

/* ---- reading ---- */

typedef struct Reader
{
	const uint8_t *p;
} Reader;

static uint8_t
get_u8(Reader *r)
{
	return *r->p++;
}

static uint16_t
get_u16(Reader *r)
{
	uint16_t	v = (uint16_t) (r->p[0] | (r->p[1] << 8));

	r->p += 2;
	return v;
}

static uint32_t
get_u32(Reader *r)
{
	uint32_t	v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t) r->p[i] << (8 * i);
	r->p += 4;
	return v;
}

static uint64_t
get_u64(Reader *r)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t) r->p[i] << (8 * i);
	r->p += 8;
	return v;
}

static float
get_f32(Reader *r)
{
	uint32_t	u = get_u32(r);
	float		f;

	memcpy(&f, &u, 4);
	return f;
}

static double
get_f64(Reader *r)
{
	uint64_t	u = get_u64(r);
	double		f;

	memcpy(&f, &u, 8);
	return f;
}

static void
get_theta(Reader *r, RnnTheta *th)
{
	th->level = get_f64(r);
	th->drift = get_f64(r);
	th->alpha = get_f64(r);
	th->n = (int32_t) get_u32(r);
}

/* Read an i32 that must lie in [lo, hi]. */
static bool
get_i32_in(Reader *r, int32_t *out, int32_t lo, int32_t hi)
{
	uint32_t	u = get_u32(r);

	if (u > (uint32_t) INT32_MAX)
		return false;
	*out = (int32_t) u;
	return *out >= lo && *out <= hi;
}

/*
 * Whether len bytes at p hold exactly n series records whose sizes are
 * within the limits (n_seasonal 0 or the season), before anything is
 * allocated for them.
 */
static bool
records_fit(const uint8_t *p, size_t len, int32_t n, int32_t season, int32_t stride, int version)
{
	size_t		off = 0;

	for (int32_t i = 0; i < n; i++)
	{
		Reader		r;
		uint32_t	name_len,
					n_seasonal,
					n_history;

		if (len - off < RECORD_FIXED_BYTES)
			return false;
		r.p = p + off;
		name_len = get_u16(&r);
		if (name_len < 1 || name_len > RNN_MAX_SERIES_NAME ||
			len - off < RECORD_FIXED_BYTES + (size_t) name_len)
			return false;
		r.p += name_len + 8 * 2 + 8 * 3 + 4 + 4;
		n_seasonal = get_u32(&r);
		n_history = get_u32(&r);
		if ((n_seasonal != 0 && n_seasonal != (uint32_t) season) ||
			n_seasonal > RNN_MAX_SEASON_INDICES || n_history > RNN_MAX_WINDOW)
			return false;
		off += RECORD_FIXED_BYTES + name_len;
		if (len - off < 8 * ((size_t) n_seasonal + (size_t) n_history * stride))
			return false;
		off += 8 * ((size_t) n_seasonal + (size_t) n_history * stride);
		if (len - off < (size_t) RECORD_TAIL_BYTES(version))
			return false;
		off += RECORD_TAIL_BYTES(version);
	}
	return off == len;
}

/*
 * What is wrong with the pipeline and last values of one series (of a model
 * or a record), or NULL.
 */
static const char *
series_state_problem(int32_t log_transform, int32_t n_seasonal, const double *seasonal,
					 int32_t phase_last, int32_t season, double scale_mean, double scale_std,
					 double naive_scale, int32_t n_history, int32_t stride, const double *history)
{
	if (log_transform != 0 && log_transform != 1)
		return "Its log flag is neither 0 nor 1.";
	if (n_seasonal != 0 && n_seasonal != season)
		return "It keeps seasonal indices, but not one for each step of its season.";
	if (phase_last < 0 || phase_last >= (n_seasonal > 0 ? n_seasonal : 1))
		return "Its phase_last is not a place in its seasonal indices (0 without them).";
	/* indices are logs under the log transform, else in the series' own units */
	for (int32_t k = 0; k < n_seasonal; k++)
		if (!isfinite(seasonal[k]) || fabs(seasonal[k]) > (log_transform ? 1e6 : 1e300))
			return "A seasonal index is not finite, or too large for a logarithm.";
	if (!isfinite(scale_mean) || !isfinite(scale_std) || !(scale_std > 0) ||
		fabs(scale_mean) > 1e300 || scale_std > 1e300 || scale_std < 1e-300)
		return "Its scaling statistics are not finite and positive.";
	if (!isfinite(naive_scale) || naive_scale < 0)
		return "Its naive error scale is invalid.";
	/* rows of stride values: the series' value first (positive under log), then features */
	for (int32_t k = 0; k < n_history; k++)
		if (!isfinite(history[k]) || (log_transform && k % stride == 0 && !(history[k] > 0)))
			return "A history value is not finite, or a value is not positive under the log.";
	return NULL;
}

/* bytewise order of names, shorter first on a common prefix */
static int
name_cmp(const RnnSeriesState *a, const RnnSeriesState *b)
{
	int32_t		n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int			c = memcmp(a->name, b->name, n);

	if (c != 0)
		return c;
	return a->name_len < b->name_len ? -1 : a->name_len > b->name_len ? 1 : 0;
}

/* series in [0, max(n_series, 1)]; finite non-negative errors, all 0 without series */
static bool
theta_validation_valid(const RnnThetaValidation *v, int32_t n_series)
{
	const double e[3] = {v->network, v->theta, v->combined};

	if (v->series < 0 || v->series > (n_series > 0 ? n_series : 1))
		return false;
	for (int i = 0; i < 3; i++)
		if (!(v->series > 0 ? e[i] >= 0 && e[i] <= 1e300 : e[i] == 0))
			return false;
	return true;
}

void
rnn_model_free(RnnModel *m, const RnnAlloc *a)
{
	for (int32_t i = 0; m->series != NULL && i < m->n_series; i++)
	{
		rnn_release(a, m->series[i].name);
		rnn_release(a, m->series[i].seasonal);
		rnn_release(a, m->series[i].history);
	}
	rnn_release(a, m->series);
	rnn_release(a, m->seasonal);
	rnn_release(a, m->history);
	rnn_release(a, m->loss_train);
	rnn_release(a, m->loss_val);
	rnn_release(a, m->cal_err);
	rnn_release(a, m->params);
	rnn_release(a, m->infer_block);
	m->infer_block = NULL;
	m->infer_hhT = m->infer_of = NULL;
	rnn_release(a, m->feature_mean);
	rnn_release(a, m->feature_std);
	m->feature_mean = m->feature_std = NULL;
	m->series = NULL;
	m->seasonal = m->history = NULL;
	m->loss_train = m->loss_val = m->cal_err = NULL;
	m->params = NULL;
}

int
rnn_model_find_series(const RnnModel *m, const char *name, int32_t name_len)
{
	RnnSeriesState key;
	int32_t		lo = 0,
				hi = m->n_series - 1;

	key.name = (char *) name;
	key.name_len = name_len;
	while (lo <= hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;
		int			c = name_cmp(&m->series[mid], &key);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

void
rnn_model_series_view(RnnModel *view, const RnnModel *m, int32_t i)
{
	const RnnSeriesState *st = &m->series[i];

	*view = *m;
	view->n_series = 0;
	view->series = NULL;
	view->last_ts = st->last_ts;
	view->month_end = st->month_end;
	view->nonnegative = st->nonnegative;
	view->leading_zeros_dropped = st->leading_zeros_dropped;
	view->spikes_replaced = st->spikes_replaced;
	view->season_changed = st->season_changed;
	view->rows = st->rows;
	view->scale_mean = st->scale_mean;
	view->scale_std = st->scale_std;
	view->naive_scale = st->naive_scale;
	view->phase_last = st->phase_last;
	view->log_transform = st->log_transform;
	view->n_seasonal = st->n_seasonal;
	view->seasonal = st->seasonal;
	view->n_history = st->n_history;
	view->history = st->history;
	view->theta = st->theta;
	/* the model's weight 0 turns the combination off for every series */
	view->theta_weight = m->theta_weight > 0 ? st->theta_weight : 0;
	view->interval_factor = rnn_series_interval_factor(st);
}

double
rnn_model_shared_log_scale(const RnnModel *m, bool *own)
{
	double		c = 0;

	if (m->log_scale_known)
	{
		*own = m->log_scale_own != 0;
		return m->log_scale;
	}
	*own = false;
	for (int32_t k = 0; k < m->n_series; k++)
	{
		const RnnSeriesState *s = &m->series[k];

		if (!s->log_transform)
			continue;
		if (c > 0 && s->scale_std != c)
		{
			*own = false;
			return 0;
		}
		c = s->scale_std;
		*own = *own || rnn_series_own_spread(s);
	}
	return c;
}

double
rnn_series_interval_factor(const RnnSeriesState *st)
{
	if (!rnn_series_own_spread(st) || !(st->scale_std > 0))
		return 1.0;
	return pow(st->spread / st->scale_std, RNN_SPREAD_POWER);
}

RnnStatus
rnn_model_validate(const RnnModel *m, const char **why)
{
	size_t		n_hist,
				n_cal,
				n_par;

	if (rnn_shape_check(&m->shape) != RNN_OK)
	{
		*why = "Its architecture is invalid or above the limits.";
		return RNN_ERR_LIMIT;
	}
	if (!payload_counts(m, &n_hist, &n_cal, &n_par))
	{
		*why = "A size in its header is above the limits.";
		return RNN_ERR_LIMIT;
	}
	if (m->window < 0 || m->window > RNN_MAX_WINDOW || m->season < 1 || m->season > RNN_MAX_WINDOW)
	{
		*why = "Its window or season is out of range.";
		return RNN_ERR_CORRUPT;
	}
	if (m->window > 0 && m->n_history > m->window)
	{
		*why = "It keeps more history than its window.";
		return RNN_ERR_CORRUPT;
	}
	if (m->scaling < RNN_SCALE_NONE || m->scaling > RNN_SCALE_DIFF)
	{
		*why = "Its scaling method is unknown.";
		return RNN_ERR_CORRUPT;
	}
	if ((m->scaling == RNN_SCALE_WINDOW || m->scaling == RNN_SCALE_LEVEL) &&
		m->shape.input_size != 1 + m->n_features)
	{
		*why = "Scaling 'window' and 'level' need input_size 1 + the features (the value and its features).";
		return RNN_ERR_CORRUPT;
	}
	if (m->scaling == RNN_SCALE_SEASONAL &&
		!(m->shape.input_size == 1 && m->season > 1 && m->window > m->season))
	{
		*why = "Scaling 'seasonal' needs input_size 1, a season of at least 2 and a window longer than it.";
		return RNN_ERR_CORRUPT;
	}
	if (m->scaling == RNN_SCALE_DIFF && !(m->shape.input_size == 1 && m->window > 1))
	{
		*why = "Scaling 'difference' needs input_size 1 and a window of at least 2.";
		return RNN_ERR_CORRUPT;
	}
	if (!isfinite(m->scale_mean) || !isfinite(m->scale_std) || !(m->scale_std > 0) ||
		fabs(m->scale_mean) > 1e300 || m->scale_std > 1e300 || m->scale_std < 1e-300)
	{
		*why = "Its scaling statistics are not finite and positive.";
		return RNN_ERR_CORRUPT;
	}
	if (m->ts_kind < RNN_TS_NONE || m->ts_kind > RNN_TS_DATE ||
		(m->step_kind != RNN_STEP_UNITS && m->step_kind != RNN_STEP_MONTHS &&
		 m->step_kind != RNN_STEP_LOCAL_DAYS) ||
		(m->step_kind == RNN_STEP_LOCAL_DAYS &&
		 (m->ts_kind != RNN_TS_TIMESTAMPTZ || m->time_zone[0] == '\0' ||
		  m->step % RNN_USECS_PER_DAY != 0)) ||
		m->step < 1 || (m->step_kind == RNN_STEP_MONTHS && m->step > RNN_MAX_MONTH_STEP) ||
		(m->step_kind == RNN_STEP_MONTHS && m->ts_kind != RNN_TS_TIMESTAMPTZ &&
		 m->ts_kind != RNN_TS_TIMESTAMP && m->ts_kind != RNN_TS_DATE) ||
		(m->month_end && m->step_kind != RNN_STEP_MONTHS))
	{
		*why = "Its time axis is invalid.";
		return RNN_ERR_CORRUPT;
	}
	if (m->strategy < RNN_STRATEGY_AUTO || m->strategy > RNN_STRATEGY_MIXED ||
		(m->strategy == RNN_STRATEGY_RECURSIVE && m->shape.output_size != 1) ||
		(m->strategy == RNN_STRATEGY_MIXED &&
		 (m->members % 2 != 0 || m->shape.input_size != 1 + m->n_features)) ||
		(m->strategy == RNN_STRATEGY_SEQ2SEQ) != (m->shape.seq2seq == 1))
	{
		*why = "Its multi-step strategy is invalid.";
		return RNN_ERR_CORRUPT;
	}
	if (m->spikes_replaced < 0 || m->spikes_replaced > RNN_MAX_SPIKES ||
		(m->n_series > 0 && (m->spikes_replaced != 0 || m->leading_zeros_dropped)))
	{
		*why = "Its count of replaced spikes, or its mark of leading zeros, is invalid.";
		return RNN_ERR_CORRUPT;
	}
	if ((m->season_changed != 0 && m->season_changed != 1) ||
		(m->season_changed && (m->n_series > 0 || m->n_seasonal == 0)))
	{
		*why = "Its mark of a changed season is set without seasonal indices of its own.";
		return RNN_ERR_CORRUPT;
	}
	if (!isfinite(m->naive_scale) || m->naive_scale < 0)
	{
		*why = "Its naive error scale is invalid.";
		return RNN_ERR_CORRUPT;
	}
	if ((*why = series_state_problem(m->log_transform, m->n_seasonal, m->seasonal, m->phase_last,
									 m->season, m->scale_mean, m->scale_std, m->naive_scale,
									 m->n_history * m->shape.input_size,
									 m->n_features > 0 ? m->shape.input_size : 1,
									 m->history)) != NULL)
		return RNN_ERR_CORRUPT;
	if ((m->log_transform || m->n_seasonal) &&
		(m->shape.input_size != 1 + m->n_features || m->scaling == RNN_SCALE_LEVEL))
	{
		*why = "A log or seasonal indices go neither with scaling 'level' nor with inputs other than the value and its features.";
		return RNN_ERR_CORRUPT;
	}
	if (m->n_series > 0 && (m->n_history != 0 || m->shape.input_size != 1 + m->n_features ||
							m->window < 1))
	{
		*why = "A global model keeps its history in its series records.";
		return RNN_ERR_CORRUPT;
	}
	if (m->n_features < 0 || m->n_features >= RNN_MAX_INPUT_SIZE ||
		(m->n_features > 0 && (m->shape.input_size != 1 + m->n_features ||
							   m->scaling == RNN_SCALE_SEASONAL || m->scaling == RNN_SCALE_DIFF ||
							   m->strategy == RNN_STRATEGY_SEQ2SEQ)) ||
		m->calendar < 0 || m->calendar > RNN_CAL_ALL ||
		(m->calendar != 0 && m->ts_kind != RNN_TS_DATE && m->ts_kind != RNN_TS_TIMESTAMP &&
		 m->ts_kind != RNN_TS_TIMESTAMPTZ) ||
		rnn_calendar_count(m->calendar) > m->n_features)
	{
		*why = "Its features do not match its input size.";
		return RNN_ERR_CORRUPT;
	}
	for (int32_t i = 0; i < m->n_features; i++)
		if (!isfinite(m->feature_mean[i]) || fabs(m->feature_mean[i]) > 1e300 ||
			!(m->feature_std[i] > 0) || m->feature_std[i] > 1e300 || m->feature_std[i] < 1e-300)
		{
			*why = "Its feature scaling statistics are not finite and positive.";
			return RNN_ERR_CORRUPT;
		}
	if (!(m->theta_weight >= 0 && m->theta_weight <= 1) || !rnn_theta_valid(&m->theta))
	{
		*why = "Its Theta combination is invalid.";
		return RNN_ERR_CORRUPT;
	}
	for (int32_t i = 0; i < m->n_series; i++)
		if (!rnn_theta_valid(&m->series[i].theta) ||
			!(m->series[i].theta_weight >= 0 && m->series[i].theta_weight <= 1))
		{
			*why = "A series record's Theta state is invalid.";
			return RNN_ERR_CORRUPT;
		}
	if (!theta_validation_valid(&m->theta_validation, m->n_series))
	{
		*why = "Its Theta validation figures are invalid.";
		return RNN_ERR_CORRUPT;
	}
	if (m->n_short > m->n_series)
	{
		*why = "Its count of short series is out of range.";
		return RNN_ERR_CORRUPT;
	}
	for (int32_t i = 0; i < m->n_series; i++)
	{
		const RnnSeriesState *st = &m->series[i];

		if (series_state_problem(st->log_transform, st->n_seasonal, st->seasonal, st->phase_last,
								 m->season, st->scale_mean, st->scale_std, st->naive_scale,
								 st->n_history * (1 + m->n_features), 1 + m->n_features,
								 st->history) != NULL ||
			(st->spread != 0 && !(st->spread >= 1e-300 && st->spread <= 1e300 &&
								  st->spread / st->scale_std >= RNN_MIN_SPREAD_RATIO &&
								  st->spread / st->scale_std <= 1 / RNN_MIN_SPREAD_RATIO)) ||
			st->n_history > m->window || st->n_history < 1 || st->rows < 1 ||
			(i > 0 && name_cmp(&m->series[i - 1], st) >= 0))
		{
			*why = "A series record is invalid or out of order.";
			return RNN_ERR_CORRUPT;
		}
		if ((st->month_end != 0 && st->month_end != 1) ||
			(st->month_end && m->step_kind != RNN_STEP_MONTHS))
		{
			*why = "A series record's month_end is not 0, or 1 on a month axis.";
			return RNN_ERR_CORRUPT;
		}
		if (st->spikes_replaced < 0 || st->spikes_replaced > RNN_MAX_SPIKES)
		{
			*why = "A series record's count of replaced spikes is invalid.";
			return RNN_ERR_CORRUPT;
		}
		if ((st->season_changed != 0 && st->season_changed != 1) ||
			(st->season_changed && st->n_seasonal == 0))
		{
			*why = "A series record's mark of a changed season is set without seasonal indices.";
			return RNN_ERR_CORRUPT;
		}
	}
	/* (the importer's ranges, so that every stored model exports and imports) */
	if (m->rows < 0 || m->epochs_run < 0 || m->best_epoch < 0 || m->rows > RNN_MAX_MODEL_ROWS ||
		m->epochs_run > RNN_MAX_EPOCHS || m->best_epoch > RNN_MAX_EPOCHS ||
		!isfinite(m->train_loss) || !isfinite(m->val_loss) || !isfinite(m->train_seconds))
	{
		*why = "Its training metrics are invalid.";
		return RNN_ERR_CORRUPT;
	}
	for (size_t i = 0; i < n_hist; i++)
		if (!isfinite(m->history[i]))
		{
			*why = "Its history holds a non-finite value.";
			return RNN_ERR_CORRUPT;
		}
	for (int32_t i = 0; i < m->n_loss; i++)
		if (!isfinite(m->loss_train[i]) || !isfinite(m->loss_val[i]))
		{
			*why = "Its loss history holds a non-finite value.";
			return RNN_ERR_CORRUPT;
		}
	for (int32_t h = 0; h < m->cal_steps; h++)
		for (int32_t k = 0; k < m->cal_n; k++)
		{
			float		e = m->cal_err[(size_t) h * m->cal_n + k];

			if (!isfinite(e) || e < 0 ||
				(k > 0 && e < m->cal_err[(size_t) h * m->cal_n + k - 1]))
			{
				*why = "Its calibration errors are not finite, non-negative and sorted.";
				return RNN_ERR_CORRUPT;
			}
		}
	for (size_t i = 0; i < n_par; i++)
		if (!isfinite(m->params[i]))
		{
			*why = "A weight is not finite.";
			return RNN_ERR_CORRUPT;
		}
	return RNN_OK;
}

bool
rnn_model_text_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) p[i] < 0x20 || (unsigned char) p[i] > 0x7e)
			return false;
	return true;
}

void
rnn_model_set_config(RnnModel *m, const char *text)
{
	size_t		n = strlen(text);

	if (n <= RNN_MAX_CONFIG_TEXT && rnn_model_text_ok(text, n))
		memcpy(m->config, text, n + 1);
}

/*
 * A u16 length and that many bytes of printable ASCII, copied into out
 * (max bytes and a terminator): 1; 0 when it is longer than max or would
 * pass end; -1 when it holds other bytes.
 */
static int
get_text(Reader *r, const uint8_t *end, char *out, size_t max)
{
	size_t		n;

	if (end - r->p < 2)
		return 0;
	n = get_u16(r);
	if (n > max || (size_t) (end - r->p) < n)
		return 0;
	if (!rnn_model_text_ok((const char *) r->p, n))
		return -1;
	memcpy(out, r->p, n);
	out[n] = '\0';
	r->p += n;
	return 1;
}

RnnStatus
rnn_model_decode(RnnModel *m, const uint8_t *buf, size_t len,
				 const RnnAlloc *a, const char **why)
{
	Reader		r;
	size_t		n_hist,
				n_cal,
				n_par,
				expected;
	int32_t		v;
	uint16_t	version;
	uint32_t	n_params_hdr;
	uint8_t		reserved;

	memset(m, 0, sizeof(*m));
	*why = NULL;
	if (len < HEADER_BYTES_V1 + 4)
	{
		*why = "The value is too short to be a model.";
		return RNN_ERR_CORRUPT;
	}
	if (memcmp(buf, RNN_MODEL_MAGIC, 4) != 0)
	{
		*why = "The value does not start with the model magic number.";
		return RNN_ERR_CORRUPT;
	}
	r.p = buf + 4;
	version = get_u16(&r);
	if (version < 1 || version > RNN_MODEL_VERSION)
	{
		*why = "The model format version is not supported by this version of rnn_forecast.";
		return RNN_ERR_VERSION;
	}
	{
		uint16_t	flags = get_u16(&r);

		if ((flags & ~(version >= 3 ? 63 : 0)) != 0)
		{
			*why = "Unknown flags are set.";
			return RNN_ERR_CORRUPT;
		}
		m->cal_scaled = flags & 1;
		m->month_end = (flags >> 1) & 1;
		m->nonnegative = (flags >> 2) & 1;
		m->leading_zeros_dropped = (flags >> 3) & 1;
		m->despike = (flags >> 4) & 1;
		m->season_changed = (flags >> 5) & 1;
	}
	m->shape.cell = get_u8(&r);
	m->shape.bidirectional = get_u8(&r);
	m->scaling = get_u8(&r);
	m->ts_kind = get_u8(&r);
	m->step_kind = get_u8(&r);
	m->strategy = get_u8(&r);	/* reserved (0 = auto) in version 1 */
	if (version == 1 && m->strategy != 0)
	{
		*why = "Reserved header bytes are not zero.";
		return RNN_ERR_CORRUPT;
	}
	m->shape.seq2seq = m->strategy == RNN_STRATEGY_SEQ2SEQ ? 1 : 0;
	m->format_version = version;
	reserved = 0;
	if (version >= 3)
	{
		m->log_transform = get_u8(&r);
		m->spikes_replaced = get_u8(&r);
	}
	else
	{
		reserved = get_u8(&r);
		reserved |= get_u8(&r);
	}
	if (reserved != 0)
	{
		*why = "Reserved header bytes are not zero.";
		return RNN_ERR_CORRUPT;
	}
	if (!get_i32_in(&r, &m->shape.input_size, 1, RNN_MAX_INPUT_SIZE) ||
		!get_i32_in(&r, &m->shape.hidden_size, 1, RNN_MAX_HIDDEN_SIZE) ||
		!get_i32_in(&r, &m->shape.num_layers, 1, RNN_MAX_LAYERS) ||
		!get_i32_in(&r, &m->shape.output_size, 1, RNN_MAX_OUTPUT_SIZE) ||
		!get_i32_in(&r, &m->window, 0, RNN_MAX_WINDOW) ||
		!get_i32_in(&r, &m->season, 1, RNN_MAX_WINDOW) ||
		!get_i32_in(&r, &m->members, 1, RNN_MAX_ENSEMBLE) ||
		!get_i32_in(&r, &m->n_history, 0, RNN_MAX_WINDOW) ||
		!get_i32_in(&r, &m->n_loss, 0, RNN_MODEL_MAX_LOSSES) ||
		!get_i32_in(&r, &m->cal_steps, 0, RNN_MAX_CAL_STEPS) ||
		!get_i32_in(&r, &m->cal_n, 0, RNN_MAX_CAL_SAMPLES) ||
		!get_i32_in(&r, &m->epochs_run, 0, INT32_MAX) ||
		!get_i32_in(&r, &v, 0, INT32_MAX))
	{
		*why = "A size in its header is out of range.";
		return RNN_ERR_LIMIT;
	}
	m->best_epoch = v;
	m->step = (int64_t) get_u64(&r);
	m->last_ts = (int64_t) get_u64(&r);
	m->rows = (int64_t) get_u64(&r);
	m->seed = get_u64(&r);
	m->scale_mean = get_f64(&r);
	m->scale_std = get_f64(&r);
	m->train_loss = get_f64(&r);
	m->val_loss = get_f64(&r);
	m->train_seconds = get_f64(&r);
	if (version >= 2)
	{
		if (len < HEADER_BYTES_V2 + 4)
		{
			*why = "The value is too short to be a model.";
			return RNN_ERR_CORRUPT;
		}
		m->naive_scale = get_f64(&r);
	}
	if (version >= 3)
	{
		if (len < HEADER_BYTES_V3 + 4)
		{
			*why = "The value is too short to be a model.";
			return RNN_ERR_CORRUPT;
		}
		if (!get_i32_in(&r, &m->phase_last, 0, RNN_MAX_SEASON_INDICES) ||
			!get_i32_in(&r, &m->n_seasonal, 0, RNN_MAX_SEASON_INDICES) ||
			!get_i32_in(&r, &m->n_series, 0, RNN_MAX_SERIES) ||
			!get_i32_in(&r, &m->n_short, 0, RNN_MAX_SERIES))
		{
			*why = "A size in its header is out of range.";
			return RNN_ERR_LIMIT;
		}
	}
	n_params_hdr = get_u32(&r);
	if (version >= 4)
	{
		int			t1 = get_text(&r, buf + len - 4, m->time_zone, RNN_MAX_ZONE_NAME);
		int			t2 = t1 == 1 ? get_text(&r, buf + len - 4, m->config, RNN_MAX_CONFIG_TEXT) : 1;
		int			t3 = t1 == 1 && t2 == 1 && version >= 10 ?
			get_text(&r, buf + len - 4, m->trained_with, RNN_MAX_TRAINED_WITH) : 1;

		if (t1 == 0 || t2 == 0 || t3 == 0)
		{
			*why = "Its size does not match the sizes in its header.";
			return RNN_ERR_CORRUPT;
		}
		if (t1 < 0 || t2 < 0)
		{
			*why = "Its time zone or configuration text is not printable ASCII.";
			return RNN_ERR_CORRUPT;
		}
		if (t3 < 0 || (version == 10 && m->trained_with[0] == '\0'))
		{
			/* format 10 is written only for a model that has the text */
			*why = "Its provenance text (format 10) is empty or not printable ASCII.";
			return RNN_ERR_CORRUPT;
		}
	}
	if (version >= 5)
	{
		uint32_t	bits;

		if (buf + len - 4 - r.p < 8)
		{
			*why = "Its size does not match the sizes in its header.";
			return RNN_ERR_CORRUPT;
		}
		if (!get_i32_in(&r, &m->n_features, version >= 6 ? 0 : 1, RNN_MAX_INPUT_SIZE - 1))
		{
			*why = "A size in its header is out of range.";
			return RNN_ERR_LIMIT;
		}
		bits = get_u32(&r);
		if (bits > RNN_CAL_ALL)
		{
			*why = "Its calendar features are unknown.";
			return RNN_ERR_CORRUPT;
		}
		m->calendar = (int32_t) bits;
	}

	if (rnn_shape_check(&m->shape) != RNN_OK || !payload_counts(m, &n_hist, &n_cal, &n_par))
	{
		*why = "Its architecture is invalid or above the limits.";
		return RNN_ERR_LIMIT;
	}
	if ((size_t) n_params_hdr * m->members != n_par)
	{
		*why = "Its parameter count does not match its architecture.";
		return RNN_ERR_CORRUPT;
	}
	{
		/* everything but the series records, which follow the weights */
		int32_t		n_series = m->n_series;

		m->n_series = 0;
		expected = encoded_size_version(m, version);
		m->n_series = n_series;
	}
	if (expected > len || (m->n_series == 0 && expected != len))
	{
		*why = "Its size does not match the sizes in its header.";
		return RNN_ERR_CORRUPT;
	}
	if (!records_fit(buf + expected - 4, len - expected, m->n_series, m->season, 1 + m->n_features,
					 version))
	{
		*why = "Its series records do not match its size.";
		return RNN_ERR_CORRUPT;
	}
	{
		Reader		c = {buf + len - 4};

		if (get_u32(&c) != rnn_crc32(buf, len - 4))
		{
			*why = "Its checksum does not match: the value was changed or truncated.";
			return RNN_ERR_CORRUPT;
		}
	}

	m->n_params = n_par / m->members;
	m->history = rnn_alloc(a, (n_hist ? n_hist : 1) * sizeof(double));
	m->loss_train = rnn_alloc(a, (m->n_loss ? m->n_loss : 1) * sizeof(float));
	m->loss_val = rnn_alloc(a, (m->n_loss ? m->n_loss : 1) * sizeof(float));
	m->cal_err = rnn_alloc(a, (n_cal ? n_cal : 1) * sizeof(float));
	m->params = rnn_alloc(a, n_par * sizeof(rnn_real));
	m->seasonal = rnn_alloc(a, (m->n_seasonal ? m->n_seasonal : 1) * sizeof(double));
	m->series = rnn_alloc(a, (m->n_series ? m->n_series : 1) * sizeof(RnnSeriesState));
	m->feature_mean = rnn_alloc(a, (m->n_features ? m->n_features : 1) * sizeof(double));
	m->feature_std = rnn_alloc(a, (m->n_features ? m->n_features : 1) * sizeof(double));
	/* zeroed before anything can fail, so that rnn_model_free sees no stray pointers */
	if (m->series)
		memset(m->series, 0, (m->n_series ? m->n_series : 1) * sizeof(RnnSeriesState));
	if (!m->history || !m->loss_train || !m->loss_val || !m->cal_err || !m->params ||
		!m->seasonal || !m->series || !m->feature_mean || !m->feature_std)
		return RNN_ERR_ALLOC;
	for (int32_t i = 0; i < m->n_features; i++)
		m->feature_mean[i] = get_f64(&r);
	for (int32_t i = 0; i < m->n_features; i++)
		m->feature_std[i] = get_f64(&r);
	if (version >= 6)
	{
		m->theta_weight = get_f64(&r);
		get_theta(&r, &m->theta);
	}
	if (version >= 9)
	{
		m->theta_validation.series = (int32_t) get_u32(&r);
		m->theta_validation.network = get_f64(&r);
		m->theta_validation.theta = get_f64(&r);
		m->theta_validation.combined = get_f64(&r);
		if (m->theta_validation.series < (version == 9 ? 1 : 0))
		{
			/* format 9 is written only when a validation ran (format 10: 0 when none did) */
			*why = version == 9 ?
				"A format-9 model must say how many series validated its Theta weights." :
				"The count of series that validated its Theta weights is negative.";
			return RNN_ERR_CORRUPT;
		}
	}
	for (size_t i = 0; i < n_hist; i++)
		m->history[i] = get_f64(&r);
	for (int32_t i = 0; i < m->n_seasonal; i++)
		m->seasonal[i] = get_f64(&r);
	for (int32_t i = 0; i < m->n_loss; i++)
		m->loss_train[i] = get_f32(&r);
	for (int32_t i = 0; i < m->n_loss; i++)
		m->loss_val[i] = get_f32(&r);
	for (size_t i = 0; i < n_cal; i++)
		m->cal_err[i] = get_f32(&r);
	for (size_t i = 0; i < n_par; i++)
		m->params[i] = (rnn_real) get_f32(&r);
	for (int32_t i = 0; i < m->n_series; i++)
	{
		RnnSeriesState *st = &m->series[i];

		/* records_fit checked every size and that the bytes are there */
		st->name_len = get_u16(&r);
		st->name = rnn_alloc(a, st->name_len);
		if (!st->name)
			return RNN_ERR_ALLOC;
		memcpy(st->name, r.p, st->name_len);
		r.p += st->name_len;
		st->last_ts = (int64_t) get_u64(&r);
		st->rows = (int64_t) get_u64(&r);
		st->scale_mean = get_f64(&r);
		st->scale_std = get_f64(&r);
		st->naive_scale = get_f64(&r);
		st->phase_last = (int32_t) get_u32(&r);
		st->log_transform = get_u8(&r);
		st->month_end = get_u8(&r);
		st->nonnegative = get_u8(&r);
		{
			uint8_t		b = get_u8(&r);

			st->leading_zeros_dropped = b & 1;
			st->spikes_replaced = (b >> 1) & 15;
			st->season_changed = (b >> 5) & 1;
			if (b >> 6)
			{
				*why = "A series record's reserved bits are set.";
				return RNN_ERR_CORRUPT;
			}
		}
		if (st->spikes_replaced > RNN_MAX_SPIKES || st->nonnegative > 1)
		{
			*why = "A series record's nonnegative byte is not 0 or 1, or its spikes are too many.";
			return RNN_ERR_CORRUPT;
		}
		/* the model's flag: every series (a model written before the series' own) */
		st->nonnegative |= m->nonnegative;
		st->n_seasonal = (int32_t) get_u32(&r);
		st->n_history = (int32_t) get_u32(&r);
		st->seasonal = rnn_alloc(a, (st->n_seasonal ? st->n_seasonal : 1) * sizeof(double));
		st->history = rnn_alloc(a, (st->n_history ? (size_t) st->n_history * (1 + m->n_features) : 1) *
								sizeof(double));
		if (!st->seasonal || !st->history)
			return RNN_ERR_ALLOC;
		for (int32_t k = 0; k < st->n_seasonal; k++)
			st->seasonal[k] = get_f64(&r);
		for (size_t k = 0; k < (size_t) st->n_history * (1 + m->n_features); k++)
			st->history[k] = get_f64(&r);
		if (version >= 6)
			get_theta(&r, &st->theta);
		st->theta_weight = version >= 7 ? get_f64(&r) : m->theta_weight;
		st->spread = version >= 11 ? get_f64(&r) : 0;
		if (version >= 11 && !(st->spread >= 1e-300))
		{
			/* written as the series' scale when it has no spread of its own */
			*why = "A format-11 series record's spread is not a positive number.";
			return RNN_ERR_CORRUPT;
		}
	}
	if (version == 7 && (m->n_series == 0 || !(m->theta_weight > 0)))
	{
		/* written only for a global model combined with Theta */
		*why = "A format-7 model must be a global model combined with Theta.";
		return RNN_ERR_CORRUPT;
	}
	if (version == 11 && !series_spreads_differ(m))
	{
		/* written only when a series' spread is not its scale */
		*why = "A format-11 model must have a series whose spread is not its scale.";
		return RNN_ERR_CORRUPT;
	}
	if ((version == 8 && m->strategy != RNN_STRATEGY_MIXED) ||
		(version < 8 && m->strategy == RNN_STRATEGY_MIXED))
	{
		/* written for mixed models (formats 9 and 10 too), and only for them */
		*why = "Only a model of format 8 or later is mixed, and a format-8 model must be.";
		return RNN_ERR_CORRUPT;
	}
	{
		bool		own;

		m->log_scale = rnn_model_shared_log_scale(m, &own);
		m->log_scale_own = own;
		m->log_scale_known = 1;
	}

	return rnn_model_validate(m, why);
}
