import MeshCore
import MeshRuntime
import MeshTransport

/// How `listen` and `ping` report what the transport does: one line per event, for people or as JSON.
struct TransportEventLog {
    let json: Bool

    /// Logs a session, message or pong.
    func record(_ event: TransportHost.Event) {
        switch event {
        case .sessionUp(let peer, let address):
            if json {
                Output.jsonLine(["event": "session_up", "peer": peer.text, "address": address.description])
            } else {
                Output.line("session up: \(peer.shortText)… at \(address)")
            }
        case .sessionDown(let peer, let reason):
            if json {
                var fields: [String: Any] = ["event": "session_down", "peer": peer.text, "reason": reason.label]
                if case .closedByPeer(let code, let text) = reason {
                    fields["code"] = code
                    fields["detail"] = SessionDownReason.printable(text)
                }
                Output.jsonLine(fields)
            } else {
                Output.line("session down: \(peer.shortText)…: \(reason.explanation)")
            }
        case .message(let message, let peer):
            if json {
                Output.jsonLine(["event": "message", "peer": peer.text, "bytes": message.count])
            } else {
                Output.line("message: \(message.count) bytes from \(peer.shortText)…")
            }
        case .pong(let peer, let rtt):
            pong(from: peer, rtt: rtt, sequence: nil)
        case .writable:
            break
        }
    }

    /// Logs a pong, numbered by `sequence` when the caller counts them.
    func pong(from peer: NodeID, rtt: Duration, sequence: Int?) {
        if json {
            var fields: [String: Any] = [
                "event": "pong", "peer": peer.text, "rtt_ms": Output.millisecondsValue(rtt.nanoseconds),
            ]
            fields["seq"] = sequence
            Output.jsonLine(fields)
        } else {
            let number = sequence.map { " \($0)" } ?? ""
            Output.line("pong\(number) from \(peer.shortText)…: rtt=\(Output.milliseconds(rtt.nanoseconds)) ms")
        }
    }
}

extension SessionDownReason {
    /// The JSON label: `handshake_failed`, `expired`, `closed_by_peer`, `closed_locally`.
    var label: String {
        switch self {
        case .handshakeFailed: "handshake_failed"
        case .expired: "expired"
        case .closedByPeer: "closed_by_peer"
        case .closedLocally: "closed_locally"
        }
    }

    /// A sentence for people.
    var explanation: String {
        switch self {
        case .handshakeFailed: "no handshake completed (the peer did not answer)"
        case .expired: "the session expired without a new handshake"
        case .closedByPeer(let code, let reason): "closed by the peer (code \(code): \(Self.printable(reason)))"
        case .closedLocally: "closed by this node"
        }
    }

    /// `text` with control characters replaced by U+FFFD: the reason comes from the peer and goes to a terminal.
    static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.properties.generalCategory == .control ? "\u{FFFD}" : $0 }))
    }
}
