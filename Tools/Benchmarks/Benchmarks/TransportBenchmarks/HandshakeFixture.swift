import BenchmarkClocks
import MeshCore
import MeshCrypto
import MeshTransport

/// Two endpoints that run one complete Noise IK handshake per `run()`, on one thread, with their datagrams passed
/// by hand: initiator `connect` → responder `receive(initiation)` → initiator `receive(response)` → responder
/// `receive(confirming keepalive)`, after which both have a session up.
///
/// The endpoints live for the whole benchmark; `prepareNext()`, outside the measurement, closes the sessions of the
/// previous handshake on both sides and moves the virtual clock on by 100 ms. The step keeps the responder below
/// its `underLoadInitiationsPerSecond` (1000 per second, above which it answers with cookie replies) and the
/// per-source rate limit (20 per second), and makes every initiation's TAI64N timestamp newer than the last, so
/// every handshake takes the full path a seed takes for a peer that reconnects: mac1, the four Diffie-Hellman
/// operations on each side, a new session on each side. (A very first contact also pays, once, the conversion of
/// the peer's node id to its X25519 key, which the process remembers afterwards, and DH(s, rs), which the endpoint
/// keeps per peer: this benchmark measures peers that have met before, as after a rekey or a restart.)
final class HandshakeFixture {
    /// One handshake's clocks, in nanoseconds.
    struct Timing {
        var cpu = 0
        var responderWall = 0
        var responderCPU = 0
    }

    private static let initiatorAddress = SocketAddress.ipv4(0x0A00_0001, port: 9000)
    private static let responderAddress = SocketAddress.ipv4(0x0A00_0002, port: 9000)

    private var initiator: Endpoint
    private var responder: Endpoint
    private var now = Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)
    private var completed = 0

    init() {
        var identities = SeededRandomBytes(seed: 0x4849_4b)
        initiator = Endpoint(
            identity: Ed25519PrivateKey(using: &identities), random: SeededRandomBytes(seed: 1), seed: 2, now: now)
        responder = Endpoint(
            identity: Ed25519PrivateKey(using: &identities), random: SeededRandomBytes(seed: 3), seed: 4, now: now)
    }

    /// Not measured: checks that the previous handshake brought both sides up, closes both sessions (dropping the
    /// CLOSE packets) and moves the clock on.
    func prepareNext() {
        if completed > 0 {
            precondition(
                initiator.isConnected(to: responder.nodeID) && responder.isConnected(to: initiator.nodeID),
                "handshake \(completed) did not bring both sessions up")
            precondition(
                initiator.drops.isEmpty && responder.drops.isEmpty,
                "handshake \(completed) dropped packets: initiator \(initiator.drops), responder \(responder.drops)")
            _ = initiator.close(responder.nodeID, now: now)
            _ = responder.close(initiator.nodeID, now: now)
        }
        now += .milliseconds(100)
    }

    /// Runs one handshake and returns its CPU time and the responder's share. The four steps are timed separately
    /// (ten clock reads, well under 1% of a handshake).
    func run() -> Timing {
        let start = (wall: wallNanoseconds(), cpu: threadCPUNanoseconds())
        let initiation = Self.datagram(
            in: try! initiator.connect(to: responder.nodeID, at: Self.responderAddress, now: now))
        let initiationSent = (wall: wallNanoseconds(), cpu: threadCPUNanoseconds())
        let response = Self.datagram(in: responder.receive(initiation, from: Self.initiatorAddress, now: now))
        let responseSent = (wall: wallNanoseconds(), cpu: threadCPUNanoseconds())
        let confirmation = Self.datagram(in: initiator.receive(response, from: Self.responderAddress, now: now))
        let confirmationSent = (wall: wallNanoseconds(), cpu: threadCPUNanoseconds())
        _ = responder.receive(confirmation, from: Self.initiatorAddress, now: now)
        let end = (wall: wallNanoseconds(), cpu: threadCPUNanoseconds())
        completed += 1
        return Timing(
            cpu: end.cpu - start.cpu,
            responderWall: (responseSent.wall - initiationSent.wall) + (end.wall - confirmationSent.wall),
            responderCPU: (responseSent.cpu - initiationSent.cpu) + (end.cpu - confirmationSent.cpu))
    }

    /// The one datagram in `effects` (a handshake step sends exactly one).
    private static func datagram(in effects: [EndpointEffect]) -> [UInt8] {
        var found: [UInt8]?
        for effect in effects {
            if case .send(let datagram, _) = effect {
                precondition(found == nil, "a handshake step sent more than one datagram: \(effects)")
                found = datagram
            }
        }
        guard let found else { preconditionFailure("a handshake step sent no datagram: \(effects)") }
        return found
    }
}
