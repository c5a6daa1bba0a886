import MeshCore

/// Bounds how many datagrams a throughput sender has sent that the transport may still be tracking, learning from
/// pongs what the peer has acknowledged.
///
/// The transport tracks every packet it sends until it is acknowledged or declared lost, at most 4096 per session
/// (`LossDetectionSettings.maxTrackedPackets`), and `Endpoint.send` does not refuse a datagram when that table is
/// full: a sender that outruns its peer's acknowledgments would stop the process. A sender cannot see the table,
/// but it can see pongs: once the acknowledgment of a ping has been handled, every packet sent before the ping is
/// acknowledged or declared lost (RFC 9002, section 6.1: by the packet threshold of 3, so all but the two packets
/// just before it). So the sender pings every `pingInterval` datagrams and sends at most `limit` datagrams beyond
/// those sent before the newest acknowledged ping. The table then holds at most `limit` datagrams, `maxPings`
/// pings and the two packets just before the acknowledged ping from the sending side.
///
/// A pong names its ping by the instant it was sent (`TransportHost.ping`). A pong that matches no ping (its ping
/// was given up, or the transport moved the send time) confirms nothing, which is always safe.
struct ThroughputWindow {
    /// Datagrams allowed beyond those confirmed, 1024.
    static let limit: UInt64 = 1024
    /// Datagrams between pings, a quarter of `limit`, so the window slides in quarters.
    static let pingInterval: UInt64 = limit / 4
    /// Pings awaiting their pongs at most, 16.
    static let maxPings = 16
    /// A ping unanswered for this long is given up and another sent (it was lost, or waits behind a full receive
    /// buffer), 20 ms.
    static let pingTimeout = Duration.milliseconds(20)

    /// Datagrams sent.
    private(set) var sent: UInt64 = 0
    /// Datagrams sent before the newest acknowledged ping.
    private var confirmed: UInt64 = 0
    /// Pings awaiting their pongs, oldest first: when each was sent, and how many datagrams were sent before it.
    private var pings: [(sentAt: Instant, datagramsBefore: UInt64)] = []

    /// Datagrams that may be sent now.
    var room: UInt64 { Self.limit - (sent - confirmed) }

    /// Counts a datagram sent.
    mutating func onDatagramSent() {
        precondition(room > 0, "datagram sent with \(sent - confirmed) unconfirmed, the limit being \(Self.limit)")
        sent += 1
    }

    /// Whether to send a ping at `now`: some datagrams are unconfirmed, and `pingInterval` have gone out since the
    /// newest ping or it has waited `pingTimeout`.
    func wantsPing(now: Instant) -> Bool {
        guard sent > confirmed else { return false }
        guard let newest = pings.last else { return true }
        return sent - newest.datagramsBefore >= Self.pingInterval || now - newest.sentAt >= Self.pingTimeout
    }

    /// Records a ping sent at `instant`; when `maxPings` are already waiting, the oldest is given up.
    mutating func onPingSent(at instant: Instant) {
        if pings.count == Self.maxPings { pings.removeFirst() }
        pings.append((instant, sent))
    }

    /// Takes the pong of the ping sent at `pingSentAt`: the datagrams sent before it are confirmed, and older pings
    /// are no longer awaited.
    mutating func onPong(pingSentAt: Instant) {
        guard let index = pings.firstIndex(where: { $0.sentAt == pingSentAt }) else { return }
        confirmed = max(confirmed, pings[index].datagramsBefore)
        pings.removeFirst(index + 1)
    }
}
