import MeshCore
import MeshWire

/// The sending half of a connection's reliable stream: messages framed as `varint length || bytes`, kept until
/// the peer acknowledges them, resent when a packet carrying them is lost (`Specs/transport.md`, "Stream").
///
/// Bytes live in one array whose acknowledged prefix is released as acknowledgments arrive. `capacity` bounds it:
/// a send that would exceed it is refused, which is the backpressure the caller sees.
struct StreamSender {
    /// Identifies this generation of the stream; a new generation starts after the connection went down.
    let id: UInt32
    let capacity: Int
    /// Unacknowledged and unsent bytes, from `base` on.
    private var buffer: [UInt8] = []
    private var head = 0
    /// The stream offset of `buffer[head]`.
    private(set) var base: UInt64 = 0
    /// The first offset never sent.
    private(set) var nextOffset: UInt64 = 0
    /// Ranges sent and then lost, to send again before new data (ascending, disjoint).
    private var retransmit: [Range<UInt64>] = []
    /// Ranges acknowledged above `base` (ascending, disjoint).
    private var acknowledged: [Range<UInt64>] = []
    /// How far the peer lets us send (its MAX_DATA).
    var limit: UInt64

    /// The buffer capacity kept once everything is acknowledged; a larger one is released.
    static let keptCapacity = 4096

    init(id: UInt32, capacity: Int, initialLimit: UInt64) {
        self.id = id
        self.capacity = capacity
        limit = initialLimit
    }

    /// The stream offset just past the last byte written.
    var end: UInt64 { base + UInt64(buffer.count - head) }
    /// The capacity of the array the bytes are held in.
    var bufferCapacity: Int { buffer.capacity }
    /// Bytes held (unacknowledged or unsent).
    var bufferedBytes: Int { buffer.count - head }
    /// Whether there is anything to send now: lost data, or new data within the peer's limit.
    var hasSendableData: Bool { !retransmit.isEmpty || (nextOffset < end && nextOffset < limit) }
    /// Whether new data waits only for the peer's MAX_DATA.
    var isBlockedByFlowControl: Bool { retransmit.isEmpty && nextOffset < end && nextOffset >= limit }

    /// Appends one message; false (and nothing written) when it would exceed `capacity`.
    mutating func write(_ message: [UInt8]) -> Bool {
        let framed = Varint.encodedLength(of: UInt64(message.count)) + message.count
        guard bufferedBytes + framed <= capacity else { return false }
        Varint.append(UInt64(message.count), to: &buffer)
        buffer.append(contentsOf: message)
        return true
    }

    /// The next chunk to send, at most `maxBytes` long: lost ranges first, then new data up to the peer's limit.
    mutating func nextChunk(maxBytes: Int) -> (offset: UInt64, bytes: [UInt8])? {
        var bytes: [UInt8] = []
        guard let offset = nextChunk(maxBytes: maxBytes, into: &bytes) else { return nil }
        return (offset, bytes)
    }

    /// `nextChunk(maxBytes:)`, with the chunk's bytes appended to `output` (a recycled buffer, so that taking a
    /// chunk allocates nothing); returns the chunk's offset.
    mutating func nextChunk(maxBytes: Int, into output: inout [UInt8]) -> UInt64? {
        guard maxBytes > 0 else { return nil }
        if let range = retransmit.first {
            let length = min(UInt64(maxBytes), UInt64(range.count))
            let chunk = range.lowerBound..<(range.lowerBound + length)
            if chunk.upperBound == range.upperBound {
                retransmit.removeFirst()
            } else {
                retransmit[0] = chunk.upperBound..<range.upperBound
            }
            copy(chunk, into: &output)
            return chunk.lowerBound
        }
        let available = min(end, limit)
        guard nextOffset < available else { return nil }
        let length = min(UInt64(maxBytes), available - nextOffset)
        let chunk = nextOffset..<(nextOffset + length)
        nextOffset = chunk.upperBound
        copy(chunk, into: &output)
        return chunk.lowerBound
    }

    private func copy(_ range: Range<UInt64>, into output: inout [UInt8]) {
        let start = head + Int(range.lowerBound - base)
        output.append(contentsOf: buffer[start..<(start + range.count)])
    }

    /// The peer acknowledged `range`: release what is now contiguous from `base`.
    mutating func acknowledge(_ range: Range<UInt64>) {
        let clipped = max(range.lowerBound, base)..<range.upperBound
        guard !clipped.isEmpty else { return }
        insert(clipped, into: &acknowledged)
        subtract(clipped, from: &retransmit)
        while let first = acknowledged.first, first.lowerBound <= base {
            let released = Int(first.upperBound - base)
            head += released
            base = first.upperBound
            acknowledged.removeFirst()
        }
        if head == buffer.count {
            // All acknowledged (the usual state of a stream of small messages): start again at the front, with
            // nothing to move, and let a buffer that a burst grew go (they were a fifth of a simulated node's memory).
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.keptCapacity)
            head = 0
        } else if head > 4096 && head > buffer.count / 2 {
            buffer.removeFirst(head)
            head = 0
        }
    }

    /// A packet carrying `range` was lost: send the parts not yet acknowledged again.
    mutating func lose(_ range: Range<UInt64>) {
        var pieces = [max(range.lowerBound, base)..<range.upperBound].filter { !$0.isEmpty }
        for done in acknowledged { pieces = pieces.flatMap { Self.minus($0, done) } }
        for piece in pieces { insert(piece, into: &retransmit) }
    }

    private func insert(_ range: Range<UInt64>, into ranges: inout [Range<UInt64>]) {
        // In place: the ranges that overlap or touch `range` are replaced by their union (no allocation once the
        // array has its capacity; in-order acknowledgments append and are released at once).
        var start = 0
        while start < ranges.count && ranges[start].upperBound < range.lowerBound { start += 1 }
        var end = start
        var merged = range
        while end < ranges.count && ranges[end].lowerBound <= merged.upperBound {
            merged = min(ranges[end].lowerBound, merged.lowerBound)..<max(ranges[end].upperBound, merged.upperBound)
            end += 1
        }
        ranges.replaceSubrange(start..<end, with: CollectionOfOne(merged))
    }

    private func subtract(_ range: Range<UInt64>, from ranges: inout [Range<UInt64>]) {
        guard ranges.contains(where: { $0.overlaps(range) }) else { return }
        ranges = ranges.flatMap { Self.minus($0, range) }
    }

    private static func minus(_ range: Range<UInt64>, _ removed: Range<UInt64>) -> [Range<UInt64>] {
        guard removed.lowerBound < range.upperBound && range.lowerBound < removed.upperBound else { return [range] }
        var result: [Range<UInt64>] = []
        if range.lowerBound < removed.lowerBound { result.append(range.lowerBound..<removed.lowerBound) }
        if removed.upperBound < range.upperBound { result.append(removed.upperBound..<range.upperBound) }
        return result
    }
}
