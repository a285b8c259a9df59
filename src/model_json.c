/*
 * model_json.c
 *	  Inspection and interchange: rnn_model_info, rnn_model_to_json and
 *	  rnn_model_from_json.  The JSON holds the weights under PyTorch's
 *	  state_dict names as nested arrays (tensor.tolist()), so models move
 *	  between SQL and PyTorch.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "rnn_pg.h"
#include "rnn_theta.h"
#include "rnn_calendar.h"
#include "rnn_predict.h"

PG_FUNCTION_INFO_V1(rnn_model_info);
PG_FUNCTION_INFO_V1(rnn_model_to_json);
PG_FUNCTION_INFO_V1(rnn_model_from_json);

static void
append_json_string(StringInfo s, const char *v)
{
	escape_json(s, v);
}

static void
append_float_array(StringInfo s, const float *v, int n)
{
	appendStringInfoChar(s, '[');
	for (int i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		appendStringInfo(s, "%s%.9g", i ? ", " : "", (double) v[i]);
	}
	appendStringInfoChar(s, ']');
}

/*
 * Training seconds: three decimals when they give back the same double (every
 * model trained since 0.7.0 keeps whole milliseconds), else all 17 digits, so
 * that a JSON round trip keeps every byte of older models too.
 */
static void
append_seconds(StringInfo s, double sec)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), "%.3f", sec);
	if (strtod(buf, NULL) != sec)
		snprintf(buf, sizeof(buf), "%.17g", sec);
	appendStringInfoString(s, buf);
}

/* Metadata shared by rnn_model_info and rnn_model_to_json. */
static void
append_metadata(StringInfo s, const RnnModel *m)
{
	appendStringInfo(s, "\"format_version\": %d, \"window\": %d, \"season\": %d, \"members\": %d, "
					 "\"strategy\": \"%s\", \"naive_scale\": %.17g, ",
					 m->format_version > 0 ? m->format_version : RNN_MODEL_VERSION,
					 m->window, m->season, m->members,
					 rnn_strategy_name(m->strategy),
					 m->naive_scale);
	appendStringInfo(s, "\"scaling\": {\"method\": \"%s\", \"mean\": %.17g, \"std\": %.17g}, ",
					 rnn_scaling_name(m->scaling), m->scale_mean, m->scale_std);
	/* what the pipeline did before the network (format 3) */
	appendStringInfo(s, "\"pipeline\": {\"intervals\": \"%s\", \"nonnegative\": %s, \"despike\": %s",
					 m->cal_scaled ? "scaled" : "absolute", m->nonnegative ? "true" : "false",
					 m->despike ? "true" : "false");
	if (m->n_series == 0)
	{
		appendStringInfo(s, ", \"leading_zeros_dropped\": %s, \"spikes_replaced\": %d, \"log\": %s, \"seasonal_indices\": ",
						 m->leading_zeros_dropped ? "true" : "false", m->spikes_replaced,
						 m->log_transform ? "true" : "false");
		if (m->n_seasonal > 0)
		{
			appendStringInfoChar(s, '[');
			for (int k = 0; k < m->n_seasonal; k++)
				appendStringInfo(s, "%s%.17g", k ? ", " : "", m->seasonal[k]);
			appendStringInfo(s, "], \"phase_last\": %d, \"season_changed\": %s", m->phase_last,
							 m->season_changed ? "true" : "false");
		}
		else
			appendStringInfoString(s, "null");
	}
	else
	{
		int			logged = 0,
					adjusted = 0,
					floored = 0,
					launched = 0,
					despiked = 0,
					changed = 0;

		for (int i = 0; i < m->n_series; i++)
		{
			logged += m->series[i].log_transform != 0;
			adjusted += m->series[i].n_seasonal > 0;
			floored += m->series[i].nonnegative != 0;
			launched += m->series[i].leading_zeros_dropped != 0;
			despiked += m->series[i].spikes_replaced > 0;
			changed += m->series[i].season_changed != 0;
		}
		appendStringInfo(s, ", \"series_logged\": %d, \"series_deseasonalized\": %d, \"series_nonnegative\": %d, \"series_leading_zeros_dropped\": %d, \"series_spikes_replaced\": %d, \"series_season_changed\": %d",
						 logged, adjusted, floored, launched, despiked, changed);
	}
	appendStringInfoString(s, "}, ");
	if (m->n_series > 0)
		appendStringInfo(s, "\"series\": {\"count\": %d, \"short\": %d}, ",
						 m->n_series, m->n_short);
	if (m->theta_weight > 0)
	{
		/* format 6: the Theta forecast combined with the network's (rnn_theta.h) */
		appendStringInfo(s, "\"combination\": {\"method\": \"theta\", \"weight\": %.17g",
						 m->theta_weight);
		if (m->n_series == 0)
			appendStringInfo(s, ", \"level\": %.17g, \"drift\": %.17g, \"alpha\": %.17g, \"points\": %d",
							 m->theta.level, m->theta.drift, m->theta.alpha, m->theta.n);
		else
		{
			/*
			 * format 7: the series' own weights (chosen by validation; the
			 * others, and series the model has not seen, get "weight")
			 */
			int			own = 0;
			double		lo = 1,
						hi = 0,
						sum = 0;

			for (int i = 0; i < m->n_series; i++)
			{
				double		w = m->series[i].theta_weight;

				own += w != m->theta_weight;
				lo = Min(lo, w);
				hi = Max(hi, w);
				sum += w;
			}
			appendStringInfo(s, ", \"series_own_weight\": %d, \"series_weight_min\": %.6g, "
							 "\"series_weight_mean\": %.6g, \"series_weight_max\": %.6g",
							 own, lo, sum / m->n_series, hi);
		}
		appendStringInfoString(s, "}, ");
	}
	if (m->theta_validation.series > 0)
	{
		/*
		 * format 9: the validation behind the Theta weights (mean errors on
		 * the network's scale); a global model whose network_error is below
		 * its combined_error dropped the combination
		 */
		appendStringInfo(s, "\"theta_validation\": {\"series\": %d, \"network_error\": %.17g, "
						 "\"theta_error\": %.17g, \"combined_error\": %.17g}, ",
						 m->theta_validation.series, m->theta_validation.network,
						 m->theta_validation.theta, m->theta_validation.combined);
	}
	if (m->n_features > 0)
	{
		/* covariates (format 5): the user's first, then the calendar's */
		static const char *const cycles[4] = {"day", "week", "month", "year"};
		bool		first = true;

		appendStringInfo(s, "\"features\": {\"count\": %d, \"user\": %d, \"calendar\": [",
						 m->n_features, m->n_features - rnn_calendar_count(m->calendar));
		for (int i = 0; i < 4; i++)
			if (m->calendar & (1 << i))
			{
				appendStringInfo(s, "%s\"%s\"", first ? "" : ", ", cycles[i]);
				first = false;
			}
		appendStringInfoString(s, "], \"mean\": [");
		for (int j = 0; j < m->n_features; j++)
			appendStringInfo(s, "%s%.17g", j ? ", " : "", m->feature_mean[j]);
		appendStringInfoString(s, "], \"std\": [");
		for (int j = 0; j < m->n_features; j++)
			appendStringInfo(s, "%s%.17g", j ? ", " : "", m->feature_std[j]);
		appendStringInfoString(s, "]}, ");
	}
	appendStringInfo(s, "\"time\": {\"kind\": \"%s\"", rnn_ts_kind_name(m->ts_kind));
	if (m->ts_kind != RNN_TS_NONE)
	{
		appendStringInfoString(s, ", \"step\": ");
		append_json_string(s, rnn_step_text(m));
		appendStringInfo(s, ", \"step_unit\": \"%s\", \"step_value\": " INT64_FORMAT ", \"last\": ",
						 m->step_kind == RNN_STEP_MONTHS ? "months" :
						 m->ts_kind == RNN_TS_DATE ? "days" :
						 m->ts_kind == RNN_TS_BIGINT ? "units" : "microseconds",
						 m->step);
		append_json_string(s, rnn_key_to_text(m->ts_kind, m->last_ts));
		appendStringInfo(s, ", \"last_value\": " INT64_FORMAT, m->last_ts);
		/* a month axis on month ends: 28 February goes on to 31 March */
		if (m->month_end)
			appendStringInfoString(s, ", \"month_end\": true");
	}
	else if (m->last_ts != 0)
	{
		/* rows without timestamps: the last value's place among the rows (for messages) */
		appendStringInfo(s, ", \"last_value\": " INT64_FORMAT, m->last_ts);
	}
	if (m->ts_kind == RNN_TS_TIMESTAMPTZ)
	{
		/* the zone whose calendar the model continues (null: the session's, before format 4) */
		appendStringInfo(s, ", \"calendar\": \"%s\", \"time_zone\": ",
						 m->step_kind == RNN_STEP_MONTHS ? "months" :
						 m->step_kind == RNN_STEP_LOCAL_DAYS ? "local_days" : "absolute");
		if (m->time_zone[0])
			append_json_string(s, m->time_zone);
		else
			appendStringInfoString(s, "null");
	}
	appendStringInfoString(s, "}, ");
	/* the resolved training configuration (format 4), normalised through jsonb */
	appendStringInfoString(s, "\"config\": ");
	if (m->config[0])
	{
		Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(m->config)));

		if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the model's stored configuration is not a JSON object")));
		appendStringInfoString(s, JsonbToCString(NULL, &jb->root, VARSIZE(jb)));
	}
	else
		appendStringInfoString(s, "null");
	appendStringInfoString(s, ", ");
	appendStringInfo(s, "\"training\": {\"rows\": " INT64_FORMAT ", \"epochs_run\": %d, \"best_epoch\": %d, "
					 "\"train_loss\": ",
					 m->rows, m->epochs_run, m->best_epoch);
	/* not measured (every member kept its untrained weights) is null, stored as -1 */
	if (m->train_loss >= 0)
		appendStringInfo(s, "%.17g", m->train_loss);
	else
		appendStringInfoString(s, "null");
	appendStringInfoString(s, ", \"validation_loss\": ");
	if (m->val_loss >= 0)
		appendStringInfo(s, "%.17g", m->val_loss);
	else
		appendStringInfoString(s, "null");
	appendStringInfo(s, ", \"seed\": " UINT64_FORMAT ", \"training_seconds\": ", m->seed);
	append_seconds(s, m->train_seconds);
	appendStringInfoString(s, ", \"trained_with\": ");
	if (m->trained_with[0])
		escape_json(s, m->trained_with);
	else
		appendStringInfoString(s, "null");
	appendStringInfoString(s, ", \"loss_per_epoch\": ");
	append_float_array(s, m->loss_train, m->n_loss);
	appendStringInfoString(s, ", \"validation_loss_per_epoch\": ");
	if (m->val_loss >= 0)
		append_float_array(s, m->loss_val, m->n_loss);
	else
		appendStringInfoString(s, "null");
	appendStringInfoString(s, "}");
}

