#!/usr/bin/env bash
# The Debian package: built from a copy of the tree, installed with apt-get, used.
#
#   1. tools/check-versions.sh: the Makefile, rnn_forecast.control, debian/changelog and
#      META.json name one version.
#   2. The build dependencies (debhelper, postgresql-server-dev-all for pg_buildext) are
#      installed by tools/install-deps.sh; the working tree without build products (git's
#      tracked and untracked, not ignored files) is copied to a temporary directory and built
#      there with dpkg-buildpackage -us -uc -b, which compiles with the Makefile's -O3 and
#      -Werror after dpkg-buildflags' flags.
#   3. dpkg-deb: postgresql-15-rnn-forecast, version EXTVERSION, holds rnn_forecast.so in
#      /usr/lib/postgresql/15/lib and the control file and every rnn_forecast--*.sql of the
#      tree (no other) in /usr/share/postgresql/15/extension; it depends on postgresql-15 and
#      libopenblas0-serial, and its .so links libopenblas.so.0 from the serial OpenBLAS.
#   4. apt-get install --reinstall ./postgresql-15-rnn-forecast_*.deb (its Depends resolved by
#      apt); dpkg -S says the package owns the installed .so, control file and scripts, and
#      they are the package's bytes.
#   5. On a throwaway server of its own (tools/pg-temp-server.sh, port RNN_PACKAGE_PORT,
#      default 54611, in a temporary directory): CREATE EXTENSION rnn_forecast, rnn_train on
#      48 generated monthly points with rnn_config(horizon => 6, epochs => 5), and
#      rnn_forecast(model, 6) gives steps 1-6 in the 6 months after the data, finite, inside
#      their intervals and in the range of the data.
#
# The package stays installed: it holds the same files that test/run.sh installed with
# `make install`, and removing it would delete them under the tests that follow.
# Needs root, or sudo without a password; otherwise it prints a skip line and exits 0.
#
# Environment: RNN_TMP (a directory for temporary files, default /tmp), RNN_PACKAGE_PORT.
# It does not use the server of test/run.sh.
set -uo pipefail

export LC_ALL=C PGTZ=UTC
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RNN_TMP=${RNN_TMP:-/tmp}
PORT=${RNN_PACKAGE_PORT:-54611}
PGVERSION=15
PKG=postgresql-$PGVERSION-rnn-forecast
LIBDIR=/usr/lib/postgresql/$PGVERSION/lib
EXTDIR=/usr/share/postgresql/$PGVERSION/extension

# shellcheck source=test/t/lib/tap.sh
. "$REPO/test/t/lib/tap.sh"
# shellcheck source=test/t/lib/psql.sh
. "$REPO/test/t/lib/psql.sh"

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "# package.sh: SKIPPED: installing packages needs root or sudo without a password," \
        "and this runs as $(id -un) without either"
    echo "ok - # SKIP the Debian package test (not root, no sudo)"
    exit 0
fi

