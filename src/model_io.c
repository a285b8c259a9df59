/*
 * model_io.c
 *	  Reading a model from a bytea that anybody may have forged, writing one,
 *	  and turning core status codes into errors.
 */
#include "postgres.h"


#include "access/detoast.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "rnn_pg.h"
#include "rnn_predict.h"

/*
 * The stored configuration text (format 4) is a JSON object: checked by
 * the parser without raising, so that a crafted model is an invalid model
 * (22P03) and not a JSON syntax error.
 */
static bool
config_text_valid(const char *text)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen((char *) text, (int) strlen(text),
													   PG_UTF8, false);
	const char *p = text;

	while (*p == ' ')
		p++;
	return *p == '{' && pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
}

/* Decode and validate; any defect is an error with ERRCODE_RNN_BAD_MODEL. */
void
rnn_model_read(RnnModel *m, bytea *raw)
{
	const char *why = NULL;
	RnnStatus	st;

	st = rnn_model_decode(m, (const uint8_t *) VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
						  &rnn_palloc_allocator, &why);
	if (st == RNN_ERR_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_RNN_BAD_MODEL),
				 errmsg("unsupported rnn_forecast model format version"),
				 errdetail("%s", why),
				 errhint("Upgrade the rnn_forecast extension.")));
	if (st != RNN_OK)
		ereport(ERROR,
				(errcode(ERRCODE_RNN_BAD_MODEL),
				 errmsg("invalid rnn_forecast model"),
				 errdetail("%s", why ? why : "The value could not be decoded."),
				 errhint("Pass a value returned by rnn_train or rnn_model_from_json.")));
	if (m->config[0] != '\0' && !config_text_valid(m->config))
		ereport(ERROR,
				(errcode(ERRCODE_RNN_BAD_MODEL),
				 errmsg("invalid rnn_forecast model"),
				 errdetail("Its stored configuration is not a JSON object."),
				 errhint("Pass a value returned by rnn_train or rnn_model_from_json.")));
	if (m->n_params * m->members > (size_t) rnn_max_parameters)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model has %zu parameters, more than rnn_forecast.max_parameters (%d)",
						m->n_params * m->members, rnn_max_parameters),
				 errhint("Ask a superuser to raise rnn_forecast.max_parameters.")));
}

/* Keep a model datum as passed (a TOAST pointer stays a pointer), in the current context. */
void
rnn_model_datum_keep(RnnModelDatum *k, Datum model)
{
	k->len = VARSIZE_ANY(DatumGetPointer(model));
	k->raw = palloc(k->len);
	memcpy(k->raw, DatumGetPointer(model), k->len);
}

/*
 * Whether a datum is the kept model: the same datum (a TOAST pointer is
 * compared without reading the value), else, passed another way (toasted
 * or not), the same bytes.
 */
bool
rnn_model_datum_same(const RnnModelDatum *k, Datum model)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(model);
	bytea	   *a,
			   *b;

	if (VARSIZE_ANY(v) == k->len && memcmp(v, k->raw, k->len) == 0)
		return true;
	a = (bytea *) PG_DETOAST_DATUM_PACKED(model);
	b = (bytea *) PG_DETOAST_DATUM_PACKED(PointerGetDatum(k->raw));
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

static void *
dup_bytes(const void *src, size_t n)
{
	void	   *p = palloc(n ? n : 1);

	if (n)
		memcpy(p, src, n);
	return p;
}

/* A deep copy of a decoded model in the current memory context. */
void
rnn_model_copy(RnnModel *dst, const RnnModel *src)
{
	*dst = *src;
	dst->history = dup_bytes(src->history, sizeof(double) * src->n_history * src->shape.input_size);
	dst->loss_train = dup_bytes(src->loss_train, sizeof(float) * src->n_loss);
	dst->loss_val = dup_bytes(src->loss_val, sizeof(float) * src->n_loss);
	dst->cal_err = dup_bytes(src->cal_err, sizeof(float) * src->cal_steps * src->cal_n);
	dst->params = dup_bytes(src->params, sizeof(rnn_real) * src->n_params * src->members);
	dst->seasonal = dup_bytes(src->seasonal, sizeof(double) * src->n_seasonal);
	dst->series = dup_bytes(src->series, sizeof(RnnSeriesState) * src->n_series);
	dst->feature_mean = dup_bytes(src->feature_mean, sizeof(double) * src->n_features);
	dst->feature_std = dup_bytes(src->feature_std, sizeof(double) * src->n_features);
	/* rearranged weights belong to src's params: prepare the copy's own if needed */
	dst->infer_block = NULL;
	dst->infer_hhT = dst->infer_of = NULL;
	for (int32 i = 0; i < src->n_series; i++)
	{
		const RnnSeriesState *a = &src->series[i];
		RnnSeriesState *b = &dst->series[i];

		b->name = dup_bytes(a->name, a->name_len);
		b->seasonal = dup_bytes(a->seasonal, sizeof(double) * a->n_seasonal);
		b->history = dup_bytes(a->history, sizeof(double) * a->n_history * (1 + src->n_features));
	}
}

bytea *
rnn_model_write(const RnnModel *m)
{
	return rnn_model_write_checked(m, ERRCODE_DATA_EXCEPTION, "cannot store the model");
}

/*
 * The model's bytes, once rnn_model_validate passes; else an error with
 * sqlerrcode and message, and the reason as its detail (rnn_model_from_json
 * reports a document that breaks the model's rules as its own error).
 */
