#!/usr/bin/env bash
# Builds one benchmark target of this package in release mode and runs it, exporting JMH JSON into a directory.
# Shared by Tools/bench-crypto.sh and Tools/bench-transport.sh, which then read the export and print their tables.
#
# Usage: Tools/Benchmarks/run-target.sh TARGET EXPORT_DIR [arguments for `swift package benchmark`...]
set -euo pipefail

target=$1
export_dir=$2
shift 2
cd "$(dirname "${BASH_SOURCE[0]}")"
# Build first, on its own, so that a compile error reads as one rather than as a plugin failure.
swift build -c release --product "$target"
swift package --allow-writing-to-directory "$export_dir" benchmark run --target "$target" \
    --format jmh --path "$export_dir" --no-progress "$@"
