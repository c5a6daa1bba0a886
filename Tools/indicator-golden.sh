#!/usr/bin/env bash
# Golden indicator values from TA-Lib for MeshIndicators' tests (issue 6). Makes a venv in VENV (default
# /tmp/signalmesh-talib-venv), installs ta-lib 0.8.2 (whose wheel carries the TA-Lib C library), numpy and
# bokeh_sampledata from PyPI, and writes the bundled real OHLCV input and one CSV per indicator and parameter set.
#
#   Tools/indicator-golden.sh [OUT] [ROWS]     defaults: Tests/MeshIndicatorsTests/Golden, 500 rows per symbol
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-/tmp/signalmesh-talib-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'ta-lib==0.8.2' numpy bokeh_sampledata
"$venv/bin/python" Tools/indicator-golden.py "${1:-Tests/MeshIndicatorsTests/Golden}" "${2:-500}"
