import MeshCore

/// Byte buffers of datagram size kept for reuse, so that sealing a packet or delivering a message does not allocate
/// in steady state.
///
/// The endpoint takes a buffer for each packet it seals and each message it delivers; the shell gives the buffer
/// back (`Endpoint.recycle(_:)`) once it has sent the packet or handed the message on. A buffer that is still shared
/// when it is reused is copied on write by Swift, so a shell that keeps a buffer it recycled stays correct (it only
/// costs that allocation). Bounded: at most `limit` buffers are kept; more are released.
struct BufferPool {
    /// The most buffers kept.
    let limit: Int
    private var spare: [[UInt8]] = []

    init(limit: Int) {
        precondition(limit >= 0, "negative buffer pool limit \(limit)")
        self.limit = limit
        spare.reserveCapacity(limit)
    }

    /// Buffers waiting for reuse.
    var count: Int { spare.count }

    /// An empty buffer with room for a datagram: a recycled one when there is one.
    mutating func take() -> [UInt8] {
        if var buffer = spare.popLast() {
            buffer.removeAll(keepingCapacity: true)
            return buffer
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Limits.maxDatagramSize)
        return buffer
    }

    /// Keeps `buffer` for reuse unless the pool is full or the buffer is too small to hold a datagram.
    mutating func give(_ buffer: consuming [UInt8]) {
        guard spare.count < limit, buffer.capacity >= Limits.maxDatagramSize else { return }
        spare.append(buffer)
    }
}