static Datum
jsonb_from_text(const char *text)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

/* rnn_model_info(model bytea) RETURNS jsonb */
Datum
rnn_model_info(PG_FUNCTION_ARGS)
{
	RnnModel	m;
	StringInfoData s;

	rnn_model_read(&m, PG_GETARG_BYTEA_PP(0));
	initStringInfo(&s);
	appendStringInfo(&s, "{\"cell\": \"%s\", \"input_size\": %d, \"hidden_size\": %d, "
					 "\"num_layers\": %d, \"bidirectional\": %s, \"output_size\": %d, "
					 "\"parameters\": %zu, \"bytes\": %zu, ",
					 rnn_cell_name(m.shape.cell), m.shape.input_size, m.shape.hidden_size,
					 m.shape.num_layers, m.shape.bidirectional ? "true" : "false",
					 m.shape.output_size, m.n_params * m.members,
					 (size_t) VARSIZE_ANY_EXHDR(PG_GETARG_BYTEA_PP(0)));
	append_metadata(&s, &m);
	appendStringInfo(&s, ", \"calibration\": {\"steps\": %d, \"samples\": %d, \"few_samples\": %s, "
					 "\"widening_at_90\": %.4g", m.cal_steps, m.cal_n,
					 m.cal_n > 0 && m.cal_n < RNN_FEW_CAL_ORIGINS ? "true" : "false",
					 rnn_interval_widening(m.cal_n, 0.9));
	if (m.n_series > 0)
	{
		/* a global model: the series whose half-widths are scaled by their own spread */
		int			own = 0;

		for (int32 i = 0; i < m.n_series; i++)
			own += rnn_series_interval_factor(&m.series[i]) != 1.0;
		appendStringInfo(&s, ", \"series_own_spread\": %d", own);
	}
	appendStringInfoString(&s, "}}");
	PG_RETURN_DATUM(jsonb_from_text(s.data));
}

/*
 * rnn_model_to_json builds its jsonb value by value rather than through
 * jsonb_in on one large text: jsonb_in of a 12-million-weight model runs
 * for seconds without an interrupt check.  Each number is still the text
 * "%.9g" (float32) or "%.17g" (float64) read by numeric_in, as jsonb_in
 * would read it, so the result is the same.
 */
typedef struct JsonBuild
{
	JsonbParseState *ps;
	uint32		count;			/* numbers pushed, for the interrupt check */
} JsonBuild;

static void
push_token(JsonBuild *b, JsonbIteratorToken tok)
{
	pushJsonbValue(&b->ps, tok, NULL);
}

static void
push_key(JsonBuild *b, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = pstrdup(key);
	v.val.string.len = strlen(key);
	pushJsonbValue(&b->ps, WJB_KEY, &v);
}

/* key: true (a flag written only when set) */
static void
push_true(JsonBuild *b, const char *key)
{
	JsonbValue	yes;

	push_key(b, key);
	yes.type = jbvBool;
	yes.val.boolean = true;
	pushJsonbValue(&b->ps, WJB_VALUE, &yes);
}

/* A number written as text (numeric_in's form), as token tok. */
static void
push_number_text(JsonBuild *b, const char *text, JsonbIteratorToken tok)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(text),
														ObjectIdGetDatum(InvalidOid),
														Int32GetDatum(-1)));
	pushJsonbValue(&b->ps, tok, &v);
}

/* d printed with `digits` significant digits, as an array element or a key's value (tok) */
static void
push_number_as(JsonBuild *b, double d, int digits, JsonbIteratorToken tok)
{
	char		buf[64];

	if ((++b->count & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
	/* models are checked on reading; JSON has no NaN or infinity anyway */
	if (!isfinite(d))
		ereport(ERROR,
				(errcode(ERRCODE_RNN_BAD_MODEL),
				 errmsg("model holds a non-finite number")));
	snprintf(buf, sizeof(buf), "%.*g", digits, d);
	push_number_text(b, buf, tok);
}

/* One array element: an integer, every digit (a double keeps 2^53 exactly, a bigint step number more) */
static void
push_int64(JsonBuild *b, int64 x)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), INT64_FORMAT, x);
	push_number_text(b, buf, WJB_ELEM);
}

/* One array element. */
static void
push_number(JsonBuild *b, double d, int digits)
{
	push_number_as(b, d, digits, WJB_ELEM);
}

static void
push_float_array(JsonBuild *b, const float *v, size_t n)
{
	push_token(b, WJB_BEGIN_ARRAY);
	for (size_t i = 0; i < n; i++)
		push_number(b, (double) v[i], 9);
	push_token(b, WJB_END_ARRAY);
}

/* A tensor as nested lists, as tensor.tolist() writes it. */
static void
push_tensor(JsonBuild *b, const rnn_real *p, const RnnTensorInfo *t)
{
	push_token(b, WJB_BEGIN_ARRAY);
	if (t->cols == 0)
	{
		for (int i = 0; i < t->rows; i++)
			push_number(b, (double) p[t->offset + i], 9);
	}
	else
	{
		for (int r = 0; r < t->rows; r++)
		{
			push_token(b, WJB_BEGIN_ARRAY);
			for (int c = 0; c < t->cols; c++)
				push_number(b, (double) p[t->offset + (size_t) r * t->cols + c], 9);
			push_token(b, WJB_END_ARRAY);
		}
	}
	push_token(b, WJB_END_ARRAY);
}

static void
push_state_dict(JsonBuild *b, const RnnModel *m, const rnn_real *params)
{
	RnnTensorInfo tensors[RNN_MAX_TENSORS];
	int			nt = rnn_tensor_table(&m->shape, tensors);

	push_token(b, WJB_BEGIN_OBJECT);
	for (int i = 0; i < nt; i++)
	{
		push_key(b, tensors[i].name);
		push_tensor(b, params, &tensors[i]);
	}
	push_token(b, WJB_END_OBJECT);
}

