#!/usr/bin/env bash
# Measures received goodput on 127.0.0.1, one run after another in one invocation: iperf3 over plain UDP (1200-byte
# datagrams, the size SignalMesh puts on the wire), then `signalmesh throughput` in datagram mode and in stream mode,
# and prints a table with each SignalMesh row's ratio to iperf3's received throughput (target: >= 0.7 for both).
#
# Usage: Tools/bench-goodput.sh [SECONDS]   (seconds per run, default 10)
# Needs swift, python3, ss (iproute2) and timeout (coreutils); installs iperf3 from Debian's package when it is
# missing (apt-get update first; as root, or through sudo). Builds signalmesh in release mode into the package's
# .build. Runs for about 3 x SECONDS + 10 s after the build; every process is started under `timeout` and killed on
# exit.
set -euo pipefail

seconds="${1:-10}"
if ! [[ "$seconds" =~ ^[1-9][0-9]{0,2}$ ]]; then
    echo "bench-goodput: SECONDS must be a whole number from 1 to 999, not '$seconds'" >&2
    exit 64
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
pids=()

# Background processes run under `timeout`, whose pid is recorded: TERM reaches the command through it; whatever
# still runs 2 s later is killed, the command (the child of that `timeout`) first.
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 20); do
        running=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
        [[ "$running" -eq 0 ]] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# A TCP and UDP port on 127.0.0.1 that was free a moment ago (iperf3 uses both on the same number).
free_port() {
    python3 -c 'import socket
t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", port)); print(port)'
}

# Waits up to 10 s for a TCP listener on 127.0.0.1:$1 (without connecting: iperf3 -1 would take it for a test).
wait_for_listener() {
    for _ in $(seq 100); do
        [[ -n "$(ss -Hltn "sport = :$1")" ]] && return 0
        sleep 0.1
    done
    echo "bench-goodput: nothing listens on 127.0.0.1:$1 after 10 s" >&2
    exit 1
}

cd "$root"
swift build -c release --product signalmesh
signalmesh="$(swift build -c release --show-bin-path)/signalmesh"

if ! command -v iperf3 >/dev/null; then
    sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update
    # The package asks whether to start an iperf3 daemon; noninteractive takes the default, no.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y iperf3
fi

echo
echo "nproc: $(nproc). Sender, receiver and iperf3 share these cores; the three runs take turns, ${seconds} s each."
echo "iperf3: $(iperf3 --version | head -1)"

# (a) iperf3, UDP as fast as it goes. The one-off server (-1) exits after the test and writes its own JSON, whose
# end.sum_received is what arrived (iperf3 3.12 leaves the server's end.sum at 0 bytes).
port="$(free_port)"
timeout -k 5 $((seconds + 30)) iperf3 -s -B 127.0.0.1 -p "$port" -1 -J \
    >"$work/iperf3-server.json" 2>"$work/iperf3-server.err" &
iperf3_server=$!
pids+=("$iperf3_server")
wait_for_listener "$port"
echo "running iperf3 -c 127.0.0.1 -u -b 0 -l 1200 -t $seconds ..."
timeout -k 5 $((seconds + 30)) iperf3 -c 127.0.0.1 -p "$port" -u -b 0 -l 1200 -t "$seconds" --json \
    >"$work/iperf3-client.json" 2>"$work/iperf3-client.err" || {
    echo "bench-goodput: the iperf3 client failed:" >&2
    cat "$work/iperf3-client.err" "$work/iperf3-client.json" >&2
    exit 1
}
wait "$iperf3_server" || {
    echo "bench-goodput: the iperf3 server failed:" >&2
    cat "$work/iperf3-server.err" >&2
    exit 1
}

# (b) and (c): one `throughput serve` for both runs; each sender runs with a temporary identity.
"$signalmesh" keygen --datadir "$work/server" >/dev/null 2>&1
timeout -k 5 $((3 * seconds + 60)) "$signalmesh" throughput serve --listen 127.0.0.1:0 --datadir "$work/server" --json \
    >"$work/serve.jsonl" 2>"$work/serve.err" &
serve=$!
pids+=("$serve")
for _ in $(seq 100); do
    [[ -s "$work/serve.jsonl" ]] && break
    sleep 0.1
done
target="$(python3 -c 'import json, sys
line = json.loads(open(sys.argv[1]).readline())
print(line["node_id"] + "@" + line["addresses"][0])' "$work/serve.jsonl")" || {
    echo "bench-goodput: throughput serve did not start:" >&2
    cat "$work/serve.err" >&2
    exit 1
}
for mode in datagram stream; do
    echo "running signalmesh throughput send --mode $mode --seconds $seconds ..."
    timeout -k 5 $((seconds + 40)) "$signalmesh" throughput send "$target" --mode "$mode" --seconds "$seconds" \
        --datadir "$work/sender" --json >"$work/$mode.jsonl" 2>"$work/$mode.err" || {
        echo "bench-goodput: throughput send --mode $mode failed:" >&2
        cat "$work/$mode.err" >&2
        exit 1
    }
done
kill -TERM "$serve"
wait "$serve" || true

python3 - "$work" <<'PY'
import json, sys

work = sys.argv[1]
TARGET = 0.7

server = json.load(open(f"{work}/iperf3-server.json"))
client = json.load(open(f"{work}/iperf3-client.json"))
received = server["end"]["sum_received"]
sent = client["end"]["sum_sent"]
iperf_bps = received["bits_per_second"]
rows = [("iperf3", "UDP, 1200-byte datagrams", iperf_bps / 1e6, received["lost_percent"])]
details = [
    f"iperf3: sent {sent['packets']} datagrams at {sent['bits_per_second'] / 1e6:.1f} Mbit/s; the server counted "
    f"{received['packets'] - received['lost_packets']} received, {received['lost_packets']} lost"
]
for mode in ("datagram", "stream"):
    summary = [json.loads(line) for line in open(f"{work}/{mode}.jsonl")][-1]
    assert summary["event"] == "summary", summary
    rows.append(("signalmesh", f"{mode}, {summary['size']}-byte messages", summary["goodput_mbps"],
                 summary["loss_percent"]))
    details.append(
        f"signalmesh {mode}: the transport took {summary['sent_messages']} messages at {summary['sent_mbps']:.1f} "
        f"Mbit/s; the socket sent {summary['socket_sent']} datagrams in {summary['socket_send_calls']} sendmmsg calls "
        f"({summary['socket_queued']} after waiting, "
        f"{summary['socket_dropped']} dropped); {summary['received_messages']} received, {summary['lost']} lost, "
        f"{summary['duplicates']} duplicates, {summary['out_of_order']} out of order")

print()
print(f"{'tool':<11} {'mode':<29} {'received goodput (Mbit/s)':>25} {'loss %':>7} {'ratio to iperf3':>16}")
for tool, mode, mbps, loss in rows:
    ratio = mbps * 1e6 / iperf_bps
    print(f"{tool:<11} {mode:<29} {mbps:>25.1f} {loss:>7.2f} {ratio:>16.2f}")
print()
for line in details:
    print(line)
print("Goodput counts message bytes (SignalMesh: 1165 of the 1200 bytes of a datagram; iperf3: all 1200 payload bytes)")
print("between the first and the last arrival.")
verdicts = [f"{mode.split(',')[0]} {'met' if mbps * 1e6 / iperf_bps >= TARGET else 'NOT met'}"
            for tool, mode, mbps, _ in rows[1:]]
print(f"Target: >= {TARGET}x iperf3's received throughput for both SignalMesh rows: {', '.join(verdicts)}.")
PY
