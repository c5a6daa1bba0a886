import MeshCore
import MeshWire
import PropertyBased
import Testing

@Suite struct FrameTests {
    /// The worked example in Specs/wire.md, "Frames": version 1, type 0x06, payload "hi".
    @Test func workedExampleFromTheSpec() throws {
        let frame = Frame(type: 6, payload: Array("hi".utf8))
        #expect(Hex.encode(frame.encoded) == "01060268" + "69")
        #expect(try Frame.decodeAll(frame.encoded) { $0 == 6 } == [frame])
    }

    @Test func headerCarriesVersionTypeAndLength() throws {
        var writer = WireWriter()
        FrameHeader(type: 300, payloadLength: 70).encode(into: &writer)
        writer.writeBytes([UInt8](repeating: 7, count: 70))
        #expect(Array(writer.bytes.prefix(5)) == [0x01, 0x41, 0x2c, 0x40, 0x46])
        var reader = WireReader(writer.bytes)
        let header = try FrameHeader.decode(from: &reader)
        #expect(header == FrameHeader(type: 300, payloadLength: 70))
        #expect(reader.remaining == 70)
    }

    @Test func otherVersionIsRefusedFirst() {
        var reader = WireReader([0x02, 0x06, 0x00])
        #expect(throws: WireError.unsupportedVersion(2, supported: 1)) { try FrameHeader.decode(from: &reader) }
    }

    @Test func payloadLongerThanInputIsTruncated() {
        var reader = WireReader([0x01, 0x06, 0x05, 0x00])
        #expect(throws: WireError.truncated(field: "frame payload", needed: 5, available: 1)) {
            try FrameHeader.decode(from: &reader)
        }
    }

    @Test func payloadAboveTheCallersLimitIsOversized() {
        var reader = WireReader([0x01, 0x06, 0x40, 0xff] + [UInt8](repeating: 0, count: 255))
        #expect(throws: WireError.oversized(field: "frame length", length: 255, limit: 100)) {
            try FrameHeader.decode(from: &reader, maxPayload: 100)
        }
    }

    @Test func unknownOddTypesAreSkippedAndUnknownEvenTypesRefused() throws {
        let known = Frame(type: 2, payload: [1])
        let optional = Frame(type: 9, payload: [2, 3])
        let required = Frame(type: 10, payload: [])
        #expect(try Frame.decodeAll(optional.encoded + known.encoded) { $0 == 2 } == [known])
        #expect(throws: WireError.unknownType(context: "frame", type: 10)) {
            try Frame.decodeAll(known.encoded + required.encoded) { $0 == 2 }
        }
    }

    @Test func frameCountIsBounded() {
        let bytes = Array([[UInt8]](repeating: Frame(type: 1, payload: []).encoded, count: 5).joined())
        #expect(throws: WireError.oversized(field: "frame count", length: 5, limit: 4)) {
            try Frame.decodeAll(bytes, maxFrames: 4) { _ in true }
        }
    }

    @Test func decodeOfEncodeIsIdentity() async {
        let frames = zip(Gen.uint64(in: 0...Varint.max), Gen.uint8().array(of: 0...200))
            .map { Frame(type: $0, payload: $1) }.array(of: 0...8)
        await propertyCheck(input: frames) { frames in
            let bytes = Array(frames.map(\.encoded).joined())
            #expect((try? Frame.decodeAll(bytes) { _ in true }) == frames)
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() async {
        await propertyCheck(count: 3000, input: Gen.uint8().array(of: 0...64)) { bytes in
            _ = try? Frame.decodeAll(bytes) { $0 < 16 }
            var reader = WireReader(bytes)
            _ = try? FrameHeader.decode(from: &reader, maxPayload: 32)
        }
    }
}
