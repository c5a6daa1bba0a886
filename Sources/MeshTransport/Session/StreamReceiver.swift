import MeshCore
import MeshWire

/// The receiving half of a connection's reliable stream: reassembles chunks in order, splits the bytes into
/// messages, and grants the sender more room (MAX_DATA) as messages are delivered.
///
/// Memory is bounded by flow control: the sender may not send past `limit`, which is at most `window` bytes beyond
/// what was delivered, and chunks outside `[delivered, limit)` are discarded.
struct StreamReceiver {
    /// Why the stream cannot go on; the session is closed with it.
    enum Violation: Error, Equatable {
        case dataBeyondLimit(offset: UInt64, limit: UInt64)
        case messageTooLarge(UInt64)
        case malformedLength
    }

    /// Out-of-order chunks held at once.
    static let maxPendingChunks = 4096

    let id: UInt32
    let window: UInt64
    let maxMessage: Int
    /// Out-of-order chunks, sorted by offset (one per offset): merging takes them from the front, in one pass.
    private var pending: [(offset: UInt64, bytes: [UInt8])] = []
    private(set) var pendingBytes = 0
    /// Contiguous bytes received but not yet split into complete messages.
    private var assembly: [UInt8] = []
    /// The stream offset just past the contiguous bytes received.
    private(set) var contiguousEnd: UInt64 = 0
    /// The stream offset just past the last complete message delivered.
    private(set) var delivered: UInt64 = 0
    /// How far the sender may send (what we last granted).
    private(set) var limit: UInt64

    init(id: UInt32, window: UInt64, maxMessage: Int) {
        self.id = id
        self.window = window
        self.maxMessage = maxMessage
        limit = window
    }

    /// Takes a chunk; returns the messages it completes.
    mutating func receive(offset: UInt64, bytes: [UInt8]) throws(Violation) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var buffers = BufferPool(limit: 0)
        try receive(offset: offset, bytes: bytes, messages: &messages, buffers: &buffers)
        return messages
    }

    /// `receive(offset:bytes:)`, appending the completed messages to `messages`; a message that fits a datagram
    /// buffer is copied into one from `buffers` (delivered and recycled, so receiving allocates nothing), a larger
    /// one into its own array.
    mutating func receive(
        offset: UInt64, bytes: [UInt8], messages: inout [[UInt8]], buffers: inout BufferPool
    ) throws(Violation) {
        let end = offset + UInt64(bytes.count)
        guard end <= limit else { throw .dataBeyondLimit(offset: end, limit: limit) }
        guard end > contiguousEnd else { return }
        if offset > contiguousEnd {
            let index = pendingIndex(atOrAfter: offset)
            let existing = index < pending.count && pending[index].offset == offset ? pending[index].bytes.count : nil
            if let existing, existing >= bytes.count { return }
            let growth = bytes.count - (existing ?? 0)
            // Overlapping or tiny chunks could otherwise hold many copies of the window or make merging slow: cap
            // both the bytes and the number of chunks held; a refused chunk is simply sent again later.
            guard pendingBytes + growth <= Int(window), pending.count < Self.maxPendingChunks else { return }
            pendingBytes += growth
            if existing != nil {
                pending[index].bytes = bytes
            } else {
                pending.insert((offset, bytes), at: index)
            }
            return
        }
        assembly.append(contentsOf: bytes[Int(contiguousEnd - offset)...])
        contiguousEnd = end
        // Pull in pending chunks that are now contiguous (or overlap): a prefix of the sorted list, which grows as
        // the contiguous end moves on.
        var merged = 0
        while merged < pending.count && pending[merged].offset <= contiguousEnd {
            let (next, chunk) = pending[merged]
            merged += 1
            pendingBytes -= chunk.count
            let chunkEnd = next + UInt64(chunk.count)
            if chunkEnd > contiguousEnd {
                assembly.append(contentsOf: chunk[Int(contiguousEnd - next)...])
                contiguousEnd = chunkEnd
            }
        }
        pending.removeFirst(merged)
        try splitMessages(into: &messages, buffers: &buffers)
    }

    /// The index of the first pending chunk whose offset is at least `offset` (`pending.count` if none).
    private func pendingIndex(atOrAfter offset: UInt64) -> Int {
        var low = 0
        var high = pending.count
        while low < high {
            let middle = (low + high) / 2
            if pending[middle].offset < offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func splitMessages(
        into messages: inout [[UInt8]], buffers: inout BufferPool
    ) throws(Violation) {
        var index = 0
        while index < assembly.count {
            let header: (value: UInt64, length: Int)?
            do {
                header = try Varint.peek(assembly[index...])
            } catch {
                throw .malformedLength
            }
            guard let header else { break }
            guard header.value <= UInt64(maxMessage) else { throw .messageTooLarge(header.value) }
            let bodyStart = index + header.length
            let bodyEnd = bodyStart + Int(header.value)
            guard bodyEnd <= assembly.count else { break }
            var message: [UInt8]
            if bodyEnd - bodyStart <= Limits.maxDatagramSize {
                message = buffers.take()
            } else {
                message = []
                message.reserveCapacity(bodyEnd - bodyStart)
            }
            message.append(contentsOf: assembly[bodyStart..<bodyEnd])
            messages.append(message)
            index = bodyEnd
        }
        if index > 0 {
            // Emptied whole when every byte was delivered, which keeps the storage for the next bytes.
            if index == assembly.count {
                assembly.removeAll(keepingCapacity: true)
            } else {
                assembly.removeFirst(index)
            }
            delivered += UInt64(index)
        }
    }

    /// A new limit to grant when the sender has used half of its room; nil when the current grant is ample.
    mutating func limitUpdate() -> UInt64? {
        let target = delivered + window
        guard target - limit >= window / 2 else { return nil }
        limit = target
        return limit
    }

    /// The limit to announce again (when the packet with the last MAX_DATA was lost).
    var currentLimit: UInt64 { limit }
}
