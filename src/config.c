/*
 * config.c
 *	  The training configuration: defaults, validation of a jsonb value
 *	  (from rnn_config() or written by hand) and the normalised form.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "rnn_optim.h"
#include "rnn_pg.h"
#include "rnn_train.h"

PG_FUNCTION_INFO_V1(rnn_config_check);

typedef enum KeyKind
{
	K_INT,
	K_FLOAT,
	K_BOOL,
	K_TEXT
} KeyKind;

/* One configuration key: its type and the inclusive range of valid values. */
typedef struct ConfigKey
{
	const char *name;
	KeyKind		kind;
	double		min;
	double		max;
	bool		nullable;		/* null means "choose automatically" */
	const char *choices;		/* for text keys, as shown in messages */
} ConfigKey;

static const ConfigKey config_keys[] = {
	{"cell", K_TEXT, 0, 0, false, "rnn_tanh, rnn, rnn_relu, lstm, gru"},
	{"hidden_size", K_INT, 1, RNN_MAX_HIDDEN_SIZE, false, NULL},
	{"num_layers", K_INT, 1, RNN_MAX_LAYERS, false, NULL},
	{"bidirectional", K_BOOL, 0, 0, false, NULL},
	{"window", K_INT, 1, RNN_MAX_WINDOW, true, NULL},
	{"horizon", K_INT, 1, RNN_MAX_OUTPUT_SIZE, false, NULL},
	{"epochs", K_INT, 1, RNN_MAX_EPOCHS, false, NULL},
	{"batch_size", K_INT, 0, RNN_MAX_BATCH, false, NULL},
	{"learning_rate", K_FLOAT, 1e-8, 10, false, NULL},
	{"optimizer", K_TEXT, 0, 0, false, "adam, sgd"},
	{"clip_norm", K_FLOAT, 0, 1e6, false, NULL},
	{"validation_fraction", K_FLOAT, 0, 0.5, false, NULL},
	{"patience", K_INT, 0, RNN_MAX_EPOCHS, false, NULL},
	{"seed", K_INT, 0, 9007199254740991.0, false, NULL},
	{"missing", K_TEXT, 0, 0, false, "interpolate, error"},
	{"scaling", K_TEXT, 0, 0, false, "auto, seasonal, difference, window, level, zscore, none"},
	{"loss", K_TEXT, 0, 0, false, "mse, mae, huber, pinball"},
	{"quantile", K_FLOAT, 0.001, 0.999, false, NULL},
	{"season", K_INT, 1, RNN_MAX_WINDOW, true, NULL},
	{"strategy", K_TEXT, 0, 0, false, "auto, recursive, direct, seq2seq, mixed"},
	{"ensemble", K_INT, 1, RNN_MAX_ENSEMBLE, false, NULL},
	{"log", K_BOOL, 0, 0, true, NULL},
	{"deseasonalize", K_BOOL, 0, 0, true, NULL},
	{"refit", K_BOOL, 0, 0, true, NULL},
	{"epoch_size", K_INT, 0, 2147483647, true, NULL},
	{"on_error", K_TEXT, 0, 0, false, "error, null"},
	{"on_init_mismatch", K_TEXT, 0, 0, false, "error, cold"},
	{"time_zone", K_TEXT, 0, 0, true, "a name from pg_timezone_names"},
	{"calendar", K_BOOL, 0, 0, false, NULL},
	{"theta_weight", K_FLOAT, 0, 1, true, NULL},
	{"despike", K_BOOL, 0, 0, true, NULL},
};

#define N_CONFIG_KEYS lengthof(config_keys)

const char *
rnn_scaling_name(int scaling)
{
	switch (scaling)
	{
		case RNN_CONFIG_SCALE_AUTO:
			return "auto";
		case RNN_SCALE_SEASONAL:
			return "seasonal";
		case RNN_SCALE_WINDOW:
			return "window";
		case RNN_SCALE_LEVEL:
			return "level";
		case RNN_SCALE_DIFF:
			return "difference";
		case RNN_SCALE_ZSCORE:
			return "zscore";
	}
	return "none";
}

