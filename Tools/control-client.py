#!/usr/bin/env python3
"""A control-socket client in Python, standard library only (Specs/control-api.md).

    Tools/control-client.py --socket DATADIR/control.sock call node.info
    Tools/control-client.py --socket DATADIR/control.sock call peers.list '{"view": "all"}'
    Tools/control-client.py --socket DATADIR/control.sock events --follow
    Tools/control-client.py --socket DATADIR/control.sock check      # conformance checks, malformed input included

`check` exercises every method and the error paths against a running node and exits 0 only if every check
passed; it prints one line per check. It leaves the node as it found it (a ban it sets is lifted again).
"""

import argparse
import json
import socket
import sys
import time


class ControlError(Exception):
    def __init__(self, error):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message")


class Client:
    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""
        self.next_id = 1
        self.notifications = []

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_message(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the node closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            raise ControlError({"code": None, "message": f"the node sent a line that is not JSON: {line[:200]!r}"})

    def read_answer(self):
        """The next message that is not a notification."""
        while True:
            message = self.read_message()
            if isinstance(message, dict) and "id" not in message:
                self.notifications.append(message)
                continue
            return message

    def request(self, method, params=None):
        request_id = self.next_id
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        self.send_raw((json.dumps(request) + "\n").encode())
        while True:
            answer = self.read_answer()
            if answer.get("id") == request_id:
                return answer
            if answer.get("id") is None and "error" in answer:
                return answer  # an error the node could not tie to a request (a refused connection): surface it

    def call(self, method, params=None):
        answer = self.request(method, params)
        if "error" in answer:
            raise ControlError(answer["error"])
        return answer["result"]

    def next_notification(self):
        if self.notifications:
            return self.notifications.pop(0)
        return self.read_message()


def bech32m_node_id(key):
    """A node id's text form (Specs/wire.md, section 6: hrp "sm", bech32m) for 32 key bytes, to name a peer in checks."""
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

    def polymod(values):
        generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
        checksum = 1
        for value in values:
            top = checksum >> 25
            checksum = (checksum & 0x1FFFFFF) << 5 ^ value
            for index in range(5):
                checksum ^= generator[index] if (top >> index) & 1 else 0
        return checksum

    data, accumulator, bits = [], 0, 0
    for byte in key:
        accumulator = (accumulator << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((accumulator >> bits) & 31)
    if bits:
        data.append((accumulator << (5 - bits)) & 31)
    hrp = "sm"
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    value = polymod(expanded + data + [0] * 6) ^ 0x2BC830A3
    checksum = [(value >> 5 * (5 - index)) & 31 for index in range(6)]
    return hrp + "1" + "".join(charset[d] for d in data + checksum)


def run_checks(path):
    results = []

    def check(name, condition, detail=""):
        results.append(bool(condition))
        print(("PASS " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))

    def error_code(answer):
        return answer.get("error", {}).get("code")

    client = Client(path)
    hello = client.call("node.hello", {"api_versions": [1], "client": "control-client.py"})
    check("node.hello speaks API version 1", hello.get("api_version") == 1, hello)
    check("node.hello lists capabilities", {"node", "peers", "events", "metrics"} <= set(hello.get("capabilities", [])))
    answer = client.request("node.hello", {"api_versions": [99]})
    check("node.hello with only an unknown version is refused (-32002)", error_code(answer) == -32002, answer)

    info = client.call("node.info")
    for key in ["node_id", "network", "version", "boot_id", "pid", "addresses", "uptime_seconds", "peers"]:
        check(f"node.info has {key}", key in info, sorted(info))
    health = client.call("node.health")
    check("node.health has a status", health.get("status") in ("ok", "degraded", "isolated"), health)

    peers = client.call("peers.list", {"view": "all"})["peers"]
    check("peers.list answers a list", isinstance(peers, list), peers)
    for peer in peers[:3]:
        for key in ["id", "addresses", "direction", "connected_since", "bytes_in", "bytes_out", "rtt_ms", "is_seed"]:
            check(f"peers.list entry has {key}", key in peer, sorted(peer))
    answer = client.request("peers.list", {"view": "sideways"})
    check("peers.list with a bad view is invalid params (-32602)", error_code(answer) == -32602, answer)

    # Events: a poll from the start, a subscription, ids that rise by one.
    polled = client.call("events.poll", {"since": 0, "timeout_ms": 0})
    ids = [event["id"] for event in polled["events"] if event["id"] is not None]
    check("events.poll returns events with ids rising by one", ids == list(range(ids[0], ids[0] + len(ids))) if ids else True, ids)
    check("events.poll carries the boot id", polled.get("boot_id") == info["boot_id"], polled.get("boot_id"))
    started = time.monotonic()
    empty = client.call("events.poll", {"since": polled["next"], "timeout_ms": 200, "types": ["no.such.type"]})
    waited = time.monotonic() - started
    check("a long poll with nothing to report waits and answers empty", empty["events"] == [] and waited >= 0.15, (empty, waited))
    answer = client.request("events.poll", {"since": 10**12})
    check("events.poll since a future id is invalid params", error_code(answer) == -32602, answer)
    answer = client.request("events.poll", {})
    check("events.poll without since is invalid params", error_code(answer) == -32602, answer)

    subscriber = Client(path)
    subscribed = subscriber.call("events.subscribe", {"types": ["peer.*"]})
    check("events.subscribe answers a subscription", "subscription" in subscribed, subscribed)
    stranger = bech32m_node_id(bytes(range(1, 33)))  # an id no real peer has
    banned = client.call("peers.ban", {"id": stranger, "duration_seconds": 60})
    check("peers.ban answers until when", "until" in banned, banned)
    event = subscriber.next_notification()
    check("a ban shows on the event stream", event["params"]["event"]["type"] == "peer.banned", event)
    check("peers.bans lists it", stranger in [ban["id"] for ban in client.call("peers.bans")["bans"]])
    client.call("peers.unban", {"id": stranger})
    event = subscriber.next_notification()
    check("an unban shows on the event stream", event["params"]["event"]["type"] == "peer.unbanned", event)
    answer = client.request("peers.unban", {"id": stranger})
    check("unbanning a peer that is not banned is refused (-32001)", error_code(answer) == -32001, answer)
    answer = client.request("peers.ban", {"id": "sm1notanid"})
    check("peers.ban of a malformed id is invalid params", error_code(answer) == -32602, answer)
    subscriber.close()

    answer = client.request("peers.ban", {"id": info["node_id"]})
    check("banning the node itself is refused (-32001)", error_code(answer) == -32001, answer)
    answer = client.request("peers.connect", {"peer": "garbage"})
    check("peers.connect with garbage is invalid params", error_code(answer) == -32602, answer)

    metrics = client.call("metrics.get")
    text = metrics.get("text", "")
    check("metrics.get returns Prometheus text", "# TYPE signalmesh_handshakes_total counter" in text, text[:200])

    # Malformed input: each gets a JSON-RPC error, and the connection stays usable.
    client.send_raw(b"{this is not json\n")
    answer = client.read_answer()
    check("malformed JSON is a parse error (-32700) with id null", error_code(answer) == -32700 and answer["id"] is None, answer)
    client.send_raw(b'{"jsonrpc": "1.0", "id": 5, "method": "node.info"}\n')
    answer = client.read_answer()
    check("a wrong jsonrpc version is an invalid request (-32600)", error_code(answer) == -32600 and answer["id"] == 5, answer)
    client.send_raw(b'[1, 2]\n')
    answer = client.read_answer()
    check("a batch of non-requests answers an error per entry", isinstance(answer, list) and len(answer) == 2, answer)
    client.send_raw(b"[]\n")
    answer = client.read_answer()
    check("an empty batch is an invalid request", error_code(answer) == -32600, answer)
    answer = client.request("no.such.method")
    check("an unknown method is -32601", error_code(answer) == -32601, answer)
    answer = client.request("node.info", {"surprise": 1})
    check("an unknown param is invalid params", error_code(answer) == -32602, answer)
    client.send_raw(b'{"jsonrpc": "2.0", "method": "node.info"}\n')  # a notification: no answer
    client.send_raw(b"x" * (1 << 20) + b"yz\n")
    answer = client.read_answer()
    check("a line over 1 MiB is refused with an error", error_code(answer) == -32600 and "longer" in answer["error"]["message"], answer)
    batch = [{"jsonrpc": "2.0", "id": "a", "method": "node.hello"}, {"jsonrpc": "2.0", "id": "b", "method": "node.health"}]
    client.send_raw((json.dumps(batch) + "\n").encode())
    answer = client.read_answer()
    check("a batch is answered in one array", isinstance(answer, list) and sorted(a["id"] for a in answer) == ["a", "b"], answer)
    check("the connection still works after all that", client.call("node.hello")["api_version"] == 1)
    client.close()

    passed = sum(results)
    print(f"{passed}/{len(results)} checks passed")
    return passed == len(results)


def main():
    parser = argparse.ArgumentParser(description="SignalMesh control-socket client (standard library only).")
    parser.add_argument("--socket", required=True, help="the control socket, DATADIR/control.sock")
    commands = parser.add_subparsers(dest="command", required=True)
    call = commands.add_parser("call", help="call one method and print its result")
    call.add_argument("method")
    call.add_argument("params", nargs="?", help="params as a JSON object")
    events = commands.add_parser("events", help="print events")
    events.add_argument("--follow", action="store_true")
    events.add_argument("--since", type=int, default=0)
    commands.add_parser("check", help="run the conformance checks against a running node")
    args = parser.parse_args()

    try:
        if args.command == "check":
            sys.exit(0 if run_checks(args.socket) else 1)
        client = Client(args.socket)
        if args.command == "call":
            params = json.loads(args.params) if args.params else None
            print(json.dumps(client.call(args.method, params), sort_keys=True))
        elif args.command == "events":
            if args.follow:
                client.call("events.subscribe", {"since": args.since})
                client.sock.settimeout(None)  # events may be rare: wait for them without a limit
                while True:
                    print(json.dumps(client.next_notification()["params"]["event"], sort_keys=True), flush=True)
            else:
                for event in client.call("events.poll", {"since": args.since, "timeout_ms": 0})["events"]:
                    print(json.dumps(event, sort_keys=True))
    except ControlError as error:
        print(f"error {error}", file=sys.stderr)
        sys.exit(1)
    except PermissionError as error:
        print(f"not allowed to connect to {args.socket}: {error}", file=sys.stderr)
        sys.exit(77)
    except (OSError, ConnectionError) as error:
        print(f"cannot talk to {args.socket}: {error}", file=sys.stderr)
        sys.exit(69)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
