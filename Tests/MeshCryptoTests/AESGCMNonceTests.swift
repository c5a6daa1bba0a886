import MeshCore
import MeshCrypto
import Testing

@Suite("AES-GCM nonces")
struct AESGCMNonceTests {
    // The Noise Protocol Framework, section 12.4 (AESGCM cipher functions): "The 96-bit nonce is formed by encoding
    // 32 bits of zeros followed by big-endian encoding of n."
    @Test(
        "a counter nonce is four zero bytes then the counter in big-endian order",
        arguments: [
            (UInt64(0), "000000000000000000000000"),
            (UInt64(1), "000000000000000000000001"),
            (UInt64(0x0102_0304_0506_0708), "000000000102030405060708"),
            (UInt64.max - 1, "00000000fffffffffffffffe"),
        ])
    func counterNonceLayout(counter: UInt64, expected: String) {
        #expect(AESGCMNonce(counter: counter) == AESGCMNonce(bytes(expected)))
    }

    @Test("nonces built from different bytes differ")
    func differentBytesDiffer() {
        let base = bytes("cafebabefacedbaddecaf888")
        for bit in [0, 31, 32, 95] {
            #expect(AESGCMNonce(base) != AESGCMNonce(base.flippingBit(bit)), "bit \(bit)")
        }
    }

    @Test("a nonce must be exactly 12 bytes", arguments: [0, 11, 13, 16])
    func wrongLengthIsRefused(length: Int) {
        #expect(AESGCMNonce(repeated(0, count: length)) == nil)
    }

    @Test("the counter nonce seals like the same 12 bytes given explicitly")
    func counterNonceSealsLikeExplicitBytes() throws {
        let cipher = AES256GCM(key: try SymmetricKey(bytes: bytes(gcmVectorWithAAD.key)))
        let plaintext = repeated(0x5a, count: 40)
        let counterNonce = AESGCMNonce(counter: 0x0a0b_0c0d_0e0f_1011)
        let explicitNonce = AESGCMNonce(bytes("000000000a0b0c0d0e0f1011"))!
        #expect(cipher.seal(plaintext, nonce: counterNonce) == cipher.seal(plaintext, nonce: explicitNonce))
    }

    @Test("counter zero is the all-zero IV of GCM Test Case 13")
    func counterZeroIsTestCase13() throws {
        let vector = gcmSpecVectors[0]
        let cipher = AES256GCM(key: try SymmetricKey(bytes: bytes(vector.key)))
        #expect(Hex.encode(cipher.seal([], nonce: AESGCMNonce(counter: 0))) == vector.tag)
    }
}
