/*
 * rnn_model.c
 *	  The stored model format (version 2; version 1 is still read).  Every number is written
 *	  little-endian byte by byte, so the bytes are the same on every
 *	  platform; every dimension is bounded; a CRC-32 over all preceding bytes
 *	  closes the value.  Decoding trusts nothing: it checks the magic, the
 *	  version, each dimension, the exact total size, the checksum and that
 *	  every number is finite, before anything is used.
 *
 * Layout:
 *	 "RNNF" u16 version u16 flags(0)
 *	 u8 cell, bidirectional, scaling, ts_kind, step_kind, strategy (v2, else
 *	   reserved), 2 reserved (0)
 *	 i32 input_size hidden_size num_layers output_size window season members
 *	 i32 n_history n_loss cal_steps cal_n epochs_run best_epoch
 *	 i64 step last_ts rows   u64 seed
 *	 f64 scale_mean scale_std train_loss val_loss train_seconds
 *	 f64 naive_scale (v2 only)
 *	 u32 n_params (per member)
 *	 f64 history[n_history * input_size]
 *	 f32 loss_train[n_loss] loss_val[n_loss]
 *	 f32 cal_err[cal_steps * cal_n]
 *	 f32 params[members * n_params]
 *	 u32 crc32
 */
#include "rnn_model.h"

#include <math.h>
#include <string.h>

#define HEADER_BYTES_V1 (4 + 2 + 2 + 8 + 4 * 7 + 4 * 6 + 8 * 4 + 8 * 5 + 4)
#define HEADER_BYTES_V2 (HEADER_BYTES_V1 + 8)

uint32_t
rnn_crc32(const uint8_t *buf, size_t len)
{
	uint32_t	table[256];
	uint32_t	crc = 0xFFFFFFFFu;

	/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) */
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
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
		m->members < 1 || m->members > RNN_MAX_ENSEMBLE)
		return false;
	if (rnn_shape_check(&m->shape) != RNN_OK)
		return false;
	*n_hist = (size_t) m->n_history * m->shape.input_size;
	*n_cal = (size_t) m->cal_steps * m->cal_n;
	*n_par = rnn_param_count(&m->shape) * m->members;
	return *n_par <= (size_t) RNN_MAX_PARAMS;
}

static size_t
encoded_size_version(const RnnModel *m, int version)
{
	size_t		n_hist,
				n_cal,
				n_par;

	if (!payload_counts(m, &n_hist, &n_cal, &n_par))
		return 0;
	/* bounded counts: no overflow possible */
	return (version == 1 ? HEADER_BYTES_V1 : HEADER_BYTES_V2) + 8 * n_hist + 4 * 2 * (size_t) m->n_loss + 4 * n_cal + 4 * n_par + 4;
}

size_t
rnn_model_encoded_size(const RnnModel *m)
{
	return encoded_size_version(m, RNN_MODEL_VERSION);
}

