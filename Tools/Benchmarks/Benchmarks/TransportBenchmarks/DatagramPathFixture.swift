import MeshCore

/// The steady-state DATAGRAM path: one operation is one 1100-byte message from A to B on an established session.
///
/// `sendOne()` moves the virtual clock 10 µs on (running any timer that is due, normally none), then
/// `Endpoint.send(_:to:now:)` on A, B's `receive(_:from:now:)` of the data packet it produced (which delivers the
/// message), and whatever that makes B send back carried to A's `receive`: B acknowledges every second
/// ack-eliciting packet at once (RFC 9000, section 13.2.2), so an operation also covers half an ACK packet, sealed by B
/// and opened and applied by A. Without those ACKs A's sent-packet tracker would fill up (4096 packets) and trap.
final class DatagramPathFixture {
    static let messageLength = 1100

    let link = SessionLink()
    private let message: [UInt8]
    private var sent = 0

    init() {
        message = (0..<Self.messageLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    /// Sends one message and checks that B delivered it.
    @inline(__always)
    func sendOne() {
        link.advanceClock()
        link.sendDatagramFromA(message)
        sent += 1
        precondition(
            link.counters.deliveredToB == sent, "B delivered \(link.counters.deliveredToB) of \(sent) datagrams")
    }
}
