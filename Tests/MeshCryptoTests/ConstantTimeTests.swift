import MeshCrypto
import Testing

@Suite("Constant-time comparison")
struct ConstantTimeTests {
    @Test("equal bytes compare equal")
    func equalBytesAreEqual() {
        #expect(
            ConstantTime.equal(bytes("00112233445566778899aabbccddeeff"), bytes("00112233445566778899aabbccddeeff")))
    }

    @Test("bytes differing in one bit compare unequal", arguments: [0, 63, 127])
    func oneBitDifferenceIsUnequal(bit: Int) {
        let value = bytes("00112233445566778899aabbccddeeff")
        #expect(!ConstantTime.equal(value, value.flippingBit(bit)))
    }

    @Test("a prefix does not compare equal to the whole")
    func prefixIsUnequal() {
        let value = bytes("00112233445566778899aabbccddeeff")
        #expect(!ConstantTime.equal(Array(value.dropLast()), value))
        #expect(!ConstantTime.equal(value, Array(value.dropLast())))
    }

    @Test("two empty inputs compare equal")
    func emptyInputsAreEqual() {
        #expect(ConstantTime.equal([], []))
        #expect(
            ConstantTime.equal(
                UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    @Test("an empty input does not compare equal to a non-empty one")
    func emptyAndNonEmptyAreUnequal() {
        #expect(!ConstantTime.equal([], [0]))
        #expect(!ConstantTime.equal([0], []))
    }

    @Test("the raw-buffer comparison agrees with the array comparison")
    func rawBuffersAgreeWithArrays() {
        let value = bytes("00112233445566778899aabbccddeeff")
        let other = value.flippingBit(100)
        value.withUnsafeBytes { a in
            other.withUnsafeBytes { b in
                #expect(ConstantTime.equal(a, a))
                #expect(!ConstantTime.equal(a, b))
            }
        }
    }
}
