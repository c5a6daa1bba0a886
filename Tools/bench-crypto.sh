#!/usr/bin/env bash
# Runs the crypto micro-benchmarks (Tools/Benchmarks, ordo-one/benchmark) in release mode and prints, per operation,
# the MeshCrypto wrapper's median next to the same calls made directly on libcrypto / libsodium, their ratio, and the
# wrapper's heap allocations per operation. Target: ratio <= 1.1 and 0 allocations.
#
# Usage: Tools/bench-crypto.sh [--filter REGEX] [--skip REGEX]   (extra arguments go to `swift package benchmark`)
# Needs libsodium-dev, libssl-dev and pkg-config (Tools/install-deps.sh) and python3. Builds into
# Tools/Benchmarks/.build, never the parent's .build. Runs for about 30 s after the build (2 s per benchmark).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export_dir="$(mktemp -d)"
trap 'rm -rf "$export_dir"' EXIT

"$here/Benchmarks/run-target.sh" CryptoBenchmarks "$export_dir" "$@"

python3 - "$export_dir" <<'PY'
import glob, json, re, sys

# Each sample is 1000 operations (`scalingFactor: .kilo` in Benchmarks/CryptoBenchmarks/CryptoBenchmarks.swift).
# The JMH export holds per-sample values: time metrics in microseconds per sample (= nanoseconds per operation),
# counts (the custom thread-CPU metric in ns, mallocs) as raw totals per sample.
OPERATIONS_PER_SAMPLE = 1000
TARGET_RATIO = 1.1

files = glob.glob(sys.argv[1] + "/*.jmh.json")
if len(files) != 1:
    sys.exit(f"bench-crypto: expected one JMH export in {sys.argv[1]}, found {files}")
elements = json.load(open(files[0]))

def per_op(element, metric, counted, statistic="p50"):
    data = element["secondaryMetrics"].get(metric)
    if data is None:
        sys.exit(f"bench-crypto: metric '{metric}' missing from {element['benchmark']}")
    value = data["scorePercentiles"]["50.0"] if statistic == "p50" else data["score"]
    return value / OPERATIONS_PER_SAMPLE if counted else value

rows = {}
for element in elements:
    match = re.fullmatch(r"package\.benchmark\.[^.]+\.(.+)_\[(wrapper|C)\]", element["benchmark"])
    if not match:
        sys.exit(f"bench-crypto: unexpected benchmark name {element['benchmark']}")
    operation, side = match.group(1).replace("_", " "), match.group(2)
    rows.setdefault(operation, {})[side] = {
        "wall": per_op(element, "Time (wall clock)", counted=False),
        "cpu": per_op(element, "Thread CPU time (ns)", counted=True),
        # The mean over all samples, so that even one allocation in a thousand operations shows.
        "mallocs": per_op(element, "Malloc (total)", counted=True, statistic="mean"),
    }

def ns(value):
    return f"{value / 1000:.2f} µs" if value >= 10_000 else f"{value:.0f} ns"

header = ("operation", "wrapper p50", "C p50", "ratio", "CPU ratio", "wrapper mallocs/op")
lines = []
over = []
for operation in sorted(rows):
    pair = rows[operation]
    if set(pair) != {"wrapper", "C"}:
        sys.exit(f"bench-crypto: '{operation}' lacks its wrapper or C run")
    wrapper, c = pair["wrapper"], pair["C"]
    ratio = wrapper["wall"] / c["wall"]
    cpu_ratio = wrapper["cpu"] / c["cpu"]
    flag = "" if ratio <= TARGET_RATIO and wrapper["mallocs"] == 0 else " !"
    if flag:
        over.append(operation)
    lines.append((operation, ns(wrapper["wall"]), ns(c["wall"]), f"{ratio:.2f}x{flag}", f"{cpu_ratio:.2f}x",
                  f"{wrapper['mallocs']:g}"))

widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
def show(row):
    return "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
print()
print("p50 wall-clock time per operation; CPU ratio = the same from this thread's CPU time (ignores preemption)")
print(show(header))
print(show(tuple("-" * w for w in widths)))
for line in lines:
    print(show(line))
if over:
    print(f"\n! over {TARGET_RATIO}x or allocating: {', '.join(over)}")
PY
