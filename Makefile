# rnn_forecast: recurrent neural network forecasting inside PostgreSQL (PGXS)
EXTENSION = rnn_forecast
EXTVERSION = 0.8.0
MODULE_big = rnn_forecast

CORE_OBJS = $(patsubst %.c,%.o,$(wildcard src/core/*.c))
GLUE_OBJS = src/rnn_forecast.o src/config.o src/model_io.o src/model_json.o \
	src/timeaxis.o src/rows.o src/fit.o src/fit_global.o src/train.o src/forecast.o \
	src/evaluate.o src/predict_window.o src/warm_start.o
OBJS = $(GLUE_OBJS) $(CORE_OBJS)

# every full install script and every upgrade script
DATA = $(wildcard $(EXTENSION)--*.sql)
REGRESS = config train forecast model_io errors timeaxis window_predict warm_start pytorch evaluate compat global groups edges timezone parallel predict_rows anomaly finetune features anomaly_features scale theta mixed window_ts forms
REGRESS_OPTS = --dbname=rnn_regress

# The serial OpenBLAS: no thread pool in every backend that loads us.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
OPENBLAS_LIBDIR ?= /usr/lib/$(MULTIARCH)/openblas-serial
OPENBLAS_INCDIR ?= /usr/include/$(MULTIARCH)/openblas-serial
# RNN_EXTVERSION: the library's version, recorded in every model it trains
PG_CPPFLAGS = -Isrc -Isrc/core -I$(OPENBLAS_INCDIR) -DRNN_EXTVERSION='"$(EXTVERSION)"'
# RNN_CLONES=0 compiles the cell loops once, for the baseline x86-64, instead of three times
# (src/core/rnn_net.c): the build of test/t/valgrind.sh (valgrind runs AVX2 and FMA code about 6
# times slower than the baseline's) and of test/t/baseline_isa.sh
# RNN_CLONES=avx2 compiles them once as their AVX2+FMA clone is (test/t/baseline_isa.sh checks
# that path's outputs on a CPU that would otherwise pick its AVX-512 clone)
ifeq ($(RNN_CLONES),0)
PG_CPPFLAGS += -DRNN_NO_CLONES
endif
ifeq ($(RNN_CLONES),avx2)
PG_CPPFLAGS += -DRNN_AVX2_ONLY
endif
# -fno-trapping-math lets the compiler vectorise the cell loops (no FP trap is relied on);
# it is not -ffast-math: NaN and infinity checks keep working.
PG_CFLAGS = -O3 -fno-trapping-math -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -Wno-cast-function-type
SHLIB_LINK += -L$(OPENBLAS_LIBDIR) -Wl,-rpath,$(OPENBLAS_LIBDIR) -lopenblas -lm -pthread

PG_CONFIG ?= $(shell test -x /usr/lib/postgresql/15/bin/pg_config && echo /usr/lib/postgresql/15/bin/pg_config || echo pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild every object when a header changes.
$(OBJS): $(wildcard src/*.h src/core/*.h)
# the version fit.c records in every model (RNN_EXTVERSION) comes from here
src/fit.o: Makefile

# Core tests without PostgreSQL.
check-core:
	$(MAKE) -C test check

.PHONY: check-core
