import MeshCore
import MeshWire
import PropertyBased
import Testing

/// QUIC varints, RFC 9000 section 16 and its appendix A.1 examples.
@Suite struct VarintTests {
    @Test(arguments: [
        ("c2197c5eff14e88c", UInt64(151_288_809_941_952_652)),
        ("9d7f3e7d", UInt64(494_878_333)),
        ("7bbd", UInt64(15293)),
        ("25", UInt64(37)),
    ])
    func rfc9000ExamplesDecode(hex: String, value: UInt64) throws {
        #expect(try Varint.decode(Hex.decode(hex)) == value)
        #expect(Hex.encode(Varint.encode(value)) == hex)
    }

    @Test func rfc9000NonMinimalExampleIsRefused() throws {
        // RFC 9000 A.1: "the two-byte sequence 0x40 0x25 also decodes to 37"; SignalMesh requires the shortest form.
        #expect(throws: WireError.nonMinimalVarint(field: "varint", value: 37, encodedLength: 2)) {
            try Varint.decode(Hex.decode("4025"))
        }
    }

    @Test(arguments: [
        (UInt64(0), 1), (UInt64(63), 1), (UInt64(64), 2), (UInt64(16383), 2), (UInt64(16384), 4),
        (UInt64((1 << 30) - 1), 4), (UInt64(1 << 30), 8),
        (Varint.max, 8),
    ])
    func lengthBoundaries(value: UInt64, length: Int) throws {
        #expect(Varint.encodedLength(of: value) == length)
        #expect(Varint.encode(value).count == length)
        #expect((try? Varint.decode(Varint.encode(value))) == value)
    }

    @Test func truncatedVarintReportsWhatIsMissing() {
        #expect(throws: WireError.truncated(field: "varint", needed: 4, available: 2)) {
            try Varint.decode([0x80, 0x01])
        }
        #expect(throws: WireError.truncated(field: "varint", needed: 1, available: 0)) { try Varint.decode([]) }
    }

    @Test func trailingBytesAreRefused() {
        #expect(throws: WireError.trailingBytes(context: "varint", count: 1)) { try Varint.decode([0x01, 0x02]) }
    }

    @Test func readerEnforcesTheCallersMaximum() {
        var reader = WireReader([0x7b, 0xbd])
        #expect(throws: WireError.oversized(field: "count", length: 15293, limit: 1000)) {
            try reader.readVarint("count", max: 1000)
        }
        #expect(reader.offset == 0)
    }

    @Test func roundTripsEveryValue() async {
        await propertyCheck(input: Gen.uint64(in: 0...Varint.max)) { value in
            #expect((try? Varint.decode(Varint.encode(value))) == value)
        }
    }

    @Test func roundTripsSmallValues() async {
        await propertyCheck(input: Gen.uint64(in: 0...20000)) { value in
            #expect((try? Varint.decode(Varint.encode(value))) == value)
        }
    }

    @Test("appending a varint to existing bytes writes the same encoding as encode, after what was there")
    func appendMatchesEncode() async {
        await propertyCheck(input: Gen.uint64(in: 0...Varint.max), Gen.uint8().array(of: 0...4)) { value, prefix in
            var bytes = prefix
            Varint.append(value, to: &bytes)
            #expect(bytes == prefix + Varint.encode(value))
        }
    }

    @Test(
        "appending the largest value of each length gives 1, 2, 4 and 8 bytes",
        arguments: [(UInt64(63), 1), (16383, 2), (1_073_741_823, 4), (Varint.max, 8)])
    func appendLengths(value: UInt64, length: Int) throws {
        var bytes: [UInt8] = []
        Varint.append(value, to: &bytes)
        #expect(bytes.count == length)
        #expect(try Varint.decode(bytes) == value)
    }
}
