# Sourced by the test/t scripts: TAP-style result lines and a failure count.
# ok MESSAGE / not_ok MESSAGE print one line each; check STATUS MESSAGE prints
# ok when STATUS is 0; die MESSAGE prints not ok and ends the script.
failures=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failures=$((failures + 1)); }
check() {
    if [ "$1" -eq 0 ]; then ok "$2"; else not_ok "$2"; fi
}
die() {
    echo "not ok - $*"
    exit 1
}
