import MeshCore
import MeshWire
import PropertyBased
import Testing

@Suite struct WireReaderTests {
    @Test func integersAreBigEndian() throws {
        var writer = WireWriter()
        writer.writeUInt16(0x0102)
        writer.writeUInt32(0x0304_0506)
        writer.writeUInt64(0x0708_090a_0b0c_0d0e)
        writer.writeInt64(-2)
        #expect(Hex.encode(writer.bytes) == "0102" + "03040506" + "0708090a0b0c0d0e" + "fffffffffffffffe")
        var reader = WireReader(writer.bytes)
        #expect(try reader.readUInt16("a") == 0x0102)
        #expect(try reader.readUInt32("b") == 0x0304_0506)
        #expect(try reader.readUInt64("c") == 0x0708_090a_0b0c_0d0e)
        #expect(try reader.readInt64("d") == -2)
        try reader.expectEnd("test")
    }

    @Test func takeHandsOverTheBytesAndEmptiesTheWriter() {
        var writer = WireWriter()
        writer.writeUInt16(0x0102)
        #expect(writer.take() == [1, 2])
        #expect(writer.count == 0)
        writer.writeUInt8(3)
        #expect(writer.bytes == [3])
    }

    @Test func lookingAheadMovesNothing() throws {
        let bytes = (0..<50).map { UInt8($0) }
        var reader = WireReader(bytes)
        try reader.skip("start", count: 3)
        #expect(reader.peekBytes32(ahead: 2) == Bytes32(bytes[5..<37]))
        #expect(reader.peekBytes32(ahead: 15) == Bytes32(bytes[18..<50]))
        #expect(reader.peekBytes32(ahead: 16) == nil, "past the end")
        // Prefixes of every length across the 8-byte steps, and ones that differ in the first, a middle or the last
        // byte, or run past the end.
        for length in [0, 1, 7, 8, 9, 16, 23, 47] {
            #expect(reader.startsWith(Array(bytes[3..<(3 + length)])), "length \(length)")
        }
        for index in [0, 9, 22] {
            var prefix = Array(bytes[3..<26])
            prefix[index] ^= 0x80
            #expect(!reader.startsWith(prefix), "differs at \(index)")
        }
        #expect(!reader.startsWith(Array(bytes[3...]) + [0]))
        #expect(reader.offset == 3)
    }

