public import MeshCore
public import MeshWire

/// The payload of an ACK frame (RFC 9000, section 19.3, without ECN counts): which packet numbers of the session's
/// single packet-number space the sender of the frame has received, and how long it held the largest before
/// acknowledging it.
///
/// Wire form, every field a QUIC varint: Largest Acknowledged, ACK Delay (in units of 2^`ackDelayExponent`
/// microseconds), ACK Range Count (ranges after the first), First ACK Range, then Gap and ACK Range Length per
/// further range (section 19.3.1). The frame type byte is the caller's to write and read.
///
/// The value keeps the ranges themselves, highest first, so code that builds or reads a frame never does gap
/// arithmetic; `encode` and `decode` translate.
public struct AckFrame: Hashable, Sendable {
    /// The ACK delay field counts units of 2^3 = 8 microseconds, QUIC's default `ack_delay_exponent`
    /// (RFC 9000, section 18.2). SignalMesh fixes it rather than negotiating it.
    public static let ackDelayExponent = 3
    /// The duration one unit of the ACK delay field stands for: 8 microseconds.
    public static let ackDelayUnit = Duration.microseconds(1 << ackDelayExponent)
    /// The most ranges a SignalMesh ACK frame carries: receivers keep no more (RFC 9000, section 13.2.3 lets
    /// them drop the oldest) and decoders refuse more. 32 ranges of up to 17 bytes fit well inside one packet.
    public static let maxRanges = 32
    /// The largest ACK delay field value whose duration fits `Duration`'s Int64 nanoseconds.
    static let maxAckDelayUnits = UInt64(Int64.max / ackDelayUnit.nanoseconds)

    /// The acknowledged packet numbers as disjoint, non-adjacent ranges in descending order; never empty.
    public let ranges: AckRanges
    /// How long the receiver held the largest acknowledged packet before sending this frame, a multiple of
    /// `ackDelayUnit`.
    public let ackDelay: Duration

    /// The largest packet number acknowledged: the top of the first range.
    public var largestAcknowledged: UInt64 { ranges[0].upperBound }

    /// A frame acknowledging `ranges`.
    ///
    /// - Parameters:
    ///   - ranges: descending, disjoint ranges with at least one unacknowledged number between neighbours (adjacent
    ///     ranges must be merged first), at most `maxRanges` of them, every number at most 2^62 - 1.
    ///   - ackDelay: non-negative; rounded down to a multiple of `ackDelayUnit`, the resolution of the wire field.
    public init(ranges: [ClosedRange<UInt64>], ackDelay: Duration) {
        precondition(!ranges.isEmpty, "an ACK frame acknowledges at least one packet")
        self.init(ranges: AckRanges(ranges), ackDelay: ackDelay)
    }

    /// A frame acknowledging `ranges` (as in `init(ranges:ackDelay:)`), which a receiver builds without allocating
    /// when there is one range.
    public init(ranges: AckRanges, ackDelay: Duration) {
        precondition(ranges.count <= Self.maxRanges, "\(ranges.count) ACK ranges; at most \(Self.maxRanges)")
        precondition(ranges[0].upperBound <= Varint.max, "packet number \(ranges[0].upperBound) above 2^62 - 1")
        for (higher, lower) in zip(ranges, ranges.dropFirst()) {
            precondition(
                higher.lowerBound >= 2 && lower.upperBound <= higher.lowerBound - 2,
                "ACK ranges \(higher) and \(lower) are not descending with a gap between them")
        }
        precondition(ackDelay >= .zero, "negative ACK delay \(ackDelay)")
        self.ranges = ranges
        self.ackDelay = Self.ackDelayUnit * (ackDelay.nanoseconds / Self.ackDelayUnit.nanoseconds)
    }

    private init(validatedRanges: AckRanges, ackDelayUnits: UInt64) {
        self.ranges = validatedRanges
        self.ackDelay = Self.ackDelayUnit * Int64(ackDelayUnits)
    }

    /// Whether `number` lies in one of the ranges. O(number of ranges).
    public func acknowledges(_ number: UInt64) -> Bool {
        ranges.contains { $0.contains(number) }
    }

