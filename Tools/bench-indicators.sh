#!/usr/bin/env bash
# MeshIndicators against TA-Lib's C library (issue 6), same machine, same run, same generated bars (N, default 10
# million): batch and streaming time per sample for SMA(30), EMA(30), RSI(14), MACD(12,26,9), BBANDS(20), ATR(14),
# ADX(14), their ratio (target <= 1.0), and allocations per streaming update on our side (target 0); our batch both
# into a reused array (as the C side reuses its buffers) and as a new array per run ("fresh"). TA-Lib is the C
# library inside PyPI's ta-lib 0.8.2 wheel, installed into a venv (VENV, default /tmp/signalmesh-talib-venv) and
# called from Tools/bench-indicators.c; ours runs from the nested package Tools/IndicatorBench (release).
#
# TARGET_CPU (a swiftc -target-cpu, e.g. haswell) builds our side for that CPU and later ones: the fused multiply-adds
# (Double.addingProduct) are then instructions rather than calls to libm's fma, which is what TA-Lib's FMA build,
# chosen at load time, has. The default build runs on any x86-64.
#
#   [TARGET_CPU=haswell] Tools/bench-indicators.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000000}
venv=${VENV:-/tmp/signalmesh-talib-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check 'ta-lib==0.8.2'
library=$(ls "$venv"/lib/python3*/site-packages/ta_lib.libs/libta-lib*.so* | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/bench-talib" Tools/bench-indicators.c "$library" -Wl,-rpath,"$(dirname "$library")"
build=.build
options=()
if [ -n "${TARGET_CPU:-}" ]; then
    build=.build/cpu-$TARGET_CPU
    options=(-Xswiftc -target-cpu -Xswiftc "$TARGET_CPU")
fi
(cd Tools/IndicatorBench && swift build -c release --scratch-path "$build" "${options[@]}" >/dev/null)
"$work/bench-talib" "$count" > "$work/talib.txt" 2>/dev/null
"Tools/IndicatorBench/$build/release/indicator-bench" "$count" > "$work/ours.txt" 2>/dev/null
python3 - "$work/talib.txt" "$work/ours.txt" "$count" "${TARGET_CPU:-any x86-64 (default)}" <<'PY'
import sys
def read(path):
    rows = {}
    for line in open(path):
        parts = line.split()
        rows[(parts[0], parts[1])] = [float(x) for x in parts[2:]]
    return rows
talib, ours, count = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3])
print(f"{count:,} samples, ns per sample (best of 3); ratio = ours / TA-Lib (target <= 1.0); allocations per update (target 0)")
print(f"ours built for {sys.argv[4]}")
print("batch: into a reused array, as TA-Lib's run; fresh: batch(_:) returning a new array (against TA-Lib's batch)")
print(f"{'indicator':<15}{'form':<8}{'TA-Lib':>9}{'ours':>9}{'ratio':>8}{'allocs':>8}")
for (name, form), values in ours.items():
    reference = talib[(name, "batch" if form == "fresh" else form)][0]
    allocs = f"{values[1]:.2f}" if form == "stream" else ""
    print(f"{name:<15}{form:<8}{reference:>9.2f}{values[0]:>9.2f}{values[0] / reference:>7.2f}x{allocs:>8}")
PY
