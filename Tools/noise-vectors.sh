#!/usr/bin/env bash
# Regenerates SignalMesh's own Noise IK test vectors, Specs/vectors/transport/noise-ik.json, with an independent
# implementation: Tools/noise-vectors.py on the PyPI packages noiseprotocol and cryptography (pinned below), installed
# into the venv Tools/.venv-noise (gitignored). Idempotent: every input is fixed in the script, so a second run
# writes the same bytes. Tests replay the file (Tests/MeshTransportTests/ProjectNoiseVectorTests.swift); only run
# this after changing the script, and commit the JSON with it.
#
# Usage: Tools/noise-vectors.sh        (needs python3 with the venv module, and PyPI)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv-noise"
output="$root/Specs/vectors/transport/noise-ik.json"

# cffi and pycparser are cryptography's own dependencies, pinned too so that the venv is the same on every machine.
packages=(noiseprotocol==0.3.1 cryptography==50.0.2 cffi==2.1.1 pycparser==3.12)

if ! command -v python3 >/dev/null 2>&1; then
    echo "noise-vectors: python3 not found; install Python 3.10 or later (Debian: python3, python3-venv)" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"

mkdir -p "$(dirname "$output")"
"$venv/bin/python" "$here/noise-vectors.py" "$output"
echo "noise-vectors: wrote ${output#"$root/"}"