const char *
rnn_strategy_name(int strategy)
{
	switch (strategy)
	{
		case RNN_STRATEGY_RECURSIVE:
			return "recursive";
		case RNN_STRATEGY_DIRECT:
			return "direct";
		case RNN_STRATEGY_SEQ2SEQ:
			return "seq2seq";
		case RNN_STRATEGY_MIXED:
			return "mixed";
	}
	return "auto";
}

void
rnn_config_defaults(RnnConfig *cfg)
{
	cfg->cell = RNN_CELL_LSTM;
	cfg->hidden_size = 32;
	cfg->num_layers = 1;
	cfg->bidirectional = false;
	cfg->window = 0;
	cfg->horizon = 1;
	cfg->epochs = 100;
	cfg->batch_size = 32;
	cfg->learning_rate = 0.01;
	cfg->optimizer = RNN_OPT_ADAM;
	cfg->clip_norm = 1.0;
	cfg->validation_fraction = 0.1;
	cfg->patience = 10;
	cfg->seed = 42;
	cfg->interpolate = true;
	cfg->scaling = RNN_CONFIG_SCALE_AUTO;
	cfg->loss = RNN_LOSS_MAE;
	cfg->quantile = 0.5;
	cfg->season = 0;
	cfg->strategy = RNN_STRATEGY_AUTO;	/* recursive for one series, mixed for many */
	cfg->ensemble = 3;
	cfg->log = -1;
	cfg->deseasonalize = -1;
	cfg->despike = -1;
	cfg->refit = -1;
	cfg->epoch_size = -1;
	cfg->on_error_null = false;
	cfg->init_mismatch_cold = false;
	cfg->time_zone[0] = '\0';
	cfg->calendar = false;
	cfg->theta_weight = -1;
	cfg->group = NULL;
	cfg->fold = false;
}

/*
 * Whether a zone the server accepts is one of pg_timezone_names (case does
 * not matter, as for pg_tzset), rather than a POSIX specification such as
 * '+05:30' or 'UTC+3', which pg_tzset also accepts but reads with the sign
 * inverted from what most users mean.  A POSIX specification needs an
 * offset, so a name without a digit is a zone file.  The names with a digit
 * ('Etc/GMT+5', 'EST5EDT'; about 70) are listed once per backend from the
 * server's zones, which takes about 0.1 s.
 */
static bool
zone_is_named(const char *name)
{
	static char **digit_names = NULL;
	static int	n_digit_names = 0;

	if (strpbrk(name, "0123456789") == NULL)
		return true;
	if (digit_names == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		pg_tzenum  *e = pg_tzenumerate_start();
		pg_tz	   *tz;
		int			cap = 128,
					n = 0;
		char	  **names = palloc(sizeof(char *) * cap);

		while ((tz = pg_tzenumerate_next(e)) != NULL)
		{
			const char *zn = pg_get_timezone_name(tz);

			if (strpbrk(zn, "0123456789") == NULL)
				continue;
			if (n == cap)
				names = repalloc(names, sizeof(char *) * (cap *= 2));
			names[n++] = pstrdup(zn);
		}
		pg_tzenumerate_end(e);
		MemoryContextSwitchTo(old);
		n_digit_names = n;
		digit_names = names;
	}
	for (int i = 0; i < n_digit_names; i++)
		if (pg_strcasecmp(digit_names[i], name) == 0)
			return true;
	return false;
}

/*
 * The configuration with strategy => 'auto' resolved: a warm start keeps
 * its model's strategy, else dflt (recursive for one series, mixed for a
 * global model: chosen by cross-validation on the M3 training parts, see
 * the README).
 */
RnnConfig
rnn_config_resolve(const RnnConfig *cfg, const RnnModel *init, int dflt)
{
	RnnConfig	c = *cfg;

	if (c.strategy == RNN_STRATEGY_AUTO)
		c.strategy = init != NULL && init->strategy != RNN_STRATEGY_AUTO ? init->strategy : dflt;
	return c;
}