/* rnn_model_to_json(model bytea) RETURNS jsonb */
Datum
rnn_model_to_json(PG_FUNCTION_ARGS)
{
	RnnModel	m;
	StringInfoData s;
	Jsonb	   *head;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;
	JsonBuild	b = {NULL, 0};

	rnn_model_read(&m, PG_GETARG_BYTEA_PP(0));

	/* the architecture and the metadata are small: through jsonb_in */
	initStringInfo(&s);
	appendStringInfo(&s, "{\"cell\": \"%s\", \"input_size\": %d, \"hidden_size\": %d, "
					 "\"num_layers\": %d, \"bidirectional\": %s, \"output_size\": %d, ",
					 rnn_cell_name(m.shape.cell), m.shape.input_size, m.shape.hidden_size,
					 m.shape.num_layers, m.shape.bidirectional ? "true" : "false", m.shape.output_size);
	append_metadata(&s, &m);
	appendStringInfoChar(&s, '}');
	head = DatumGetJsonbP(jsonb_from_text(s.data));

	push_token(&b, WJB_BEGIN_OBJECT);
	it = JsonbIteratorInit(&head->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_KEY || tok == WJB_VALUE)
			pushJsonbValue(&b.ps, tok, &v);		/* containers are unpacked */

	/* the weights, the history and the calibration errors: value by value */
	push_key(&b, "state_dict");
	push_state_dict(&b, &m, m.params);
	if (m.members > 1)
	{
		push_key(&b, "ensemble_state_dicts");
		push_token(&b, WJB_BEGIN_ARRAY);
		for (int k = 1; k < m.members; k++)
			push_state_dict(&b, &m, m.params + (size_t) k * m.n_params);
		push_token(&b, WJB_END_ARRAY);
	}
	push_key(&b, "history");
	push_token(&b, WJB_BEGIN_ARRAY);
	for (size_t i = 0; i < (size_t) m.n_history * m.shape.input_size; i++)
		push_number(&b, m.history[i], 17);
	push_token(&b, WJB_END_ARRAY);
	push_key(&b, "calibration");
	push_token(&b, WJB_BEGIN_ARRAY);
	for (int h = 0; h < m.cal_steps; h++)
		push_float_array(&b, m.cal_err + (size_t) h * m.cal_n, m.cal_n);
	push_token(&b, WJB_END_ARRAY);
	if (m.n_series > 0)
	{
		/* a global model's series: each one's pipeline, scale, time and last values */
		push_key(&b, "series_state");
		push_token(&b, WJB_BEGIN_ARRAY);
		for (int i = 0; i < m.n_series; i++)
		{
			const RnnSeriesState *st = &m.series[i];
			JsonbValue	name;

			push_token(&b, WJB_BEGIN_OBJECT);
			push_key(&b, "name");
			name.type = jbvString;
			name.val.string.val = st->name;
			name.val.string.len = st->name_len;
			pushJsonbValue(&b.ps, WJB_VALUE, &name);
			push_key(&b, "numbers");
			/* last_value, rows, scale_mean, scale_std, naive_scale, phase_last, log */
			push_token(&b, WJB_BEGIN_ARRAY);
			push_int64(&b, st->last_ts);
			push_int64(&b, st->rows);
			push_number(&b, st->scale_mean, 17);
			push_number(&b, st->scale_std, 17);
			push_number(&b, st->naive_scale, 17);
			push_number(&b, st->phase_last, 17);
			push_number(&b, st->log_transform, 17);
			push_token(&b, WJB_END_ARRAY);
			push_key(&b, "seasonal_indices");
			push_token(&b, WJB_BEGIN_ARRAY);
			for (int k = 0; k < st->n_seasonal; k++)
				push_number(&b, st->seasonal[k], 17);
			push_token(&b, WJB_END_ARRAY);
			push_key(&b, "history");
			push_token(&b, WJB_BEGIN_ARRAY);
			for (size_t k = 0; k < (size_t) st->n_history * (1 + m.n_features); k++)
				push_number(&b, st->history[k], 17);
			push_token(&b, WJB_END_ARRAY);
			if (m.theta_weight > 0)
			{
				/* level, drift, alpha, points */
				push_key(&b, "theta");
				push_token(&b, WJB_BEGIN_ARRAY);
				push_number(&b, st->theta.level, 17);
				push_number(&b, st->theta.drift, 17);
				push_number(&b, st->theta.alpha, 17);
				push_number(&b, st->theta.n, 17);
				push_token(&b, WJB_END_ARRAY);
				/* format 7: its own weight */
				push_key(&b, "theta_weight");
				push_number_as(&b, st->theta_weight, 17, WJB_VALUE);
			}
			if (st->month_end)
				push_true(&b, "month_end");
			if (st->nonnegative)
				push_true(&b, "nonnegative");	/* the series' own floor at 0 (2026-12-06) */
			if (st->leading_zeros_dropped)
				push_true(&b, "leading_zeros_dropped");	/* 2026-12-07 */
			if (st->spikes_replaced > 0)
			{
				push_key(&b, "spikes_replaced");
				push_number_as(&b, st->spikes_replaced, 17, WJB_VALUE);
			}
			if (st->season_changed)
				push_true(&b, "season_changed");	/* 2026-12-08 */
			if (rnn_series_own_spread(st))
			{
				/* format 11: its own spread, which scale_std (shared) is not */
				push_key(&b, "spread");
				push_number_as(&b, st->spread, 17, WJB_VALUE);
			}
			push_token(&b, WJB_END_OBJECT);
		}
		push_token(&b, WJB_END_ARRAY);
	}
	PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&b.ps, WJB_END_OBJECT, NULL)));
}

/* ---- import ---- */

static void
bad_json(const char *fmt, const char *arg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid model JSON"),
			 errdetail(fmt, arg)));
}

/* Whether a JSON string (or key) v is the text s. */
static bool
string_is(const JsonbValue *v, const char *s)
{
	return v->val.string.len == (int) strlen(s) &&
		strncmp(v->val.string.val, s, v->val.string.len) == 0;
}

static bool
get_key(JsonbContainer *c, const char *key, JsonbValue *out)
{
	return getKeyJsonValueFromContainer(c, key, strlen(key), out) != NULL;
}

static double
numeric_value(const JsonbValue *v, const char *what)
{
	double		d;

	if (v->type != jbvNumeric)
		bad_json("%s must be a number.", what);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d))
		bad_json("%s must be finite.", what);
	return d;
}

static int
int_key(JsonbContainer *c, const char *key, int lo, int hi, bool required, int dflt)
{
	JsonbValue	v;
	double		d;

	if (!get_key(c, key, &v) || v.type == jbvNull)
	{
		if (required)
			bad_json("The key \"%s\" is missing.", key);
		return dflt;
	}
	if (v.type == jbvBool && lo == 0 && hi == 1)
		return v.val.boolean ? 1 : 0;
	if (v.type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON"),
				 lo == 0 && hi == 1 ?
				 errdetail("\"%s\" must be true or false (a JSON boolean, not a string).", key) :
				 errdetail("\"%s\" must be an integer between %d and %d (a JSON number, not a string).", key, lo, hi)));
	d = numeric_value(&v, key);
	if (d != floor(d) || d < lo || d > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON"),
				 errdetail("\"%s\" must be an integer between %d and %d.", key, lo, hi)));
	return (int) d;
}

static double
float_key(JsonbContainer *c, const char *key, double dflt)
{
	JsonbValue	v;

	if (!get_key(c, key, &v) || v.type == jbvNull)
		return dflt;
	return numeric_value(&v, key);
}

/*
 * A JSON number that is an integer of bigint's range, read exactly (its
 * text, not through a double, which keeps 2^53 exactly and a bigint step
 * number or a timestamp after 2255 not): false for another number.
 */
static bool
json_int64(const JsonbValue *v, int64 *out)
{
	char	   *text,
			   *end;
	long long	x;

	if (v->type != jbvNumeric)
		return false;
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	/* a fraction of zeros is the integer (1.0); an exponent never comes out of numeric_out */
	if ((end = strchr(text, '.')) != NULL && end[strspn(end + 1, "0") + 1] == '\0')
		*end = '\0';
	errno = 0;
	x = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return false;
	*out = (int64) x;
	return true;
}

