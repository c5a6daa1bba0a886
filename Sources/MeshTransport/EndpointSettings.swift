public import MeshCore

/// The transport's timers and limits, with WireGuard's values where it has one (`Specs/transport.md`, section 5, "Sessions").
public struct EndpointSettings: Sendable {
    /// The network id bound into every handshake's prologue. Default `main`.
    public var network = "main"
    /// Keep a digest (SHA-256) of each new session's sending key in `Endpoint.sessionKeyDigests`, so that a
    /// simulation can check that no two sessions anywhere share keys. Off by default; digests only, never keys.
    public var keepsSessionKeyDigests = false
    /// Wait this long for a handshake response before sending a new initiation (WireGuard REKEY_TIMEOUT, 5 s),
    /// plus up to `handshakeJitter`.
    public var handshakeTimeout = Duration.seconds(5)
    /// Random extra delay before a retry, so peers do not retry in lockstep. Default 333 ms.
    public var handshakeJitter = Duration.milliseconds(333)
    /// Give up on a peer after this many initiations without a response (WireGuard: 90 s / 5 s = 18).
    public var handshakeAttempts = 18
    /// The initiator starts a new handshake once a session is this old (WireGuard REKEY_AFTER_TIME, 120 s).
    public var rekeyAfterTime = Duration.seconds(120)
    /// A session is never used past this age (WireGuard REJECT_AFTER_TIME, 180 s).
    public var rejectAfterTime = Duration.seconds(180)
    /// Rekey after this many packets (2^60).
    public var rekeyAfterMessages: UInt64 = 1 << 60
    /// Never send more than this many packets with one key (2^64 - 2^13 - 1, WireGuard REJECT_AFTER_MESSAGES).
    public var rejectAfterMessages: UInt64 = UInt64.max - (1 << 13)
    /// Send an empty keepalive when we received a packet and sent nothing for this long (WireGuard KEEPALIVE, 10 s).
    public var keepaliveTimeout = Duration.seconds(10)
    /// Start a new handshake when we sent a packet that expects an answer and heard nothing for
    /// `keepaliveTimeout + handshakeTimeout` (15 s).
    public var unresponsiveTimeout: Duration { keepaliveTimeout + handshakeTimeout }
    /// A cookie received from a peer is used for this long (WireGuard COOKIE_SECRET_MAX_AGE minus latency).
    public var cookieLifetime = Duration.seconds(120) - .seconds(5)
    /// Valid initiations per second above which the node answers with cookies instead of responses.
    /// Default 1000 (a few hundred milliseconds of one core's Diffie-Hellman work).
    public var underLoadInitiationsPerSecond = 1000
    /// Per-source initiation rate limits.
    public var rateLimiter = SourceRateLimiter.Settings()
    /// Peers (with or without a session) known at once. Default 1024.
    public var maxPeers = 1024
    /// Messages held per peer while its handshake completes; the oldest is dropped beyond it. Default 64.
    public var maxQueuedMessagesPerPeer = 64
    /// Bytes of reliable messages held per peer until acknowledged; `sendReliable` refuses beyond it. Default 8 MiB.
    public var maxStreamSendBuffer = 8 << 20
    /// Out-of-order stream bytes held across all peers; further out-of-order chunks are dropped and resent by
    /// their sender. Default 64 MiB.
    public var maxReassemblyBytes = 64 << 20
    /// Packets one flush may send to one peer before yielding to other inputs. Default 64.
    public var maxPacketsPerFlush = 64
    /// Datagram-sized buffers kept for reuse (packets the shell recycles after sending them, messages it recycles
    /// after handing them on): at 1200 bytes each, the default holds about 300 KB.
    public var maxPooledBuffers = 256

    /// The defaults: network `main` and the values above.
    public init() {}

    /// Settings for `network`.
    public init(network: String) {
        self.network = network
    }
}