static const char *
valid_key_list(void)
{
	StringInfoData s;

	initStringInfo(&s);
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", config_keys[i].name);
	return s.data;
}

static int	range_detail(const ConfigKey *k);

static void
bad_value(const ConfigKey *k, const char *got)
{
	if (k->kind == K_TEXT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: %s", k->name, got),
				 errdetail("%s must be one of: %s.", k->name, k->choices)));
	if (k->kind == K_BOOL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: %s", k->name, got),
				 errdetail("%s must be true or false.", k->name)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 /* (a number written with hundreds of digits is shown by its first) */
			 errmsg("%s is out of range: %.40s%s", k->name, got, strlen(got) > 40 ? "..." : ""),
			 range_detail(k)));
}

/* the errdetail of a numeric key's range */
static int
range_detail(const ConfigKey *k)
{
	return errdetail("%s must be %s between %.15g and %.*g%s.", k->name,
					 k->kind == K_INT ? "an integer" : "a number", k->min,
					 /* integer bounds in full: 9007199254740991, not 9.00719925474099e+15 */
					 k->kind == K_INT ? 17 : 15, k->max,
					 k->nullable ? ", or null to choose it automatically" : "");
}

static void
bad_type(const ConfigKey *k, const char *want)
{
	/* (NaN and infinity reach a key as JSON strings: the range says what is taken) */
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for %s: expected %s", k->name, want),
			 k->kind == K_INT || k->kind == K_FLOAT ? range_detail(k) : 0));
}

static void
set_text(RnnConfig *cfg, const ConfigKey *k, const char *v)
{
	if (strcmp(k->name, "cell") == 0)
	{
		cfg->cell = rnn_cell_from_name(v);
		if (cfg->cell == 0)
			bad_value(k, v);
	}
	else if (strcmp(k->name, "optimizer") == 0)
	{
		if (strcmp(v, "adam") == 0)
			cfg->optimizer = RNN_OPT_ADAM;
		else if (strcmp(v, "sgd") == 0)
			cfg->optimizer = RNN_OPT_SGD;
		else
			bad_value(k, v);
	}
	else if (strcmp(k->name, "missing") == 0)
	{
		if (strcmp(v, "interpolate") == 0)
			cfg->interpolate = true;
		else if (strcmp(v, "error") == 0)
			cfg->interpolate = false;
		else
			bad_value(k, v);
	}
	else if (strcmp(k->name, "scaling") == 0)
	{
		if (strcmp(v, "auto") == 0)
			cfg->scaling = RNN_CONFIG_SCALE_AUTO;
		else if (strcmp(v, "seasonal") == 0)
			cfg->scaling = RNN_SCALE_SEASONAL;
		else if (strcmp(v, "window") == 0)
			cfg->scaling = RNN_SCALE_WINDOW;
		else if (strcmp(v, "level") == 0)
			cfg->scaling = RNN_SCALE_LEVEL;
		else if (strcmp(v, "difference") == 0)
			cfg->scaling = RNN_SCALE_DIFF;
		else if (strcmp(v, "zscore") == 0)
			cfg->scaling = RNN_SCALE_ZSCORE;
		else if (strcmp(v, "none") == 0)
			cfg->scaling = RNN_SCALE_NONE;
		else
			bad_value(k, v);
	}
	else if (strcmp(k->name, "strategy") == 0)
	{
		if (strcmp(v, "auto") == 0)
			cfg->strategy = RNN_STRATEGY_AUTO;
		else if (strcmp(v, "direct") == 0)
			cfg->strategy = RNN_STRATEGY_DIRECT;
		else if (strcmp(v, "recursive") == 0)
			cfg->strategy = RNN_STRATEGY_RECURSIVE;
		else if (strcmp(v, "seq2seq") == 0)
			cfg->strategy = RNN_STRATEGY_SEQ2SEQ;
		else if (strcmp(v, "mixed") == 0)
			cfg->strategy = RNN_STRATEGY_MIXED;
		else
			bad_value(k, v);
	}
	else if (strcmp(k->name, "on_error") == 0)
	{
		if (strcmp(v, "error") == 0)
			cfg->on_error_null = false;
		else if (strcmp(v, "null") == 0)
			cfg->on_error_null = true;
		else
			bad_value(k, v);
	}
	else if (strcmp(k->name, "on_init_mismatch") == 0)
	{
		if (strcmp(v, "error") == 0)
			cfg->init_mismatch_cold = false;
		else if (strcmp(v, "cold") == 0)
			cfg->init_mismatch_cold = true;
		else
			bad_value(k, v);
	}
	else if (strcmp(k->name, "time_zone") == 0)
	{
		pg_tz	   *tz = strlen(v) <= RNN_MAX_ZONE_NAME ? pg_tzset(v) : NULL;

		if (tz == NULL || !pg_tz_acceptable(tz))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for time_zone: %s", v),
					 errdetail("time_zone must be a time zone name known to the server (pg_timezone_names), e.g. 'Europe/Berlin' or 'UTC'.")));
		if (!zone_is_named(v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for time_zone: %s", v),
					 errdetail("'%s' is not in pg_timezone_names: the server would read it as a POSIX zone specification, whose offsets count hours west of Greenwich, the opposite of ISO 8601 (e.g. '+05:30' is 5:30 behind UTC).", v),
					 errhint("Name the zone, e.g. 'Asia/Kolkata'; for a fixed offset, 'Etc/GMT-5' is UTC+05.")));
		if (rnn_zone_is_servers_own(v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for time_zone: %s", v),
					 errdetail("'%s' is whatever zone this server's files point it to, so a model would continue its calendar in another zone on another server.", v),
					 errhint("Name the zone, e.g. 'Europe/Berlin'.")));
		strlcpy(cfg->time_zone, v, sizeof(cfg->time_zone));
	}
	else if (strcmp(k->name, "loss") == 0)
	{
		if (strcmp(v, "mse") == 0)
			cfg->loss = RNN_LOSS_MSE;
		else if (strcmp(v, "mae") == 0)
			cfg->loss = RNN_LOSS_MAE;
		else if (strcmp(v, "huber") == 0)
			cfg->loss = RNN_LOSS_HUBER;
		else if (strcmp(v, "pinball") == 0)
			cfg->loss = RNN_LOSS_PINBALL;
		else
			bad_value(k, v);
	}
}

