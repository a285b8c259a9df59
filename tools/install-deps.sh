#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, test and demo rnn_forecast.
#
#   tools/install-deps.sh [EXTRA_PACKAGE...]
#
# Idempotent: asks dpkg-query first and only runs apt-get when something is missing.
# Extra package names given as arguments are checked and installed the same way.
set -euo pipefail

packages=(
    build-essential
    postgresql-15
    postgresql-server-dev-15
    postgresql-contrib
    libopenblas-serial-dev
    libopenblas0-serial
    pkg-config
    "$@"
)

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: dpkg-query not found; this script supports Debian 12 only" >&2
    exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: installing them needs root, and sudo is not available; run this script as root" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
