/// Why the endpoint dropped a datagram; each is counted (`Endpoint.drops`) for metrics.
public enum DropReason: String, CaseIterable, Hashable, Sendable, Comparable {
    /// Not a packet: wrong size, unknown type, non-zero reserved bytes.
    case malformed
    /// A packet for an index we do not have (stale, or forged).
    case unknownIndex
    /// A handshake packet whose mac1 is wrong: not addressed to us, or random bytes.
    case badMAC1
    /// Under load and no valid cookie: answered with a cookie reply instead.
    case cookieRequired
    /// The source sent initiations faster than its rate limit.
    case rateLimited
    /// A handshake message that did not authenticate.
    case handshakeFailed
    /// An initiation whose timestamp is not newer than the last accepted from that key.
    case replayedInitiation
    /// The initiator's Ed25519 key does not match its Noise static key.
    case identityMismatch
    /// An initiation from a peer the node has blocked (banned), after its identity was authenticated.
    case blockedPeer
    /// A data packet whose counter was seen before or is behind the replay window.
    case replayed
    /// A data packet that did not authenticate.
    case decryptFailed
    /// A data packet for a session past its lifetime.
    case expiredSession
    /// Frames that do not decode.
    case badFrames
    /// A response or cookie reply we were not waiting for.
    case unexpected
    /// A new peer when the peer table is full.
    case peerTableFull
    /// A message queued for a peer whose queue was full, or whose handshake failed.
    case queueOverflow
    /// A reliable stream's unacknowledged messages, abandoned because the peer went down (counted once per stream).
    case streamAborted
    /// An out-of-order stream chunk refused because the node's reassembly memory is full (the sender resends it).
    case reassemblyFull
    /// A peer broke the protocol inside an authenticated packet (an ACK for a packet never sent, stream data past
    /// the granted limit, an oversized stream message); the session is closed.
    case protocolViolation

    /// Orders reasons by name, so tables of drop counts list them in a stable order.
    public static func < (lhs: DropReason, rhs: DropReason) -> Bool { lhs.rawValue < rhs.rawValue }
}
