#!/usr/bin/env python3
"""Issue 7's loopback comparison: a signal's spread over N real SignalMesh nodes, then over N hashicorp memberlist
nodes, in one run, one after the other, on 127.0.0.1. Run by Tools/bench-gossip-loopback.sh, which builds both
programs; standard library only.

    bench-gossip-loopback.py --signalmesh BIN --memberlist BIN --work DIR [--nodes 50] [--signals 50] [--issuers N]

For each system: start N processes, wait until the group is one (SignalMesh: `signalmesh devnet`'s criterion, every
node at its minimum of neighbours and the overlay one connected graph; memberlist: every node counts N members),
then three windows: idle, publishing, idle. In the publishing window K signals go out SPACING apart, each from a
different node in a seeded random order, or from --issuers nodes taking turns (the same order for both systems);
the window ends SETTLE after the last one. The idle windows give each system's background traffic (membership,
probes) and processor time, which are taken off the publishing window's.
"""

import argparse
import datetime
import json
import math
import os
import random
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import time

SPACING = 0.2  # seconds between two signals
SETTLE = 3.0  # seconds after the last signal before the publishing window closes
IDLE = 6.0  # seconds of each idle window
CONNECT_TIMEOUT = 90.0  # seconds for a SignalMesh overlay to become connected
MEMBERS_WAIT = 45.0  # seconds to wait for every memberlist node to count all; it then goes on, and says so
SEED = 7  # the issuers' order


def log(message):
    print(f"bench-gossip-loopback: {message}", file=sys.stderr, flush=True)


class Lines:
    """Reads lines from many non-blocking descriptors; each line is handed over with its CLOCK_MONOTONIC read time."""

    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.buffers = {}

    def add(self, fileobj, key):
        os.set_blocking(fileobj.fileno(), False)
        self.selector.register(fileobj, selectors.EVENT_READ, key)
        self.buffers[fileobj.fileno()] = b""

    def remove(self, fileobj):
        try:
            self.selector.unregister(fileobj)
        except (KeyError, ValueError):
            pass

    def poll(self, timeout, handle):
        """Waits at most `timeout` seconds for input; calls handle(key, line, t_mono_ns) for each complete line."""
        for selected, _ in self.selector.select(max(0.0, timeout)):
            fileobj = selected.fileobj
            try:
                if isinstance(fileobj, socket.socket):
                    chunk = fileobj.recv(1 << 20)
                else:
                    chunk = os.read(fileobj.fileno(), 1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            now = time.monotonic_ns()
            if not chunk:
                self.remove(fileobj)
                handle(selected.data, None, now)
                continue
            data = self.buffers[fileobj.fileno()] + chunk
            *lines, rest = data.split(b"\n")
            self.buffers[fileobj.fileno()] = rest
            for line in lines:
                if line.strip():
                    handle(selected.data, line, now)

    def run_until(self, deadline_mono, handle, done=lambda: False):
        while not done():
            left = deadline_mono - time.monotonic()
            if left <= 0:
                return
            self.poll(min(left, 0.05), handle)


def percentile(values, fraction):
    """Nearest rank; math.inf stands for a signal that did not reach every node."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def issuer_order(nodes, signals, issuers):
    """Which node publishes each signal: with as many issuers as nodes, a different node each (a fresh seeded
    permutation every `nodes` signals); with fewer, a seeded choice of `issuers` nodes taking turns."""
    rng = random.Random(SEED)
    if issuers < nodes:
        chosen = rng.sample(range(nodes), issuers)
        return [chosen[index % issuers] for index in range(signals)]
    order = []
    while len(order) < signals:
        permutation = list(range(nodes))
        rng.shuffle(permutation)
        order += permutation
    return order[:signals]


def varint_size(value):
    """QUIC varint length (Specs/wire.md, section 3)."""
    return 1 if value < 64 else 2 if value < 16384 else 4 if value < 1 << 30 else 8


def record_size(record):
    """The bytes of a signal record (Specs/gossip.md, section 9: the table) from the fields signals.publish answers."""

    def string(text):
        raw = text.encode()
        return varint_size(len(raw)) + len(raw)

    snapshot = record.get("snapshot", {})
    size = 1 + 32 + varint_size(record["sequence"]) + 8 + 8
    size += string(record["strategy"]) + string(record["rule"]) + string(record["symbol"]) + string(record["timeframe"])
    size += 8 + 8 + 1 + 1 + 8
    size += varint_size(len(snapshot)) + sum(string(name) + 8 for name in snapshot)
    return size + 64


def timestamp_ns(text):
    """An event's `time` (RFC 3339, UTC, milliseconds) as CLOCK_REALTIME nanoseconds."""
    moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return round(moment.timestamp() * 1000) * 1_000_000


def cpu_seconds(pids):
    """User and system CPU time the processes have used so far (Linux /proc/PID/stat, fields 14 and 15)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_note(cpu, t, nodes, signals):
    """What the nodes' processors did: cpu and t are the readings and times at the four window edges."""
    window = cpu[2] - cpu[1]
    idle_rate = ((cpu[1] - cpu[0]) + (cpu[3] - cpu[2])) / ((t[1] - t[0]) + (t[3] - t[2]))
    cores = os.cpu_count()
    return (f"the nodes used {window / (t[2] - t[1]) / cores:.0%} of the {cores} cores in the publishing window, "
            f"{idle_rate / cores:.0%} when idle: {(window - idle_rate * (t[2] - t[1])) / signals * 1000:.0f} "
            f"CPU ms per signal over all {nodes} nodes")


def children_of(parent):
    """The pids of the running processes whose parent is `parent` (Linux /proc)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                    children.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return children


def started_here(pid, work):
    """Whether `pid` still runs one of this run's programs (its command line names the run's folder), so that a pid
    the system has given to another process since is never signalled."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return work.encode() in cmdline.read()
    except OSError:
        return False