void
rnn_model_encode(const RnnModel *m, uint8_t *buf)
{
	uint8_t    *p = buf;
	size_t		n_hist,
				n_cal,
				n_par;

	(void) payload_counts(m, &n_hist, &n_cal, &n_par);
	memcpy(p, RNN_MODEL_MAGIC, 4);
	p += 4;
	p = put_u16(p, RNN_MODEL_VERSION);
	p = put_u16(p, 0);
	p = put_u8(p, (uint8_t) m->shape.cell);
	p = put_u8(p, (uint8_t) m->shape.bidirectional);
	p = put_u8(p, (uint8_t) m->scaling);
	p = put_u8(p, (uint8_t) m->ts_kind);
	p = put_u8(p, (uint8_t) m->step_kind);
	p = put_u8(p, (uint8_t) m->strategy);
	p = put_u8(p, 0);
	p = put_u8(p, 0);
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
	p = put_u32(p, (uint32_t) (n_par / m->members));
	for (size_t i = 0; i < n_hist; i++)
		p = put_f64(p, m->history[i]);
	for (int32_t i = 0; i < m->n_loss; i++)
		p = put_f32(p, m->loss_train[i]);
	for (int32_t i = 0; i < m->n_loss; i++)
		p = put_f32(p, m->loss_val[i]);
	for (size_t i = 0; i < n_cal; i++)
		p = put_f32(p, m->cal_err[i]);
	for (size_t i = 0; i < n_par; i++)
		p = put_f32(p, (float) m->params[i]);
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
	if (m->scaling != RNN_SCALE_NONE && m->scaling != RNN_SCALE_ZSCORE &&
		!((m->scaling == RNN_SCALE_WINDOW || m->scaling == RNN_SCALE_LEVEL) && m->shape.input_size == 1) &&
		!(m->scaling == RNN_SCALE_SEASONAL && m->shape.input_size == 1 &&
		  m->season > 1 && m->window > m->season) &&
		!(m->scaling == RNN_SCALE_DIFF && m->shape.input_size == 1 && m->window > 1))
	{
		*why = "Its scaling method is unknown.";
		return RNN_ERR_CORRUPT;
	}
	if (!isfinite(m->scale_mean) || !isfinite(m->scale_std) || !(m->scale_std > 0) ||
		fabs(m->scale_mean) > 1e300 || m->scale_std > 1e300 || m->scale_std < 1e-300)
	{
		*why = "Its scaling statistics are not finite and positive.";
		return RNN_ERR_CORRUPT;
	}
	if (m->ts_kind < RNN_TS_NONE || m->ts_kind > RNN_TS_DATE ||
		(m->step_kind != RNN_STEP_UNITS && m->step_kind != RNN_STEP_MONTHS) ||
		m->step < 1 || (m->step_kind == RNN_STEP_MONTHS && m->step > 1200) ||
		(m->step_kind == RNN_STEP_MONTHS && m->ts_kind != RNN_TS_TIMESTAMPTZ &&
		 m->ts_kind != RNN_TS_TIMESTAMP && m->ts_kind != RNN_TS_DATE))
	{
		*why = "Its time axis is invalid.";
		return RNN_ERR_CORRUPT;
	}
	if (m->strategy < RNN_STRATEGY_AUTO || m->strategy > RNN_STRATEGY_SEQ2SEQ ||
		(m->strategy == RNN_STRATEGY_RECURSIVE && m->shape.output_size != 1) ||
		(m->strategy == RNN_STRATEGY_SEQ2SEQ) != (m->shape.seq2seq == 1))
	{
		*why = "Its multi-step strategy is invalid.";
		return RNN_ERR_CORRUPT;
	}
	if (!isfinite(m->naive_scale) || m->naive_scale < 0)
	{
		*why = "Its naive error scale is invalid.";
		return RNN_ERR_CORRUPT;
	}
	if (m->rows < 0 || m->epochs_run < 0 || m->best_epoch < 0 ||
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
	if (version != 1 && version != 2)
	{
		*why = "The model format version is not supported by this version of rnn_forecast.";
		return RNN_ERR_VERSION;
	}
	if (get_u16(&r) != 0)
	{
		*why = "Unknown flags are set.";
		return RNN_ERR_CORRUPT;
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
	reserved = get_u8(&r);
	reserved |= get_u8(&r);
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
	n_params_hdr = get_u32(&r);

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
	expected = encoded_size_version(m, version);
	if (expected != len)
	{
		*why = "Its size does not match the sizes in its header.";
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
	if (!m->history || !m->loss_train || !m->loss_val || !m->cal_err || !m->params)
		return RNN_ERR_ALLOC;
	for (size_t i = 0; i < n_hist; i++)
		m->history[i] = get_f64(&r);
	for (int32_t i = 0; i < m->n_loss; i++)
		m->loss_train[i] = get_f32(&r);
	for (int32_t i = 0; i < m->n_loss; i++)
		m->loss_val[i] = get_f32(&r);
	for (size_t i = 0; i < n_cal; i++)
		m->cal_err[i] = get_f32(&r);
	for (size_t i = 0; i < n_par; i++)
		m->params[i] = (rnn_real) get_f32(&r);

	return rnn_model_validate(m, why);
}
