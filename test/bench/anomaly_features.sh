#!/usr/bin/env bash
# Anomaly detection with covariates: precision and recall at level 0.99, one-step errors and
# flags on promotion months, for a model trained with a promotion flag and one without, on
# the CO2 series with promotions and injected anomalies (the setup of sql/anomaly_features.sql,
# which this runs first; the figures are test/bench/anomaly_features.sql). The README's
# anomaly section quotes this output.
#
#   bash test/bench/anomaly_features.sh
#
# Throwaway server on port 54434 (test/bench/lib/server.sh). Needs root or postgres.
set -euo pipefail

PORT=54434
say() { echo "anomaly_features: $*" >&2; }
cd "$(dirname "$0")/../.."
. test/bench/lib/server.sh

say "setup and regression checks (sql/anomaly_features.sql)"
# its error checks fail on purpose; its last line drops the tables the figures read
sed '/^DROP TABLE af_co2/d' sql/anomaly_features.sql > "$TMP/setup.sql"
"${PSQL[@]}" -v ON_ERROR_STOP=0 -f "$TMP/setup.sql" >/dev/null 2>&1
say "figures"
"${PSQL[@]}" -P format=aligned -P footer=off -P tuples_only=off -f test/bench/anomaly_features.sql
