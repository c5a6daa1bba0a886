/// What a peer can do wrong that loss recovery notices: acknowledgments or packet numbers no honest peer produces.
///
/// Each is a protocol violation; the session that sees one should be closed (RFC 9000, section 13.1), and nothing in
/// the recovery state has changed when it is thrown.
public enum RecoveryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An ACK frame acknowledged a packet number above the largest this side has sent (RFC 9000, section 13.1:
    /// "an acknowledgment for a packet it did not send"). `largestSent` is `nil` when nothing was sent yet.
    case acknowledgedUnsentPacket(largestAcknowledged: UInt64, largestSent: UInt64?)
    /// A received packet number above 2^62 - 1, the largest an ACK frame can carry (RFC 9000, section 12.3).
    case packetNumberTooLarge(UInt64)

    /// The packet numbers involved, and that the session should be closed.
    public var description: String {
        switch self {
        case .acknowledgedUnsentPacket(let largestAcknowledged, let largestSent?):
            "the peer acknowledged packet \(largestAcknowledged) but the largest packet sent is \(largestSent); "
                + "close the session (protocol violation)"
        case .acknowledgedUnsentPacket(let largestAcknowledged, nil):
            "the peer acknowledged packet \(largestAcknowledged) before any packet was sent; "
                + "close the session (protocol violation)"
        case .packetNumberTooLarge(let number):
            "packet number \(number) is above 2^62 - 1, which no ACK frame can carry; close the session"
        }
    }
}
