#!/usr/bin/env bash
# Builds and installs Citus from the vendored source for the Citus TAP test (test/t/citus.pl).
#
#   tools/build-citus.sh
#
# Citus has no Debian package for PostgreSQL 15, so the test builds it from ../shared/vendor
# (relative to the repository root; CITUS_VENDOR overrides the folder): the release tarball
# citus-VERSION.tar.gz and a patch for the PostgreSQL 15.20 headers. Runs as root (apt-get and
# make install into the PostgreSQL directories). Exits 0 with "skipped: ..." when the vendor
# folder or the tarball is absent; test/t/citus.pl then skips itself because citus.so is not
# installed. Idempotent: does nothing when citus.so of the vendored version is installed.
#
# Environment: CITUS_VENDOR (vendor folder), PG_CONFIG (default: PostgreSQL 15's pg_config).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

vendor=${CITUS_VENDOR:-$root/../shared/vendor}
if [ -d "$vendor" ]; then
    vendor=$(cd "$vendor" && pwd)
else
    echo "build-citus: skipped: the vendor folder $vendor is absent (set CITUS_VENDOR to use another)"
    exit 0
fi

shopt -s nullglob
tarballs=("$vendor"/citus-*.tar.gz)
shopt -u nullglob
if [ ${#tarballs[@]} -eq 0 ]; then
    echo "build-citus: skipped: no citus-*.tar.gz in $vendor (absent)"
    exit 0
fi
if [ ${#tarballs[@]} -gt 1 ]; then
    echo "build-citus: more than one citus-*.tar.gz in $vendor: ${tarballs[*]}" >&2
    exit 1
fi
tarball=${tarballs[0]}
version=$(basename "$tarball" .tar.gz)
version=${version#citus-}

if [ -z "${PG_CONFIG:-}" ]; then
    if [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
        PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
    else
        PG_CONFIG=pg_config
    fi
fi

# installed_version_ok: citus.so is installed, its version string names $version and the
# installed control file has the default_version of the tarball's control file.
installed_version_ok() {
    local so control want have
    so="$("$PG_CONFIG" --pkglibdir)/citus.so"
    control="$("$PG_CONFIG" --sharedir)/extension/citus.control"
    [ -f "$so" ] && [ -f "$control" ] || return 1
    grep -aq "Citus $version " "$so" || return 1
    want=$(tar -xzOf "$tarball" "citus-$version/src/backend/distributed/citus.control" |
        sed -n "s/^default_version *= *'\(.*\)'/\1/p")
    have=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$control")
    [ -n "$want" ] && [ "$want" = "$have" ]
}

if installed_version_ok; then
    echo "build-citus: Citus $version is already installed in $("$PG_CONFIG" --pkglibdir); nothing to do"
    exit 0
fi

# Build dependencies (the PostgreSQL 15 server headers come with install-deps.sh itself).
"$root/tools/install-deps.sh" libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev \
    libssl-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev autoconf flex bison

# Citus must be built against the headers of the server minor version that loads it.
server_version=$("$("$PG_CONFIG" --bindir)/postgres" --version | sed -n 's/.* \([0-9][0-9.]*\).*/\1/p')
headers_version=$("$PG_CONFIG" --version | sed -n 's/.* \([0-9][0-9.]*\).*/\1/p')
if [ "$server_version" != "$headers_version" ]; then
    echo "build-citus: the server is PostgreSQL $server_version but the headers are $headers_version;" >&2
    echo "build-citus: upgrade the server (apt-get install -y postgresql-15) first" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
cd "$work/citus-$version"
shopt -s nullglob
for p in "$vendor"/citus-"$version"-*.patch; do
    echo "build-citus: applying $(basename "$p")"
    patch -p1 <"$p"
done
shopt -u nullglob

start=$(date +%s)
./configure PG_CONFIG="$PG_CONFIG" >"$work/configure.log" 2>&1 || {
    tail -n 40 "$work/configure.log" >&2
    exit 1
}
make -j2 >"$work/make.log" 2>&1 || {
    tail -n 60 "$work/make.log" >&2
    exit 1
}
make install >"$work/install.log" 2>&1 || {
    tail -n 40 "$work/install.log" >&2
    exit 1
}
echo "build-citus: built and installed Citus $version in $(($(date +%s) - start)) s"

if ! installed_version_ok; then
    echo "build-citus: citus.so of version $version is not where expected after make install" >&2
    exit 1
fi
