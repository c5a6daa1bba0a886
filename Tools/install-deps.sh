#!/usr/bin/env bash
# Installs the native libraries SignalMesh links against (Debian/Ubuntu).
# Idempotent: safe to run again; apt-get skips what is already installed.
# Usage: Tools/install-deps.sh        (as root, or with sudo available)
set -euo pipefail

packages=(libsodium-dev libuv1-dev libsqlite3-dev libssl-dev pkg-config)

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: apt-get not found; install these packages with your system's package manager: ${packages[*]}" >&2
    exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "install-deps: not root and sudo is not available; run as root: apt-get install ${packages[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"

for lib in libsodium libuv sqlite3 libcrypto; do
    if ! pkg-config --exists "$lib"; then
        echo "install-deps: pkg-config cannot find '$lib' after installation" >&2
        exit 1
    fi
done
echo "install-deps: ok ($(pkg-config --modversion libsodium) libsodium, $(pkg-config --modversion libuv) libuv," \
     "$(pkg-config --modversion sqlite3) sqlite3, $(pkg-config --modversion libcrypto) libcrypto)"
