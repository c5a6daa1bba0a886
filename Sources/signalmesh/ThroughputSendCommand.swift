import ArgumentParser
import Foundation
import MeshCore
import MeshRuntime

/// `signalmesh throughput send`: measures the throughput to a `throughput serve` node and prints both sides.
struct ThroughputSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send messages to a `throughput serve` node as fast as the transport takes them; print both sides.",
        discussion: """
            Connects, then for --seconds sends --size-byte messages: in datagram mode one DATAGRAM frame each, no \
            more than the transport can track before the receiver acknowledges them; in stream mode on the \
            reliable stream, waiting whenever its send buffer is full. Then it asks the receiver for its report \
            and prints what was sent (Mbit/s the transport took, and what the socket did) and what was received \
            (goodput in Mbit/s of message bytes between the first and the last arrival, loss, duplicates, \
            reordering). With --json, one object per line: connected, summary.

            Exits with 0 when the report arrived and counts at least one message received; 1 when no handshake \
            completed or no report arrived within --timeout, the session ended, or nothing was received; 76 when \
            the report is malformed. Without a key in the data directory, a temporary identity is used.
            """
    )

    @Argument(help: ArgumentHelp("The serving node: <node-id>@<host:port>.", valueName: "node-id@host:port"))
    var target: String

    @Option(name: .long, help: ArgumentHelp("How long to send.", valueName: "seconds"))
    var seconds = 10.0

    @Option(name: .long, help: "datagram (one DATAGRAM frame per message) or stream (the reliable stream).")
    var mode = ThroughputMode.datagram

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Bytes per message, at least \(ThroughputMessage.dataHeaderSize) (default: "
                + "\(ThroughputMode.datagram.defaultSize) for datagrams, at most that; "
                + "\(ThroughputMode.stream.defaultSize) for the stream).", valueName: "bytes"))
    var size: Int?

    @Option(
        name: .long,
        help: ArgumentHelp("Seconds to wait for the handshake, and for the report.", valueName: "seconds"))
    var timeout = 10.0

    @OptionGroup var outbound: OutboundOptions

    @OptionGroup var node: NodeOptions

    /// `--size`, or the mode's default.
    var messageSize: Int { size ?? mode.defaultSize }

    func validate() throws {
        guard seconds.isFinite, (0.1...3600).contains(seconds) else {
            throw ValidationError("--seconds must be between 0.1 and 3600")
        }
        guard timeout.isFinite, (0.001...3600).contains(timeout) else {
            throw ValidationError("--timeout must be between 0.001 and 3600 seconds")
        }
        guard messageSize >= ThroughputMessage.dataHeaderSize else {
            throw ValidationError(
                "--size \(messageSize) is too small: each message starts with a "
                    + "\(ThroughputMessage.dataHeaderSize)-byte header (kind, mode, run, sequence number)")
        }
        guard messageSize <= mode.maxSize else {
            switch mode {
            case .datagram:
                throw ValidationError(
                    "--size \(messageSize) does not fit one datagram, which carries at most \(mode.maxSize) bytes; "
                        + "use --mode stream for larger messages")
            case .stream:
                throw ValidationError(
                    "--size \(messageSize) is above the reliable stream's message limit of \(mode.maxSize) bytes")
            }
        }
    }

    func run() throws {
        let peer = try PeerAddress(text: target)
        let host = try node.outboundHost(to: peer, listen: outbound.listen, purpose: "sending")
        let sender = ThroughputSender(
            host: host, peer: peer, mode: mode, size: messageSize, duration: .seconds(seconds),
            timeout: .seconds(timeout), json: node.json)
        let outcome = try NodeOptions.running(host) { try sender.start() }
        try report(outcome, peer: peer)
    }

    /// Prints the summary (when a report arrived) and turns the outcome into the exit status.
    private func report(_ outcome: ThroughputSender.Outcome, peer: PeerAddress) throws {
        if let report = outcome.report { printSummary(outcome, report: report, peer: peer) }
        if let failure = outcome.failure { throw failure }
        guard outcome.handshake != nil else {
            throw CLIFailure.noAnswer(
                "no handshake with \(peer.id.text) at \(peer.address) within \(Output.seconds(timeout)) s; is "
                    + "`signalmesh throughput serve` running there with that id, on network '\(node.network.value)'?")
        }
        guard let report = outcome.report, report.messages > 0 else {
            throw CLIFailure.noAnswer(
                "\(peer.id.shortText)… received none of the \(outcome.messagesSent) messages sent")
        }
    }

    private func printSummary(_ outcome: ThroughputSender.Outcome, report: ThroughputReport, peer: PeerAddress) {
        let seconds = outcome.sendingTime.seconds
        let sentRate = seconds > 0 ? Double(outcome.bytesSent) * 8 / seconds : nil
        if node.json {
            var fields = report.jsonFields
            fields["event"] = "summary"
            fields["peer"] = peer.id.text
            fields["mode"] = mode.rawValue
            fields["size"] = messageSize
            fields["sent_messages"] = outcome.messagesSent
            fields["sent_bytes"] = outcome.bytesSent
            fields["sent_seconds"] = (seconds * 1e6).rounded() / 1e6
            fields["sent_mbps"] = ThroughputReport.megabitsValue(sentRate)
            fields["socket_sent"] = outcome.socketSent
            fields["socket_send_calls"] = outcome.socketSendCalls
            fields["socket_queued"] = outcome.socketQueued
            fields["socket_dropped"] = outcome.socketDropped
            Output.jsonLine(fields)
        } else {
            Output.line(
                "sent:     \(outcome.messagesSent) messages, \(ThroughputReport.megabytesText(outcome.bytesSent)) in "
                    + "\(String(format: "%.2f", seconds)) s, \(ThroughputReport.megabitsText(sentRate)) Mbit/s; "
                    + "socket: \(outcome.socketSent) datagrams sent in \(outcome.socketSendCalls) calls, "
                    + "\(outcome.socketQueued) queued, "
                    + "\(outcome.socketDropped) dropped")
            Output.line("received: \(report.text)")
        }
    }
}