bytea *
rnn_model_write_checked(const RnnModel *m, int sqlerrcode, const char *message)
{
	const char *why = NULL;
	size_t		len;
	bytea	   *out;

	if (rnn_model_validate(m, &why) != RNN_OK)
		ereport(ERROR,
				(errcode(sqlerrcode),
				 errmsg("%s", message),
				 errdetail("%s", why)));
	len = rnn_model_encoded_size(m);
	if (len == 0 || len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model is too large to store"),
				 errdetail("A model is limited to 1 GB.")));
	out = (bytea *) palloc(len + VARHDRSZ);
	SET_VARSIZE(out, len + VARHDRSZ);
	rnn_model_encode(m, (uint8_t *) VARDATA(out));
	return out;
}

/*
 * One decoded model kept per backend for the rest of the transaction, so
 * that a query forecasting every series of a global model (one call per
 * series) decodes it once.  A value stored out of line is known by its
 * TOAST pointer without being read; any other value by its bytes, or,
 * when it is passed again at the address where it was last compared, by
 * its length and checksum (its last 4 bytes) there: a model made in the
 * same query (a CTE, a subquery) is not compared byte by byte for each of
 * its series, which made forecasting every series of it quadratic (10,000
 * series of a 1.6 MB model: 3.9 s against 2.0 s from a table).
 */
static MemoryContext cache_cxt = NULL;
static RnnModel cache_model;
static LocalTransactionId cache_lxid = InvalidLocalTransactionId;
static bool cache_by_pointer;
static struct varatt_external cache_pointer;
static Size cache_len;
static char *cache_bytes;
static const char *cache_addr;	/* where the value was last found equal (not detoasted) */

/* models above this size are decoded on every call rather than kept */
#define RNN_CACHE_MAX_BYTES ((Size) 256 * 1024 * 1024)

const RnnModel *
rnn_model_cached(Datum model)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(model);
	bool		by_pointer = VARATT_IS_EXTERNAL_ONDISK(v);
	struct varatt_external ptr;
	bytea	   *raw;
	MemoryContext cxt,
				old;
	Size		len;
	RnnModel   *fresh;

	/* the cache holds a model of this transaction, known the same way as this value */
	bool		usable = cache_cxt != NULL && cache_lxid == MyProc->lxid &&
		cache_by_pointer == by_pointer;

	memset(&ptr, 0, sizeof(ptr));
	if (by_pointer)
		VARATT_EXTERNAL_GET_POINTER(ptr, v);
	if (usable && by_pointer && memcmp(&ptr, &cache_pointer, sizeof(ptr)) == 0)
		return &cache_model;
	raw = (bytea *) PG_DETOAST_DATUM_PACKED(model);
	len = VARSIZE_ANY_EXHDR(raw);
	if (usable && !by_pointer && len == cache_len)
	{
		/* the same address again: its length and checksum; else every byte */
		if ((const char *) raw == cache_addr && (char *) raw == (char *) v && len >= 4 &&
			memcmp(VARDATA_ANY(raw) + len - 4, cache_bytes + len - 4, 4) == 0)
			return &cache_model;
		if (memcmp(VARDATA_ANY(raw), cache_bytes, len) == 0)
		{
			cache_addr = (char *) raw == (char *) v ? (const char *) raw : NULL;
			return &cache_model;
		}
	}

	/* decode under the caller's context: an error frees it */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "rnn_forecast model cache",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	fresh = palloc(sizeof(RnnModel));
	rnn_model_read(fresh, raw);
	/* the calls that follow forecast one history each: W_hh^T once for all */
	rnn_report_status(rnn_model_prepare_infer(fresh, &rnn_palloc_allocator), "rnn_forecast");
	MemoryContextSwitchTo(old);
	if (len > RNN_CACHE_MAX_BYTES)
		return fresh;			/* lives as long as the caller's context */

	if (cache_cxt != NULL)
		MemoryContextDelete(cache_cxt);
	MemoryContextSetParent(cxt, TopMemoryContext);
	cache_cxt = cxt;
	cache_model = *fresh;
	cache_lxid = MyProc->lxid;
	cache_by_pointer = by_pointer;
	cache_pointer = ptr;
	cache_len = len;
	cache_bytes = NULL;
	cache_addr = NULL;
	if (!by_pointer)
	{
		if ((char *) raw == (char *) v)
			cache_addr = (const char *) raw;
		cache_bytes = MemoryContextAllocHuge(cxt, len ? len : 1);
		memcpy(cache_bytes, VARDATA_ANY(raw), len);
	}
	return &cache_model;
}

/* Errors for core status codes that need no further context. */
void
rnn_report_status(RnnStatus st, const char *what)
{
	switch (st)
	{
		case RNN_OK:
			return;
		case RNN_ERR_ALLOC:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory in %s", what)));
			break;
		case RNN_ERR_DIVERGED:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("training diverged: the loss is no longer finite"),
					 errhint("Try a smaller learning_rate or a clip_norm above 0.")));
			break;
		case RNN_ERR_LIMIT:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s exceeds a limit of rnn_forecast", what)));
			break;
		case RNN_ERR_NONFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: values are too large for the model", what),
					 errdetail("After the model's scaling a value exceeds 1e30 in magnitude.")));
			break;
		case RNN_ERR_DOMAIN:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the history holds a value that is not positive", what),
					 errdetail("The model was trained on the logarithm of a positive series."),
					 errhint("Train with rnn_config(log => false) to forecast series that reach zero or below.")));
			break;
		default:
			elog(ERROR, "unexpected status %d in %s", (int) st, what);
	}
}
