# Sourced by the test/t scripts that must prove the server survived them.
# Needs PSQL (an array: psql and its connection options) and LOG (the server
# log, may be empty).  health_begin records the postmaster start time and the
# log's size; health_end appends to the array `errors` when the server
# restarted or the log gained "terminated by signal", and leaves the log
# written since health_begin in $HEALTH_LOG (empty when there is no log).
# health_verdict reports what `errors` collected and exits.

health_begin() {
    log_size=0
    if [ -n "$LOG" ] && [ -f "$LOG" ]; then
        log_size=$(stat -c %s "$LOG")
    fi
    start_time=$("${PSQL[@]}" -At -d postgres -c "SELECT pg_postmaster_start_time()")
}

# health_end NAME WORKDIR
health_end() {
    local name=$1 work=$2
    end_time=$("${PSQL[@]}" -At -d postgres -c "SELECT pg_postmaster_start_time()") ||
        errors+=("cannot connect to the server after the run")
    if [ "$start_time" != "${end_time:-}" ]; then
        errors+=("the server restarted (postmaster start time $start_time -> ${end_time:-?})")
    fi
    HEALTH_LOG=
    if [ -n "$LOG" ] && [ -f "$LOG" ]; then
        HEALTH_LOG=$work/server-during-test.log
        tail -c +"$((log_size + 1))" "$LOG" >"$HEALTH_LOG"
        if grep -q "terminated by signal" "$HEALTH_LOG"; then
            grep -B2 -A2 "terminated by signal" "$HEALTH_LOG" | head -n 20
            errors+=("the server log gained $(grep -c "terminated by signal" "$HEALTH_LOG") \"terminated by signal\" line(s)")
        fi
    else
        echo "$name: note: no server log at \$RNN_TMP/server.log, not checked"
    fi
}

# "yes" when the postmaster start time did not change
health_unchanged() {
    [ "$start_time" = "${end_time:-}" ] && echo yes || echo NO
}

# health_verdict NAME [PASS_MESSAGE...]: every error in `errors` as "NAME: FAIL: ..."
# and exit 1, or "NAME: PASS" (": PASS_MESSAGE" when given) and exit 0
health_verdict() {
    local name=$1 e
    shift
    if [ ${#errors[@]} -ne 0 ]; then
        for e in "${errors[@]}"; do
            echo "$name: FAIL: $e"
        done
        exit 1
    fi
    echo "$name: PASS${*:+: $*}"
    exit 0
}
