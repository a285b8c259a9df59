/*
 * rnn_pg.h
 *	  Declarations shared by the PostgreSQL glue (the .c files in src): GUCs, the
 *	  palloc-backed allocator for the core, model bytea reading and writing,
 *	  the training configuration and time-axis helpers.
 */
#ifndef RNN_PG_H
#define RNN_PG_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "rnn_common.h"
#include "rnn_model.h"
#include "rnn_net.h"

/* the one errcode every malformed model is reported with */
#define ERRCODE_RNN_BAD_MODEL ERRCODE_INVALID_BINARY_REPRESENTATION

/* GUCs (rnn_forecast.c) */
extern int	rnn_threads;
extern bool rnn_progress;

/* allocator over palloc in CurrentMemoryContext (huge allocations allowed) */
extern const RnnAlloc rnn_palloc_allocator;

/* model_io.c */
extern void rnn_model_read(RnnModel *m, bytea *raw);
extern bytea *rnn_model_write(const RnnModel *m);
extern void rnn_report_status(RnnStatus st, const char *what);

/* config.c */
typedef struct RnnConfig
{
	int			cell;
	int			hidden_size;
	int			num_layers;
	bool		bidirectional;
	int			window;			/* 0: chosen from the season and length */
	int			horizon;		/* outputs of the network */
	int			epochs;
	int			batch_size;
	double		learning_rate;
	int			optimizer;
	double		clip_norm;
	double		validation_fraction;
	int			patience;
	int64		seed;
	bool		interpolate;	/* missing => 'interpolate' (else 'error') */
	int			scaling;
	int			loss;
	double		quantile;
	int			season;			/* 0: inferred */
} RnnConfig;

extern void rnn_config_defaults(RnnConfig *cfg);
extern void rnn_config_from_jsonb(RnnConfig *cfg, Jsonb *jb);

/* timeaxis.c */
extern bool rnn_keys_to_months(int ts_kind, int64 *keys, size_t n);
extern Datum rnn_future_timestamptz(const RnnModel *m, int step_ahead, bool *isnull);
extern char *rnn_key_to_text(int ts_kind, int64 key);
extern int	rnn_default_season(int ts_kind, int step_kind, int64 step);

#endif							/* RNN_PG_H */
