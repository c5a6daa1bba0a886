import MeshCore

/// What a `throughput serve` node received in one run, as it reports it to the sender.
struct ThroughputReport: Equatable {
    /// The run, as the sender numbered it.
    var run: UInt64
    /// Distinct data messages received.
    var messages: UInt64
    /// Payload bytes of those messages (whole messages, header included; no transport overhead).
    var bytes: UInt64
    /// Data messages received again after a first copy (or too late to tell, see `ThroughputTally`).
    var duplicates: UInt64
    /// Data messages that arrived after one with a higher sequence number.
    var outOfOrder: UInt64
    /// Messages the sender sent that never arrived: the gaps in the sequence numbers it used.
    var lost: UInt64
    /// From the first data message's arrival to the last one's.
    var elapsed: Duration

    /// Payload bits per second between the first and the last arrival; nil when they were at the same instant.
    var goodputBitsPerSecond: Double? {
        elapsed.nanoseconds > 0 ? Double(bytes) * 8 / elapsed.seconds : nil
    }

    /// `lost` as a percentage of the messages sent (`messages + lost`), 0 when nothing was sent.
    var lossPercent: Double {
        let sent = messages + lost
        return sent == 0 ? 0 : Double(lost) / Double(sent) * 100
    }
}

extension ThroughputReport {
    /// A run id as people and scripts see it: 16 hex digits.
    static func runText(_ run: UInt64) -> String {
        let digits = String(run, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Bits per second as Mbit/s with one decimal, `n/a` for nil.
    static func megabitsText(_ bitsPerSecond: Double?) -> String {
        bitsPerSecond.map { String(format: "%.1f", $0 / 1e6) } ?? "n/a"
    }

    /// Bits per second as a JSON number of Mbit/s rounded to three decimals, 0 for nil.
    static func megabitsValue(_ bitsPerSecond: Double?) -> Double {
        ((bitsPerSecond ?? 0) / 1e3).rounded() / 1e3
    }

    /// Bytes as megabytes (10^6) with two decimals.
    static func megabytesText(_ bytes: UInt64) -> String {
        String(format: "%.2f MB", Double(bytes) / 1e6)
    }

    /// The receiving side for people: `85812 messages, 99.97 MB in 10.00 s, 68.6 Mbit/s goodput, 0 lost (0.00%),
    /// 0 duplicates, 0 out of order`.
    var text: String {
        "\(messages) messages, \(Self.megabytesText(bytes)) in \(String(format: "%.2f", elapsed.seconds)) s, "
            + "\(Self.megabitsText(goodputBitsPerSecond)) Mbit/s goodput, \(lost) lost "
            + "(\(String(format: "%.2f", lossPercent))%), \(duplicates) duplicates, \(outOfOrder) out of order"
    }

    /// The receiving side for scripts, under the keys both `serve` and `send` use.
    var jsonFields: [String: Any] {
        [
            "run": Self.runText(run), "received_messages": messages, "received_bytes": bytes,
            "received_seconds": (elapsed.seconds * 1e6).rounded() / 1e6,
            "goodput_mbps": Self.megabitsValue(goodputBitsPerSecond), "lost": lost,
            "loss_percent": (lossPercent * 1e3).rounded() / 1e3, "duplicates": duplicates, "out_of_order": outOfOrder,
        ]
    }
}
