import Dispatch
import Foundation
import Glibc
import MeshCore
import MeshCrypto
import MeshRuntime
import MeshTransport
import Synchronization
import Testing

@Suite("Transport host")
struct TransportHostTests {
    @Test("two hosts, each on its own thread and loop: handshake, messages both ways, a pong, clean shutdown")
    func twoHostsTalkOverLoopback() throws {
        // A answers every message with the same bytes reversed and stops when B closes the session.
        let responder = HostThread(name: "A") { host, finish in
            host.onEvent = { event in
                switch event {
                case .message(let message, let peer): try? host.send(message.reversed(), to: peer)
                case .sessionDown: finish()
                case .sessionUp, .pong, .writable: break
                }
            }
        }
        let (responderID, responderAddress) = try #require(responder.waitUntilBound())

        // B connects, sends a message, pings once the answer is in, and closes the session on the pong.
        let initiator = HostThread(name: "B") { host, finish in
            host.onEvent = { event in
                switch event {
                case .sessionUp(let peer, _): try? host.send(Array("hello over loopback".utf8), to: peer)
                case .message(_, let peer): _ = try? host.ping(peer)
                case .pong(let peer, _):
                    host.close(peer)
                    finish()
                case .sessionDown, .writable: break
                }
            }
            try? host.connect(to: responderID, at: responderAddress)
        }
        let initiatorID = try #require(initiator.waitUntilBound()).0

        let a = responder.waitUntilFinished()
        let b = initiator.waitUntilFinished()
        #expect(!a.timedOut && !b.timedOut, "a host was stopped by its safety limit")
        #expect(a.shutdownError == nil && b.shutdownError == nil)

        guard case .sessionUp(initiatorID, _)? = a.events.first else {
            Issue.record("A's first event is not B's session: \(a.events)")
            return
        }
        #expect(a.events.dropFirst().first == .message(Array("hello over loopback".utf8), from: initiatorID))
        #expect(a.events.last == .sessionDown(peer: initiatorID, reason: .closedByPeer(code: 0, reason: "closed")))

        #expect(b.events.first == .sessionUp(peer: responderID, address: responderAddress))
        #expect(b.events.dropFirst().first == .message(Array("kcabpool revo olleh".utf8), from: responderID))
        guard case .pong(responderID, let rtt)? = b.events.dropFirst(2).first else {
            Issue.record("B got no pong after the answer: \(b.events)")
            return
        }
        #expect(rtt > .zero && rtt < .seconds(5))
        #expect(b.events.last == .sessionDown(peer: responderID, reason: .closedLocally))
        #expect(a.unsent.isEmpty && b.unsent.isEmpty)
    }

    @Test("the pong answering a ping arrives at an input time that, less its rtt, is the instant ping returned")
    func pongNamesItsPingByInputTime() throws {
        let responder = HostThread(name: "A") { host, finish in
            host.onEvent = { if case .sessionDown = $0 { finish() } }
        }
        let (responderID, responderAddress) = try #require(responder.waitUntilBound())

        let instants = PingInstants()
        let initiator = HostThread(name: "B") { host, finish in
            host.onEvent = { event in
                switch event {
                case .sessionUp(let peer, _):
                    let sent = try? host.ping(peer)
                    instants.value.withLock { $0.pingSent = sent }
                case .pong(let peer, let rtt):
                    instants.value.withLock { $0.pongNamed = host.inputTime - rtt }
                    host.close(peer)
                    finish()
                case .sessionDown, .message, .writable: break
                }
            }
            try? host.connect(to: responderID, at: responderAddress)
        }

        let b = initiator.waitUntilFinished()
        let a = responder.waitUntilFinished()
        #expect(!a.timedOut && !b.timedOut, "a host was stopped by its safety limit")
        let (pingSent, pongNamed) = instants.value.withLock { $0 }
        #expect(pingSent != nil && pingSent == pongNamed)
    }

    @Test("a message sent with sendReliable arrives on the stream, once")
    func reliableMessageArrives() throws {
        let message = Array("over the reliable stream".utf8)
        // A closes the session once the message is in; B stops when it learns that.
        let responder = HostThread(name: "A") { host, finish in
            host.onEvent = { event in
                if case .message(_, let peer) = event {
                    host.close(peer)
                    finish()
                }
            }
        }
        let (responderID, responderAddress) = try #require(responder.waitUntilBound())
        let initiator = HostThread(name: "B") { host, finish in
            host.onEvent = { event in
                switch event {
                case .sessionUp(let peer, _): try? host.sendReliable(message, to: peer)
                case .sessionDown: finish()
                case .message, .pong, .writable: break
                }
            }
            try? host.connect(to: responderID, at: responderAddress)
        }

        let initiatorID = try #require(initiator.waitUntilBound()).0

        let a = responder.waitUntilFinished()
        let b = initiator.waitUntilFinished()
        #expect(!a.timedOut && !b.timedOut, "a host was stopped by its safety limit")
        let messages = a.events.filter { if case .message = $0 { true } else { false } }
        #expect(messages == [.message(message, from: initiatorID)])
    }

