import MeshCore
import MeshCrypto
import Testing

@Suite("Symmetric keys")
struct SymmetricKeyTests {
    @Test("keys with the same bytes are equal")
    func sameBytesAreEqual() throws {
        let keyBytes = bytes(gcmSpecVectors[2].key)
        #expect(try SymmetricKey(bytes: keyBytes) == SymmetricKey(bytes: keyBytes))
    }

    @Test("keys that differ in one bit are not equal", arguments: [0, 7, 128, 255])
    func oneBitDifferenceIsUnequal(bit: Int) throws {
        let keyBytes = bytes(gcmSpecVectors[2].key)
        #expect(try SymmetricKey(bytes: keyBytes) != SymmetricKey(bytes: keyBytes.flippingBit(bit)))
    }

    @Test("a key reads back the bytes it was made from")
    func bytesReadBack() throws {
        let keyBytes = bytes(gcmSpecVectors[2].key)
        #expect(try SymmetricKey(bytes: keyBytes).withUnsafeBytes { Array($0) } == keyBytes)
    }

    @Test("a key of any length other than 32 bytes is refused", arguments: [0, 16, 31, 33, 64])
    func wrongLengthIsRefused(length: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: length)) {
            try SymmetricKey(bytes: repeated(1, count: length))
        }
    }

    @Test("a key copied from raw bytes equals the one made from the same array, and reads them back")
    func copyingRawBytesMatchesTheArrayInitialiser() throws {
        let keyBytes = bytes(gcmSpecVectors[2].key)
        let copied = try keyBytes.withUnsafeBytes { raw throws(CryptoError) in try SymmetricKey(copying: raw) }
        #expect(try copied == SymmetricKey(bytes: keyBytes))
        #expect(copied.withUnsafeBytes { Array($0) } == keyBytes)
    }

    @Test("copying raw bytes of any length other than 32 is refused", arguments: [0, 16, 31, 33, 64])
    func copyingWrongLengthIsRefused(length: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: length)) {
            try repeated(1, count: length).withUnsafeBytes { raw throws(CryptoError) in
                try SymmetricKey(copying: raw)
            }
        }
    }

    @Test("keys drawn from the same seeded source are equal")
    func seededKeysAreReproducible() {
        var first = SeededRandomBytes(seed: 99)
        var second = SeededRandomBytes(seed: 99)
        let firstKey = SymmetricKey(using: &first)
        let secondKey = SymmetricKey(using: &second)
        #expect(firstKey == secondKey)
    }
}
