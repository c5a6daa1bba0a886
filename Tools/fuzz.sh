#!/usr/bin/env bash
# Builds and runs the libFuzzer harnesses in Tools/Fuzz/ (one per decoder). See Tools/README.md, "Fuzzing".
#
#   Tools/fuzz.sh build                    build every harness into .build-fuzz/harnesses/
#   Tools/fuzz.sh run <target> [seconds]   fuzz one target (default 60 s)
#   Tools/fuzz.sh all [seconds]            fuzz every target in turn (default 60 s each)
#   Tools/fuzz.sh repro <target> <file>    run one input (a crasher) through a target once
#   Tools/fuzz.sh list                     print the target names
#
# Exits non-zero when a run finds a crash, a leak, a timeout or an out-of-memory input.
set -euo pipefail

cd "$(dirname "$0")/.."
readonly SCRATCH=.build-fuzz
readonly FUZZ_DIR=Tools/Fuzz
readonly HARNESS_DIR="$SCRATCH/harnesses"
readonly LOG_DIR="$SCRATCH/logs"
readonly TARGETS=(varint frames fields nodeid hex keyfile packet sessionframes endpoint membership)
# Instrumentation for every Swift file of the modules under test and of the harness: libFuzzer's coverage
# callbacks plus AddressSanitizer.
readonly SANITIZE=-sanitize=fuzzer,address

# The package modules a target's harness links against (dependencies first).
modules_of() {
    case "$1" in
    varint | frames | fields) echo "MeshCore MeshWire" ;;
    nodeid | hex) echo "MeshCore" ;;
    keyfile) echo "MeshCore MeshCrypto" ;;
    # MeshTransport keeps sent packets in swift-collections' Deque: its module and those it depends on link too.
    packet | sessionframes | endpoint)
        echo "MeshCore MeshWire MeshCrypto InternalCollectionsUtilities ContainersPreview DequeModule MeshTransport"
        ;;
    membership)
        echo "MeshCore MeshWire MeshCrypto InternalCollectionsUtilities ContainersPreview DequeModule MeshTransport MeshMembership"
        ;;
    *) return 1 ;;
    esac
}

die() {
    echo "fuzz.sh: $*" >&2
    exit 2
}

check_target() {
    modules_of "$1" >/dev/null || die "unknown target '$1' (targets: ${TARGETS[*]})"
}

# Compiles the modules under test with SwiftPM, instrumented. `-sanitize=fuzzer` on a library target only adds
# coverage instrumentation; nothing is linked, so SwiftPM's missing `<target>_main` problem does not arise.
build_modules() {
    local module
    for module in MeshWire MeshCrypto MeshTransport MeshMembership; do
        swift build -c release --scratch-path "$SCRATCH" --target "$module" -Xswiftc "$SANITIZE"
    done
}