    @Test func truncationNamesTheField() {
        var reader = WireReader([0x01, 0x02, 0x03])
        #expect(throws: WireError.truncated(field: "sequence", needed: 4, available: 3)) {
            try reader.readUInt32("sequence")
        }
        #expect(reader.offset == 0)
    }

    @Test func booleansAreStrict() throws {
        var reader = WireReader([0x01, 0x00, 0x02])
        #expect(try reader.readBool("flag") == true)
        #expect(try reader.readBool("flag") == false)
        #expect(throws: WireError.invalidValue(field: "flag", reason: "a boolean is 0 or 1, not 2")) {
            try reader.readBool("flag")
        }
    }

    @Test func lengthPrefixedFieldRoundTrip() throws {
        var writer = WireWriter()
        writer.writeLengthPrefixed([1, 2, 3])
        writer.writeString("héllo")
        var reader = WireReader(writer.bytes)
        #expect(try reader.readLengthPrefixed("blob") == [1, 2, 3])
        #expect(try reader.readString("name") == "héllo")
        #expect(reader.isAtEnd)
    }

    /// The example in Specs/wire.md, section 4.
    @Test func lengthPrefixedSpecExample() {
        var writer = WireWriter()
        writer.writeLengthPrefixed([1, 2, 3])
        writer.writeString("héllo")
        #expect(Hex.encode(writer.bytes) == "03010203" + "0668c3a96c6c6f")
    }

    @Test func hostileLengthIsRefusedBeforeAnyAllocation() {
        // A 4-byte varint announcing 1 GiB with only 2 bytes behind it.
        var reader = WireReader([0xc0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2])
        #expect(throws: WireError.oversized(field: "blob", length: 1 << 30, limit: UInt64(Limits.maxFieldSize))) {
            try reader.readLengthPrefixed("blob")
        }
        var honestLength = WireReader([0x05, 1, 2])
        #expect(throws: WireError.truncated(field: "blob", needed: 5, available: 2)) {
            try honestLength.readLengthPrefixed("blob")
        }
        #expect(honestLength.offset == 0)
    }

    @Test func lengthAboveCallersLimitIsOversized() {
        var reader = WireReader([0x04, 1, 2, 3, 4])
        #expect(throws: WireError.oversized(field: "name", length: 4, limit: 3)) {
            try reader.readLengthPrefixed("name", maxLength: 3)
        }
    }

    @Test func invalidUTF8IsRefused() {
        var reader = WireReader([0x02, 0xc3, 0x28])
        #expect(throws: WireError.invalidUTF8(field: "name")) { try reader.readString("name") }
    }

    @Test func failedReadsLeaveTheReaderWhereItWas() {
        var badBool = WireReader([0x02])
        #expect(throws: WireError.self) { try badBool.readBool("flag") }
        #expect(badBool.offset == 0)
        var badText = WireReader([0x02, 0xc3, 0x28])
        #expect(throws: WireError.self) { try badText.readString("name") }
        #expect(badText.offset == 0)
        var nonMinimal = WireReader([0x40, 0x25])
        #expect(throws: WireError.self) { try nonMinimal.readVarint("count") }
        #expect(nonMinimal.offset == 0)
    }

    @Test func fixedSizeFields() throws {
        var writer = WireWriter()
        let key = Bytes32(Array(0..<32))!
        let signature = Bytes64(Array(0..<64))!
        writer.writeBytes32(key)
        writer.writeBytes64(signature)
        var reader = WireReader(writer.bytes)
        #expect(try reader.readBytes32("key") == key)
        #expect(try reader.readBytes64("signature") == signature)
        var short = WireReader([UInt8](repeating: 0, count: 31))
        #expect(throws: WireError.truncated(field: "key", needed: 32, available: 31)) { try short.readBytes32("key") }
    }

    @Test func skipAndTrailingBytes() throws {
        var reader = WireReader([1, 2, 3, 4])
        try reader.skip("padding", count: 2)
        #expect(reader.remaining == 2)
        #expect(throws: WireError.trailingBytes(context: "record", count: 2)) { try reader.expectEnd("record") }
        #expect(throws: WireError.truncated(field: "padding", needed: 3, available: 2)) {
            try reader.skip("padding", count: 3)
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(
            WireError.truncated(field: "x", needed: 4, available: 1).description
                == "truncated input: x needs 4 bytes but only 1 remain")
        #expect(WireError.unsupportedVersion(9, supported: 1).description.contains("version 9"))
    }

    /// A record exercising every field kind, for the round-trip and crash-freedom properties below.
    struct Record: Equatable {
        var a: UInt8
        var b: UInt16
        var c: UInt32
        var d: UInt64
        var count: UInt64
        var blob: [UInt8]
        var name: String
        var flag: Bool

        func encode() -> [UInt8] {
            var writer = WireWriter()
            writer.writeUInt8(a)
            writer.writeUInt16(b)
            writer.writeUInt32(c)
            writer.writeUInt64(d)
            writer.writeVarint(count)
            writer.writeLengthPrefixed(blob)
            writer.writeString(name)
            writer.writeBool(flag)
            return writer.bytes
        }

        static func decode(_ bytes: [UInt8]) throws(WireError) -> Record {
            var reader = WireReader(bytes)
            let record = Record(
                a: try reader.readUInt8("a"), b: try reader.readUInt16("b"), c: try reader.readUInt32("c"),
                d: try reader.readUInt64("d"), count: try reader.readVarint("count"),
                blob: try reader.readLengthPrefixed("blob", maxLength: 300), name: try reader.readString("name"),
                flag: try reader.readBool("flag"))
            try reader.expectEnd("record")
            return record
        }
    }

    @Test func decodeOfEncodeIsIdentity() async {
        let records = zip(
            Gen.uint8(), Gen.uint16(), Gen.uint32(), Gen.uint64(), Gen.uint64(in: 0...Varint.max),
            Gen.uint8().array(of: 0...300), Gen.letterOrNumber.string(of: 0...40), Gen.bool
        ).map { Record(a: $0, b: $1, c: $2, d: $3, count: $4, blob: $5, name: $6, flag: $7) }
        await propertyCheck(input: records) { record in
            #expect((try? Record.decode(record.encode())) == record)
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() async {
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...128)) { bytes in
            _ = try? Record.decode(bytes)
        }
    }

    @Test func everyTruncationOfAValidRecordIsATypedError() throws {
        let bytes = Record(a: 1, b: 2, c: 3, d: 4, count: 300, blob: [9, 9, 9], name: "xy", flag: true).encode()
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try Record.decode(Array(bytes[..<length])) }
        }
    }
}