/* An integer key within [lo, hi], exactly (json_int64). */
static int64
int64_key(JsonbContainer *c, const char *key, int64 lo, int64 hi, int64 dflt)
{
	JsonbValue	v;
	int64		x;

	if (!get_key(c, key, &v) || v.type == jbvNull)
		return dflt;
	(void) numeric_value(&v, key);	/* a number, finite */
	if (!json_int64(&v, &x) || x < lo || x > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON"),
				 errdetail("\"%s\" must be an integer between " INT64_FORMAT " and " INT64_FORMAT ".",
						   key, lo, hi)));
	return x;
}

static JsonbContainer *
container_key(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	if (!get_key(c, key, &v) || v.type == jbvNull)
		return NULL;
	if (v.type != jbvBinary)
		bad_json("\"%s\" must be an object or an array.", key);
	return v.val.binary.data;
}

/* key's object in c, NULL when absent or null; anything else is refused */
static JsonbContainer *
object_key(JsonbContainer *c, const char *key)
{
	JsonbContainer *sub = container_key(c, key);

	if (sub != NULL && !JsonContainerIsObject(sub))
		bad_json("\"%s\" must be an object.", key);
	return sub;
}

/*
 * Read a nested array of numbers with exactly `rows` (x `cols`, when cols
 * > 0) elements into out; depth and every length are checked.
 */
static void
read_tensor(JsonbContainer *c, const char *name, int rows, int cols, double *out)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;
	int			want_depth = cols > 0 ? 2 : 1;
	size_t		n = 0;
	int			row_len = 0;
	int			nrows = 0;

	if (!JsonContainerIsArray(c))
		bad_json("Tensor \"%s\" must be an array.", name);
	/* here and every 65536 values: an ensemble can have thousands of small tensors */
	CHECK_FOR_INTERRUPTS();
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
				if (++depth > want_depth)
					bad_json("Tensor \"%s\" has too many dimensions.", name);
				if (depth == 2)
					row_len = 0;
				break;
			case WJB_END_ARRAY:
				if (depth == 2)
				{
					if (row_len != cols)
						bad_json("A row of tensor \"%s\" has the wrong length.", name);
					nrows++;
				}
				depth--;
				break;
			case WJB_ELEM:
				if (depth != want_depth)
					bad_json("Tensor \"%s\" has the wrong shape.", name);
				if (n >= (size_t) rows * (cols > 0 ? cols : 1))
					bad_json("Tensor \"%s\" has too many values.", name);
				if ((n & 0xFFFF) == 0xFFFF)
					CHECK_FOR_INTERRUPTS();
				out[n++] = numeric_value(&v, name);
				row_len++;
				break;
			default:
				bad_json("Tensor \"%s\" must hold only nested arrays of numbers.", name);
		}
	}
	if (n != (size_t) rows * (cols > 0 ? cols : 1) || (cols > 0 && nrows != rows))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON"),
				 errdetail("Tensor \"%s\" must have shape [%d%s%s].", name, rows,
						   cols > 0 ? ", " : "", cols > 0 ? psprintf("%d", cols) : "")));
}

static void
read_state_dict(JsonbContainer *sd, const RnnModel *m, rnn_real *params)
{
	RnnTensorInfo tensors[RNN_MAX_TENSORS];
	int			nt = rnn_tensor_table(&m->shape, tensors);
	int			nkeys = 0;

	if (!JsonContainerIsObject(sd))
		bad_json("\"%s\" must be an object.", "state_dict");
	for (int i = 0; i < nt; i++)
	{
		JsonbValue	v;
		size_t		count = (size_t) tensors[i].rows * (tensors[i].cols > 0 ? tensors[i].cols : 1);
		double	   *vals;

		if (!get_key(sd, tensors[i].name, &v))
			bad_json("state_dict lacks \"%s\".", tensors[i].name);
		if (v.type != jbvBinary)
			bad_json("Tensor \"%s\" must be an array.", tensors[i].name);
		vals = palloc_extended(sizeof(double) * count, MCXT_ALLOC_HUGE);
		read_tensor(v.val.binary.data, tensors[i].name, tensors[i].rows, tensors[i].cols, vals);
		for (size_t k = 0; k < count; k++)
		{
			/*
			 * float32's range: FLT_MAX as tensor.tolist() prints it, or to 9
			 * digits, rounds to FLT_MAX; from halfway to the next power of
			 * two (2^128 - 2^103) it would round to infinity (3.4e38 was
			 * the bound, refusing FLT_MAX itself)
			 */
			if (!(fabs(vals[k]) < 0x1.ffffffp+127))
				bad_json("Tensor \"%s\" holds a value beyond float32 range.", tensors[i].name);
			params[tensors[i].offset + k] = (rnn_real) vals[k];
		}
		pfree(vals);
	}
	/* keys that do not belong to this architecture are a sign of a mismatch: named */
	{
		JsonbIterator *it = JsonbIteratorInit(sd);
		JsonbValue	v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_KEY)
			{
				bool		known = false;

				for (int i = 0; i < nt && !known; i++)
					known = string_is(&v, tensors[i].name);
				if (!known)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid model JSON"),
							 errdetail("state_dict has the tensor \"%s\", which the architecture given by its keys has not.",
									   pnstrdup(v.val.string.val, v.val.string.len))));
				nkeys++;
			}
	}
	if (nkeys != nt)
		bad_json("state_dict has %s tensors than the architecture given by its keys.",
				 nkeys > nt ? "more" : "fewer");
}