    @Test("outside run(), a command's datagrams leave before it returns; inside, with the loop iteration's batch")
    func commandsOutsideTheLoopSendAtOnce() throws {
        let capture = try CaptureSocket()
        let host = try TransportHost(identity: Ed25519PrivateKey(), addresses: [loopbackV4])
        try host.connect(to: Ed25519PrivateKey().nodeID, at: capture.address)
        #expect(host.totalSocketCounters.sent == 1)
        _ = try #require(capture.receive())
        // Inside run(), the initiation to a second peer waits for the end of the timer's loop iteration.
        var sentWhenConnected: UInt64?
        let timer = try LoopTimer(loop: host.loop) {
            try? host.connect(to: Ed25519PrivateKey().nodeID, at: capture.address)
            sentWhenConnected = host.totalSocketCounters.sent
            host.stop()
        }
        timer.arm(at: host.loop.now)
        host.run()
        timer.close()
        #expect(sentWhenConnected == 1)
        #expect(host.totalSocketCounters.sent == 2)
        _ = try #require(capture.receive())
        #expect(host.unsent.isEmpty)
        try host.shutdown()
    }

    @Test("totalSocketCounters sums the counters of the IPv4 and the IPv6 socket")
    func totalSocketCountersSumsBothSockets() throws {
        guard hostHasIPv6Loopback() else { return }
        let capture = try CaptureSocket()
        let host = try TransportHost(identity: Ed25519PrivateKey(), addresses: [loopbackV4, loopbackV6])
        try host.connect(to: Ed25519PrivateKey().nodeID, at: capture.address)
        _ = try #require(capture.receive())
        let perSocket = host.socketCounters
        let total = host.totalSocketCounters
        try host.shutdown()
        #expect(total.sent == 1)
        #expect(total.sent == perSocket[0].sent + perSocket[1].sent)
        #expect(total.received == perSocket[0].received + perSocket[1].received)
        #expect(total.dropped == perSocket[0].dropped + perSocket[1].dropped)
    }

    @Test("two hosts with the same identity send different ephemeral keys and indices: secrets come from the CSPRNG")
    func hostsNeverRepeatSecrets() throws {
        let identity = Ed25519PrivateKey()
        let capture = try CaptureSocket()
        let target = Ed25519PrivateKey().nodeID
        var initiations: [[UInt8]] = []
        for _ in 0..<2 {
            let host = try TransportHost(identity: identity, addresses: [loopbackV4])
            try host.connect(to: target, at: capture.address)
            initiations.append(try #require(capture.receive()))
            try host.shutdown()
        }
        for initiation in initiations {
            #expect(initiation.count == 180 && initiation[0] == 1, "not an initiation: \(initiation.count) bytes")
        }
        #expect(initiations[0][8..<40] != initiations[1][8..<40], "the ephemeral public keys are equal")
        #expect(initiations[0][4..<8] != initiations[1][4..<8], "the sender indices are equal")
    }

    @Test("the same comparison catches a seeded source: endpoints seeded alike repeat their ephemeral keys")
    func seededEndpointsRepeatEphemeralKeys() throws {
        let identity = Ed25519PrivateKey()
        let target = Ed25519PrivateKey().nodeID
        let address = SocketAddress.ipv4(0x7F00_0001, port: 9000)
        let now = Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)
        let initiations = try (0..<2).map { _ in
            var endpoint = Endpoint(identity: identity, random: SeededRandomBytes(seed: 7), seed: 7, now: now)
            let effects = try endpoint.connect(to: target, at: address, now: now)
            guard case .send(let datagram, _)? = effects.first else { throw HostTestFailure("no initiation sent") }
            return datagram
        }
        #expect(initiations[0][8..<40] == initiations[1][8..<40])
    }

    @Test("an address in use is refused with bindFailed, and the host that holds it still shuts down cleanly")
    func addressInUseIsRefused() throws {
        let holder = try TransportHost(identity: Ed25519PrivateKey(), addresses: [loopbackV4])
        let taken = holder.localAddresses[0]
        let error = #expect(throws: RuntimeError.self) {
            _ = try TransportHost(identity: Ed25519PrivateKey(), addresses: [taken])
        }
        guard case .bindFailed(taken, _)? = error else {
            Issue.record("expected bindFailed for \(taken), got \(String(describing: error))")
            return
        }
        #expect(throws: Never.self) { try holder.shutdown() }
    }

    @Test("a host listens on one IPv4 and one IPv6 address and reports both bound ports")
    func bindsBothFamilies() throws {
        guard hostHasIPv6Loopback() else { return }
        let host = try TransportHost(identity: Ed25519PrivateKey(), addresses: [loopbackV4, loopbackV6])
        let addresses = host.localAddresses
        #expect(addresses.count == 2)
        #expect(addresses.allSatisfy { $0.isLoopback && $0.port != 0 })
        try host.shutdown()
    }
}