# Compiles one harness and links it with the instrumented object files of the modules it tests. libFuzzer's
# runtime supplies main(), which calls the harness's LLVMFuzzerTestOneInput.
link_harness() {
    local target=$1 bin objects=() module
    bin=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
    # One object per source file SwiftPM compiled this time (its `sources` list), so that the object of a deleted
    # or renamed source left behind in the scratch path is never linked.
    for module in $(modules_of "$target"); do
        while IFS= read -r source; do
            # SwiftPM quotes a path that has spaces in it ('…/Integer rank.swift').
            source=${source#\'}
            source=${source%\'}
            objects+=("$bin/$module.build/$(basename "$source").o")
        done <"$bin/$module.build/sources"
    done
    mkdir -p "$HARNESS_DIR"
    # shellcheck disable=SC2046 # pkg-config prints several flags.
    swiftc "$SANITIZE" -parse-as-library -O -g -swift-version 6 -use-ld=lld \
        -I "$bin/Modules" -I Sources/CSodium -I Sources/COpenSSL \
        "$FUZZ_DIR/$target.swift" "${objects[@]}" \
        $(pkg-config --libs libsodium libcrypto) \
        -o "$HARNESS_DIR/$target"
    echo "built $HARNESS_DIR/$target"
}

build_all() {
    build_modules
    local target
    for target in "${TARGETS[@]}"; do link_harness "$target"; done
}

# Makes sure the harness of `target` is current: rebuilds the modules (incremental) and relinks.
build_one() {
    build_modules
    link_harness "$1"
}

# The Swift runtime's own backtracer would catch a trap first and then fight AddressSanitizer's handler; turn it off
# so that libFuzzer reports the trap ("deadly signal"), writes the input and prints the stack.
export_sanitizer_options() {
    local symbolizer
    export SWIFT_BACKTRACE=enable=no
    if symbolizer=$(command -v llvm-symbolizer); then export ASAN_SYMBOLIZER_PATH="$symbolizer"; fi
}

# The stack frames of a report, with Swift symbol names demangled.
print_stack() {
    grep -E '^[[:space:]]+#[0-9]+ ' "$1" | swift demangle --simplified || true
}

# Fuzzes one target for `seconds`; returns libFuzzer's exit status. New inputs go to the corpus directory, which
# starts from the committed seeds; crashes go to Tools/Fuzz/artifacts/<target>-crash-<sha1>.
fuzz_target() {
    local target=$1 seconds=$2 status=0
    local corpus="$FUZZ_DIR/corpus-$target" seeds="$FUZZ_DIR/seeds/$target" log="$LOG_DIR/$target.log"
    mkdir -p "$corpus" "$FUZZ_DIR/artifacts" "$LOG_DIR"
    export_sanitizer_options
    echo "== fuzzing $target for ${seconds}s (log: $log)"
    # One in-process fuzzing loop on one core: libFuzzer's default. (-jobs/-workers would start child processes
    # and send their output to fuzz-N.log files instead.) -timeout: one input taking 10 s is a hang.
    # -malloc_limit_mb: the decoders promise never to allocate more than the input or a named limit allows, and
    # inputs are at most a few KiB, so any single allocation above 64 MiB is a finding.
    "$HARNESS_DIR/$target" \
        -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=64 -print_final_stats=1 \
        -artifact_prefix="$FUZZ_DIR/artifacts/$target-" \
        "$corpus" "$seeds" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
    summarise "$target" "$log" "$status"
    return "$status"
}

# Prints one line: executions, executions per second, and the artifact of a crash if there was one.
summarise() {
    local target=$1 log=$2 status=$3 runs rate artifact
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [[ -z $runs ]]; then runs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -1); fi
    artifact=$(sed -n 's/^artifact_prefix=.*; Test unit written to //p' "$log" | tail -1)
    if [[ $status -eq 0 ]]; then
        echo "== $target: ${runs:-?} executions, ${rate:-?} exec/s, no crash"
    else
        grep -m1 -E 'Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$log" || true
        print_stack "$log"
        echo "== $target: ${runs:-?} executions, ${rate:-?} exec/s, FAILED (exit $status)${artifact:+, input: $artifact}"
    fi
}

command=${1:-}
case "$command" in
build)
    build_all
    ;;
run)
    target=${2:-}
    [[ -n $target ]] || die "usage: Tools/fuzz.sh run <target> [seconds]"
    check_target "$target"
    build_one "$target"
    fuzz_target "$target" "${3:-60}"
    ;;
all)
    seconds=${2:-60}
    build_all
    failed=()
    for target in "${TARGETS[@]}"; do
        fuzz_target "$target" "$seconds" || failed+=("$target")
    done
    if ((${#failed[@]} > 0)); then
        echo "== failed: ${failed[*]}"
        exit 1
    fi
    echo "== all targets ran without a crash"
    ;;
repro)
    target=${2:-}
    input=${3:-}
    [[ -n $target && -n $input ]] || die "usage: Tools/fuzz.sh repro <target> <file>"
    check_target "$target"
    build_one "$target"
    export_sanitizer_options
    log="$LOG_DIR/repro-$target.log"
    mkdir -p "$LOG_DIR"
    status=0
    "$HARNESS_DIR/$target" "$input" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
    if [[ $status -ne 0 ]]; then print_stack "$log"; fi
    exit "$status"
    ;;
list)
    printf '%s\n' "${TARGETS[@]}"
    ;;
*)
    die "usage: Tools/fuzz.sh build | run <target> [seconds] | all [seconds] | repro <target> <file> | list"
    ;;
esac