static int
series_name_cmp(const void *a, const void *b)
{
	const RnnSeriesState *x = a;
	const RnnSeriesState *y = b;
	int			c = memcmp(x->name, y->name, Min(x->name_len, y->name_len));

	if (c != 0)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* An array of numbers into a new double array; *n its length (at most max). */
static double *
read_numbers(JsonbContainer *c, const char *name, int max, int *n)
{
	double	   *vals;

	if (!JsonContainerIsArray(c) || JsonContainerSize(c) > (uint32) max)
		bad_json("\"%s\" must be an array of at most the limit of values.", name);
	*n = (int) JsonContainerSize(c);
	vals = palloc(sizeof(double) * (*n ? *n : 1));
	if (*n)
		read_tensor(c, name, *n, 0, vals);
	return vals;
}

/* "pipeline" (log, seasonal indices, interval scale) and a global model's "series_state" */
static void
read_pipeline(JsonbContainer *c, RnnModel *m)
{
	JsonbContainer *sub,
			   *idx;
	JsonbValue	v;

	if ((sub = container_key(c, "pipeline")) != NULL)
	{
		if (!JsonContainerIsObject(sub))
			bad_json("%s", "\"pipeline\" must be an object.");
		m->log_transform = int_key(sub, "log", 0, 1, false, 0);
		m->nonnegative = int_key(sub, "nonnegative", 0, 1, false, 0);
		m->leading_zeros_dropped = int_key(sub, "leading_zeros_dropped", 0, 1, false, 0);
		m->despike = int_key(sub, "despike", 0, 1, false, 0);
		m->spikes_replaced = int_key(sub, "spikes_replaced", 0, RNN_MAX_SPIKES, false, 0);
		m->season_changed = int_key(sub, "season_changed", 0, 1, false, 0);
		if (get_key(sub, "intervals", &v) && v.type == jbvString)
			m->cal_scaled = string_is(&v, "scaled");
		if ((idx = container_key(sub, "seasonal_indices")) != NULL)
		{
			m->seasonal = read_numbers(idx, "seasonal_indices", RNN_MAX_SEASON_INDICES,
									   &m->n_seasonal);
			m->phase_last = int_key(sub, "phase_last", 0, RNN_MAX_SEASON_INDICES, false, 0);
		}
	}
	if ((sub = container_key(c, "series_state")) != NULL)
	{
		JsonbIterator *it;
		JsonbIteratorToken tok;
		int			i = 0;

		if (!JsonContainerIsArray(sub) || JsonContainerSize(sub) > RNN_MAX_SERIES)
			bad_json("%s", "\"series_state\" must be an array of at most the series limit.");
		m->n_series = (int32) JsonContainerSize(sub);
		m->series = palloc0(sizeof(RnnSeriesState) * (m->n_series ? m->n_series : 1));
		if ((idx = container_key(c, "series")) != NULL && JsonContainerIsObject(idx))
			m->n_short = int_key(idx, "short", 0, RNN_MAX_SERIES, false, 0);
		it = JsonbIteratorInit(sub);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			RnnSeriesState *st;
			JsonbContainer *rec;
			JsonbValue	name,
						wv;
			double	   *num;
			int			count;

			if (tok != WJB_ELEM)
				continue;
			CHECK_FOR_INTERRUPTS();
			if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
				bad_json("%s", "\"series_state\" must hold objects.");
			rec = v.val.binary.data;
			st = &m->series[i++];
			if (!get_key(rec, "name", &name) || name.type != jbvString ||
				name.val.string.len < 1 || name.val.string.len > RNN_MAX_SERIES_NAME)
				bad_json("%s", "A series_state entry needs a \"name\" of 1 to 1024 bytes.");
			st->name = pnstrdup(name.val.string.val, name.val.string.len);
			st->name_len = name.val.string.len;
			if ((idx = container_key(rec, "numbers")) == NULL)
				bad_json("%s", "A series_state entry needs \"numbers\".");
			num = read_numbers(idx, "numbers", 7, &count);
			/* the first two integers exactly (json_int64) */
			if (count != 7 ||
				!json_int64(getIthJsonbValueFromContainer(idx, 0), &st->last_ts) ||
				!json_int64(getIthJsonbValueFromContainer(idx, 1), &st->rows) || st->rows < 0 ||
				num[5] < 0 || num[5] > RNN_MAX_SEASON_INDICES || (num[6] != 0 && num[6] != 1))
				bad_json("%s", "\"numbers\" must be [last_value, rows, scale_mean, scale_std, naive_scale, phase_last, log].");
			st->scale_mean = num[2];
			st->scale_std = num[3];
			st->naive_scale = num[4];
			st->phase_last = (int32) num[5];
			st->log_transform = (int32) num[6];
			st->month_end = int_key(rec, "month_end", 0, 1, false, 0);
			/* the model's flag covers every series (a document written before the series' own) */
			st->nonnegative = int_key(rec, "nonnegative", 0, 1, false, 0) | m->nonnegative;
			st->leading_zeros_dropped = int_key(rec, "leading_zeros_dropped", 0, 1, false, 0);
			st->spikes_replaced = int_key(rec, "spikes_replaced", 0, RNN_MAX_SPIKES, false, 0);
			st->season_changed = int_key(rec, "season_changed", 0, 1, false, 0);
			if ((idx = container_key(rec, "seasonal_indices")) == NULL)
				bad_json("%s", "A series_state entry needs \"seasonal_indices\".");
			st->seasonal = read_numbers(idx, "seasonal_indices", RNN_MAX_SEASON_INDICES,
										&st->n_seasonal);
			if ((idx = container_key(rec, "history")) == NULL)
				bad_json("%s", "A series_state entry needs \"history\".");
			st->history = read_numbers(idx, "history", RNN_MAX_WINDOW * (1 + m->n_features),
									   &st->n_history);
			/* rows of a value and its features */
			if (st->n_history % (1 + m->n_features) != 0)
				bad_json("%s", "A series_state \"history\" must hold rows of 1 + the features' count values.");
			st->n_history /= 1 + m->n_features;
			if ((idx = container_key(rec, "theta")) != NULL)
			{
				num = read_numbers(idx, "theta", 4, &count);
				if (count != 4 || !(num[3] >= 0 && num[3] <= RNN_THETA_MAX_POINTS))
					bad_json("%s", "A series_state \"theta\" must be [level, drift, alpha, points].");
				st->theta.level = num[0];
				st->theta.drift = num[1];
				st->theta.alpha = num[2];
				st->theta.n = (int32) num[3];
			}
			/* its own weight (format 7); absent or null: the model's (rnn_model_from_json) */
			st->theta_weight = -1;	/* not given */
			if (get_key(rec, "theta_weight", &wv) && wv.type != jbvNull)
			{
				st->theta_weight = numeric_value(&wv, "theta_weight");
				if (!(st->theta_weight >= 0 && st->theta_weight <= 1))
					bad_json("%s", "A series_state \"theta_weight\" must be between 0 and 1.");
			}
			/* its own spread (format 11); absent: its scale */
			st->spread = float_key(rec, "spread", 0);
		}
		/* the model keeps its series in name order */
		qsort(m->series, m->n_series, sizeof(RnnSeriesState), series_name_cmp);
	}
}

/*
 * "combination" (format 6): {"method": "theta", "weight": w, and for one
 * series "level", "drift", "alpha", "points"}
 */
static void
read_combination(JsonbContainer *c, RnnModel *m)
{
	JsonbContainer *sub;
	JsonbValue	v;

	if ((sub = container_key(c, "combination")) == NULL)
		return;
	if (!JsonContainerIsObject(sub))
		bad_json("%s", "\"combination\" must be an object.");
	if (!get_key(sub, "method", &v) || v.type != jbvString || !string_is(&v, "theta"))
		bad_json("%s", "\"combination\".\"method\" must be \"theta\".");
	/* rnn_model_validate checks the ranges */
	m->theta_weight = float_key(sub, "weight", 0);
	if (m->n_series == 0)
	{
		m->theta.level = float_key(sub, "level", 0);
		m->theta.drift = float_key(sub, "drift", 0);
		m->theta.alpha = float_key(sub, "alpha", 0);
		m->theta.n = int_key(sub, "points", 0, RNN_THETA_MAX_POINTS, false, 0);
	}
}

/*
 * "training"."loss_per_epoch" and "validation_loss_per_epoch" (null, or
 * "validation_loss" null, when nothing was held out: -1 per epoch, as
 * training stores it), so that a model's curve survives a round trip; both
 * at most RNN_MODEL_MAX_LOSSES and of one length.  rnn_model_validate
 * checks that they are finite.
 */
static void
read_losses(JsonbContainer *c, RnnModel *m)
{
	JsonbContainer *lt,
			   *lv;
	double	   *t,
			   *v = NULL;
	int			n,
				nv = 0;

	if ((lt = container_key(c, "loss_per_epoch")) == NULL)
		return;
	t = read_numbers(lt, "loss_per_epoch", RNN_MODEL_MAX_LOSSES, &n);
	/* without a validation loss nothing was held out: the per-epoch ones are not shown either */
	if (m->val_loss >= 0 && (lv = container_key(c, "validation_loss_per_epoch")) != NULL)
	{
		v = read_numbers(lv, "validation_loss_per_epoch", RNN_MODEL_MAX_LOSSES, &nv);
		if (nv != n)
			bad_json("%s", "\"validation_loss_per_epoch\" must be as long as \"loss_per_epoch\", or null.");
	}
	m->n_loss = n;
	m->loss_train = palloc(sizeof(float) * (n ? n : 1));
	m->loss_val = palloc(sizeof(float) * (n ? n : 1));
	for (int i = 0; i < n; i++)
	{
		m->loss_train[i] = (float) t[i];
		m->loss_val[i] = v ? (float) v[i] : -1.0f;
	}
}

/*
 * "training"."trained_with" (format 10): a string of printable ASCII of at
 * most RNN_MAX_TRAINED_WITH bytes, or null.  It says what trained the model
 * and comes back with it, so a round trip keeps the bytes.
 */
static void
read_trained_with(JsonbContainer *c, RnnModel *m)
{
	JsonbValue	v;

	if (!get_key(c, "trained_with", &v) || v.type == jbvNull)
		return;
	if (v.type != jbvString || v.val.string.len > RNN_MAX_TRAINED_WITH)
		bad_json("%s", psprintf("\"training\".\"trained_with\" must be a string of at most %d bytes.",
								RNN_MAX_TRAINED_WITH));
	if (!rnn_model_text_ok(v.val.string.val, v.val.string.len))
		bad_json("%s", "\"training\".\"trained_with\" must be printable ASCII.");
	memcpy(m->trained_with, v.val.string.val, v.val.string.len);
	m->trained_with[v.val.string.len] = '\0';
}

/*
 * "theta_validation" (format 9): {"series": n, "network_error": e,
 * "theta_error": e, "combined_error": e}; rnn_model_validate checks the
 * ranges
 */
