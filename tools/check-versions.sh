#!/usr/bin/env bash
# Checks that every place naming the extension's version names the same one:
#   Makefile             EXTVERSION
#   rnn_forecast.control default_version
#   debian/changelog     the version of its first entry (a native package: no revision)
#   META.json            version, and provides.rnn_forecast.version (PGXN)
# and that rnn_forecast--EXTVERSION.sql exists and is META.json's provides.rnn_forecast.file.
#
#   tools/check-versions.sh [TREE]      (TREE defaults to the repository this script is in)
#
# Prints one line per source and exits 1 on any disagreement. debian/rules runs it before
# building the package; test/t/package.sh runs it too.
set -euo pipefail

tree=${1:-"$(dirname "${BASH_SOURCE[0]}")/.."}
cd "$tree"

fail=0
problem() {
    echo "check-versions: $*" >&2
    fail=1
}

extversion=$(sed -n 's/^EXTVERSION[[:space:]]*[:?]\{0,1\}=[[:space:]]*\([^[:space:]]*\).*/\1/p' Makefile | head -n 1)
control=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" rnn_forecast.control | head -n 1)
changelog=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
# META.json is read with JSON::PP (a core Perl module) so that its layout does not matter
meta=$(perl -MJSON::PP -e '
    local $/; open my $f, "<", "META.json" or die "META.json: $!\n";
    my $m = JSON::PP->new->decode(<$f>);
    my $p = $m->{provides}{rnn_forecast} // {};
    print join("\n", $m->{version} // "", $p->{version} // "", $p->{file} // ""), "\n";
') || problem "META.json could not be read"
meta_version=$(sed -n 1p <<<"$meta")
meta_provides=$(sed -n 2p <<<"$meta")
meta_file=$(sed -n 3p <<<"$meta")
# the package the README's install command names
readme_deb=$(sed -n 's/.*postgresql-15-rnn-forecast_\([^_]*\)_amd64\.deb.*/\1/p' README.md | head -n 1)

echo "check-versions: Makefile EXTVERSION              ${extversion:-?}"
echo "check-versions: rnn_forecast.control             ${control:-?}"
echo "check-versions: debian/changelog                 ${changelog:-?}"
echo "check-versions: META.json version                ${meta_version:-?}"
echo "check-versions: META.json provides.rnn_forecast  ${meta_provides:-?} (${meta_file:-?})"
echo "check-versions: README.md package to install     ${readme_deb:-?}"

[ -n "$extversion" ] || problem "no EXTVERSION in the Makefile"
for pair in "rnn_forecast.control default_version:$control" "debian/changelog:$changelog" \
        "META.json version:$meta_version" "META.json provides.rnn_forecast.version:$meta_provides" \
        "README.md's .deb:$readme_deb"; do
    if [ "${pair##*:}" != "$extversion" ]; then
        problem "${pair%:*} is '${pair##*:}', the Makefile's EXTVERSION is '$extversion'"
    fi
done
[ -f "rnn_forecast--$extversion.sql" ] || problem "rnn_forecast--$extversion.sql is missing"
if [ "$meta_file" != "rnn_forecast--$extversion.sql" ]; then
    problem "META.json provides.rnn_forecast.file is '$meta_file', expected rnn_forecast--$extversion.sql"
fi

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "check-versions: all agree on $extversion"
