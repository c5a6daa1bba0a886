import MeshCore
import MeshRuntime

/// One `signalmesh ping` on the host's loop: connect, time the handshake, send a ping every `interval`, collect the
/// pongs, and stop when all are in, when `timeout` passes without the handshake or the last pongs, when the session
/// ends, or on SIGINT/SIGTERM (a second signal exits at once).
final class PingRun {
    /// What happened, for the summary and the exit status.
    struct Outcome {
        /// Connect to session up; nil when no handshake completed.
        var handshake: Duration?
        /// Pings sent.
        var sent = 0
        /// The round-trip time of each pong, in arrival order.
        var rtts: [Duration] = []
        /// From the first ping to the end.
        var elapsed = Duration.zero
        /// Datagrams the host could not send.
        var unsent: UInt64 = 0
        /// A reason the run could not go on (a ping the transport refused).
        var failure: CLIFailure?
    }

    private let host: TransportHost
    private let peer: PeerAddress
    private let count: Int
    private let interval: Duration
    private let timeout: Duration
    private let log: TransportEventLog
    private var outcome = Outcome()
    private var startedAt = Instant.epoch
    private var firstPingAt: Instant?
    private var isFinished = false
    /// Fires when the next ping is due.
    private var pingTimer: LoopTimer?
    /// Fires when the wait for the handshake, or for the last pongs, is over.
    private var deadline: LoopTimer?
    private var watcher: SignalWatcher?

    init(
        host: TransportHost, peer: PeerAddress, count: Int, interval: Duration, timeout: Duration,
        log: TransportEventLog
    ) {
        self.host = host
        self.peer = peer
        self.count = count
        self.interval = interval
        self.timeout = timeout
        self.log = log
    }

    /// Runs the whole ping on the calling thread and returns what happened; the host is stopped, not shut down.
    ///
    /// - Throws: `CLIFailure` if the target cannot be connected to at all (an id that is not a valid key) or the
    ///   loop cannot make a timer or signal watcher.
    func start() throws(CLIFailure) -> Outcome {
        do {
            pingTimer = try LoopTimer(loop: host.loop) { self.sendPing() }
            deadline = try LoopTimer(loop: host.loop) { self.finish() }
            watcher = try SignalWatcher(loop: host.loop) { signal, count in
                guard count == 1 else { NodeOptions.exitAtOnce(signal) }
                self.finish()
            }
        } catch {
            closeHandles()
            throw CLIFailure(setUp: error)
        }
        host.onEvent = { self.handle($0) }
        if !log.json {
            Output.line(
                "PING \(peer.id.shortText)…@\(peer.address) from \(host.localAddresses[0]) as \(host.nodeID.shortText)…"
            )
        }
        startedAt = host.loop.now
        do {
            try host.connect(to: peer.id, at: peer.address)
        } catch {
            closeHandles()
            throw .usage("cannot connect to \(peer.id.text): \(error.description)")
        }
        deadline?.arm(at: startedAt + timeout)
        host.run()
        outcome.unsent = host.unsent.values.reduce(0, +)
        return outcome
    }

    private func handle(_ event: TransportHost.Event) {
        guard !isFinished else { return }
        switch event {
        case .sessionUp(let id, let address) where id == peer.id:
            guard outcome.handshake == nil else { return }
            let handshake = host.loop.now - startedAt
            outcome.handshake = handshake
            if log.json {
                Output.jsonLine([
                    "event": "handshake", "peer": id.text, "address": address.description,
                    "handshake_ms": Output.millisecondsValue(handshake.nanoseconds),
                ])
            } else {
                Output.line(
                    "handshake with \(id.shortText)… at \(address): \(Output.milliseconds(handshake.nanoseconds)) ms")
            }
            deadline?.disarm()
            sendPing()
        case .pong(let id, let rtt) where id == peer.id:
            outcome.rtts.append(rtt)
            log.pong(from: id, rtt: rtt, sequence: outcome.rtts.count)
            if outcome.sent == count && outcome.rtts.count >= count { finish() }
        case .sessionDown(let id, _) where id == peer.id:
            log.record(event)
            finish()
        case .sessionUp, .sessionDown, .message, .pong, .writable:
            log.record(event)
        }
    }

    private func sendPing() {
        guard !isFinished else { return }
        let now: Instant
        do {
            now = try host.ping(peer.id)
        } catch {
            outcome.failure = .noAnswer("cannot ping \(peer.id.shortText)…: \(error.description)")
            finish()
            return
        }
        if firstPingAt == nil { firstPingAt = now }
        outcome.sent += 1
        if outcome.sent < count {
            pingTimer?.arm(at: now + interval)
        } else {
            deadline?.arm(at: now + timeout)
        }
    }

    /// Ends the run: closes the session (telling the peer), the timers and the watcher, and stops the loop.
    private func finish() {
        guard !isFinished else { return }
        isFinished = true
        outcome.elapsed = firstPingAt.map { host.loop.now - $0 } ?? .zero
        closeHandles()
        host.close(peer.id)
        host.stop()
    }

    private func closeHandles() {
        pingTimer?.close()
        deadline?.close()
        watcher?.close()
    }
}