static void
read_theta_validation(JsonbContainer *c, RnnModel *m)
{
	static const char *const keys[4] = {"series", "network_error", "theta_error", "combined_error"};
	JsonbContainer *sub;
	double		x[4];

	if ((sub = container_key(c, "theta_validation")) == NULL)
		return;
	if (!JsonContainerIsObject(sub))
		bad_json("%s", "\"theta_validation\" must be an object.");
	for (int i = 0; i < 4; i++)
	{
		JsonbValue	v;

		if (!get_key(sub, keys[i], &v) || v.type == jbvNull)
			bad_json("\"theta_validation\" needs \"%s\".", keys[i]);
		x[i] = numeric_value(&v, keys[i]);
	}
	if (x[0] != floor(x[0]) || x[0] < 1 || x[0] > Max(m->n_series, 1))
		bad_json("%s", psprintf("\"theta_validation\".\"series\" must be an integer between 1 and %d (the series in the model).",
								Max(m->n_series, 1)));
	m->theta_validation.series = (int32) x[0];
	m->theta_validation.network = x[1];
	m->theta_validation.theta = x[2];
	m->theta_validation.combined = x[3];
}

/*
 * "features" (format 5): {"count": K, "calendar": ["day" | "week" | "month"
 * | "year", ...], "mean": [K], "std": [K]}; count must be input_size - 1.
 */
static void
read_features(JsonbContainer *c, RnnModel *m)
{
	static const char *const cycles[4] = {"day", "week", "month", "year"};
	JsonbContainer *sub,
			   *arr;
	int			n;

	if ((sub = container_key(c, "features")) == NULL)
		return;
	if (!JsonContainerIsObject(sub))
		bad_json("%s", "\"features\" must be an object.");
	m->n_features = int_key(sub, "count", 1, RNN_MAX_INPUT_SIZE - 1, true, 0);
	if (m->n_features != m->shape.input_size - 1)
		bad_json("%s", "\"features\".\"count\" must be input_size - 1.");
	if ((arr = container_key(sub, "calendar")) != NULL)
	{
		JsonbIterator *it;
		JsonbIteratorToken tok;
		JsonbValue	v;

		if (!JsonContainerIsArray(arr) || JsonContainerSize(arr) > 4)
			bad_json("%s", "\"features\".\"calendar\" must be an array of day, week, month, year.");
		it = JsonbIteratorInit(arr);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			int			bit = 0;

			if (tok != WJB_ELEM)
				continue;
			for (int i = 0; i < 4 && v.type == jbvString; i++)
				if (string_is(&v, cycles[i]))
					bit = 1 << i;
			if (bit == 0)
				bad_json("%s", "\"features\".\"calendar\" must be an array of day, week, month, year.");
			m->calendar |= bit;
		}
	}
	if ((arr = container_key(sub, "mean")) == NULL)
		bad_json("%s", "\"features\" needs \"mean\" and \"std\".");
	m->feature_mean = read_numbers(arr, "mean", RNN_MAX_INPUT_SIZE, &n);
	if (n != m->n_features)
		bad_json("%s", "\"features\".\"mean\" must have count values.");
	if ((arr = container_key(sub, "std")) == NULL)
		bad_json("%s", "\"features\" needs \"mean\" and \"std\".");
	m->feature_std = read_numbers(arr, "std", RNN_MAX_INPUT_SIZE, &n);
	if (n != m->n_features)
		bad_json("%s", "\"features\".\"std\" must have count values.");
}

/*
 * The keys of a model document and of its objects: what rnn_model_from_json
 * reads and what rnn_model_to_json writes besides (format_version and the
 * like, informative).  Another key is most likely a typo, which would leave
 * its part at its default.  state_dict names are PyTorch's (their own
 * checks), config is checked as a configuration.
 */
typedef struct JsonKeys
{
	const char *object;			/* NULL: the document */
	const char *keys;			/* space-separated */
} JsonKeys;

static const JsonKeys model_keys[] = {
	{NULL, "cell input_size hidden_size num_layers bidirectional output_size strategy window "
	 "season members naive_scale state_dict ensemble_state_dicts scaling time history training "
	 "calibration config pipeline series_state series combination theta_validation features "
	 "format_version"},
	{"scaling", "method mean std"},
	{"time", "kind step step_unit step_value last last_value month_end time_zone calendar"},
	{"pipeline", "log intervals nonnegative despike leading_zeros_dropped spikes_replaced seasonal_indices phase_last season_changed series_logged series_deseasonalized series_nonnegative series_leading_zeros_dropped series_spikes_replaced series_season_changed"},
	{"series_state", "name numbers history seasonal_indices theta theta_weight spread month_end nonnegative leading_zeros_dropped spikes_replaced season_changed"},
	{"series", "count short"},
	{"combination", "method weight alpha level drift points series_own_weight series_weight_min "
	 "series_weight_max series_weight_mean"},
	{"theta_validation", "series network_error theta_error combined_error"},
	{"features", "count user calendar mean std"},
	{"training", "rows epochs_run best_epoch train_loss validation_loss seed training_seconds "
	 "trained_with loss_per_epoch validation_loss_per_epoch"},
};

/* whether key (len bytes) is one of the space-separated words of list */
static bool
key_listed(const char *key, int len, const char *list)
{
	for (const char *w = list; *w;)
	{
		size_t		n = strcspn(w, " ");

		if (n == (size_t) len && memcmp(w, key, n) == 0)
			return true;
		w += n;
		w += *w == ' ';
	}
	return false;
}

/*
 * A WARNING for each key of object c (at `object` of the document, NULL:
 * the document itself) that the model has no use for; returns how many.
 */
static int
warn_unknown_keys(JsonbContainer *c, const char *object)
{
	const char *list = NULL;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;
	int			unknown = 0;

	for (size_t i = 0; i < lengthof(model_keys) && list == NULL; i++)
		if (object ? model_keys[i].object && strcmp(model_keys[i].object, object) == 0 :
			model_keys[i].object == NULL)
			list = model_keys[i].keys;
	if (list == NULL || !JsonContainerIsObject(c))
		return 0;
	it = JsonbIteratorInit(c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY || key_listed(v.val.string.val, v.val.string.len, list))
			continue;
		unknown++;
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_model_from_json: ignored the unknown key \"%s%s%s\"",
						object ? object : "", object ? "." : "",
						pnstrdup(v.val.string.val, v.val.string.len)),
				 object ?
				 errhint("The keys of \"%s\" are: %s.", object, list) :
				 errhint("A model's keys are those rnn_model_to_json writes: cell, input_size, hidden_size, num_layers, bidirectional, output_size, window, season, state_dict, scaling, time, history and the others it lists.")));
	}
	return unknown;
}

/* warn_unknown_keys for the document and each of its objects that has a list */
static void
warn_unknown_model_keys(JsonbContainer *c)
{
	warn_unknown_keys(c, NULL);
	for (size_t i = 1; i < lengthof(model_keys); i++)
	{
		JsonbValue	v;
		JsonbContainer *sub;

		/* (a scalar is its reader's error, or ignored where no reader takes it) */
		if (!get_key(c, model_keys[i].object, &v) || v.type != jbvBinary)
			continue;
		sub = v.val.binary.data;
		if (JsonContainerIsArray(sub))
		{
			/* (series_state) the first entry with an unknown key: one WARNING per key, not per series */
			JsonbIterator *it = JsonbIteratorInit(sub);
			JsonbIteratorToken tok;
			JsonbValue	v;

			while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
				if (tok == WJB_ELEM && v.type == jbvBinary &&
					warn_unknown_keys(v.val.binary.data, model_keys[i].object) > 0)
					break;
		}
		else
			warn_unknown_keys(sub, model_keys[i].object);
	}
}

/* A JSON string that names a time zone known to the server, as a C string; NULL for another value. */
static char *
known_zone(const JsonbValue *v)
{
	char	   *name;

	if (v->type != jbvString)
		return NULL;
	name = pnstrdup(v->val.string.val, v->val.string.len);
	return strlen(name) <= RNN_MAX_ZONE_NAME && pg_tzset(name) != NULL ? name : NULL;
}

/*
 * The document's "config": rnn_model_info shows it as the configuration
 * the model was trained with, so it must be one that rnn_config takes, of
 * this network (cell, hidden_size, num_layers, bidirectional).
 */
