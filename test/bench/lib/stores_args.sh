# Sourced by the benchmarks that time forecasts over stores' rows in turns (bench_anomaly.sh,
# bench_despike.sh, bench_window_phase.sh), after they set their defaults: bench_args "$@"
# reads --stores N, --days N and --repeat N into STORES, DAYS and REPEAT; any other option
# and its value go to the script's bench_extra_arg NAME VALUE, when it defines one, which
# returns non-zero for an option it does not take; anything else prints "usage: SCRIPT
# $USAGE" and exits 2.
bench_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --stores) STORES=$2; shift 2 ;;
            --days) DAYS=$2; shift 2 ;;
            --repeat) REPEAT=$2; shift 2 ;;
            *)
                if [ $# -ge 2 ] && declare -F bench_extra_arg >/dev/null && bench_extra_arg "$1" "$2"; then
                    shift 2
                else
                    echo "usage: $0 $USAGE" >&2
                    exit 2
                fi
                ;;
        esac
    done
}
