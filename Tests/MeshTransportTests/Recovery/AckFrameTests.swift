import MeshCore
import MeshTransport
import MeshWire
import PropertyBased
import Testing

/// The ACK frame payload of RFC 9000 section 19.3 (no ECN), as SignalMesh encodes it.
@Suite struct AckFrameTests {
    private func encode(_ frame: AckFrame) -> [UInt8] {
        var writer = WireWriter()
        frame.encode(into: &writer)
        return writer.bytes
    }

    private func decode(_ bytes: [UInt8], maxRanges: Int = AckFrame.maxRanges) throws(WireError) -> AckFrame {
        var reader = WireReader(bytes)
        let frame = try AckFrame.decode(from: &reader, maxRanges: maxRanges)
        try reader.expectEnd("ACK frame")
        return frame
    }

    @Test func workedExampleEncodesGapsAndLengthsRelativeToThePreviousRange() throws {
        // Largest 10, delay 800 µs = 100 units of 8 µs, ranges 8...10 and 2...5: first range 2, then gap
        // 8 - 5 - 2 = 1 and length 3.
        let frame = AckFrame(ranges: [8...10, 2...5], ackDelay: .microseconds(800))
        #expect(Hex.encode(encode(frame)) == "0a" + "4064" + "01" + "02" + "01" + "03")
        #expect(try decode(encode(frame)) == frame)
    }

    @Test func ackDelayIsRoundedDownToEightMicrosecondUnits() {
        let frame = AckFrame(ranges: [0...0], ackDelay: .nanoseconds(15_999))
        #expect(frame.ackDelay == .microseconds(8))
    }

    @Test func acknowledgesReportsMembershipOfTheRanges() {
        let frame = AckFrame(ranges: [8...10, 2...5], ackDelay: .zero)
        #expect(frame.largestAcknowledged == 10)
        #expect([2, 5, 8, 10].allSatisfy(frame.acknowledges))
        #expect(![0, 1, 6, 7, 11].contains(where: frame.acknowledges))
    }

    @Test func everyFrameRoundTrips() async {
        let input = zip(
            Gen.bool, Gen.uint64(in: 0...Varint.max), Gen.uint64(in: 0...1_000_000), Gen.uint64(in: 0...300),
            zip(Gen.uint64(in: 0...300), Gen.uint64(in: 0...300)).array(of: 0...(AckFrame.maxRanges - 1)))
        await propertyCheck(input: input) { small, largestDraw, delayUnits, firstRange, gapsAndLengths in
            let largest = small ? largestDraw % 5000 : largestDraw
            var smallest = largest - min(firstRange, largest)
            var ranges = [smallest...largest]
            for (gap, length) in gapsAndLengths {
                guard smallest >= gap + 2, smallest - gap - 2 >= length else { break }
                let top = smallest - gap - 2
                smallest = top - length
                ranges.append(smallest...top)
            }
            let frame = AckFrame(ranges: ranges, ackDelay: AckFrame.ackDelayUnit * Int64(delayUnits))
            #expect((try? decode(encode(frame))) == frame)
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() async {
        await propertyCheck(count: 2000, input: Gen.uint8(in: 0...255).array(of: 0...48)) { bytes in
            var reader = WireReader(bytes)
            if let frame = try? AckFrame.decode(from: &reader, maxRanges: 8) {
                #expect(frame.ranges.count <= 8)
                #expect(frame.ranges.allSatisfy { $0.lowerBound <= $0.upperBound })
            } else {
                #expect(reader.offset == 0)
            }
        }
    }

    @Test func firstRangeReachingBelowZeroIsRefused() {
        // Largest 3, first range 4 would acknowledge down to -1.
        #expect(invalidField(decoding: [0x03, 0x00, 0x00, 0x04]) == "ACK first range")
    }

    @Test func gapReachingBelowZeroIsRefused() {
        // 3...5 then a gap of 2: the next range would top out at 3 - 2 - 2 = -1.
        #expect(invalidField(decoding: [0x05, 0x00, 0x01, 0x02, 0x02, 0x00]) == "ACK gap")
    }

    @Test func rangeLengthReachingBelowZeroIsRefused() {
        // 3...5, gap 0: the next range tops out at 1 and cannot reach down 2 more.
        #expect(invalidField(decoding: [0x05, 0x00, 0x01, 0x02, 0x00, 0x02]) == "ACK range length")
    }

    @Test func moreRangesThanTheLimitAreRefusedBeforeReadingThem() {
        #expect(throws: WireError.oversized(field: "ACK range count", length: 5, limit: 4)) {
            try decode([0x40, 0x64, 0x00, 0x04, 0x00], maxRanges: 4)
        }
    }

    @Test func ackDelayBeyondDurationRangeIsRefused() {
        let bytes = [0x00] + Varint.encode(Varint.max) + [0x00, 0x00]
        let limit = UInt64(Int64.max / AckFrame.ackDelayUnit.nanoseconds)
        #expect(throws: WireError.oversized(field: "ACK delay", length: Varint.max, limit: limit)) {
            try decode(bytes)
        }
    }

    @Test func failedDecodeLeavesTheReaderWhereItWas() {
        var reader = WireReader([0x05, 0x00, 0x01, 0x02, 0x00, 0x02])
        #expect(throws: WireError.self) { try AckFrame.decode(from: &reader) }
        #expect(reader.offset == 0)
    }

    /// The field named by the `invalidValue` error that decoding `bytes` throws, or `nil` for any other outcome.
    private func invalidField(decoding bytes: [UInt8]) -> String? {
        do {
            _ = try decode(bytes)
            return nil
        } catch {
            guard case .invalidValue(let field, _) = error else { return nil }
            return field
        }
    }
}
