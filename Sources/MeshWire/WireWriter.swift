public import MeshCore

/// Appends SignalMesh wire encodings to a growing byte array.
///
/// Writing is for values our own code built, so out-of-range inputs (a varint above 2^62 - 1) are programming
/// errors and trap with a message; decoding bytes from outside is `WireReader`'s job and never traps.
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes before it reallocates.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// An empty writer that writes into `buffer`'s storage (its contents are discarded, its capacity kept): with a
    /// buffer handed back after use, encoding needs no allocation.
    public init(reusing buffer: consuming [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        bytes = buffer
    }

    /// The number of bytes written so far.
    public var count: Int { bytes.count }

    /// One byte.
    public mutating func writeUInt8(_ value: UInt8) { bytes.append(value) }

    /// Big-endian.
    public mutating func writeUInt16(_ value: UInt16) { writeBigEndian(UInt64(value), count: 2) }

    /// Big-endian.
    public mutating func writeUInt32(_ value: UInt32) { writeBigEndian(UInt64(value), count: 4) }

    /// Big-endian.
    public mutating func writeUInt64(_ value: UInt64) { writeBigEndian(value, count: 8) }

    /// Big-endian two's complement.
    public mutating func writeInt64(_ value: Int64) { writeBigEndian(UInt64(bitPattern: value), count: 8) }

    /// One byte, 0 or 1.
    public mutating func writeBool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    private mutating func writeBigEndian(_ value: UInt64, count: Int) {
        // One append of the low `count` bytes of the big-endian form (a byte at a time showed in profiles).
        withUnsafeBytes(of: value.bigEndian) { raw in
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(8 - count)...]))
        }
    }

    /// The shortest QUIC varint encoding of `value` (at most 2^62 - 1).
    public mutating func writeVarint(_ value: UInt64) {
        switch Varint.encodedLength(of: value) {
        case 1: bytes.append(UInt8(value))
        case 2: writeBigEndian(value | 0x4000, count: 2)
        case 4: writeBigEndian(value | 0x8000_0000, count: 4)
        default: writeBigEndian(value | 0xc000_0000_0000_0000, count: 8)
        }
    }

    /// The bytes as they are, no length.
    public mutating func writeBytes(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }

    /// Thirty-two bytes, no length.
    public mutating func writeBytes32(_ value: Bytes32) { value.withUnsafeBytes { bytes.append(contentsOf: $0) } }

    /// Sixty-four bytes, no length.
    public mutating func writeBytes64(_ value: Bytes64) { value.withUnsafeBytes { bytes.append(contentsOf: $0) } }

    /// A varint length, then the bytes.
    public mutating func writeLengthPrefixed(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A varint length, then the UTF-8 bytes of `text`.
    public mutating func writeString(_ text: String) { writeLengthPrefixed(Array(text.utf8)) }

    /// The bytes written, handed over without a copy; the writer is left empty.
    public mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }
}
