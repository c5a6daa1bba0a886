#!/usr/bin/env python3
"""Control-socket request latency at a fixed request rate (issue 4: p50/p99 at 1,000 requests per second, target
p99 < 1 ms), side by side with a reference measured in the same run by the same client: a minimal Unix-socket
line echo server in Python, which answers each request line at once. The reference is the floor of what this
client and the kernel add; the node's figure minus it is what the node adds.

    Tools/bench-control.py --socket DATADIR/control.sock [--rate 1000] [--seconds 10] [--method node.info]
                           [--client python|c] [--keep-cpus-awake]

--client c (the default when `cc` is found) compiles Tools/bench-control.c, the same client and reference echo
server in C, into a temporary directory and runs it: Python's own jitter (interpreter, allocator, collector) is
then out of both figures. --keep-cpus-awake runs one busy loop per CPU at SCHED_IDLE priority for the length of the
run, which any runnable task preempts at once: it keeps virtual CPUs from halting when idle, as `idle=poll` or
disabled C-states do on the latency-tuned hosts trading software runs on. On a virtual machine, waking a halted
virtual CPU is what puts milliseconds into the p99 of the node and of the reference alike.

Standard library only. One request in flight at a time, sent on a fixed schedule (open loop: a late answer does
not delay the next send's scheduled time, so queueing shows in the figures); latency is send to full answer line.
The reference server runs in its own process, as the node does, so both figures include the wake-up of another
process, which on a virtual machine is most of the cost.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def echo_server(path):
    """Runs in its own process (as the node does), so both figures include a wake-up across processes."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    connection, _ = server.accept()
    buffer = b""
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            connection.sendall(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {}}).encode() + b"\n")
    connection.close()
    server.close()


class Target:
    """A connection that requests go to, and the latencies measured on it."""

    def __init__(self, path, method):
        self.client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.client.connect(path)
        self.client.settimeout(5)
        self.method = method
        self.buffer = b""
        self.latencies = []
        self.sent = 0
        self.elapsed = 0.0
        self.next_id = 0

    def run(self, rate, seconds):
        """Sends `rate` requests per second for `seconds`, one in flight."""
        interval = 1.0 / rate
        count = int(rate * seconds)
        start = time.perf_counter()
        previous_answer = start
        for index in range(count):
            scheduled = start + index * interval
            now = time.perf_counter()
            if scheduled > now:
                # Sleeping, not spinning: on two cores a spinning client takes the core the server needs.
                time.sleep(scheduled - now)
            request_id = self.next_id
            self.next_id += 1
            request = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": self.method}).encode() + b"\n"
            sent = time.perf_counter()
            self.client.sendall(request)
            while b"\n" not in self.buffer:
                self.buffer += self.client.recv(1 << 20)
            line, self.buffer = self.buffer.split(b"\n", 1)
            answered = time.perf_counter()
            answer = json.loads(line)
            if answer.get("id") != request_id or "error" in answer:
                raise SystemExit(f"unexpected answer: {line[:200]!r}")
            # The round trip, plus the wait a slow previous answer imposed on this request past its scheduled
            # time: that wait is the server's (open loop, no coordinated omission); a send late because the client
            # overslept is not.
            self.latencies.append(answered - sent + max(0.0, previous_answer - scheduled))
            previous_answer = answered
        self.sent += count
        self.elapsed += time.perf_counter() - start

    def figures(self):
        latencies = sorted(self.latencies)

        def percentile(p):
            return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1e6

        return {"p50": percentile(50), "p99": percentile(99), "p999": percentile(99.9), "max": latencies[-1] * 1e6,
                "rate": self.sent / self.elapsed}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--echo-server":
        echo_server(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--method", default="node.info")
    parser.add_argument("--client", choices=["python", "c"], default="c" if shutil.which("cc") else "python")
    parser.add_argument("--keep-cpus-awake", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.rate <= 100000 or not 0 < args.seconds <= 3600:
        raise SystemExit("--rate must be 1..100000 and --seconds 0..3600")

    spinners = []
    if args.keep_cpus_awake:
        for _ in range(os.cpu_count() or 1):
            spinners.append(subprocess.Popen(["chrt", "--idle", "0", sys.executable, "-c", "while True: pass"]))
    try:
        node, reference = (measure_c if args.client == "c" else measure_python)(args)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()

    conditions = f"{args.client} client" + (", CPUs kept awake" if args.keep_cpus_awake else "")
    print(f"{args.method} at {args.rate} requests/s, {args.seconds:g} s each in alternating 1 s slices, one in flight,"
          f" {conditions} (microseconds):")
    print(f"{'':<28}{'p50':>10}{'p99':>10}{'p99.9':>10}{'max':>10}{'achieved/s':>12}")
    for name, figures in [("node (control socket)", node), (f"reference ({args.client} echo)", reference)]:
        print(f"{name:<28}{figures['p50']:>10.1f}{figures['p99']:>10.1f}{figures['p999']:>10.1f}"
              f"{figures['max']:>10.1f}{figures['rate']:>12.0f}")
    print(f"ratio node/reference: p50 {node['p50'] / reference['p50']:.2f}x, p99 {node['p99'] / reference['p99']:.2f}x")
    verdict = "met" if node["p99"] < 1000 else "NOT met"
    print(f"target p99 < 1000 us: {verdict} ({node['p99']:.1f} us)")


def measure_c(args):
    """Compiles and runs Tools/bench-control.c; returns the node's figures and the reference's."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-control.c")
    with tempfile.TemporaryDirectory() as directory:
        binary = os.path.join(directory, "bench-control")
        subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-o", binary, source], check=True)
        output = subprocess.run([binary, args.socket, args.method, str(args.rate), str(args.seconds)], check=True,
                                stdout=subprocess.PIPE, text=True).stdout
    figures = json.loads(output)
    return figures["node"], figures["reference"]


def measure_python(args):
    """Runs this file's Python client against the node and a Python echo server; returns both figures."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "echo.sock")
        server = subprocess.Popen([sys.executable, __file__, "--echo-server", path])
        deadline = time.monotonic() + 10
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.01)
        reference_target = Target(path, "echo")
        node_target = Target(args.socket, args.method)
        # Alternating one-second slices, so that the machine's quiet and busy moments fall on both alike.
        slices = max(1, int(args.seconds))
        for _ in range(slices):
            node_target.run(args.rate, args.seconds / slices)
            reference_target.run(args.rate, args.seconds / slices)
        reference_target.client.close()
        server.wait(timeout=10)
    return node_target.figures(), reference_target.figures()


if __name__ == "__main__":
    main()
