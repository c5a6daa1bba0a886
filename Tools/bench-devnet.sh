#!/usr/bin/env bash
# Starts devnets of 5, 20 and 50 real nodes on 127.0.0.1 (`signalmesh devnet`, release build) and prints, for each,
# the time until the overlay was one connected graph with every node at its minimum of neighbours, and each node's
# resident memory just before the stop (issue 4's figures: connectivity time for N = 5 / 20 / 50; idle RSS per node,
# target <= 30 MB).
#
# Usage: Tools/bench-devnet.sh [SECONDS]   (how long each devnet runs, default 20; at least the connection time)
# Needs swift and python3. Builds signalmesh in release mode into the package's .build.
set -euo pipefail
seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[1-9][0-9]{0,3}$ ]]; then
    echo "bench-devnet: SECONDS must be a whole number from 1 to 9999, not '$seconds'" >&2
    exit 64
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
swift build -c release --product signalmesh
dynamic="$(swift build -c release --show-bin-path)/signalmesh"
# The same program with the Swift runtime and Foundation linked in (`--static-swift-stdlib`, the self-contained
# build README.md recommends for deployment), in its own build folder, measured beside the dynamic one.
swift build -c release --product signalmesh --static-swift-stdlib --scratch-path .build-static
static="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/signalmesh"
echo
echo "nproc: $(nproc); every node is its own process on these cores; each devnet runs ${seconds} s."
printf '%-8s %-6s %-20s %-16s %-18s %-16s %-22s\n' build nodes "connected after (s)" "RSS mean (MB)" \
    "RSS largest (MB)" "PSS mean (MB)" "private dirty mean/max (MB)"
for run in dynamic:5 dynamic:20 dynamic:50 static:20; do
    build="${run%%:*}"
    nodes="${run##*:}"
    if [ "$build" = static ]; then signalmesh="$static"; else signalmesh="$dynamic"; fi
    work="$(mktemp -d)"
    summary="$("$signalmesh" devnet --nodes "$nodes" --duration "$seconds" --dir "$work" --json | tail -1)" || true
    python3 - "$build" "$nodes" "$summary" <<'PY'
import json, sys
build, nodes, line = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    s = json.loads(line)
except ValueError:
    print(f"{build:<8} {nodes:<6} devnet failed: {line!r}")
    sys.exit(0)
after = s.get("connected_after_ms")
connected = f"{after / 1000:.2f}" if after is not None else "never"
mean = s.get("rss_kb_mean", 0) / 1024
largest = s.get("rss_kb_max", 0) / 1024
pss = s.get("pss_kb_mean", 0) / 1024
private = f'{s.get("private_kb_mean", 0) / 1024:.1f} / {s.get("private_kb_max", 0) / 1024:.1f}'
print(f"{build:<8} {nodes:<6} {connected:<20} {mean:<16.1f} {largest:<18.1f} {pss:<16.1f} {private:<22}")
PY
    rm -rf "$work"
done
