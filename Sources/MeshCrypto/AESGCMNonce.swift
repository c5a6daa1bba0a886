/// A 96-bit AES-GCM nonce, held inline.
public struct AESGCMNonce: Hashable, Sendable {
    /// Bytes in a nonce.
    public static let length = 12

    private var head: UInt32 = 0
    private var tail: UInt64 = 0

    /// The Noise nonce for counter `n` with AESGCM: 32 zero bits, then `n` as a big-endian 64-bit integer
    /// (Noise spec, section 12.4).
    public init(counter: UInt64) {
        tail = counter.bigEndian
    }

    /// A nonce with exactly these 12 bytes; nil for any other count.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Self.length else { return nil }
        let array = Array(bytes)
        withUnsafeMutableBytes(of: &head) { for index in 0..<4 { $0[index] = array[index] } }
        withUnsafeMutableBytes(of: &tail) { for index in 0..<8 { $0[index] = array[4 + index] } }
    }

    /// Calls `body` with the 12 nonce bytes in order.
    func withUnsafeBytes<R>(_ body: (UnsafePointer<UInt8>) throws -> R) rethrows -> R {
        var bytes = (head, tail)
        // (UInt32, UInt64) has 4 bytes of padding after `head`; copy the 12 meaningful bytes contiguously.
        return try Swift.withUnsafeMutableBytes(of: &bytes) { raw in
            for index in 0..<8 { raw[4 + index] = raw[8 + index] }
            return try body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
}
