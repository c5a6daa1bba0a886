import ArgumentParser
import MeshCore
import MeshRuntime

/// `signalmesh ping`: completes a handshake with a node and measures round-trip times with PING frames.
struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Connect to a node, time the handshake, then measure round trips with pings.",
        discussion: """
            Prints the handshake time (connect to session up), each pong with its round-trip time, then a summary \
            as ping(8) does. Exits with 0 if at least one pong arrived, 1 if none did or no handshake completed \
            within --timeout. Without a key in the data directory, a temporary identity is used (and said so on \
            standard error). With --json, one JSON object per line: handshake, pong…, summary.
            """
    )

    @Argument(help: ArgumentHelp("The node to ping: <node-id>@<host:port>.", valueName: "node-id@host:port"))
    var target: String

    @Option(name: .long, help: "How many pings to send.")
    var count = 4

    @Option(name: .long, help: ArgumentHelp("Seconds between pings.", valueName: "seconds"))
    var interval = 1.0

    @Option(
        name: .long,
        help: ArgumentHelp("Seconds to wait for the handshake, and for the last pongs.", valueName: "seconds"))
    var timeout = 10.0

    @OptionGroup var outbound: OutboundOptions

    @OptionGroup var node: NodeOptions

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000") }
        guard interval.isFinite, (0.001...3600).contains(interval) else {
            throw ValidationError("--interval must be between 0.001 and 3600 seconds")
        }
        guard timeout.isFinite, (0.001...3600).contains(timeout) else {
            throw ValidationError("--timeout must be between 0.001 and 3600 seconds")
        }
    }

    func run() throws {
        let peer = try PeerAddress(text: target)
        let host = try node.outboundHost(to: peer, listen: outbound.listen, purpose: "pinging")
        let run = PingRun(
            host: host, peer: peer, count: count, interval: .seconds(interval), timeout: .seconds(timeout),
            log: TransportEventLog(json: node.json))
        let outcome = try NodeOptions.running(host) { try run.start() }
        try report(outcome, peer: peer)
    }

    /// Prints the summary (when a handshake happened) and turns the outcome into the exit status.
    private func report(_ outcome: PingRun.Outcome, peer: PeerAddress) throws {
        if let handshake = outcome.handshake {
            printSummary(outcome, handshake: handshake, peer: peer)
        }
        if let failure = outcome.failure { throw failure }
        guard outcome.handshake != nil else {
            throw CLIFailure.noAnswer(
                "no handshake with \(peer.id.text) at \(peer.address) within \(Output.seconds(timeout)) s"
                    + (outcome.unsent > 0 ? " (\(outcome.unsent) datagram(s) could not be sent)" : "")
                    + "; is a node with that id listening there, on network '\(node.network.value)'?")
        }
        guard !outcome.rtts.isEmpty else {
            throw CLIFailure.noAnswer(
                "no pong from \(peer.id.shortText)… (\(outcome.sent) ping(s) sent, none answered)")
        }
    }

    private func printSummary(_ outcome: PingRun.Outcome, handshake: Duration, peer: PeerAddress) {
        let received = outcome.rtts.count
        let loss = outcome.sent == 0 ? 0 : Int(((1 - Double(received) / Double(outcome.sent)) * 100).rounded())
        let nanoseconds = outcome.rtts.map(\.nanoseconds)
        let minimum = nanoseconds.min()
        let maximum = nanoseconds.max()
        let average = nanoseconds.isEmpty ? nil : nanoseconds.reduce(0, +) / Int64(nanoseconds.count)
        if node.json {
            var fields: [String: Any] = [
                "event": "summary", "peer": peer.id.text, "sent": outcome.sent, "received": received,
                "loss_percent": loss, "handshake_ms": Output.millisecondsValue(handshake.nanoseconds),
                "time_ms": Output.millisecondsValue(outcome.elapsed.nanoseconds),
            ]
            if let minimum, let average, let maximum {
                fields["min_ms"] = Output.millisecondsValue(minimum)
                fields["avg_ms"] = Output.millisecondsValue(average)
                fields["max_ms"] = Output.millisecondsValue(maximum)
            }
            Output.jsonLine(fields)
        } else {
            Output.line("--- \(peer.id.shortText)… ping statistics ---")
            Output.line(
                "\(outcome.sent) pings sent, \(received) pongs received, \(loss)% loss, "
                    + "time \(outcome.elapsed.nanoseconds / 1_000_000) ms")
            if let minimum, let average, let maximum {
                Output.line(
                    "rtt min/avg/max = \(Output.milliseconds(minimum))/\(Output.milliseconds(average))/"
                        + "\(Output.milliseconds(maximum)) ms")
            }
        }
    }
}