static void
set_number(RnnConfig *cfg, const ConfigKey *k, double v, const char *shown)
{
	if (isnan(v) || v < k->min || v > k->max || (k->kind == K_INT && v != floor(v)))
		bad_value(k, shown);
	if (k->kind == K_INT)
	{
		/* the exact decimal, not its float8 rounding: 32.0000000000000000001 is no integer */
		const char *dot = strchr(shown, '.');

		if (dot)
			for (const char *c = dot + 1; *c; c++)
				if (*c != '0')
					bad_value(k, shown);
	}
#define SET(field) if (strcmp(k->name, #field) == 0) cfg->field = v
	SET(hidden_size);
	SET(num_layers);
	SET(window);
	SET(horizon);
	SET(epochs);
	SET(batch_size);
	SET(learning_rate);
	SET(clip_norm);
	SET(validation_fraction);
	SET(patience);
	SET(seed);
	SET(quantile);
	SET(season);
	SET(ensemble);
	SET(epoch_size);
	SET(theta_weight);
#undef SET
}

void
rnn_config_from_jsonb(RnnConfig *cfg, Jsonb *jb)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	rnn_config_defaults(cfg);
	if (jb == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_forecast configuration must be a JSON object"),
				 errhint("Build it with rnn_config(), e.g. rnn_config(cell => 'gru').")));

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		const ConfigKey *k = NULL;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (size_t i = 0; i < N_CONFIG_KEYS; i++)
			if (strcmp(config_keys[i].name, key) == 0)
				k = &config_keys[i];
		if (k == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown rnn_forecast configuration key \"%s\"", key),
					 errdetail("Valid keys are: %s.", valid_key_list())));
		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);
		/*
		 * null: chosen automatically, or the default for a key that is not
		 * (as rnn_config(key => NULL) gives it: a jsonb_build_object over a
		 * settings table's NULL columns is the same configuration)
		 */
		if (v.type == jbvNull)
			continue;
		switch (k->kind)
		{
			case K_TEXT:
				if (v.type != jbvString)
					bad_type(k, "a string");
				set_text(cfg, k, pnstrdup(v.val.string.val, v.val.string.len));
				break;
			case K_BOOL:
				if (v.type != jbvBool)
					bad_type(k, "true or false");
				if (strcmp(k->name, "log") == 0)
					cfg->log = v.val.boolean ? 1 : 0;
				else if (strcmp(k->name, "deseasonalize") == 0)
					cfg->deseasonalize = v.val.boolean ? 1 : 0;
				else if (strcmp(k->name, "despike") == 0)
					cfg->despike = v.val.boolean ? 1 : 0;
				else if (strcmp(k->name, "refit") == 0)
					cfg->refit = v.val.boolean ? 1 : 0;
				else if (strcmp(k->name, "calendar") == 0)
					cfg->calendar = v.val.boolean;
				else
					cfg->bidirectional = v.val.boolean;
				break;
			default:
				if (v.type != jbvNumeric)
					bad_type(k, "a number");
				set_number(cfg, k,
						   DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
															  NumericGetDatum(v.val.numeric))),
						   DatumGetCString(DirectFunctionCall1(numeric_out,
															   NumericGetDatum(v.val.numeric))));
				break;
		}
	}
	/* mixed trains ensemble members of each kind: refused here, not after the rows are read */
	if (cfg->strategy == RNN_STRATEGY_MIXED && cfg->ensemble > RNN_MAX_ENSEMBLE / 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ensemble is out of range for strategy => 'mixed': %d", cfg->ensemble),
				 errdetail("strategy => 'mixed' trains ensemble members of each kind: ensemble must be between 1 and %d.",
						   RNN_MAX_ENSEMBLE / 2)));
	/* a quantile other than the default is the pinball loss's: not silently unused */
	if (cfg->quantile != 0.5 && cfg->loss != RNN_LOSS_PINBALL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantile => %g needs loss => 'pinball'", cfg->quantile),
				 errdetail("The quantile is the pinball loss's; the other losses do not use it."),
				 errhint("Add loss => 'pinball', or leave quantile unset.")));
}