static void
read_config(JsonbContainer *c, const RnnModel *m)
{
	JsonbValue	v;
	RnnConfig	cfg;
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *jb;
	JsonbValue	zone;

	get_key(c, "config", &v);
	jb = JsonbValueToJsonb(&v);
	/*
	 * the zone a training recorded may be the session's, which the server
	 * takes though rnn_config does not (a POSIX spec such as UTC+3): checked
	 * as the time axis's zone is
	 */
	if (getKeyJsonValueFromContainer(&jb->root, "time_zone", 9, &zone) != NULL &&
		zone.type != jbvNull)
	{
		if (known_zone(&zone) == NULL)
			bad_json("%s", "\"config\".\"time_zone\" must be null or a time zone name known to the server.");
		jb = DatumGetJsonbP(DirectFunctionCall2(jsonb_delete, JsonbPGetDatum(jb),
												CStringGetTextDatum("time_zone")));
	}
	/* its own errors become this document's (it only allocates: no resources to release) */
	PG_TRY();
	{
		rnn_config_from_jsonb(&cfg, jb);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(e->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FlushErrorState();
		bad_json("\"config\" is not a configuration rnn_config takes: %s.", e->message);
	}
	PG_END_TRY();
	if (cfg.cell != m->shape.cell || cfg.hidden_size != m->shape.hidden_size ||
		cfg.num_layers != m->shape.num_layers || cfg.bidirectional != (m->shape.bidirectional != 0))
		bad_json("%s", "\"config\" names another network than the model's (its cell, hidden_size, num_layers or bidirectional).");
}

/* rnn_model_from_json(jsonb) RETURNS bytea */
Datum
rnn_model_from_json(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	JsonbContainer *c = &jb->root;
	JsonbContainer *sd,
			   *sub;
	RnnModel	m;
	JsonbValue	v;
	const char *why;

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		bad_json("%s", "The model must be a JSON object.");
	warn_unknown_model_keys(c);
	memset(&m, 0, sizeof(m));
	if (!get_key(c, "cell", &v) || v.type != jbvString)
		bad_json("%s", "\"cell\" must be one of rnn_tanh, rnn_relu, lstm, gru.");
	m.shape.cell = rnn_cell_from_name(pnstrdup(v.val.string.val, v.val.string.len));
	if (m.shape.cell == 0)
		bad_json("%s", "\"cell\" must be one of rnn_tanh, rnn_relu, lstm, gru.");
	m.shape.input_size = int_key(c, "input_size", 1, RNN_MAX_INPUT_SIZE, true, 0);
	m.shape.hidden_size = int_key(c, "hidden_size", 1, RNN_MAX_HIDDEN_SIZE, true, 0);
	m.shape.num_layers = int_key(c, "num_layers", 1, RNN_MAX_LAYERS, true, 0);
	m.shape.bidirectional = int_key(c, "bidirectional", 0, 1, true, 0);
	m.shape.output_size = int_key(c, "output_size", 1, RNN_MAX_OUTPUT_SIZE, true, 0);
	if (get_key(c, "strategy", &v) && v.type != jbvNull)
	{
		char	   *strategy = v.type == jbvString ? pnstrdup(v.val.string.val, v.val.string.len) : "";

		/* (a typo would change the forecasts: refused, not read as auto) */
		m.strategy = strcmp(strategy, "recursive") == 0 ? RNN_STRATEGY_RECURSIVE :
			strcmp(strategy, "direct") == 0 ? RNN_STRATEGY_DIRECT :
			strcmp(strategy, "seq2seq") == 0 ? RNN_STRATEGY_SEQ2SEQ :
			strcmp(strategy, "mixed") == 0 ? RNN_STRATEGY_MIXED :
			strcmp(strategy, "auto") == 0 ? RNN_STRATEGY_AUTO : -1;
		if (m.strategy < 0)
			bad_json("%s", "\"strategy\" must be one of auto, recursive, direct, seq2seq, mixed.");
		m.shape.seq2seq = m.strategy == RNN_STRATEGY_SEQ2SEQ;
		if (m.shape.seq2seq && (m.shape.bidirectional || m.shape.input_size != 1))
			bad_json("%s", "A seq2seq model must be unidirectional with input_size 1.");
	}
	if (rnn_shape_check(&m.shape) != RNN_OK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model has %zu parameters, more than the limit of %d",
						rnn_param_count(&m.shape), RNN_MAX_PARAMS)));
	m.window = int_key(c, "window", 0, RNN_MAX_WINDOW, false, 0);
	m.season = int_key(c, "season", 1, RNN_MAX_WINDOW, false, 1);
	/* members: given, or one more than the ensemble's other state dicts */
	sub = container_key(c, "ensemble_state_dicts");
	if (sub != NULL && !JsonContainerIsArray(sub))
		bad_json("%s", "\"ensemble_state_dicts\" must be an array of state dicts.");
	m.members = int_key(c, "members", 1, RNN_MAX_ENSEMBLE, false,
						sub != NULL ? Min((int) JsonContainerSize(sub), RNN_MAX_ENSEMBLE - 1) + 1 : 1);
	m.naive_scale = float_key(c, "naive_scale", 0);
	m.n_params = rnn_param_count(&m.shape);
	if (m.n_params * m.members > (size_t) rnn_max_parameters)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model has %zu parameters, more than rnn_forecast.max_parameters (%d)",
						m.n_params * m.members, rnn_max_parameters),
				 errhint("Ask a superuser to raise rnn_forecast.max_parameters.")));
	m.params = palloc_extended(sizeof(rnn_real) * m.n_params * m.members, MCXT_ALLOC_HUGE);

	sd = container_key(c, "state_dict");
	if (sd == NULL)
		bad_json("%s", "The key \"state_dict\" is missing.");
	read_state_dict(sd, &m, m.params);
	sub = container_key(c, "ensemble_state_dicts");
	if (m.members == 1 && sub != NULL && JsonContainerSize(sub) > 0)
		bad_json("%s", "\"ensemble_state_dicts\" must list members - 1 state dicts.");
	if (m.members > 1)
	{
		JsonbIterator *it;
		JsonbIteratorToken tok;
		int			k = 1;

		if (sub == NULL || !JsonContainerIsArray(sub) || JsonContainerSize(sub) != (uint32) (m.members - 1))
			bad_json("%s", "\"ensemble_state_dicts\" must list members - 1 state dicts.");
		it = JsonbIteratorInit(sub);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_ELEM)
			{
				if (v.type != jbvBinary)
					bad_json("%s", "\"ensemble_state_dicts\" must hold objects.");
				read_state_dict(v.val.binary.data, &m, m.params + (size_t) k++ * m.n_params);
			}
	}

	/* scaling: absent means none */
	m.scaling = RNN_SCALE_NONE;
	m.scale_mean = 0;
	m.scale_std = 1;
	if ((sub = container_key(c, "scaling")) != NULL)
	{
		if (!JsonContainerIsObject(sub))
			bad_json("%s", "\"scaling\" must be an object.");
		if (get_key(sub, "method", &v) && v.type == jbvString)
		{
			char	   *method = pnstrdup(v.val.string.val, v.val.string.len);

			if (strcmp(method, "zscore") == 0)
				m.scaling = RNN_SCALE_ZSCORE;
			else if (strcmp(method, "window") == 0)
				m.scaling = RNN_SCALE_WINDOW;
			else if (strcmp(method, "seasonal") == 0)
				m.scaling = RNN_SCALE_SEASONAL;
			else if (strcmp(method, "level") == 0)
				m.scaling = RNN_SCALE_LEVEL;
			else if (strcmp(method, "difference") == 0)
				m.scaling = RNN_SCALE_DIFF;
			else if (strcmp(method, "none") != 0)
				bad_json("%s", "\"scaling\".\"method\" must be none, zscore, window, level, difference or seasonal.");
			m.scale_mean = float_key(sub, "mean", 0);
			m.scale_std = float_key(sub, "std", 1);
		}
	}

	/* time axis */
	m.ts_kind = RNN_TS_NONE;
	m.step_kind = RNN_STEP_UNITS;
	m.step = 1;
	if ((sub = object_key(c, "time")) != NULL &&
		get_key(sub, "kind", &v) && v.type == jbvString)
	{
		char	   *kind = pnstrdup(v.val.string.val, v.val.string.len);

		if (strcmp(kind, "none") != 0)
		{
			m.ts_kind = strcmp(kind, "bigint") == 0 ? RNN_TS_BIGINT :
				strcmp(kind, "timestamptz") == 0 ? RNN_TS_TIMESTAMPTZ :
				strcmp(kind, "timestamp") == 0 ? RNN_TS_TIMESTAMP :
				strcmp(kind, "date") == 0 ? RNN_TS_DATE : -1;
			if (m.ts_kind < 0)
				bad_json("%s", "\"time\".\"kind\" must be none, bigint, timestamptz, timestamp or date.");
			/*
			 * the axis is read from its numbers (step_unit, step_value,
			 * last_value), which rnn_model_to_json writes beside the text
			 * of "step" and "last": without them the model would land on
			 * a default axis unnoticed
			 */
			if (!get_key(sub, "step_unit", &v) || v.type != jbvString ||
				!get_key(sub, "step_value", &v) || !get_key(sub, "last_value", &v))
				bad_json("%s", "\"time\" of a kind other than none needs \"step_unit\", \"step_value\" and \"last_value\", as rnn_model_to_json writes them (\"step\" and \"last\" are their text, for reading).");
			get_key(sub, "step_unit", &v);
			if (string_is(&v, "months") && m.ts_kind != RNN_TS_BIGINT)
				m.step_kind = RNN_STEP_MONTHS;
			else if (!string_is(&v, m.ts_kind == RNN_TS_DATE ? "days" :
								m.ts_kind == RNN_TS_BIGINT ? "units" : "microseconds"))
				/* the step's number is in that unit: another would be read as it */
				bad_json("%s", m.ts_kind == RNN_TS_DATE ?
						 "\"time\".\"step_unit\" of a date axis must be days or months." :
						 m.ts_kind == RNN_TS_BIGINT ?
						 "\"time\".\"step_unit\" of a bigint axis must be units." :
						 "\"time\".\"step_unit\" of a timestamp axis must be microseconds or months.");
			if (get_key(sub, "time_zone", &v) && v.type == jbvString)
			{
				char	   *zone = known_zone(&v);

				if (zone == NULL)
					bad_json("%s", "\"time\".\"time_zone\" must be a time zone name known to the server.");
				strlcpy(m.time_zone, zone, sizeof(m.time_zone));
			}
			if (get_key(sub, "calendar", &v) && v.type == jbvString && string_is(&v, "local_days"))
				m.step_kind = RNN_STEP_LOCAL_DAYS;
			m.step = int64_key(sub, "step_value", 1, PG_INT64_MAX, 1);
			m.last_ts = int64_key(sub, "last_value", PG_INT64_MIN, PG_INT64_MAX, 0);
			m.month_end = int_key(sub, "month_end", 0, 1, false, 0);
			if (m.month_end && m.step_kind != RNN_STEP_MONTHS)
				bad_json("%s", "\"time\".\"month_end\" is for a step in months.");
		}
		else
			m.last_ts = int64_key(sub, "last_value", PG_INT64_MIN, PG_INT64_MAX, 0);
	}

	/* history */
	if ((sub = container_key(c, "history")) != NULL)
	{
		int			count;

		if (!JsonContainerIsArray(sub))
			bad_json("%s", "\"history\" must be an array.");
		count = (int) JsonContainerSize(sub);
		if (count % m.shape.input_size != 0 || count / m.shape.input_size > RNN_MAX_WINDOW)
			bad_json("%s", "\"history\" must hold whole steps of input_size values, at most the window limit.");
		m.n_history = count / m.shape.input_size;
		m.history = palloc(sizeof(double) * (count ? count : 1));
		if (count)
			read_tensor(sub, "history", count, 0, m.history);
	}

	/* training metrics (none measured: null, stored as -1) */
	m.train_loss = -1;
	m.val_loss = -1;
	if ((sub = object_key(c, "training")) != NULL)
	{
		m.rows = int64_key(sub, "rows", 0, RNN_MAX_MODEL_ROWS, 0);
		m.epochs_run = int_key(sub, "epochs_run", 0, RNN_MAX_EPOCHS, false, 0);
		m.best_epoch = int_key(sub, "best_epoch", 0, RNN_MAX_EPOCHS, false, 0);
		m.train_loss = float_key(sub, "train_loss", -1);
		m.val_loss = float_key(sub, "validation_loss", -1);
		/*
		 * not measured is null (stored as -1): a negative loss would come
		 * back as null
		 */
		if (m.train_loss < 0 && get_key(sub, "train_loss", &v) && v.type != jbvNull)
			bad_json("%s", "\"train_loss\" must be null or at least 0.");
		if (m.val_loss < 0 && get_key(sub, "validation_loss", &v) && v.type != jbvNull)
			bad_json("%s", "\"validation_loss\" must be null or at least 0.");
		m.seed = (uint64) int64_key(sub, "seed", 0, PG_INT64_MAX, 0);
		m.train_seconds = float_key(sub, "training_seconds", 0);
		read_trained_with(sub, &m);
		read_losses(sub, &m);
	}

	/* calibration errors, per step */
	if ((sub = container_key(c, "calibration")) != NULL && JsonContainerIsArray(sub) &&
		JsonContainerSize(sub) > 0)
	{
		JsonbIterator *it = JsonbIteratorInit(sub);
		JsonbIteratorToken tok;
		int			h = 0;

		m.cal_steps = (int) JsonContainerSize(sub);
		if (m.cal_steps > RNN_MAX_CAL_STEPS)
			bad_json("%s", "\"calibration\" has too many steps.");
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			double	   *vals;

			if (tok != WJB_ELEM)
				continue;
			if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
				bad_json("%s", "\"calibration\" must be an array of arrays.");
			if (h == 0)
			{
				m.cal_n = (int) JsonContainerSize(v.val.binary.data);
				if (m.cal_n > RNN_MAX_CAL_SAMPLES)
					bad_json("%s", "\"calibration\" has too many samples per step.");
				m.cal_err = palloc(sizeof(float) * ((size_t) m.cal_steps * m.cal_n + 1));
			}
			vals = palloc(sizeof(double) * (m.cal_n + 1));
			if (m.cal_n > 0)
				read_tensor(v.val.binary.data, "calibration", m.cal_n, 0, vals);
			for (int k = 0; k < m.cal_n; k++)
				m.cal_err[(size_t) h * m.cal_n + k] = (float) vals[k];
			h++;
		}
		if (m.cal_n == 0)
			m.cal_steps = 0;
	}
	read_features(c, &m);
	read_pipeline(c, &m);
	read_combination(c, &m);
	read_theta_validation(c, &m);
	for (int32 i = 0; i < m.n_series; i++)
		if (m.series[i].theta_weight < 0)
			m.series[i].theta_weight = m.theta_weight;	/* not given: the model's */
	if ((sub = object_key(c, "config")) != NULL)
	{
		/* the configuration a model trained in SQL recorded comes back with it */
		read_config(c, &m);
		rnn_model_set_config(&m, JsonbToCString(NULL, sub, 0));
	}
	if (m.n_series > 0 && (m.log_transform || m.n_seasonal > 0))
	{
		/*
		 * each series has its own (series_state); the model's would be
		 * stored but neither used nor exported, so a round trip would
		 * change the model.  Refused here, not when a stored model is read:
		 * 0.3.0 to 0.7.0 imported such documents, and their models still
		 * read and forecast as before.
		 */
		bad_json("%s", "A global model keeps its log flag and seasonal indices in \"series_state\", not in \"pipeline\".");
	}
	/*
	 * month ends that the last rows are not on would put the forecasts off
	 * the rows' own grid (the rest of the model valid first: its axis)
	 */
	if ((m.month_end || m.n_series > 0) && m.step_kind == RNN_STEP_MONTHS &&
		rnn_model_validate(&m, &why) == RNN_OK && !rnn_axis_month_ends_hold(&m))
		bad_json("%s", "\"month_end\" is true, but the last row (\"last_value\") is not on the last day of its month.");
	/*
	 * the series shorter than a window and its outputs, as training counts
	 * them: from the records, not the document's "series" (as its count is)
	 */
	if (m.n_series > 0)
	{
		m.n_short = 0;
		for (int32 k = 0; k < m.n_series; k++)
			m.n_short += m.series[k].rows < (int64) m.window + m.shape.output_size;
	}
	/* what the keys' own checks let through but the model's invariants do not: the same error */
	PG_RETURN_BYTEA_P(rnn_model_write_checked(&m, ERRCODE_INVALID_PARAMETER_VALUE, "invalid model JSON"));
}
