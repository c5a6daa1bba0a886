import MeshCore
import MeshTransport
import MeshWire
import Testing

/// A sender (SentPacketTracker, CongestionController, Pacer) and a receiver (ReceivedPacketTracker) exchanging
/// packets in virtual time over a link that drops 30% of datagrams in each direction and reorders by jitter.
/// Everything is driven by one seeded generator, so a run replays exactly from its seed.
@Suite struct LossyLinkSimulationTests {
    /// The link: 20 ms one way plus up to 10 ms of jitter, 30% loss.
    struct Link {
        var generator: Xoshiro256StarStar
        let lossPercent: UInt64 = 30
        let delay = Duration.milliseconds(20)
        let jitterNanoseconds: UInt64 = 10_000_000

        /// When a datagram sent at `now` arrives, or `nil` when the link drops it.
        mutating func arrival(sentAt now: Instant) -> Instant? {
            let dropped = generator.next() % 100 < lossPercent
            let jitter = Duration(nanoseconds: Int64(generator.next() % jitterNanoseconds))
            return dropped ? nil : now + delay + jitter
        }
    }

    enum Datagram {
        /// Sender to receiver: packet `number` carrying message ids (none for a PING probe).
        case data(number: UInt64, messages: [Int])
        /// Receiver to sender: an encoded ACK frame payload.
        case ack([UInt8])
    }

    struct InTransit {
        var arrival: Instant
        var sequence: Int
        var datagram: Datagram
    }

    struct Summary: Equatable {
        var finishedAt: Instant
        var dataPacketsSent: Int
        var ackPacketsSent: Int
        var delivered: Set<Int>
        var acknowledged: Set<Int>
    }

    struct Simulation {
        let messageCount: Int
        var link: Link
        var now = Instant.epoch
        var inTransit: [InTransit] = []
        var sequence = 0

        var tracker = SentPacketTracker<[Int]>()
        var congestion = CongestionController()
        var pacer = Pacer()
        var pending: [Int]
        var acknowledged: Set<Int> = []
        var nextNumber: UInt64 = 0
        var dataPacketsSent = 0

        var received = ReceivedPacketTracker()
        var delivered: Set<Int> = []
        var ackPacketsSent = 0

        init(seed: UInt64, messageCount: Int) {
            self.messageCount = messageCount
            self.link = Link(generator: Xoshiro256StarStar(seed: seed))
            self.pending = Array(0..<messageCount)
        }

        var isDone: Bool { acknowledged.count == messageCount }

        mutating func transmit(_ datagram: Datagram) {
            guard let arrival = link.arrival(sentAt: now) else { return }
            inTransit.append(InTransit(arrival: arrival, sequence: sequence, datagram: datagram))
            sequence += 1
        }

        mutating func sendData(_ messages: [Int]) {
            let size = messages.isEmpty ? 50 : 1200
            tracker.onPacketSent(
                nextNumber, size: size, ackEliciting: true, inFlight: true, payload: messages, now: now)
            congestion.onPacketSent(bytes: size)
            pacer.onPacketSent(
                now: now, bytes: size, congestionWindow: congestion.congestionWindow,
                smoothedRTT: tracker.rtt.smoothedRTT)
            transmit(.data(number: nextNumber, messages: messages))
            nextNumber += 1
            dataPacketsSent += 1
        }

        /// Puts the messages of lost packets back at the front of the queue, unless already delivered or queued.
        mutating func requeue(_ lost: [SentPacket<[Int]>]) {
            let again = Set(lost.flatMap(\.payload)).subtracting(acknowledged).subtracting(pending)
            pending.insert(contentsOf: again.sorted(), at: 0)
        }

        mutating func deliverArrivals() throws {
            let due = inTransit.filter { $0.arrival <= now }.sorted {
                ($0.arrival, $0.sequence) < ($1.arrival, $1.sequence)
            }
            inTransit.removeAll { $0.arrival <= now }
            for item in due {
                switch item.datagram {
                case .data(let number, let messages):
                    try received.onPacketReceived(number, ackEliciting: true, now: now)
                    delivered.formUnion(messages)
                case .ack(let bytes):
                    var reader = WireReader(bytes)
                    let frame = try AckFrame.decode(from: &reader)
                    let outcome = try tracker.onAckReceived(frame, now: now)
                    for packet in outcome.acknowledged { acknowledged.formUnion(packet.payload) }
                    requeue(outcome.lost)
                    congestion.onAckOutcome(outcome, applicationLimited: pending.isEmpty, now: now)
                }
            }
        }

        mutating func runTimers() {
            if let deadline = received.ackDeadline, deadline <= now, let frame = received.makeAckFrame(now: now) {
                var writer = WireWriter()
                frame.encode(into: &writer)
                transmit(.ack(writer.bytes))
                ackPacketsSent += 1
            }
            if let deadline = tracker.lossDetectionDeadline, deadline <= now {
                let timeout = tracker.onLossDetectionTimeout(now: now)
                requeue(timeout.lost)
                congestion.onPacketsLost(timeout.lost, persistentCongestion: timeout.persistentCongestion, now: now)
                for _ in 0..<timeout.probePackets {
                    sendData(pending.isEmpty ? [] : [pending.removeFirst()])
                }
            }
        }

        /// The earliest time the pacer lets the next message go, if the window and tracker allow sending at all.
        var nextPacedSend: Instant? {
            guard !pending.isEmpty, tracker.canTrackMore, congestion.canSend(bytes: 1200) else { return nil }
            return pacer.nextSendTime(
                now: now, bytes: 1200, congestionWindow: congestion.congestionWindow,
                smoothedRTT: tracker.rtt.smoothedRTT)
        }

        mutating func sendNewData() {
            while let sendTime = nextPacedSend, sendTime <= now {
                sendData([pending.removeFirst()])
            }
        }

        /// Runs until every message is acknowledged; `nil` if the loop stalls or runs past its step budget.
        mutating func run() throws -> Summary? {
            for _ in 0..<1_000_000 {
                try deliverArrivals()
                runTimers()
                sendNewData()
                if isDone {
                    return Summary(
                        finishedAt: now, dataPacketsSent: dataPacketsSent, ackPacketsSent: ackPacketsSent,
                        delivered: delivered, acknowledged: acknowledged)
                }
                let candidates =
                    inTransit.map(\.arrival)
                    + [received.ackDeadline, tracker.lossDetectionDeadline, nextPacedSend].compactMap { $0 }
                guard let next = candidates.min(), next > now else { return nil }
                now = next
            }
            return nil
        }
    }

    @Test(arguments: [1, 2, 3, 0x5eed] as [UInt64])
    func everyMessageIsEventuallyAcknowledgedDespiteThirtyPercentLoss(seed: UInt64) throws {
        var simulation = Simulation(seed: seed, messageCount: 300)
        let summary = try #require(try simulation.run(), "seed \(seed): the loop stalled")
        #expect(summary.acknowledged == Set(0..<300), "seed \(seed)")
        #expect(summary.delivered == Set(0..<300), "seed \(seed)")
        #expect(summary.dataPacketsSent > 300, "seed \(seed): a 30% lossy link needs retransmissions")
    }

    @Test func sameSeedReplaysTheSameRun() throws {
        var first = Simulation(seed: 7, messageCount: 100)
        var second = Simulation(seed: 7, messageCount: 100)
        let one = try #require(try first.run())
        let two = try #require(try second.run())
        #expect(one == two)
    }
}
