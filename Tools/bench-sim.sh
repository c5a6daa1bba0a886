#!/usr/bin/env bash
# Simulator speed and memory (issue 5), with the membership scenarios it names, all with real cryptography:
#   converge  1,000 nodes joining through 3 seeds, 120 virtual s
#   partition 1,000 nodes, a 50/50 partition from 60 s to 120 s, then until the overlay has converged again
#   churn     1,000 nodes, 10% of them replaced per minute for 5 minutes, then until converged again
#   10k       10,000 nodes joining through 3 seeds over 20 s, 60 virtual s
# Each prints virtual against wall-clock time side by side (the reference is real time: "speed" is virtual seconds
# per wall second; targets: >= 10x at 1,000 nodes, >= 1x at 10,000), the same once the overlay had converged
# ("formed": the joining's handshakes left out), events per second and peak memory per node.
# Reports (JSON) and charts (SVG) go to DIR (default /tmp/bench-sim).
#
#   Tools/bench-sim.sh [DIR] [SCENARIO ...]      e.g. Tools/bench-sim.sh /tmp/b converge 10k
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/bench-sim}
shift || true
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(converge partition churn 10k)
mkdir -p "$out"
swift build -c release --product signalmesh >/dev/null
sim=.build/release/signalmesh

for name in "${scenarios[@]}"; do
    case "$name" in
        converge) args=(--nodes 1000 --seeds 3 --duration 120) ;;
        partition) args=(--nodes 1000 --seeds 3 --duration 180 --partition 'halves@60+60' --settle 900) ;;
        churn) args=(--nodes 1000 --seeds 3 --duration 420 --fault 'churn 10%@60+300' --settle 300) ;;
        10k) args=(--nodes 10000 --seeds 3 --duration 60 --join-over 20) ;;
        *) echo "bench-sim: unknown scenario '$name' (converge, partition, churn, 10k)" >&2; exit 64 ;;
    esac
    echo "== $name: signalmesh sim ${args[*]}" >&2
    status=0
    "$sim" sim "${args[@]}" --report "$out/$name.json" --chart "$out/$name.svg" > "$out/$name.txt" || status=$?
    [ $status -eq 0 ] || { cat "$out/$name.txt"; echo "bench-sim: $name failed (exit $status)" >&2; }
done

python3 - "$out" "${scenarios[@]}" <<'PY'
import json, sys, os
out, names = sys.argv[1], sys.argv[2:]
print(f"{'scenario':<10}{'nodes':>7}{'virtual s':>11}{'wall s':>9}{'speed':>9}{'formed':>9}{'target':>8}{'events/s':>11}"
      f"{'kB/node':>9}{'converged':>11}{'recovered':>11}{'handshakes':>12}  invariants")
for name in names:
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        continue
    r = json.load(open(path))
    target = 1.0 if r["nodes"] >= 10000 else 10.0
    speed = r["speed_vs_real_time"]
    formed = f"{r['speed_after_converged']:.1f}x" if "speed_after_converged" in r else "-"
    conv = f"{r['converged_after_s']:.1f} s" if "converged_after_s" in r else "never"
    rec = f"{r['recovered_after_faults_s']:.1f} s" if "recovered_after_faults_s" in r else ("-" if not r["faults"] else "never")
    held = "held" if not r["violations"] else "FAILED: " + "; ".join(v["invariant"] for v in r["violations"])
    print(f"{name:<10}{r['nodes']:>7}{r['virtual_seconds']:>11.0f}{r['wall_seconds']:>9.1f}{speed:>8.1f}x{formed:>9}{target:>7.0f}x"
          f"{r['events_per_second']:>11.0f}{r.get('peak_rss_kb_per_node', 0):>9}{conv:>11}{rec:>11}{r['handshakes']:>12}  {held}")
PY