    /// The number of bytes `encode(into:)` writes, computed without writing them (the sender sizes a packet's stream
    /// chunk around its ACK on every packet).
    public var encodedLength: Int {
        var length = Varint.encodedLength(of: largestAcknowledged)
        length += Varint.encodedLength(of: UInt64(ackDelay.nanoseconds / Self.ackDelayUnit.nanoseconds))
        length += Varint.encodedLength(of: UInt64(ranges.count - 1))
        length += Varint.encodedLength(of: ranges[0].upperBound - ranges[0].lowerBound)
        for (higher, lower) in zip(ranges, ranges.dropFirst()) {
            length += Varint.encodedLength(of: higher.lowerBound - lower.upperBound - 2)
            length += Varint.encodedLength(of: lower.upperBound - lower.lowerBound)
        }
        return length
    }
    /// Appends the payload (everything after the frame type).
    public func encode(into writer: inout WireWriter) {
        writer.writeVarint(largestAcknowledged)
        writer.writeVarint(UInt64(ackDelay.nanoseconds / Self.ackDelayUnit.nanoseconds))
        writer.writeVarint(UInt64(ranges.count - 1))
        writer.writeVarint(ranges[0].upperBound - ranges[0].lowerBound)
        for (higher, lower) in zip(ranges, ranges.dropFirst()) {
            writer.writeVarint(higher.lowerBound - lower.upperBound - 2)
            writer.writeVarint(lower.upperBound - lower.lowerBound)
        }
    }

    /// Decodes a payload written by `encode`.
    ///
    /// - Parameter maxRanges: the most ranges (the first included) to accept, 1 through `AckFrame.maxRanges`;
    ///   work and memory are bounded by it whatever the input says.
    /// - Throws: `WireError.invalidValue` when a range or gap would reach below packet number 0 (RFC 9000,
    ///   section 19.3.1, a FRAME_ENCODING_ERROR); `.oversized` when the frame has more than `maxRanges` ranges or an
    ///   ACK delay beyond what a `Duration` holds; `.truncated` and `.nonMinimalVarint` from the varints. On a
    ///   throw the reader is where it was.
    /// - Complexity: O(ranges).
    public static func decode(from reader: inout WireReader, maxRanges: Int = maxRanges) throws(WireError) -> AckFrame {
        precondition(
            (1...Self.maxRanges).contains(maxRanges), "maxRanges \(maxRanges) outside 1...\(Self.maxRanges)")
        let start = reader
        do throws(WireError) {
            let largest = try reader.readVarint("ACK largest acknowledged")
            let delayUnits = try reader.readVarint("ACK delay", max: maxAckDelayUnits)
            let additionalRanges = try reader.readVarint("ACK range count")
            guard additionalRanges < UInt64(maxRanges) else {
                throw .oversized(field: "ACK range count", length: additionalRanges + 1, limit: UInt64(maxRanges))
            }
            let firstRange = try reader.readVarint("ACK first range")
            guard firstRange <= largest else {
                throw .invalidValue(
                    field: "ACK first range",
                    reason: "\(firstRange) packets below largest acknowledged \(largest) reach below packet number 0")
            }
            var smallest = largest - firstRange
            var ranges = AckRanges(first: smallest...largest)
            for _ in 0..<additionalRanges {
                let gap = try reader.readVarint("ACK gap")
                guard smallest >= 2, gap <= smallest - 2 else {
                    throw .invalidValue(
                        field: "ACK gap",
                        reason: "a gap of \(gap) below packet \(smallest) reaches below packet number 0")
                }
                let rangeLargest = smallest - gap - 2
                let length = try reader.readVarint("ACK range length")
                guard length <= rangeLargest else {
                    throw .invalidValue(
                        field: "ACK range length",
                        reason: "\(length) packets below packet \(rangeLargest) reach below packet number 0")
                }
                smallest = rangeLargest - length
                ranges.append(smallest...rangeLargest)
            }
            return AckFrame(validatedRanges: ranges, ackDelayUnits: delayUnits)
        } catch {
            reader = start
            throw error
        }
    }
}
