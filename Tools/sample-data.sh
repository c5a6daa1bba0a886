#!/usr/bin/env bash
# The bundled real data set (issue 6): the daily OHLCV of AAPL, MSFT, IBM and GOOG from PyPI's bokeh_sampledata,
# written as Swift source into Sources/MeshSampleData (compiled into the binary: the default feed of the node,
# devnet, backtest and indicators compute). Makes a venv in VENV (default /tmp/signalmesh-talib-venv).
#
#   Tools/sample-data.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-/tmp/signalmesh-talib-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check bokeh_sampledata
"$venv/bin/python" Tools/sample-data.py "${1:-Sources/MeshSampleData/SampleData+CSV.swift}"
