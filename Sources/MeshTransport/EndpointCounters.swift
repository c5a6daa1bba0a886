public import MeshCore

/// Totals an endpoint keeps over its lifetime, for metrics (`Specs/control-api.md`, "Metrics"). Plain integers,
/// changed only by the endpoint's own inputs, so the simulator's counts are the runtime's.
public struct EndpointCounters: Sendable, Equatable {
    /// Datagrams handed to `receive`, and their bytes (dropped ones included).
    public var datagramsReceived = 0
    /// Bytes of the datagrams handed to `receive`.
    public var bytesReceived = 0
    /// Datagrams the endpoint asked the shell to send, and their bytes.
    public var datagramsSent = 0
    /// Bytes of the datagrams the endpoint asked the shell to send.
    public var bytesSent = 0
    /// Handshake initiations sent (retries included).
    public var handshakesInitiated = 0
    /// Handshakes this endpoint initiated that completed (a response was accepted).
    public var handshakesCompleted = 0
    /// Peers given up on after `handshakeAttempts` initiations went unanswered.
    public var handshakesFailed = 0
    /// Initiations this endpoint answered with a response.
    public var handshakesAnswered = 0
    /// Cookie replies sent instead of a response, under load.
    public var cookieRepliesSent = 0
    /// Times a peer went from no session to a session (`sessionUp`).
    public var sessionsUp = 0
    /// Times a peer's last session ended after being up (`sessionDown`, failed handshakes not included).
    public var sessionsDown = 0

    /// All zero.
    public init() {}
}

/// Traffic with one peer since the endpoint first knew it: authenticated packets in, packets sent to it.
public struct PeerTraffic: Sendable, Equatable {
    /// Authenticated data packets received from the peer.
    public var packetsIn = 0
    /// Bytes of those packets (UDP payload).
    public var bytesIn = 0
    /// Data packets sent to the peer.
    public var packetsOut = 0
    /// Bytes of those packets (UDP payload).
    public var bytesOut = 0

    /// All zero.
    public init() {}
}

/// What the endpoint can tell about one peer, for `peers.list`.
public struct PeerStatus: Sendable, Equatable {
    /// The peer.
    public var nodeID: NodeID
    /// Its address as last authenticated (or as given to `connect`).
    public var address: SocketAddress?
    /// When the peer's connection came up (the first session after none), nil while no session is up.
    public var connectedSince: Instant?
    /// Whether this endpoint initiated the handshake that brought the connection up.
    public var outbound: Bool
    /// The current session's smoothed round-trip time, nil before its first sample.
    public var smoothedRTT: Duration?
    /// Packets and bytes exchanged.
    public var traffic: PeerTraffic
}
