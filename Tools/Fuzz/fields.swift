// libFuzzer target `fields`: a WireReader over the input, where the input's own bytes choose the reads.
//
// Each step reads an op byte with readUInt8; its low 4 bits choose the next read and its high 4 bits choose that
// read's limit or count from a table of boundary values. Steps continue until a read throws or the input ends.
//
// Checks beyond "does not trap": every successful read advances the reader by exactly the bytes its value takes
// and returns what an independent big-endian reading of those bytes gives; length-prefixed reads respect their
// limit; every read that throws has consumed nothing (Specs/wire.md, section 4); expectEnd succeeds only at the
// end.

import MeshCore
import MeshWire

/// Limits for readVarint, readCount, readLengthPrefixed and readString: the edges of each varint length and the
/// package's named limits.
private let limits: [Int] = [
    0, 1, 2, 31, 32, 63, 64, 255, 16_383, 16_384, (1 << 30) - 1, Limits.maxTextSize, Limits.maxFieldSize,
    Limits.maxFramePayloadSize, Int(Varint.max), Int.max,
]

/// Counts for readBytes and skip: small sizes, the bytes left and one more, and sizes that would overflow an offset.
private func byteCount(_ index: Int, remaining: Int) -> Int {
    switch index {
    case 12: remaining
    case 13: remaining + 1
    case 14: Int.max / 2
    case 15: Int.max
    default: [0, 1, 2, 3, 7, 8, 31, 32, 33, 64, 255, 256][index]
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var reader = WireReader(bytes)
    while !reader.isAtEnd {
        do {
            try step(&reader, bytes)
        } catch {
            _ = error.description
            break
        }
        guard reader.offset >= 0, reader.offset <= bytes.count, reader.remaining == bytes.count - reader.offset else {
            fatalError("reader offset \(reader.offset), remaining \(reader.remaining) over \(bytes.count) bytes")
        }
    }
    return 0
}

/// The unsigned big-endian value of `bytes`, computed independently of WireReader.
private func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    bytes.reduce(0) { $0 << 8 | UInt64($1) }
}

private func step(_ reader: inout WireReader, _ bytes: [UInt8]) throws(WireError) {
    let op = try reader.readUInt8("op")
    let limit = limits[Int(op >> 4)]
    let count = byteCount(Int(op >> 4), remaining: reader.remaining)
    let start = reader.offset

    /// Traps unless the last read consumed `length` bytes and gave `value`, their big-endian reading.
    func expect(_ name: String, length: Int, value: UInt64? = nil, got: UInt64? = nil) {
        guard reader.offset == start + length else {
            fatalError("\(name) at offset \(start) advanced to \(reader.offset), expected \(start + length)")
        }
        if let value, let got, value != got {
            fatalError("\(name) at offset \(start) read \(got) from \(bytes[start..<reader.offset]), expected \(value)")
        }
    }

    /// Rethrows `error` after checking Specs/wire.md, section 4: every read that throws leaves the reader where it
    /// was.
    func refused(_ name: String, _ error: WireError) throws(WireError) -> Never {
        guard reader.offset == start else {
            fatalError("\(name) at offset \(start) threw \(error) but moved the reader to \(reader.offset)")
        }
        throw error
    }

    switch op & 0x0f {
    case 0:
        let got = try reader.readUInt8("u8")
        expect("readUInt8", length: 1, value: bigEndian(bytes[start..<start + 1]), got: UInt64(got))
    case 1:
        let got = try reader.readUInt16("u16")
        expect("readUInt16", length: 2, value: bigEndian(bytes[start..<start + 2]), got: UInt64(got))
    case 2:
        let got = try reader.readUInt32("u32")
        expect("readUInt32", length: 4, value: bigEndian(bytes[start..<start + 4]), got: UInt64(got))
    case 3:
        let got = try reader.readUInt64("u64")
        expect("readUInt64", length: 8, value: bigEndian(bytes[start..<start + 8]), got: got)
    case 4:
        let got = try reader.readInt64("i64")
        expect("readInt64", length: 8, value: bigEndian(bytes[start..<start + 8]), got: UInt64(bitPattern: got))
    case 5:
        let got = try reader.readBool("bool")
        expect("readBool", length: 1, value: UInt64(bytes[start]), got: got ? 1 : 0)
    case 6:
        let got = try reader.readVarint("varint", max: UInt64(limit))
        guard got <= UInt64(limit), got <= Varint.max else { fatalError("readVarint gave \(got) above \(limit)") }
        expect("readVarint", length: Varint.encodedLength(of: got))
    case 7:
        let got = try reader.readCount("count", max: limit)
        guard got >= 0, got <= limit else { fatalError("readCount gave \(got) outside 0...\(limit)") }
        expect("readCount", length: Varint.encodedLength(of: UInt64(got)))
    case 8:
        let got: [UInt8]
        do {
            got = try reader.readLengthPrefixed("field", maxLength: limit)
        } catch {
            try refused("readLengthPrefixed", error)
        }
        guard got.count <= limit else { fatalError("readLengthPrefixed gave \(got.count) bytes, limit \(limit)") }
        let prefix = Varint.encodedLength(of: UInt64(got.count))
        expect("readLengthPrefixed", length: prefix + got.count)
        guard got[...] == bytes[(start + prefix)..<reader.offset] else { fatalError("readLengthPrefixed bytes differ") }
    case 9:
        let got: String
        do {
            got = try reader.readString("text", maxLength: limit)
        } catch {
            try refused("readString", error)
        }
        let utf8 = Array(got.utf8)
        guard utf8.count <= limit else { fatalError("readString gave \(utf8.count) bytes, limit \(limit)") }
        let prefix = Varint.encodedLength(of: UInt64(utf8.count))
        expect("readString", length: prefix + utf8.count)
        guard utf8[...] == bytes[(start + prefix)..<reader.offset] else { fatalError("readString text differs") }
    case 10:
        let got = try reader.readBytes32("bytes32")
        expect("readBytes32", length: 32)
        guard got.bytes[...] == bytes[start..<reader.offset] else { fatalError("readBytes32 bytes differ") }
    case 11:
        let got = try reader.readBytes64("bytes64")
        expect("readBytes64", length: 64)
        guard got.withUnsafeBytes({ $0.elementsEqual(bytes[start..<reader.offset]) }) else {
            fatalError("readBytes64 bytes differ")
        }
    case 12:
        let got = try reader.readBytes("bytes", count: count)
        expect("readBytes(count: \(count))", length: count)
        guard got[...] == bytes[start..<reader.offset] else { fatalError("readBytes bytes differ") }
    case 13:
        try reader.skip("skip", count: count)
        expect("skip(count: \(count))", length: count)
    case 14:
        try reader.expectEnd("fuzz input")
        guard reader.isAtEnd, reader.remaining == 0 else {
            fatalError("expectEnd passed with \(reader.remaining) left")
        }
    default:
        let got: [UInt8]
        do {
            got = try reader.readLengthPrefixed("field")
        } catch {
            try refused("readLengthPrefixed", error)
        }
        guard got.count <= Limits.maxFieldSize else { fatalError("readLengthPrefixed exceeded maxFieldSize") }
        expect("readLengthPrefixed(default)", length: Varint.encodedLength(of: UInt64(got.count)) + got.count)
    }
}
