#!/usr/bin/env bash
# rnn_forecast.max_training_memory bounds what it names: over a grid of shapes (cells, sizes,
# layers, directions, windows, batches, horizons, ensembles, rows, a global model), the peak
# memory a training statement adds to its backend (VmHWM, reset through /proc/PID/clear_refs
# after a warm-up training) is never above what the extension accounts for it: the training
# estimate it checks against the limit (printed by rnn_forecast.progress) plus the rows it
# collected (37 bytes per slot of the row arrays, which grow by doubling).
#
# Needs root (to reset the peak of the postgres-owned backend); as another user it says so and
# fails, so CI (root) always runs it.
# Environment (from test/run.sh): PGHOST, PGPORT, PGUSER (a superuser), RNN_TMP.
set -uo pipefail

: "${PGHOST:?PGHOST must be set}" "${PGPORT:?PGPORT must be set}" "${PGUSER:?PGUSER must be set}"
export PGHOST PGPORT PGUSER
unset PGDATABASE PGOPTIONS
export LC_ALL=C
# shellcheck source=test/t/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

[ "$(id -u)" -eq 0 ] || die "memory: needs root to reset a backend's peak memory"

# cell hidden layers bidirectional window batch horizon ensemble rows global
shapes=(
    "lstm 128 2 false 100 512 4 2 5000 0"
    "lstm 64 1 false 500 32 1 3 3000 0"
    "gru 256 3 false 50 256 8 1 2000 0"
    "rnn 32 2 true 200 1024 16 2 6000 0"
    "lstm 16 1 false 8 4096 512 1 20000 0"
    "gru 8 1 false 24 65536 1 1 200000 0"
    "lstm 1 1 false 2 65536 1024 1 40000 0"
    "lstm 64 1 false 48 128 12 2 40000 20"
)
n_shapes=0
for shape in "${shapes[@]}"; do
    read -r cell h l bi w b o e n g <<<"$shape"
    if [ "$g" -gt 0 ]; then
        agg="rnn_train((i % $g)::text, (i / $g)::bigint, sin(i / 7.0) + (i % $g), rnn_config(cell => '$cell', hidden_size => $h, num_layers => $l, bidirectional => $bi, \"window\" => $w, batch_size => $b, horizon => $o, ensemble => $e, epochs => 1))"
    else
        agg="rnn_train(sin(i / 7.0), rnn_config(cell => '$cell', hidden_size => $h, num_layers => $l, bidirectional => $bi, \"window\" => $w, batch_size => $b, horizon => $o, strategy => 'direct', ensemble => $e, epochs => 1) ORDER BY i)"
    fi
    out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d postgres 2>&1 <<SQL
SET client_min_messages = notice;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
SELECT length(rnn_train(sin(i), rnn_config(hidden_size => 2, "window" => 4, epochs => 1, ensemble => 1) ORDER BY i)) > 0
FROM generate_series(1, 100) i;
\! echo 5 > /proc/\$PID/clear_refs; echo "before \$(awk '/VmHWM/ {print \$2}' /proc/\$PID/status)"
SET rnn_forecast.progress = on;
SELECT length($agg) > 0 FROM generate_series(0, $n - 1) i;
RESET rnn_forecast.progress;
\! echo "after \$(awk '/VmHWM/ {print \$2}' /proc/\$PID/status)"
SQL
    )
    before=$(awk '/^before/ {print $2}' <<<"$out")
    after=$(awk '/^after/ {print $2}' <<<"$out")
    est=$(sed -n 's/.*about \([0-9]*\) bytes of working memory.*/\1/p' <<<"$out" | head -1)
    if [ -z "$before" ] || [ -z "$after" ] || [ -z "$est" ]; then
        not_ok "memory: $shape: no measurement"
        printf '%s\n' "$out" | sed 's/^/#   /' | tail -10
        continue
    fi
    n_shapes=$((n_shapes + 1))
    # the row arrays' capacity: the first power of two >= n (from 1,024 slots)
    cap=1024
    while [ "$cap" -lt "$n" ]; do cap=$((cap * 2)); done
    accounted=$((est + cap * 37))
    measured=$(( (after - before) * 1024 ))
    if [ "$measured" -le "$accounted" ]; then
        ok "memory: $cell h$h x$l bi=$bi window $w batch $b horizon $o ensemble $e, $n rows$([ "$g" -gt 0 ] && echo ", $g series"): peak +$((measured / 1048576)) MB <= accounted $((accounted / 1048576)) MB (estimate $((est / 1048576)) MB)"
    else
        not_ok "memory: $shape: peak +$measured bytes above the accounted $accounted bytes (estimate $est)"
    fi
done
echo "# summary: $n_shapes shapes measured; $failures failed"
[ "$failures" -eq 0 ] && [ "$n_shapes" -eq "${#shapes[@]}" ]
