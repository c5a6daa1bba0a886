import MeshCore

/// The steady-state reliable stream path: one operation is one 1100-byte message from A to B on A's stream.
///
/// `sendOne()` moves the virtual clock 10 µs on (running any timer that is due), then `Endpoint.sendReliable` on A,
/// which frames the message (1102 bytes with its length) and flushes the stream as congestion control and pacing
/// allow, and drains the network: B receives the STREAM packets, reassembles and delivers the message, and
/// acknowledges; A applies the ACKs (releasing the acknowledged bytes, growing the window), and B's MAX_DATA grants
/// (one per MiB delivered) are acknowledged by A in turn. The datagram counters of the run show how many packets
/// each direction sent per message.
final class ReliableStreamFixture {
    static let messageLength = 1100

    let link = SessionLink()
    private let message: [UInt8]
    private var sent = 0

    init() {
        message = (0..<Self.messageLength).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ 3) }
    }

    /// Sends one message and checks that B delivered it before the operation ends.
    @inline(__always)
    func sendOne() {
        link.advanceClock()
        link.sendReliableFromA(message)
        sent += 1
        precondition(
            link.counters.deliveredToB == sent, "B delivered \(link.counters.deliveredToB) of \(sent) messages")
    }
}