/* The normalised configuration as JSON text (every key; null = automatic). */
char *
rnn_config_to_json(const RnnConfig *c)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "{\"cell\": \"%s\", \"hidden_size\": %d, \"num_layers\": %d, "
					 "\"bidirectional\": %s, ",
					 rnn_cell_name(c->cell), c->hidden_size, c->num_layers,
					 c->bidirectional ? "true" : "false");
	if (c->window > 0)
		appendStringInfo(&s, "\"window\": %d, ", c->window);
	else
		appendStringInfoString(&s, "\"window\": null, ");
	appendStringInfo(&s, "\"horizon\": %d, \"epochs\": %d, \"batch_size\": %d, "
					 "\"learning_rate\": %.15g, \"optimizer\": \"%s\", \"clip_norm\": %.15g, "
					 "\"validation_fraction\": %.15g, \"patience\": %d, \"seed\": " INT64_FORMAT ", "
					 "\"missing\": \"%s\", \"scaling\": \"%s\", \"loss\": \"%s\", \"quantile\": %.15g, ",
					 c->horizon, c->epochs, c->batch_size, c->learning_rate,
					 c->optimizer == RNN_OPT_SGD ? "sgd" : "adam", c->clip_norm,
					 c->validation_fraction, c->patience, c->seed,
					 c->interpolate ? "interpolate" : "error",
					 rnn_scaling_name(c->scaling),
					 c->loss == RNN_LOSS_MAE ? "mae" : c->loss == RNN_LOSS_HUBER ? "huber" :
					 c->loss == RNN_LOSS_PINBALL ? "pinball" : "mse",
					 c->quantile);
	if (c->season > 0)
		appendStringInfo(&s, "\"season\": %d, ", c->season);
	else
		appendStringInfoString(&s, "\"season\": null, ");
	appendStringInfo(&s, "\"strategy\": \"%s\", \"ensemble\": %d, \"log\": %s, \"deseasonalize\": %s, \"refit\": %s, ",
					 rnn_strategy_name(c->strategy), c->ensemble,
					 c->log < 0 ? "null" : c->log ? "true" : "false",
					 c->deseasonalize < 0 ? "null" : c->deseasonalize ? "true" : "false",
					 c->refit < 0 ? "null" : c->refit ? "true" : "false");
	if (c->epoch_size >= 0)
		appendStringInfo(&s, "\"epoch_size\": " INT64_FORMAT ", ", c->epoch_size);
	else
		appendStringInfoString(&s, "\"epoch_size\": null, ");
	appendStringInfo(&s, "\"on_error\": \"%s\", \"on_init_mismatch\": \"%s\", \"time_zone\": ",
					 c->on_error_null ? "null" : "error", c->init_mismatch_cold ? "cold" : "error");
	if (c->time_zone[0])
		escape_json(&s, c->time_zone);
	else
		appendStringInfoString(&s, "null");
	appendStringInfo(&s, ", \"calendar\": %s, \"theta_weight\": ", c->calendar ? "true" : "false");
	if (c->theta_weight >= 0)
		appendStringInfo(&s, "%.15g", c->theta_weight);
	else
		appendStringInfoString(&s, "null");
	appendStringInfo(&s, ", \"despike\": %s}",
					 c->despike < 0 ? "null" : c->despike ? "true" : "false");
	return s.data;
}

