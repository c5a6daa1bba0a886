import MeshCore

/// What a `throughput serve` node has received of one run: a pure core fed each data message with its arrival time.
///
/// Sequence numbers are remembered in a sliding window of `windowSize` numbers below the highest seen, which tells
/// a duplicate from a late first copy. A message older than the window is counted as a duplicate: it cannot be told
/// apart, and for datagrams it cannot happen, since the transport refuses packets older than its 4032-packet replay
/// window (`Specs/transport.md`, "Sessions") and every datagram is one packet.
struct ThroughputTally {
    /// Sequence numbers remembered below the highest seen, 8192.
    static let windowSize: UInt64 = 8192

    /// The run, as the sender numbered it.
    let run: UInt64
    /// How its messages travel, from its first message.
    let mode: ThroughputMode
    /// Distinct data messages received.
    private(set) var messages: UInt64 = 0
    /// Bytes of the distinct data messages.
    private(set) var bytes: UInt64 = 0
    /// Messages whose sequence number had arrived before.
    private(set) var duplicates: UInt64 = 0
    /// First copies that arrived after a higher sequence number.
    private(set) var outOfOrder: UInt64 = 0
    /// Arrival of the first data message.
    private(set) var firstArrival: Instant?
    /// Arrival of the last data message.
    private(set) var lastArrival: Instant?

    /// One above the highest sequence number seen.
    private var next: UInt64 = 0
    /// Bit `n % windowSize` set: sequence number `n` (one of the last `windowSize` below `next`) arrived.
    private var seen = [UInt64](repeating: 0, count: Int(Self.windowSize / 64))

    /// An empty tally for `run`.
    init(run: UInt64, mode: ThroughputMode) {
        self.run = run
        self.mode = mode
    }

    /// Counts a data message of `size` bytes with `sequence` (at most `ThroughputMessage.maxSequence`), arrived at
    /// `now`.
    mutating func record(sequence: UInt64, size: Int, at now: Instant) {
        precondition(sequence <= ThroughputMessage.maxSequence, "sequence number \(sequence) above the limit")
        if firstArrival == nil { firstArrival = now }
        lastArrival = now
        if sequence >= next {
            // Forget the numbers that slide out of the window: from `next` up to `sequence`, at most a window's worth.
            let forgotten = min(sequence - next, Self.windowSize - 1) + 1
            for offset in 0..<forgotten { setSeen(sequence - offset, false) }
            next = sequence + 1
        } else if next - sequence > Self.windowSize || isSeen(sequence) {
            duplicates += 1
            return
        } else {
            outOfOrder += 1
        }
        setSeen(sequence, true)
        messages += 1
        bytes += UInt64(size)
    }

    /// The report for a sender that sent `messagesSent` messages, numbered from 0.
    func report(messagesSent: UInt64) -> ThroughputReport {
        var elapsed = Duration.zero
        if let firstArrival, let lastArrival { elapsed = lastArrival - firstArrival }
        return ThroughputReport(
            run: run, messages: messages, bytes: bytes, duplicates: duplicates, outOfOrder: outOfOrder,
            lost: messagesSent > messages ? messagesSent - messages : 0, elapsed: elapsed)
    }

    private func isSeen(_ sequence: UInt64) -> Bool {
        let bit = sequence % Self.windowSize
        return seen[Int(bit / 64)] & (1 << (bit % 64)) != 0
    }

    private mutating func setSeen(_ sequence: UInt64, _ value: Bool) {
        let bit = sequence % Self.windowSize
        if value {
            seen[Int(bit / 64)] |= 1 << (bit % 64)
        } else {
            seen[Int(bit / 64)] &= ~(1 << (bit % 64))
        }
    }
}