def note_pid(work, pid):
    """Every process started is listed for the shell's EXIT trap, which stops those still running."""
    with open(os.path.join(work, "pids"), "a") as pids:
        pids.write(f"{pid}\n")


def stop_processes(processes, grace):
    """SIGTERM, then SIGKILL after `grace` seconds, for (pid, Popen or None) pairs still running."""
    for pid, _ in processes:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    for pid, process in processes:
        while time.monotonic() < deadline:
            if process is not None:
                if process.poll() is not None:
                    break
            elif not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z":
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if process is not None:
            try:
                process.wait(2)
            except subprocess.TimeoutExpired:
                pass


class Result:
    def __init__(self, system):
        self.system = system
        self.nodes = 0
        self.sent = 0
        self.reached = []  # per signal: how many nodes had it by the end of its system's run
        self.latency_ms = []  # per signal: until the last node had it, math.inf when one never did (driver's clock)
        self.stamped_ms = []  # the same from the nodes' own receipt stamps (CLOCK_REALTIME)
        self.duplicates = 0.0  # per node per message
        self.bytes_per_signal = 0.0  # per node per signal, background taken off
        self.raw_bytes_per_signal = 0.0  # the same without taking the background off
        self.idle_bytes_per_second = 0.0  # per node
        self.payload = None  # bytes per signal: SignalMesh's record size, which memberlist's messages copy
        self.notes = []
        self.failure = None


