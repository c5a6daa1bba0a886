public import MeshCore

/// What the shell must do after the endpoint handled an input, in order.
public enum EndpointEffect: Equatable, Sendable {
    /// Send `datagram` to `address` over UDP.
    case send(datagram: [UInt8], to: SocketAddress)
    /// Call `timerFired(now:)` at `at` (replaces any earlier request: the endpoint keeps one deadline).
    case wake(at: Instant)
    /// A message arrived from `peer`.
    case deliver(message: [UInt8], from: NodeID)
    /// A session with `peer` is established (the first one since the peer was down).
    case sessionUp(peer: NodeID, address: SocketAddress)
    /// `peer`'s congestion window has room again after a `send` was refused with `.congested`.
    case writable(peer: NodeID)
    /// A PING sent with `Endpoint.ping` was acknowledged after `rtt`.
    case pong(peer: NodeID, rtt: Duration)
    /// `peer` sent a PING (its `Endpoint.ping`, or a loss-detection probe); it has been answered already. A node's
    /// membership core learns from it that the peer still treats this node as a neighbour.
    case pinged(peer: NodeID)
    /// The last session with `peer` ended.
    case sessionDown(peer: NodeID, reason: SessionDownReason)
}

/// Why a peer's session ended.
public enum SessionDownReason: Equatable, Sendable {
    /// No handshake completed within `handshakeAttempts` tries.
    case handshakeFailed
    /// The session aged out without a new handshake.
    case expired
    /// The peer sent CLOSE.
    case closedByPeer(code: UInt64, reason: String)
    /// We closed it.
    case closedLocally
}
