#!/usr/bin/env bash
# Issue 7 on real loopback: how fast a signal reaches every one of N node processes, SignalMesh beside hashicorp
# memberlist in the same run (one after the other). Prints, for each, the median / p90 / max time until a signal
# had reached all N, duplicates received per node per message and bytes sent per node per signal, the ratios
# SignalMesh/memberlist, and the target (SignalMesh median <= 50 ms for 50 nodes). How each figure is measured is
# printed below the table; the measuring is done by Tools/bench-gossip-loopback.py.
#
# Usage: Tools/bench-gossip-loopback.sh [NODES] [SIGNALS] [ISSUERS]
#   NODES 3 to 64 (default 50); SIGNALS 1 to 200 (default 50), 200 ms apart; ISSUERS, how many nodes publish, 3 to
#   NODES (default NODES: each signal from a different node, so each is its issuer's first). Fewer issuers taking
#   turns show SignalMesh's per-origin trees after an origin's first signal; 3 keeps each issuer within the
#   validator's rate (20 records in 10 s).
# Takes about 1.5 minutes with the defaults, more when swift has to build. Environment: SIGNALMESH=/path/to/binary
# uses that signalmesh instead of building one (`swift build -c release --product signalmesh`); KEEP=1 keeps the work
# folder (kept anyway when a signal did not reach every node or a system failed; its path is printed).
# Needs swift (unless SIGNALMESH is given), python3, and Go with Debian's golang-github-hashicorp-memberlist-dev,
# which it installs with apt-get when missing (as root, or with sudo). memberlist is built offline in GOPATH mode.
set -euo pipefail
nodes="${1:-50}"
signals="${2:-50}"
issuers="${3:-$nodes}"
if ! [[ "$nodes" =~ ^[0-9]{1,2}$ ]] || [ "$nodes" -lt 3 ] || [ "$nodes" -gt 64 ]; then
    echo "bench-gossip-loopback: NODES must be a whole number from 3 to 64 (devnet's limit), not '$nodes'" >&2
    exit 64
fi
if ! [[ "$signals" =~ ^[0-9]{1,3}$ ]] || [ "$signals" -lt 1 ] || [ "$signals" -gt 200 ]; then
    echo "bench-gossip-loopback: SIGNALS must be a whole number from 1 to 200, not '$signals'" >&2
    exit 64
fi
if ! [[ "$issuers" =~ ^[0-9]{1,2}$ ]] || [ "$issuers" -lt 3 ] || [ "$issuers" -gt "$nodes" ]; then
    echo "bench-gossip-loopback: ISSUERS must be a whole number from 3 to NODES ($nodes), not '$issuers'" >&2
    exit 64
fi
if [ "$#" -gt 3 ]; then
    echo "bench-gossip-loopback: at most three arguments, NODES, SIGNALS and ISSUERS; got $#" >&2
    exit 64
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

gocode=/usr/share/gocode
if ! command -v go >/dev/null 2>&1 || [ ! -d "$gocode/src/github.com/hashicorp/memberlist" ]; then
    packages=(golang-go golang-github-hashicorp-memberlist-dev)
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo_cmd=(sudo)
        else
            echo "bench-gossip-loopback: not root and no sudo; as root: apt-get install ${packages[*]}" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"; then
        "${sudo_cmd[@]}" apt-get update -q
        "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
    fi
fi

if [ -n "${SIGNALMESH:-}" ]; then
    signalmesh="$SIGNALMESH"
else
    swift build -c release --product signalmesh
    signalmesh="$(swift build -c release --show-bin-path)/signalmesh"
fi
if [ ! -x "$signalmesh" ]; then
    echo "bench-gossip-loopback: '$signalmesh' is not an executable" >&2
    exit 1
fi

work="$(mktemp -d)"
cleanup() {
    status=$?
    # Every process the driver started is listed in $work/pids; stop those still running (the driver normally has).
    if [ -f "$work/pids" ]; then
        while read -r pid; do
            if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$work"; then
                kill -TERM "$pid" 2>/dev/null || true
            fi
        done <"$work/pids"
        sleep 1
        while read -r pid; do
            if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$work"; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        done <"$work/pids"
    fi
    if [ "${KEEP:-0}" = 1 ] || [ -f "$work/keep" ] || [ "$status" -ne 0 ]; then
        echo "bench-gossip-loopback: logs kept in $work (signalmesh/nodeN/logs, memberlist/nNN.log)" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# memberlist from Debian's source packages, offline: GOPATH mode, no module proxy.
(cd Tools/memberlist-bench &&
    GO111MODULE=off GOPATH="$work/gopath:$gocode" GOCACHE="$work/gocache" GOPROXY=off \
        go build -o "$work/memberlist-bench" .)

python3 Tools/bench-gossip-loopback.py --signalmesh "$signalmesh" --memberlist "$work/memberlist-bench" \
    --work "$work" --nodes "$nodes" --signals "$signals" --issuers "$issuers"