mkdir -p "$RNN_TMP" || exit 1
WORK=$(mktemp -d "$RNN_TMP/package.XXXXXX") || exit 1
WORK=$(cd "$WORK" && pwd)
SERVER=$WORK/pg
server_started=0
cleanup() {
    if [ "$server_started" = 1 ]; then
        "${as_root[@]}" "$REPO/tools/pg-temp-server.sh" stop "$SERVER" >/dev/null 2>&1
    fi
    "${as_root[@]}" rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# show_log FILE: the end of FILE as comment lines
show_log() {
    tail -n "${2:-40}" "$1" | sed 's/^/#   /'
}

# ------------------------------------------------------------------ versions
EXTVERSION=$(sed -n 's/^EXTVERSION[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p' "$REPO/Makefile")
[ -n "$EXTVERSION" ] || die "no EXTVERSION in the Makefile"
if "$REPO/tools/check-versions.sh" "$REPO" >"$WORK/versions.log" 2>&1; then
    ok "tools/check-versions.sh: Makefile, rnn_forecast.control, debian/changelog and META.json all say $EXTVERSION"
else
    not_ok "tools/check-versions.sh: the versions disagree"
    show_log "$WORK/versions.log"
fi

# ------------------------------------------------------------------ build
if ! "$REPO/tools/install-deps.sh" debhelper postgresql-server-dev-all >"$WORK/deps.log" 2>&1; then
    show_log "$WORK/deps.log"
    die "tools/install-deps.sh debhelper postgresql-server-dev-all failed"
fi
ok "build dependencies: $(tail -n 1 "$WORK/deps.log")"

# the working tree as git sees it (tracked and untracked files that are not ignored, so no
# build products), or, outside git, the tree without the usual build products
mkdir "$WORK/src"
if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
else
    tar -C "$REPO" --exclude-vcs --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
        --exclude=./results --exclude=./tmp_check --exclude=./log -cf - . | tar -xf - -C "$WORK/src"
fi
if [ ! -f "$WORK/src/debian/rules" ] || [ ! -f "$WORK/src/Makefile" ]; then
    die "the copy of the tree has no debian/rules or Makefile"
fi

started=$(date +%s)
if (cd "$WORK/src" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b in a copy of the tree ($(($(date +%s) - started)) s)"
else
    show_log "$WORK/build.log" 60
    die "dpkg-buildpackage -us -uc -b failed"
fi

# every compiler line ends its flags with the Makefile's, so -O3 wins over -O2 and -Werror is on
n_cc=$(grep -c -E '^(gcc|cc) .* -c -o src/.*\.o ' "$WORK/build.log")
n_flags=$(grep -E '^(gcc|cc) .* -c -o src/.*\.o ' "$WORK/build.log" |
    awk '{ last = ""; werror = 0
           for (i = 1; i <= NF; i++) { if ($i ~ /^-O/) last = $i; if ($i == "-Werror") werror = 1 }
           if (last == "-O3" && werror) n++ } END { print n + 0 }')
[ "$n_cc" -gt 0 ] && [ "$n_flags" -eq "$n_cc" ]
check $? "the package's objects are compiled with -Werror and, last, -O3 ($n_flags of $n_cc compiler lines)"

shopt -s nullglob
debs=("$WORK/${PKG}_${EXTVERSION}_"*.deb)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || die "expected one ${PKG}_${EXTVERSION}_*.deb, found ${#debs[@]}: $(ls "$WORK")"
deb=${debs[0]}

# ------------------------------------------------------------------ contents
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$WORK/contents.txt"
missing=()
for f in "$LIBDIR/rnn_forecast.so" "$EXTDIR/rnn_forecast.control"; do
    grep -qxF "$f" "$WORK/contents.txt" || missing+=("$f")
done
n_sql=0
for f in "$WORK/src"/rnn_forecast--*.sql; do
    n_sql=$((n_sql + 1))
    grep -qxF "$EXTDIR/$(basename "$f")" "$WORK/contents.txt" || missing+=("$EXTDIR/$(basename "$f")")
done
extra=$(grep -E '/rnn_forecast--.*\.sql$' "$WORK/contents.txt" | while read -r f; do
    [ -f "$WORK/src/$(basename "$f")" ] || echo "$f"
done)
[ ${#missing[@]} -eq 0 ] && [ "$n_sql" -gt 0 ] && [ -z "$extra" ]
check $? "dpkg-deb -c $(basename "$deb"): rnn_forecast.so in $LIBDIR, rnn_forecast.control and the $n_sql rnn_forecast--*.sql of the tree in $EXTDIR${missing[*]:+; missing: ${missing[*]}}${extra:+; not in the tree: $extra}"

package=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
[ "$package" = "$PKG" ] && [ "$version" = "$EXTVERSION" ]
check $? "control: Package $package, Version $version"
grep -qE "(^|, )libopenblas0-serial(,|$| )" <<<"$depends" &&
    grep -qE "(^|, )postgresql-$PGVERSION( |,|$)" <<<"$depends"
check $? "control: Depends names postgresql-$PGVERSION and libopenblas0-serial"

dpkg-deb -x "$deb" "$WORK/deb" || die "dpkg-deb -x failed"
dynamic=$(readelf -d "$WORK/deb$LIBDIR/rnn_forecast.so" 2>&1)
grep -q 'NEEDED.*\[libopenblas\.so\.0\]' <<<"$dynamic" &&
    grep -qE '(RUNPATH|RPATH).*/openblas-serial' <<<"$dynamic"
check $? "the packaged rnn_forecast.so needs libopenblas.so.0 and finds it in the serial OpenBLAS directory"

# ------------------------------------------------------------------ install
if "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall \
        --no-install-recommends "$deb" >"$WORK/install.log" 2>&1; then
    ok "apt-get install -y --reinstall ./$(basename "$deb")"
else
    show_log "$WORK/install.log"
    die "apt-get install ./$(basename "$deb") failed"
fi
status=$(dpkg-query -W -f='${Status} ${Version}' "$PKG" 2>/dev/null)
[ "$status" = "install ok installed $EXTVERSION" ]
check $? "dpkg-query: $PKG is '$status'"

not_owned=()
differ=()
for f in "$LIBDIR/rnn_forecast.so" "$EXTDIR/rnn_forecast.control" "$EXTDIR/rnn_forecast--$EXTVERSION.sql"; do
    owner=$(dpkg -S "$f" 2>/dev/null | cut -d: -f1)
    [ "$owner" = "$PKG" ] || not_owned+=("$f (${owner:-no package})")
    cmp -s "$f" "$WORK/deb$f" || differ+=("$f")
done
[ ${#not_owned[@]} -eq 0 ]
check $? "dpkg -S: $PKG owns $LIBDIR/rnn_forecast.so, rnn_forecast.control and rnn_forecast--$EXTVERSION.sql${not_owned[*]:+; not: ${not_owned[*]}}"
[ ${#differ[@]} -eq 0 ]
check $? "the installed files are the package's bytes${differ[*]:+; they differ: ${differ[*]}}"

# ------------------------------------------------------------------ use it
if "${as_root[@]}" "$REPO/tools/pg-temp-server.sh" start "$SERVER" "$PORT" >"$WORK/server-start.log" 2>&1; then
    server_started=1
else
    server_started=1 # stop whatever part of it did start
    show_log "$WORK/server-start.log"
    die "tools/pg-temp-server.sh start (port $PORT) failed"
fi
export PGHOST=$SERVER/sock PGPORT=$PORT PGUSER=postgres
unset PGDATABASE PGOPTIONS

if psql_q postgres -c "CREATE EXTENSION rnn_forecast" >"$WORK/sql.log" 2>&1; then
    ok "CREATE EXTENSION rnn_forecast on a throwaway server (port $PORT)"
else
    show_log "$WORK/sql.log"
    die "CREATE EXTENSION rnn_forecast failed"
fi
extversion=$(psql_q postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast'")
[ "$extversion" = "$EXTVERSION" ]
check $? "pg_extension: rnn_forecast $extversion"

if psql_q postgres >"$WORK/sql.log" 2>&1 <<'SQL'; then
CREATE TABLE monthly AS
SELECT (DATE '2020-01-01' + make_interval(months => i))::date AS ts,
       100 + 10 * sin(i * 2 * pi() / 12) + 0.5 * i AS value
FROM generate_series(0, 47) i;
CREATE TABLE model AS
SELECT rnn_train(ts, value, rnn_config(horizon => 6, epochs => 5)) AS model FROM monthly;
SQL
    ok "rnn_train(ts, value, rnn_config(horizon => 6, epochs => 5)) on 48 monthly points"
else
    show_log "$WORK/sql.log"
    die "rnn_train failed"
fi
psql_q postgres -F ' ' -c "SELECT f.step, f.ts::date, round(f.forecast::numeric, 2), round(f.lower::numeric, 2),
        round(f.upper::numeric, 2) FROM model m, rnn_forecast(m.model, 6) f ORDER BY f.step" |
    sed 's/^/#   step, month, forecast, lower, upper: /'
result=$(psql_q postgres -F '|' <<'SQL'
SELECT count(*),
       count(*) FILTER (WHERE f.forecast NOT IN ('NaN', 'Infinity', '-Infinity')
                          AND f.lower NOT IN ('NaN', 'Infinity', '-Infinity')
                          AND f.upper NOT IN ('NaN', 'Infinity', '-Infinity')
                          AND f.lower <= f.forecast AND f.forecast <= f.upper
                          AND f.forecast BETWEEN 50 AND 250),
       string_agg(f.step::text, ',' ORDER BY f.step),
       string_agg(f.ts_local::date::text, ',' ORDER BY f.step)
FROM model m, rnn_forecast(m.model, 6) f
SQL
)
[ "$result" = "6|6|1,2,3,4,5,6|2024-01-01,2024-02-01,2024-03-01,2024-04-01,2024-05-01,2024-06-01" ]
check $? "rnn_forecast(model, 6): 6 rows, steps 1-6 for 2024-01 to 2024-06, finite, lower <= forecast <= upper, within 50-250 (the data: 90-134) (got $result)"

# the rest of the suite runs on the tree's own build again (unstripped: valgrind's traces
# name functions); dpkg still lists the package, whose files these are, byte for byte in code
if make -C "$REPO" -s install >"$WORK/make-install.log" 2>&1; then
    ok "make install of the tree again, for the tests after this one"
else
    show_log "$WORK/make-install.log"
    not_ok "make install of the tree again"
fi
echo "# $PKG $EXTVERSION stays installed; $failures failed"
[ "$failures" -eq 0 ]
