import MeshCore
import MeshCrypto
import MeshRuntime
import MeshTransport
import MeshWire

/// One `signalmesh throughput send` on the host's loop: connect, send numbered messages as fast as the transport
/// takes them for the run's duration, ask for the receiver's report, and stop when it arrives, when `timeout`
/// passes without the handshake or the report, when the session ends, or on a second SIGINT/SIGTERM (the first one
/// ends the sending early and asks for the report).
///
/// Messages are sent from a timer, in bursts of `burstSize`, each burst on its own loop turn, so that the
/// acknowledgments and pongs arriving between bursts are handled as they come. Datagrams go out only while
/// `ThroughputWindow` has room; stream messages until `sendReliable` refuses with `sendBufferFull`, then again
/// `retryDelay` later, when acknowledgments have freed room.
final class ThroughputSender {
    /// What happened, for the summary and the exit status.
    struct Outcome {
        /// Connect to session up; nil when no handshake completed.
        var handshake: Duration?
        /// Messages the transport took.
        var messagesSent: UInt64 = 0
        /// Their bytes.
        var bytesSent: UInt64 = 0
        /// From the first message to the last.
        var sendingTime = Duration.zero
        /// What the socket did meanwhile: datagrams the kernel took (data, acknowledgments, pings).
        var socketSent: UInt64 = 0
        /// The `sendmmsg` calls that carried them: how well sends were batched.
        var socketSendCalls: UInt64 = 0
        /// Datagrams that had to wait in the socket's pending-send queue.
        var socketQueued: UInt64 = 0
        /// Datagrams the socket dropped (full pending-send queue, refused by the kernel).
        var socketDropped: UInt64 = 0
        /// The receiver's report; nil when none arrived.
        var report: ThroughputReport?
        /// A reason the run could not go on.
        var failure: CLIFailure?
    }

    /// Where the run is.
    private enum Phase {
        /// Waiting for the session, since `connect` at the instant given.
        case connecting(since: Instant)
        /// Sending data messages until the instant given.
        case sending(until: Instant)
        /// The report request waits for room in the stream.
        case requesting
        /// The report request is sent; waiting for the report.
        case awaitingReport
        /// Done; the loop is stopping.
        case finished
    }

    /// Messages sent per loop turn at most: 64 datagrams, or 64 stream messages.
    static let burstSize = 64
    /// How long to wait for room when the window or the stream is full, 1 ms (the timer's resolution).
    static let retryDelay = Duration.milliseconds(1)

    private let host: TransportHost
    private let peer: PeerAddress
    private let mode: ThroughputMode
    private let size: Int
    private let duration: Duration
    private let timeout: Duration
    private let json: Bool
    private let run: UInt64
    /// `.finished` until `start()`: nothing the loop reports before then is for this run.
    private var phase: Phase = .finished
    private var outcome = Outcome()
    private var window = ThroughputWindow()
    private var startedSending = Instant.epoch
    private var countersAtStart = UDPSocket.Counters()
    /// Fires when the next burst is due.
    private var pumpTimer: LoopTimer?
    /// Fires when the wait for the handshake, or for the report, is over.
    private var deadline: LoopTimer?
    private var watcher: SignalWatcher?

    init(
        host: TransportHost, peer: PeerAddress, mode: ThroughputMode, size: Int, duration: Duration,
        timeout: Duration, json: Bool
    ) {
        self.host = host
        self.peer = peer
        self.mode = mode
        self.size = size
        self.duration = duration
        self.timeout = timeout
        self.json = json
        var random = SystemRandom()
        run = random.next()
    }