/*
 * Record in m the configuration it was trained with, with what training
 * chose filled in (window, season, scaling, strategy, refit, despike, log and
 * deseasonalize of a single-series model, a global model's epoch size, the
 * time zone of timestamptz rows): rnn_model_info shows it under the
 * configuration's own key names.
 */
void
rnn_config_record(RnnModel *m, const RnnConfig *cfg)
{
	RnnConfig	c = *cfg;
	char	   *json;

	c.window = m->window;
	c.season = m->season;
	c.scaling = m->scaling;
	c.strategy = m->strategy;
	c.ensemble = m->strategy == RNN_STRATEGY_MIXED ? m->members / 2 : m->members;
	if (m->n_series == 0)
	{
		c.log = m->log_transform ? 1 : 0;
		c.deseasonalize = m->n_seasonal > 0 ? 1 : 0;
	}
	/*
	 * a global model chooses them per series (rnn_model_info's pipeline
	 * counts them): the configuration's own, null for automatic
	 */
	c.theta_weight = m->theta_weight;
	/* one choice for the whole model, a global one too */
	c.despike = m->despike ? 1 : 0;
	c.refit = rnn_config_refit(cfg, m->n_series > 0) ? 1 : 0;
	/*
	 * a global model's automatic epoch is every window, as 0 says; one
	 * series' automatic sample (at most RNN_FIT_EPOCH_WINDOWS, with at most
	 * RNN_FIT_VALIDATION_WINDOWS held out) is a rule no number given
	 * reproduces, so it stays null
	 */
	if (c.epoch_size < 0 && m->n_series > 0)
		c.epoch_size = 0;
	strlcpy(c.time_zone, m->time_zone, sizeof(c.time_zone));
	json = rnn_config_to_json(&c);
	/*
	 * in jsonb's own form (keys sorted, its spacing): the text
	 * rnn_model_to_json gives and rnn_model_from_json takes back, so that a
	 * round trip keeps the bytes
	 */
	{
		Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));

		json = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
	/* the model format keeps printable ASCII (escape_json left other bytes as they are) */
	rnn_model_set_config(m, json);
	pfree(json);
}

/*
 * rnn_config_check(jsonb) RETURNS jsonb: validates a configuration and
 * returns it with every key present (rnn_config() calls this).
 */
Datum
rnn_config_check(PG_FUNCTION_ARGS)
{
	RnnConfig	cfg;

	rnn_config_from_jsonb(&cfg, PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0));
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(rnn_config_to_json(&cfg))));
}