class Publishing:
    """The signals of one system's publishing window, and when each node first had each."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.published_mono = {}  # signal index -> ns
        self.published_real = {}
        self.first_mono = {}  # signal index -> {node: ns}
        self.first_stamp = {}  # signal index -> {node: realtime ns as the node stamped it}

    def receipt(self, index, node, mono, stamp):
        self.first_mono.setdefault(index, {}).setdefault(node, mono)
        self.first_stamp.setdefault(index, {}).setdefault(node, stamp)

    def complete(self, index):
        return len(self.first_mono.get(index, {})) == self.nodes

    def fill(self, result, publishers):
        for index in sorted(self.published_mono):
            mono = self.first_mono.get(index, {})
            stamp = self.first_stamp.get(index, {})
            publisher = publishers[index]
            # The publisher's own copy counts at the moment the driver asked for the signal.
            mono[publisher] = self.published_mono[index]
            stamp[publisher] = self.published_real[index]
            result.reached.append(len(mono))
            if len(mono) == self.nodes:
                result.latency_ms.append((max(mono.values()) - self.published_mono[index]) / 1e6)
                result.stamped_ms.append((max(stamp.values()) - self.published_real[index]) / 1e6)
            else:
                result.latency_ms.append(math.inf)
                result.stamped_ms.append(math.inf)


# MARK: SignalMesh


class ControlConnection:
    def __init__(self, path, node):
        self.node = node
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.next_id = 1

    def send(self, method, params=None):
        request_id = self.next_id
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        self.sock.setblocking(True)
        self.sock.sendall((json.dumps(request) + "\n").encode())
        self.sock.setblocking(False)
        return request_id


def run_signalmesh(binary, work, nodes, signals, publishers):
    result = Result("SignalMesh")
    result.nodes = nodes
    folder = os.path.join(work, "signalmesh")
    window = signals * SPACING + SETTLE
    # The devnet stops by itself after this long even if this driver dies.
    duration = int(CONNECT_TIMEOUT + 2 * IDLE + window + 60)
    output = open(os.path.join(work, "signalmesh-devnet.jsonl"), "wb")
    errors = open(os.path.join(work, "signalmesh-devnet.stderr"), "wb")
    devnet = subprocess.Popen(
        [binary, "devnet", "--nodes", str(nodes), "--no-strategy", "--duration", str(duration), "--dir", folder,
         "--json"],
        stdout=output, stderr=errors, stdin=subprocess.DEVNULL)
    note_pid(work, devnet.pid)
    node_pids = []
    lines = Lines()
    connections = []
    try:
        # The overlay: devnet's own criterion, from the node events it prints (listening, neighbor_up/_down).
        started = time.monotonic()
        ids, neighbours = {}, {}
        needed = min(4, nodes - 1)
        offset = 0
        connected_after = None
        while connected_after is None:
            if devnet.poll() is not None:
                result.failure = f"the devnet exited ({devnet.returncode}) before the overlay was connected"
                return result
            if time.monotonic() - started > CONNECT_TIMEOUT:
                result.failure = f"the overlay was not connected after {CONNECT_TIMEOUT:.0f} s"
                return result
            time.sleep(0.1)
            # The nodes are the devnet's children: listed as they appear, for the shell's EXIT trap.
            for pid in children_of(devnet.pid):
                if pid not in node_pids:
                    node_pids.append(pid)
                    note_pid(work, pid)
            with open(output.name, "rb") as text:
                text.seek(offset)
                chunk = text.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            offset += len(complete)
            for line in complete.splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                node, kind = event.get("node"), event.get("event")
                if kind == "listening":
                    ids[event["node_id"]] = node
                elif kind == "neighbor_up":
                    neighbours.setdefault(node, set()).add(event["peer"])
                elif kind == "neighbor_down":
                    neighbours.setdefault(node, set()).discard(event["peer"])
            if len(ids) < nodes or any(len(neighbours.get(node, ())) < needed for node in range(nodes)):
                continue
            seen, frontier = {0}, [0]
            while frontier:
                for peer in neighbours.get(frontier.pop(), ()):
                    if peer in ids and ids[peer] not in seen:
                        seen.add(ids[peer])
                        frontier.append(ids[peer])
            if len(seen) == nodes:
                connected_after = time.monotonic() - started
        time.sleep(2.0)  # subscriptions exchanged with the last neighbours

        # One control connection per node: its signal events, its answers.
        for node in range(nodes):
            connection = ControlConnection(os.path.join(folder, f"node{node}", "control.sock"), node)
            connections.append(connection)
            lines.add(connection.sock, node)
        answers = {}
        publishing = Publishing(nodes)
        pending = {}  # (issuer, sequence) -> [(node, mono, stamp)] before the publish answer named its signal
        signal_of = {}  # (issuer, sequence) -> signal index
        request_signal = {}  # (node, request id) -> signal index
        sizes = []
        came_from = {}  # ((issuer, sequence), node) -> the neighbour its first copy came from (a node id)

        def handle(node, line, mono):
            if line is None:
                result.notes.append(f"node {node} closed its control connection")
                return
            message = json.loads(line)
            if message.get("method") == "events.event":
                event = message["params"]["event"]
                data = event.get("data", {})
                if event.get("type") != "signal" or data.get("origin") != "peer":
                    return
                key = (data.get("issuer"), data.get("sequence"))
                came_from.setdefault((key, node), data.get("from"))
                stamp = timestamp_ns(event["time"])
                if key in signal_of:
                    publishing.receipt(signal_of[key], node, mono, stamp)
                else:
                    pending.setdefault(key, []).append((node, mono, stamp))
                return
            answers[(node, message.get("id"))] = message
            index = request_signal.pop((node, message.get("id")), None)
            if index is not None:
                record = message.get("result")
                if record is None:
                    result.notes.append(f"signal {index} from node {node} refused: {message.get('error')}")
                    return
                sizes.append(record_size(record))
                key = (record["issuer"], record["sequence"])
                signal_of[key] = index
                for node_, mono_, stamp_ in pending.pop(key, []):
                    publishing.receipt(index, node_, mono_, stamp_)

        def call_all(method, params=None):
            waiting = {(c.node, c.send(method, params)) for c in connections}
            deadline = time.monotonic() + 15
            lines.run_until(deadline, handle, lambda: waiting <= answers.keys())
            missing = waiting - answers.keys()
            if missing:
                raise RuntimeError(f"{method}: no answer from nodes {sorted(n for n, _ in missing)}")
            return {node: answers.pop((node, rid)) for node, rid in waiting}

        def metrics():
            totals = {}
            for answer in call_all("metrics.get").values():
                for line in answer["result"]["text"].splitlines():
                    if line.startswith("#") or not line.strip():
                        continue
                    name, value = line.rsplit(" ", 1)
                    totals[name] = totals.get(name, 0.0) + float(value)
            return totals

        index_of, measured_pids = {}, []
        for node, answer in call_all("node.info").items():
            index_of[answer.get("result", {}).get("node_id")] = node
            pid = answer.get("result", {}).get("pid")
            measured_pids.append(pid)
            if pid and pid not in node_pids:
                node_pids.append(pid)
                note_pid(work, pid)
        call_all("events.subscribe", {"types": ["signal"]})

        cpu = [cpu_seconds(measured_pids)]
        before = metrics()
        t0 = time.monotonic()
        lines.run_until(t0 + IDLE, handle)
        cpu.append(cpu_seconds(measured_pids))
        start_publishing = metrics()
        t1 = time.monotonic()
        for index in range(signals):
            lines.run_until(t1 + index * SPACING, handle)
            connection = connections[publishers[index]]
            publishing.published_real[index] = time.time_ns()
            publishing.published_mono[index] = time.monotonic_ns()
            request_signal[(connection.node, connection.send("signals.publish", {
                "symbol": "AAPL", "side": "buy" if index % 2 == 0 else "sell", "price": 100.0 + index}))] = index
        lines.run_until(t1 + window, handle)
        cpu.append(cpu_seconds(measured_pids))
        end_publishing = metrics()
        t2 = time.monotonic()
        lines.run_until(t2 + IDLE, handle)
        cpu.append(cpu_seconds(measured_pids))
        after = metrics()
        t3 = time.monotonic()
        result.notes.append(cpu_note(cpu, [t0, t1, t2, t3], nodes, signals))

        publishing.fill(result, publishers)
        result.sent = len(publishing.published_mono)
        key_out = 'signalmesh_bytes_total{direction="out"}'
        idle_bytes = (start_publishing[key_out] - before[key_out]) + (after[key_out] - end_publishing[key_out])
        idle_seconds = (t1 - t0) + (t3 - t2)
        idle_rate = idle_bytes / idle_seconds  # all nodes
        window_bytes = end_publishing[key_out] - start_publishing[key_out]
        result.idle_bytes_per_second = idle_rate / nodes
        result.raw_bytes_per_signal = window_bytes / (nodes * signals)
        result.bytes_per_signal = (window_bytes - idle_rate * (t2 - t1)) / (nodes * signals)

        def delta(name):
            return after.get(name, 0) - start_publishing.get(name, 0)

        duplicates = delta('signalmesh_gossip_messages_total{outcome="duplicate"}')
        result.duplicates = duplicates / (nodes * signals)
        delivered = delta('signalmesh_gossip_messages_total{outcome="delivered"}')
        frames = {kind: delta(f'signalmesh_gossip_frames_sent_total{{kind="{kind}"}}')
                  for kind in ["ihave", "graft", "prune", "idontwant", "repair"]}
        dropped = delta('signalmesh_gossip_dropped_total{direction="out"}')
        ignored = delta('signalmesh_gossip_messages_total{outcome="ignored"}')
        rejected = delta('signalmesh_gossip_messages_total{outcome="rejected"}')
        result.payload = round(statistics.mean(sizes)) if sizes else None
        result.notes.append(
            f"gossip counters over the run: {int(delivered)} deliveries, {int(duplicates)} duplicates, "
            f"{int(ignored)} ignored, {int(rejected)} rejected; frames sent: "
            + ", ".join(f"{int(v)} {k}" for k, v in frames.items()) + f"; {int(dropped)} refused by the transport")
        result.notes.append(
            f"signal record {min(sizes) if sizes else '?'}-{max(sizes) if sizes else '?'} bytes (computed from the "
            f"published fields, Specs/gossip.md section 9); background {result.idle_bytes_per_second:.0f} B/s per "
            f"node in the idle windows")
        # Hops: the depth of each node in the tree of first copies (each node's parent is the neighbour its first
        # copy came from), the deepest per signal.
        depths, hop_ms = [], []
        for key, index in signal_of.items():
            parent = {node: index_of.get(came_from.get((key, node))) for node in range(nodes)}
            stamps = publishing.first_stamp.get(index, {})
            deepest = 0
            for node in range(nodes):
                if node != publishers[index] and node in stamps and parent[node] in stamps:
                    hop_ms.append((stamps[node] - stamps[parent[node]]) / 1e6)
                hops, at = 0, node
                while at is not None and at != publishers[index] and hops <= nodes:
                    at, hops = parent.get(at), hops + 1
                if at == publishers[index]:
                    deepest = max(deepest, hops)
            depths.append(deepest)
        if depths and hop_ms:
            result.notes.append(
                f"first copies went at most {statistics.median(depths):.0f} hops from the publisher (median over "
                f"signals; largest {max(depths)}), each hop {statistics.median(hop_ms):.0f} ms median, "
                f"{percentile(hop_ms, 0.9):.0f} ms p90 (the `from` of each node's signal event and the nodes' event "
                f"times, milliseconds)")
        with open(os.path.join(work, "signalmesh-receipts.json"), "w") as dump:
            json.dump({"publishers": publishers, "published_mono_ns": publishing.published_mono,
                       "first_mono_ns": publishing.first_mono, "first_stamp_ns": publishing.first_stamp,
                       "from": {f"{index}/{node}": index_of.get(came_from.get((key, node)))
                                for key, index in signal_of.items() for node in range(nodes)}}, dump)
        missing = [(index, sorted(set(range(nodes)) - set(publishing.first_mono.get(index, {})) - {publishers[index]}))
                   for index in range(result.sent) if result.reached[index] < nodes]
        for index, absent in missing[:10]:
            result.notes.append(f"signal {index} (from node {publishers[index]}) never reached nodes {absent}; "
                                f"see {folder}/nodeN/logs/node.log")
        return result
    except (OSError, RuntimeError, ValueError, KeyError) as error:
        result.failure = f"{type(error).__name__}: {error}"
        return result
    finally:
        for connection in connections:
            connection.sock.close()
        # The devnet stops its nodes on SIGTERM; any it left are stopped by pid.
        stop_processes([(devnet.pid, devnet)], 20)
        stop_processes([(pid, None) for pid in node_pids if started_here(pid, work)], 5)
        output.close()
        errors.close()
        with open(output.name, "rb") as text:
            for line in text.read().splitlines()[-1:]:
                try:
                    connected = json.loads(line).get("connected_after_ms")
                except ValueError:
                    connected = None
                if connected is not None:
                    result.notes.insert(0, f"devnet: overlay connected {connected / 1000:.1f} s after its start")


# MARK: memberlist


def run_memberlist(binary, work, nodes, signals, publishers, payload):
    result = Result("memberlist")
    result.nodes = nodes
    result.payload = payload
    folder = os.path.join(work, "memberlist")
    os.makedirs(folder, exist_ok=True)
    window = signals * SPACING + SETTLE
    lines = Lines()
    processes = []
    try:
        def start(node, join):
            arguments = [binary, "-name", f"n{node:02d}", "-payload", str(payload)]
            if join:
                arguments += ["-join", join]
            with open(os.path.join(folder, f"n{node:02d}.log"), "wb") as errors:
                process = subprocess.Popen(arguments, bufsize=0, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=errors)
            note_pid(work, process.pid)
            processes.append(process)
            return process

        started = time.monotonic()
        first = start(0, None)
        listening = json.loads(first.stdout.readline() or b"{}")
        if "port" not in listening:
            result.failure = f"the first memberlist node did not start; see {folder}/n00.log"
            return result
        for node in range(1, nodes):
            start(node, f"127.0.0.1:{listening['port']}")
        for node, process in enumerate(processes):
            lines.add(process.stdout, node)

        publishing = Publishing(nodes)
        stats = {}

        def handle(node, line, mono):
            if line is None:
                result.notes.append(f"memberlist node {node} ended its output")
                return
            message = json.loads(line)
            if message.get("ev") == "recv" and not message.get("own"):
                publishing.receipt(message["id"], node, mono, message["t_ns"])
            elif message.get("ev") == "stats":
                stats[node] = message

        def command(node, text):
            processes[node].stdin.write(text.encode() + b"\n")
            processes[node].stdin.flush()

        def stats_all():
            stats.clear()
            for node in range(nodes):
                command(node, "stats")
            lines.run_until(time.monotonic() + 15, handle, lambda: len(stats) == nodes)
            if len(stats) < nodes:
                raise RuntimeError(f"no stats from nodes {sorted(set(range(nodes)) - set(stats))}")
            return dict(stats)

        # A node that missed an alive message only learns of that member at its next push-pull (every 60 s at 50
        # nodes: PushPullInterval scaled), so the wait is bounded and the run goes on without it.
        while True:
            if any(process.poll() is not None for process in processes):
                dead = [node for node, process in enumerate(processes) if process.poll() is not None]
                result.failure = f"memberlist nodes {dead} exited; see {folder}/nXX.log"
                return result
            counts = {node: s["members"] for node, s in stats_all().items()}
            if all(count == nodes for count in counts.values()):
                result.notes.append(
                    f"every node counted {nodes} members {time.monotonic() - started:.1f} s after the start")
                break
            if time.monotonic() - started > MEMBERS_WAIT:
                short = {node: count for node, count in counts.items() if count != nodes}
                result.notes.append(
                    f"after {MEMBERS_WAIT:.0f} s not every node counted {nodes} members (node: members {short}); "
                    f"measured anyway")
                break
            lines.run_until(time.monotonic() + 0.25, handle)
        lines.run_until(time.monotonic() + 2.0, handle)

        def totals(snapshot):
            summed = {}
            for s in snapshot.values():
                for key, value in s.items():
                    if isinstance(value, int):
                        summed[key] = summed.get(key, 0) + value
            summed["bytes_out"] = summed["udp_bytes_out"] + summed["tcp_bytes_out"]
            return summed

        pids = [process.pid for process in processes]
        cpu = [cpu_seconds(pids)]
        before = totals(stats_all())
        t0 = time.monotonic()
        lines.run_until(t0 + IDLE, handle)
        cpu.append(cpu_seconds(pids))
        start_publishing = totals(stats_all())
        t1 = time.monotonic()
        for index in range(signals):
            lines.run_until(t1 + index * SPACING, handle)
            publishing.published_real[index] = time.time_ns()
            publishing.published_mono[index] = time.monotonic_ns()
            command(publishers[index], f"pub {index}")
        lines.run_until(t1 + window, handle)
        cpu.append(cpu_seconds(pids))
        end_publishing = totals(stats_all())
        t2 = time.monotonic()
        lines.run_until(t2 + IDLE, handle)
        cpu.append(cpu_seconds(pids))
        after = totals(stats_all())
        t3 = time.monotonic()
        result.notes.append(cpu_note(cpu, [t0, t1, t2, t3], nodes, signals))

        publishing.fill(result, publishers)
        result.sent = len(publishing.published_mono)
        idle_bytes = (start_publishing["bytes_out"] - before["bytes_out"]) + (
            after["bytes_out"] - end_publishing["bytes_out"])
        idle_rate = idle_bytes / ((t1 - t0) + (t3 - t2))
        window_bytes = end_publishing["bytes_out"] - start_publishing["bytes_out"]
        result.idle_bytes_per_second = idle_rate / nodes
        result.raw_bytes_per_signal = window_bytes / (nodes * signals)
        result.bytes_per_signal = (window_bytes - idle_rate * (t2 - t1)) / (nodes * signals)
        result.duplicates = (after["duplicates"] - start_publishing["duplicates"]) / (nodes * signals)
        transmits = after["user_transmits"] - start_publishing["user_transmits"]
        user_bytes = after["user_bytes_out"] - start_publishing["user_bytes_out"]
        limit = 4 * math.ceil(math.log10(nodes + 1))
        result.notes.append(
            f"user-message transmissions: {transmits / (nodes * signals):.2f} per node per message (limit "
            f"RetransmitMult 4 x ceil(log10({nodes}+1)) = {limit}), {user_bytes / (nodes * signals):.0f} bytes of them "
            f"per node per signal; background {result.idle_bytes_per_second:.0f} B/s per node in the idle windows")
        with open(os.path.join(work, "memberlist-receipts.json"), "w") as dump:
            json.dump({"publishers": publishers, "published_mono_ns": publishing.published_mono,
                       "first_mono_ns": publishing.first_mono, "first_stamp_ns": publishing.first_stamp}, dump)
        missing = [index for index in range(result.sent) if result.reached[index] < nodes]
        for index in missing[:10]:
            absent = sorted(set(range(nodes)) - set(publishing.first_mono.get(index, {})) - {publishers[index]})
            result.notes.append(f"message {index} (from node {publishers[index]}) never reached nodes {absent}")
        return result
    except (OSError, RuntimeError, ValueError, KeyError) as error:
        result.failure = f"{type(error).__name__}: {error}"
        return result
    finally:
        for process in processes:
            try:
                process.stdin.write(b"quit\n")
                process.stdin.close()
            except OSError:
                pass
        deadline = time.monotonic() + 5
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        stop_processes([(p.pid, p) for p in processes if p.poll() is None], 3)


# MARK: Report


def figures(result):
    n = len(result.latency_ms)
    median = statistics.median(result.latency_ms) if n else math.nan
    return {
        "reached": sum(1 for r in result.reached if r == result.nodes),
        "median": median,
        "p90": percentile(result.latency_ms, 0.9) if n else math.nan,
        "max": max(result.latency_ms) if n else math.nan,
        "stamped": statistics.median(result.stamped_ms) if n else math.nan,
    }


def ms(value):
    return "never" if value == math.inf else f"{value:.1f}"


def ratio(a, b):
    if not (math.isfinite(a) and math.isfinite(b)) or b == 0:
        return "-"
    return f"{a / b:.3f}"


def report(results, nodes, signals, issuers, payload):
    if issuers == nodes:
        who = "each from a different node" if signals <= nodes else "from every node in turn"
    else:
        who = f"from {issuers} nodes taking turns"
    print()
    print(f"Gossip on real loopback: {nodes} node processes per system, {signals} signals {SPACING * 1000:.0f} ms "
          f"apart, {who} (seeded order, seed {SEED}, the same for both); "
          f"payload {payload} bytes (a SignalMesh signal record's size)")
    print(f"nproc {os.cpu_count()}: each system's {nodes} processes share these cores, the driver too; "
          f"the two systems ran one after the other, not together.")
    print()
    header = ("system", "nodes", "signals sent", "reached all", "median ms to all", "p90 ms", "max ms",
              "dup/node/msg", "bytes sent/node/signal")
    widths = [11, 6, 13, 12, 17, 8, 8, 13, 22]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    rows = {}
    for result in results:
        if result.failure:
            print(f"{result.system.ljust(11)}  failed: {result.failure}")
            continue
        f = figures(result)
        rows[result.system] = (result, f)
        cells = (result.system, str(result.nodes), str(result.sent), f"{f['reached']}/{result.sent}",
                 ms(f["median"]), ms(f["p90"]), ms(f["max"]), f"{result.duplicates:.2f}",
                 f"{result.bytes_per_signal:.0f}")
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)))
    if len(rows) == 2:
        (a, fa), (b, fb) = rows["SignalMesh"], rows["memberlist"]
        cells = ("ratio SM/ml", "", "", "", ratio(fa["median"], fb["median"]), ratio(fa["p90"], fb["p90"]),
                 ratio(fa["max"], fb["max"]), ratio(a.duplicates, b.duplicates),
                 ratio(a.bytes_per_signal, b.bytes_per_signal))
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)))
    print()
    if "SignalMesh" in rows:
        median = rows["SignalMesh"][1]["median"]
        verdict = "met" if median <= 50 else "NOT met"
        print(f"Target (issue 7): SignalMesh median to all {nodes} <= 50 ms: {ms(median)} ms, {verdict}.")
    for system, (result, f) in rows.items():
        print(f"  {system}: median from the nodes' own receipt stamps (CLOCK_REALTIME) {ms(f['stamped'])} ms; "
              f"bytes sent/node/signal before taking the background off {result.raw_bytes_per_signal:.0f}")
    print()
    print("How measured:")
    print("  time to all: from the driver's request to publish (CLOCK_MONOTONIC, one Python process) to the moment the")
    print("    driver read the last node's first-receipt report: SignalMesh `signal` events (origin peer) on each")
    print("    node's control socket (events.subscribe); memberlist a line each process prints from NotifyMsg on first")
    print("    receipt. The publisher's own copy counts at the request. A signal not at every node by the end of the")
    print("    run (its publishing window and the idle one after) counts as never: median and p90 take it as")
    print("    infinite. The second median uses the nodes' own stamps (SignalMesh: the event's time, milliseconds;")
    print("    memberlist: time.Now() in NotifyMsg) against the driver's CLOCK_REALTIME at the request.")
    print("  duplicates per node per message: copies received of messages already held, summed over the nodes during")
    print("    the publishing and second idle windows, / (nodes x signals). SignalMesh: metrics.get")
    print("    signalmesh_gossip_messages_total{outcome=\"duplicate\"}; memberlist: NotifyMsg calls for an id seen.")
    print("  bytes sent per node per signal: bytes every node sent during the publishing window, less the background")
    print("    (the mean rate of the idle windows before and after it, times its length), / (nodes x signals).")
    print("    SignalMesh: signalmesh_bytes_total{direction=\"out\"} (UDP payload, all traffic: encrypted gossip and")
    print("    membership). memberlist: UDP payload written plus TCP bytes written, counted in a wrapper around its")
    print("    NetTransport (all traffic: gossip, probes, push-pull).")
    print("  memberlist: DefaultLANConfig (gossip to 3 nodes every 200 ms, RetransmitMult 4, compression on), bound")
    print("    to 127.0.0.1; user messages spread with a TransmitLimitedQueue that every node re-queues a message into")
    print("    on first receipt (as Serf does). SignalMesh: `signalmesh devnet --no-strategy`, topic signals/AAPL.")
    for system, (result, f) in rows.items():
        for note in result.notes:
            print(f"  {system}: {note}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signalmesh", required=True)
    parser.add_argument("--memberlist", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--signals", type=int, default=50)
    parser.add_argument("--issuers", type=int, help="how many nodes publish, in turn (default: every node)")
    args = parser.parse_args()
    issuers = args.issuers or args.nodes
    if not 3 <= issuers <= args.nodes:
        parser.error("--issuers must be from 3 (an issuer's rate limit) to --nodes")
    publishers = issuer_order(args.nodes, args.signals, issuers)
    log(f"SignalMesh: {args.nodes} nodes, {args.signals} signals")
    signalmesh = run_signalmesh(args.signalmesh, args.work, args.nodes, args.signals, publishers)
    payload = signalmesh.payload or 171
    log(f"memberlist: {args.nodes} nodes, {args.signals} messages of {payload} bytes")
    memberlist = run_memberlist(args.memberlist, args.work, args.nodes, args.signals, publishers, payload)
    report([signalmesh, memberlist], args.nodes, args.signals, issuers, payload)
    incomplete = any(r.failure or any(n < r.nodes for n in r.reached) for r in (signalmesh, memberlist))
    if incomplete:
        open(os.path.join(args.work, "keep"), "w").close()
    return 1 if signalmesh.failure or memberlist.failure else 0


if __name__ == "__main__":
    sys.exit(main())