/// When a ping was sent and which instant its pong named, written on a host's thread and read by the test's.
final class PingInstants: Sendable {
    let value = Mutex<(pingSent: Instant?, pongNamed: Instant?)>((nil, nil))
}

struct HostTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A `TransportHost` made, run and shut down on its own Foundation thread, as the runtime runs one per process.
///
/// The test thread sees only what crosses `Mutex`es: the bound identity and address, then the report. Each host
/// stops itself after `limit` (a safety net, reported as `timedOut`), and `waitUntilFinished` asks it to stop
/// through the loop's remote if it outlives that.
final class HostThread: Sendable {
    /// What a host did, as its thread recorded it.
    struct Report: Sendable {
        var events: [TransportHost.Event] = []
        var timedOut = false
        var shutdownError: RuntimeError?
        var unsent: [TransportHost.UnsentReason: UInt64] = [:]
    }

    private struct Bound: Sendable {
        var nodeID: NodeID
        var address: SocketAddress
        var remote: EventLoop.Remote
    }

    private let bound = Mutex<Bound?>(nil)
    private let report = Mutex(Report())
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the thread: it binds a host to 127.0.0.1:0, lets `script` install its handlers (and `finish`, which
    /// stops the loop), records every event, and runs the loop until finished or `limit` passes.
    init(
        name: String, limit: MeshCore.Duration = .seconds(10),
        script: @escaping @Sendable (_ host: TransportHost, _ finish: @escaping () -> Void) -> Void
    ) {
        let thread = Thread { [self] in
            run(limit: limit, script: script)
            finished.signal()
        }
        thread.name = "TransportHost \(name)"
        thread.start()
    }

    private func run(
        limit: MeshCore.Duration, script: (_ host: TransportHost, _ finish: @escaping () -> Void) -> Void
    ) {
        let host: TransportHost
        do {
            host = try TransportHost(identity: Ed25519PrivateKey(), addresses: [loopbackV4])
        } catch {
            report.withLock { $0.shutdownError = error }
            ready.signal()
            return
        }
        bound.withLock { $0 = Bound(nodeID: host.nodeID, address: host.localAddresses[0], remote: host.loop.remote) }
        ready.signal()
        let safety = try! LoopTimer(loop: host.loop) {
            self.report.withLock { $0.timedOut = true }
            host.stop()
        }
        safety.arm(at: host.loop.now + limit)
        script(host) { host.stop() }
        let scripted = host.onEvent
        host.onEvent = { event in
            self.report.withLock { $0.events.append(event) }
            scripted?(event)
        }
        host.run()
        safety.close()
        let unsent = host.unsent
        let failure: RuntimeError?
        do {
            try host.shutdown()
            failure = nil
        } catch {
            failure = error
        }
        report.withLock {
            $0.shutdownError = failure
            $0.unsent = unsent
        }
    }

    /// The host's node id and bound address, once it is bound; nil if binding failed or took over 5 s.
    func waitUntilBound() -> (NodeID, SocketAddress)? {
        guard ready.wait(timeout: .now() + 5) == .success else { return nil }
        return bound.withLock { $0.map { ($0.nodeID, $0.address) } }
    }

    /// What the host did, once its thread has shut it down; a host still running after 15 s is asked to stop.
    func waitUntilFinished() -> Report {
        if finished.wait(timeout: .now() + 15) == .timedOut {
            _ = bound.withLock { $0?.remote.requestStop() }
            _ = finished.wait(timeout: .now() + 5)
            report.withLock { $0.timedOut = true }
        }
        return report.withLock { $0 }
    }
}

/// A plain kernel UDP socket on 127.0.0.1 that records what is sent to it, without answering.
final class CaptureSocket {
    let descriptor: Int32
    let address: SocketAddress

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw HostTestFailure("socket: \(errno)") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw HostTestFailure("bind: \(errno)")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.descriptor = descriptor
        address = .ipv4(0x7F00_0001, port: UInt16(bigEndian: local.sin_port))
    }

    /// The next datagram, or nil after 5 s without one.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count < 0 ? nil : Array(buffer[..<count])
    }

    deinit {
        close(descriptor)
    }
}
