public import MeshCore

/// A bounds-checked cursor over bytes received from outside.
///
/// Every read checks the remaining length first and throws `WireError` instead of trapping; a read that throws
/// leaves the reader where it was. Lengths announced by
/// the input are checked against a limit and against the bytes actually present before anything is allocated, so a
/// hostile length prefix cannot make the node allocate more than it received.
public struct WireReader: Sendable {
    private let bytes: [UInt8]
    /// The offset of the next unread byte.
    public private(set) var offset: Int

    /// A reader positioned at the first byte of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    /// A reader over a copy of `bytes`.
    public init(_ bytes: some Sequence<UInt8>) {
        self.init(Array(bytes))
    }

    /// The number of unread bytes.
    public var remaining: Int { bytes.count - offset }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// Throws `trailingBytes` unless every byte has been read; call after decoding a value that must fill its input.
    public func expectEnd(_ context: StaticString) throws(WireError) {
        guard isAtEnd else { throw .trailingBytes(context: "\(context)", count: remaining) }
    }

    private func need(_ count: Int, _ field: StaticString) throws(WireError) {
        guard count <= remaining else { throw .truncated(field: "\(field)", needed: count, available: remaining) }
    }

    /// Reads one byte.
    public mutating func readUInt8(_ field: StaticString) throws(WireError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a big-endian UInt16.
    public mutating func readUInt16(_ field: StaticString) throws(WireError) -> UInt16 {
        UInt16(truncatingIfNeeded: try readBigEndian(2, field))
    }

    /// Reads a big-endian UInt32.
    public mutating func readUInt32(_ field: StaticString) throws(WireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readBigEndian(4, field))
    }

    /// Reads a big-endian UInt64.
    public mutating func readUInt64(_ field: StaticString) throws(WireError) -> UInt64 {
        try readBigEndian(8, field)
    }

    /// Reads a big-endian Int64 (two's complement).
    public mutating func readInt64(_ field: StaticString) throws(WireError) -> Int64 {
        Int64(bitPattern: try readBigEndian(8, field))
    }

    private mutating func readBigEndian(_ count: Int, _ field: StaticString) throws(WireError) -> UInt64 {
        try need(count, field)
        var value: UInt64 = 0
        for index in offset..<(offset + count) { value = value << 8 | UInt64(bytes[index]) }
        offset += count
        return value
    }

    /// Reads a boolean encoded as one byte, 0 or 1; any other byte is `invalidValue`.
    public mutating func readBool(_ field: StaticString) throws(WireError) -> Bool {
        try need(1, field)
        switch bytes[offset] {
        case 0:
            offset += 1
            return false
        case 1:
            offset += 1
            return true
        case let other: throw .invalidValue(field: "\(field)", reason: "a boolean is 0 or 1, not \(other)")
        }
    }

    /// Reads a QUIC varint in its shortest encoding, no greater than `max`.
    public mutating func readVarint(_ field: StaticString, max: UInt64 = Varint.max) throws(WireError) -> UInt64 {
        try need(1, field)
        let first = bytes[offset]
        let length = 1 << Int(first >> 6)
        try need(length, field)
        var value = UInt64(first & 0x3f)
        for index in (offset + 1)..<(offset + length) { value = value << 8 | UInt64(bytes[index]) }
        guard length == Varint.encodedLength(of: value) else {
            throw .nonMinimalVarint(field: "\(field)", value: value, encodedLength: length)
        }
        guard value <= max else { throw .oversized(field: "\(field)", length: value, limit: max) }
        offset += length
        return value
    }

    /// Reads a varint that must fit a non-negative `Int` no greater than `max`.
    public mutating func readCount(_ field: StaticString, max: Int) throws(WireError) -> Int {
        Int(try readVarint(field, max: UInt64(max)))
    }

    /// Reads exactly `count` bytes.
    public mutating func readBytes(_ field: StaticString, count: Int) throws(WireError) -> [UInt8] {
        precondition(count >= 0, "negative byte count")
        try need(count, field)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads 32 bytes inline (keys, hashes).
    public mutating func readBytes32(_ field: StaticString) throws(WireError) -> Bytes32 {
        try need(Bytes32.count, field)
        defer { offset += Bytes32.count }
        return Bytes32(bytes[offset..<(offset + Bytes32.count)])!
    }

    /// Reads 64 bytes inline (signatures).
    public mutating func readBytes64(_ field: StaticString) throws(WireError) -> Bytes64 {
        try need(Bytes64.count, field)
        defer { offset += Bytes64.count }
        return Bytes64(bytes[offset..<(offset + Bytes64.count)])!
    }

    /// Reads a varint length, then that many bytes; the length must not exceed `maxLength`.
    public mutating func readLengthPrefixed(
        _ field: StaticString, maxLength: Int = Limits.maxFieldSize
    ) throws(WireError) -> [UInt8] {
        let start = offset
        let length = try readCount(field, max: maxLength)
        do {
            return try readBytes(field, count: length)
        } catch {
            offset = start
            throw error
        }
    }

    /// Reads a varint length, then that many bytes, appended to `buffer`: a caller that reuses its buffers decodes
    /// without allocating. On failure nothing is appended and the reader stays where it was.
    public mutating func readLengthPrefixed(
        _ field: StaticString, maxLength: Int = Limits.maxFieldSize, appendingTo buffer: inout [UInt8]
    ) throws(WireError) {
        let start = offset
        let length = try readCount(field, max: maxLength)
        do {
            try need(length, field)
        } catch {
            offset = start
            throw error
        }
        buffer.append(contentsOf: bytes[offset..<(offset + length)])
        offset += length
    }

    /// Reads a length-prefixed UTF-8 string of at most `maxLength` bytes.
    public mutating func readString(
        _ field: StaticString, maxLength: Int = Limits.maxTextSize
    ) throws(WireError) -> String {
        let start = offset
        let utf8 = try readLengthPrefixed(field, maxLength: maxLength)
        guard let text = String(validating: utf8, as: UTF8.self) else {
            offset = start
            throw .invalidUTF8(field: "\(field)")
        }
        return text
    }

    /// The 32 bytes `ahead` bytes past the current offset, without moving; nil if the input ends first.
    public func peekBytes32(ahead: Int) -> Bytes32? {
        precondition(ahead >= 0, "negative look-ahead")
        guard remaining >= ahead + Bytes32.count else { return nil }
        return Bytes32(bytes[(offset + ahead)..<(offset + ahead + Bytes32.count)])
    }

    /// Whether the bytes from the current offset on begin with `prefix` (compared without copying either).
    public func startsWith(_ prefix: [UInt8]) -> Bool {
        guard remaining >= prefix.count else { return false }
        return bytes.withUnsafeBytes { all in
            prefix.withUnsafeBytes { expected in
                // Eight bytes at a time, then the tail.
                var index = 0
                while index + 8 <= expected.count {
                    guard
                        all.loadUnaligned(fromByteOffset: offset + index, as: UInt64.self)
                            == expected.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    else { return false }
                    index += 8
                }
                while index < expected.count {
                    guard all[offset + index] == expected[index] else { return false }
                    index += 1
                }
                return true
            }
        }
    }

    /// Skips `count` bytes.
    public mutating func skip(_ field: StaticString, count: Int) throws(WireError) {
        precondition(count >= 0, "negative skip count")
        try need(count, field)
        offset += count
    }
}