    /// Runs the whole measurement on the calling thread and returns what happened; the host is stopped, not shut
    /// down.
    ///
    /// - Throws: `CLIFailure` if the target cannot be connected to at all (an id that is not a valid key) or the
    ///   loop cannot make a timer or signal watcher.
    func start() throws(CLIFailure) -> Outcome {
        do {
            pumpTimer = try LoopTimer(loop: host.loop) { self.pump() }
            deadline = try LoopTimer(loop: host.loop) { self.deadlinePassed() }
            watcher = try SignalWatcher(loop: host.loop) { signal, count in
                guard count == 1 else { NodeOptions.exitAtOnce(signal) }
                self.interrupted()
            }
        } catch {
            closeHandles()
            throw CLIFailure(setUp: error)
        }
        host.onEvent = { self.handle($0) }
        if !json {
            Output.line(
                "THROUGHPUT \(peer.id.shortText)…@\(peer.address) from \(host.localAddresses[0]) as "
                    + "\(host.nodeID.shortText)…: \(mode), \(size)-byte messages, "
                    + "\(Output.seconds(duration.seconds)) s, run \(ThroughputReport.runText(run))")
        }
        let now = host.loop.now
        phase = .connecting(since: now)
        do {
            try host.connect(to: peer.id, at: peer.address)
        } catch {
            closeHandles()
            throw .usage("cannot connect to \(peer.id.text): \(error.description)")
        }
        deadline?.arm(at: now + timeout)
        host.run()
        return outcome
    }

    // MARK: Events

    private func handle(_ event: TransportHost.Event) {
        switch event {
        case .sessionUp(let id, _) where id == peer.id:
            guard case .connecting(let since) = phase else { return }
            sessionUp(connectedAfter: host.inputTime - since)
        case .sessionDown(let id, let reason) where id == peer.id:
            switch phase {
            case .connecting, .finished:
                return
            case .sending, .requesting, .awaitingReport:
                outcome.failure = .noAnswer("the session with \(peer.id.shortText)… ended: \(reason.explanation)")
                finish()
            }
        case .message(let bytes, let id) where id == peer.id:
            received(bytes)
        case .pong(let id, let rtt) where id == peer.id:
            window.onPong(pingSentAt: host.inputTime - rtt)
            if case .sending = phase, mode == .datagram, window.room > 0 { pumpTimer?.arm(at: host.inputTime) }
        case .writable(let id) where id == peer.id:
            if case .sending = phase, mode == .datagram { pumpTimer?.arm(at: host.inputTime) }
        case .sessionUp, .sessionDown, .message, .pong, .writable:
            break
        }
    }

    private func sessionUp(connectedAfter handshake: Duration) {
        outcome.handshake = handshake
        if json {
            let milliseconds = Output.millisecondsValue(handshake.nanoseconds)
            Output.jsonLine([
                "event": "connected", "peer": peer.id.text, "handshake_ms": milliseconds,
                "run": ThroughputReport.runText(run),
            ])
        } else {
            Output.line("connected in \(Output.milliseconds(handshake.nanoseconds)) ms; sending")
        }
        deadline?.disarm()
        let now = host.loop.now
        startedSending = now
        countersAtStart = host.totalSocketCounters
        phase = .sending(until: now + duration)
        pumpTimer?.arm(at: now)
    }

    private func received(_ bytes: [UInt8]) {
        let report: ThroughputReport
        do {
            guard case .report(let decoded) = try ThroughputMessage(decoding: bytes) else {
                throw WireError.invalidValue(field: "throughput message kind", reason: "a sender expects only a report")
            }
            report = decoded
        } catch {
            outcome.failure = Self.malformedReport("\(error)")
            finish()
            return
        }
        guard case .awaitingReport = phase else {
            outcome.failure = Self.malformedReport("a report arrived before it was asked for")
            finish()
            return
        }
        guard report.run == run else {
            outcome.failure = Self.malformedReport(
                "the report is for run \(ThroughputReport.runText(report.run)), not \(ThroughputReport.runText(run))")
            finish()
            return
        }
        guard report.messages <= outcome.messagesSent, report.lost <= outcome.messagesSent else {
            outcome.failure = Self.malformedReport(
                "it counts \(report.messages) messages received and \(report.lost) lost of only "
                    + "\(outcome.messagesSent) sent")
            finish()
            return
        }
        outcome.report = report
        finish()
    }

    /// 76 (EX_PROTOCOL): the receiver answered with something that is not a valid report.
    private static func malformedReport(_ detail: String) -> CLIFailure {
        CLIFailure(message: "the receiver's report is malformed: \(detail)", exitCode: .init(76))
    }

    // MARK: Sending

    private func pump() {
        let now = host.loop.now
        switch phase {
        case .sending(let until):
            guard now < until else {
                stopSending(at: now)
                return
            }
            switch mode {
            case .datagram: sendDatagrams(now: now)
            case .stream: sendStream(now: now)
            }
        case .requesting:
            requestReport(now: now)
        case .connecting, .awaitingReport, .finished:
            break
        }
    }

