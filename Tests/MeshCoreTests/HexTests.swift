import MeshCore
import PropertyBased
import Testing

@Suite struct HexTests {
    @Test func encodesLowercase() {
        #expect(Hex.encode([0x00, 0x01, 0xab, 0xff]) == "0001abff")
        #expect(Hex.encode([]) == "")
    }

    @Test func decodesEitherCase() throws {
        #expect(try Hex.decode("0001ABff") == [0x00, 0x01, 0xab, 0xff])
    }

    @Test func refusesOddLength() {
        #expect(throws: Hex.DecodeError.oddLength(3)) { try Hex.decode("abc") }
    }

    @Test func refusesNonHexCharacterAndNamesIt() {
        #expect(throws: Hex.DecodeError.invalidCharacter("g", offset: 2)) { try Hex.decode("abgd") }
        #expect(throws: Hex.DecodeError.invalidCharacter("x", offset: 1)) { try Hex.decode("0x00") }
    }

    @Test func roundTripsAnyBytes() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...64)) { bytes in
            #expect((try? Hex.decode(Hex.encode(bytes))) == bytes)
        }
    }
}

@Suite struct FixedBytesTests {
    @Test func bytes32RequiresExactlyThirtyTwo() {
        #expect(Bytes32([UInt8](repeating: 1, count: 31)) == nil)
        #expect(Bytes32([UInt8](repeating: 1, count: 33)) == nil)
        #expect(Bytes32([UInt8](repeating: 1, count: 32))?.bytes == [UInt8](repeating: 1, count: 32))
    }

    @Test func bytes64RequiresExactlySixtyFour() {
        #expect(Bytes64([UInt8](repeating: 1, count: 63)) == nil)
        #expect(Bytes64(Array(0..<64))?.bytes == Array(0..<64))
    }

    @Test func equalityAndHashingFollowEveryByte() async {
        await propertyCheck(input: Gen.uint8().array(of: 32...32), Gen.int(in: 0...31)) { bytes, index in
            var other = bytes
            other[index] ^= 0x80
            #expect(Bytes32(bytes) == Bytes32(bytes))
            #expect(Bytes32(bytes) != Bytes32(other))
            #expect(Set([Bytes32(bytes)!, Bytes32(bytes)!, Bytes32(other)!]).count == 2)
        }
    }

    @Test func descriptionIsHex() {
        #expect(Bytes32.zero.description == String(repeating: "0", count: 64))
    }
}
