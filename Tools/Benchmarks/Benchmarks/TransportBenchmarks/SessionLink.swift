import MeshCore
import MeshCrypto
import MeshTransport

/// Two endpoints, A and B, with a session up between them, joined by an in-memory network: a shell that carries out
/// every effect at once, on this thread, on a virtual clock.
///
/// - `.send` effects go into one FIFO queue of datagrams in flight, which `runUntilQuiet()` drains by handing each to
///   the other endpoint's `receive`, queueing whatever that sends in turn, until nothing is in flight: every
///   datagram arrives, in order, with no delay, and the ACKs flow back in the same drain.
/// - `.wake(at:)` effects are remembered, one deadline per endpoint; `advanceClock()` calls `timerFired` on an
///   endpoint whose deadline has passed. The counters show how often that happens (on a session in steady state it
///   should not: ACKs go out at once on every second packet).
/// - `.deliver` effects are counted; the session benchmarks check that every message arrived.
///
/// The queue is allocated once with room to spare, so the shell itself allocates nothing per packet: every
/// allocation a benchmark sees is the endpoints'.
final class SessionLink {
    /// Datagrams, timer calls and deliveries so far.
    struct Counters {
        var datagramsFromA = 0
        var datagramsFromB = 0
        var timerCalls = 0
        var deliveredToA = 0
        var deliveredToB = 0
    }

    private enum Side {
        case a, b
    }

    private static let addressA = SocketAddress.ipv4(0x0A00_0001, port: 9000)
    private static let addressB = SocketAddress.ipv4(0x0A00_0002, port: 9000)
    /// Virtual time between two operations: 10 µs, a peer sending 100,000 packets a second.
    private static let step = Duration.microseconds(10)

    private var a: Endpoint
    private var b: Endpoint
    private(set) var now = Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)
    private(set) var counters = Counters()
    private var inFlight: [(to: Side, datagram: [UInt8])] = []
    private var effects: [EndpointEffect] = []
    private var next = 0
    private var wakeA: Instant?
    private var wakeB: Instant?

    /// A's node id and B's, for the fixtures' send calls.
    let idA: NodeID
    let idB: NodeID

    /// Endpoints with fixed identities and seeds; A connects to B and the handshake completes.
    init() {
        var identities = SeededRandomBytes(seed: 0x4c49_4e4b)
        a = Endpoint(
            identity: Ed25519PrivateKey(using: &identities), random: SeededRandomBytes(seed: 11), seed: 12, now: now)
        b = Endpoint(
            identity: Ed25519PrivateKey(using: &identities), random: SeededRandomBytes(seed: 13), seed: 14, now: now)
        idA = a.nodeID
        idB = b.nodeID
        inFlight.reserveCapacity(1024)
        take(try! a.connect(to: idB, at: Self.addressB, now: now), from: .a)
        runUntilQuiet()
        precondition(a.isConnected(to: idB) && b.isConnected(to: idA), "the handshake between A and B did not complete")
    }

    /// `Endpoint.send` from A to B, then the network drained.
    @inline(__always)
    func sendDatagramFromA(_ message: [UInt8]) {
        try! a.send(message, to: idB, now: now, effects: &effects)
        takeEffects(from: .a)
        runUntilQuiet()
    }

    /// `Endpoint.sendReliable` from A to B, then the network drained.
    @inline(__always)
    func sendReliableFromA(_ message: [UInt8]) {
        try! a.sendReliable(message, to: idB, now: now, effects: &effects)
        takeEffects(from: .a)
        runUntilQuiet()
    }

    /// Moves the clock one step on and runs the timers that are due, draining the network after them.
    @inline(__always)
    func advanceClock() {
        now += Self.step
        if let deadline = wakeA, deadline <= now {
            wakeA = nil
            counters.timerCalls += 1
            a.timerFired(now: now, effects: &effects)
            takeEffects(from: .a)
        }
        if let deadline = wakeB, deadline <= now {
            wakeB = nil
            counters.timerCalls += 1
            b.timerFired(now: now, effects: &effects)
            takeEffects(from: .b)
        }
        runUntilQuiet()
    }

    private func runUntilQuiet() {
        while next < inFlight.count {
            let (side, datagram) = inFlight[next]
            next += 1
            // The datagram was sealed by the other side; once read, its buffer goes back to that side's pool, as the
            // runtime gives a sent packet's buffer back.
            inFlight[next - 1].datagram = []
            switch side {
            case .a:
                a.receive(datagram, from: Self.addressB, now: now, effects: &effects)
                b.recycle(datagram)
                takeEffects(from: .a)
            case .b:
                b.receive(datagram, from: Self.addressA, now: now, effects: &effects)
                a.recycle(datagram)
                takeEffects(from: .b)
            }
        }
        inFlight.removeAll(keepingCapacity: true)
        next = 0
    }

    /// Carries out the effects of one call on `side`'s endpoint.
    private func take(_ effects: [EndpointEffect], from side: Side) {
        self.effects = effects
        takeEffects(from: side)
    }

    /// Carries out `effects` (reused between calls, so the link allocates nothing per packet) and empties it;
    /// delivered messages are counted and their buffers given back to the receiver.
    private func takeEffects(from side: Side) {
        var taken = effects
        effects = []
        defer {
            taken.removeAll(keepingCapacity: true)
            effects = taken
        }
        for index in taken.indices {
            let effect = taken[index]
            taken[index] = .wake(at: now)
            switch effect {
            case .send(let datagram, _):
                switch side {
                case .a:
                    counters.datagramsFromA += 1
                    inFlight.append((.b, datagram))
                case .b:
                    counters.datagramsFromB += 1
                    inFlight.append((.a, datagram))
                }
            case .wake(let deadline):
                switch side {
                case .a: wakeA = deadline
                case .b: wakeB = deadline
                }
            case .deliver(let message, _):
                switch side {
                case .a:
                    counters.deliveredToA += 1
                    a.recycle(message)
                case .b:
                    counters.deliveredToB += 1
                    b.recycle(message)
                }
            case .sessionUp, .pong, .writable:
                break
            case .sessionDown(let peer, let reason):
                preconditionFailure("the session with \(peer.shortText)… went down (\(reason)) at \(now)")
            }
        }
    }
}