    private func sendDatagrams(now: Instant) {
        var burst = 0
        while burst < Self.burstSize, window.room > 0 {
            guard send() else {
                if case .sending = phase { pumpTimer?.arm(at: now + Self.retryDelay) }
                return
            }
            window.onDatagramSent()
            burst += 1
        }
        if window.wantsPing(now: now) {
            do {
                window.onPingSent(at: try host.ping(peer.id))
            } catch .congested {
                // Not now: the next pump tries again.
            } catch {
                fail("cannot ping \(peer.id.shortText)…: \(error.description)")
                return
            }
        }
        // A full window opens with a pong, which re-arms the timer; until then, check every `retryDelay` whether the
        // run is over or a ping is due.
        pumpTimer?.arm(at: window.room > 0 ? now : now + Self.retryDelay)
    }

    private func sendStream(now: Instant) {
        for _ in 0..<Self.burstSize {
            guard send() else {
                if case .sending = phase { pumpTimer?.arm(at: now + Self.retryDelay) }
                return
            }
        }
        pumpTimer?.arm(at: now)
    }

    /// Sends the next data message; false if the stream is full or the transport refused it (then the run is over).
    private func send() -> Bool {
        let message = ThroughputMessage.data(mode: mode, run: run, sequence: outcome.messagesSent, size: size).encoded
        do {
            switch mode {
            case .datagram: try host.send(message, to: peer.id)
            case .stream: try host.sendReliable(message, to: peer.id)
            }
        } catch .sendBufferFull, .congested {
            // Backpressure: the caller tries again when acknowledgments have freed room.
            return false
        } catch {
            fail("the transport refused a message: \(error.description)")
            return false
        }
        outcome.messagesSent += 1
        outcome.bytesSent += UInt64(size)
        return true
    }

    private func stopSending(at now: Instant) {
        outcome.sendingTime = now - startedSending
        let counters = host.totalSocketCounters
        outcome.socketSent = counters.sent - countersAtStart.sent
        outcome.socketSendCalls = counters.sendCalls - countersAtStart.sendCalls
        outcome.socketQueued = counters.queued - countersAtStart.queued
        let sendDrops = UDPSocket.DropReason.allCases.filter(\.isOutgoing)
        outcome.socketDropped = sendDrops.reduce(0) { $0 + counters[dropped: $1] - countersAtStart[dropped: $1] }
        phase = .requesting
        requestReport(now: now)
    }

    private func requestReport(now: Instant) {
        let request = ThroughputMessage.reportRequest(
            mode: mode, run: run, messagesSent: outcome.messagesSent, bytesSent: outcome.bytesSent)
        do {
            try host.sendReliable(request.encoded, to: peer.id)
        } catch .sendBufferFull {
            pumpTimer?.arm(at: now + Self.retryDelay)
            return
        } catch {
            fail("cannot ask for the report: \(error.description)")
            return
        }
        phase = .awaitingReport
        deadline?.arm(at: now + timeout)
    }

    // MARK: Ending

    private func deadlinePassed() {
        switch phase {
        case .connecting:
            finish()
        case .requesting, .awaitingReport:
            outcome.failure = .noAnswer(
                "no report from \(peer.id.shortText)… within \(Output.seconds(timeout.seconds)) s of asking for it")
            finish()
        case .sending, .finished:
            break
        }
    }

    private func interrupted() {
        switch phase {
        case .sending:
            stopSending(at: host.loop.now)
        case .connecting, .requesting, .awaitingReport:
            outcome.failure = .noAnswer("interrupted before the report arrived")
            finish()
        case .finished:
            break
        }
    }

    private func fail(_ message: String) {
        outcome.failure = .noAnswer(message)
        finish()
    }

    /// Ends the run: closes the session (telling the peer), the timers and the watcher, and stops the loop.
    private func finish() {
        if case .finished = phase { return }
        phase = .finished
        closeHandles()
        host.close(peer.id)
        host.stop()
    }

    private func closeHandles() {
        pumpTimer?.close()
        deadline?.close()
        watcher?.close()
    }
}
