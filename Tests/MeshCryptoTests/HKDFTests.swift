import MeshCore
import MeshCrypto
import Testing

/// One HKDF test case: input key material, salt, info, output length and the expected output key material.
struct HKDFVector: Sendable, CustomTestStringConvertible {
    let name: String
    let ikm: [UInt8]
    let salt: [UInt8]
    let info: [UInt8]
    let length: Int
    let okm: String

    var testDescription: String { name }
}

// RFC 5869, Appendix A "Test Vectors": test cases 1 to 3 (A.1 to A.3), the SHA-256 ones. Only the OKM is checked;
// the PRK is internal to the implementation.
let rfc5869Vectors: [HKDFVector] = [
    HKDFVector(
        name: "A.1: basic",
        ikm: repeated(0x0b, count: 22),
        salt: bytes("000102030405060708090a0b0c"),
        info: bytes("f0f1f2f3f4f5f6f7f8f9"),
        length: 42,
        okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
    HKDFVector(
        name: "A.2: longer inputs and outputs",
        ikm: bytes(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
            "404142434445464748494a4b4c4d4e4f"),
        salt: bytes(
            "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f",
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"),
        info: bytes(
            "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
            "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef",
            "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
        length: 82,
        okm: [
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c",
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71",
            "cc30c58179ec3e87c14c01d5c1f3434f1d87",
        ].joined()),
    HKDFVector(
        name: "A.3: zero-length salt and info",
        ikm: repeated(0x0b, count: 22),
        salt: [],
        info: [],
        length: 42,
        okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
]

@Suite("HKDF-SHA-256 (RFC 5869)")
struct HKDFTests {
    @Test("derivation gives the published output key material", arguments: rfc5869Vectors)
    func derivationMatchesVector(vector: HKDFVector) {
        let okm = HKDF.deriveKey(
            inputKeyMaterial: vector.ikm, salt: vector.salt, info: vector.info, outputLength: vector.length)
        #expect(Hex.encode(okm) == vector.okm)
    }

    @Test("derivation into a caller's buffer gives the published output key material", arguments: rfc5869Vectors)
    func rawBufferDerivationMatchesVector(vector: HKDFVector) {
        var okm = repeated(0, count: vector.length)
        vector.ikm.withUnsafeBytes { ikm in
            vector.salt.withUnsafeBytes { salt in
                vector.info.withUnsafeBytes { info in
                    okm.withUnsafeMutableBytes {
                        HKDF.deriveKey(inputKeyMaterial: ikm, salt: salt, info: info, into: $0)
                    }
                }
            }
        }
        #expect(Hex.encode(okm) == vector.okm)
    }

    @Test("an empty salt means 32 zero bytes (RFC 5869, section 2.2)")
    func emptySaltIsHashLengthZeros() {
        let vector = rfc5869Vectors[0]
        let withEmptySalt = HKDF.deriveKey(inputKeyMaterial: vector.ikm, salt: [], info: vector.info, outputLength: 42)
        let withZeroSalt = HKDF.deriveKey(
            inputKeyMaterial: vector.ikm, salt: repeated(0, count: 32), info: vector.info, outputLength: 42)
        #expect(withEmptySalt == withZeroSalt)
    }

    @Test("a shorter output is a prefix of a longer one")
    func shorterOutputIsPrefix() {
        let vector = rfc5869Vectors[1]
        let short = HKDF.deriveKey(inputKeyMaterial: vector.ikm, salt: vector.salt, info: vector.info, outputLength: 1)
        #expect(short == Array(bytes(vector.okm).prefix(1)))
    }

    @Test("the largest output, 255 blocks, can be derived")
    func largestOutputCanBeDerived() {
        let vector = rfc5869Vectors[0]
        let okm = HKDF.deriveKey(
            inputKeyMaterial: vector.ikm, salt: vector.salt, info: vector.info, outputLength: HKDF.maxOutputLength)
        #expect(okm.count == 255 * 32)
        #expect(Hex.encode(okm.prefix(42)) == vector.okm)
    }

    // The Noise Protocol Framework, section 4.3: HKDF(chaining_key, input_key_material, num_outputs) is RFC 5869 with
    // the chaining key as salt and empty info: temp_key = HMAC(chaining_key, input_key_material),
    // output1 = HMAC(temp_key, 0x01), output2 = HMAC(temp_key, output1 || 0x02). Split() (section 5.2) calls it with a
    // zero-length input key material.
    @Test("an empty input key material derives what Noise's Split computes by hand")
    func emptyInputKeyMaterialMatchesNoiseSplit() {
        let chainingKey = SHA256.hash(Array("Noise_XX_25519_AESGCM_SHA256".utf8)).bytes
        let tempKey = HMACSHA256.authenticationCode(for: [], key: chainingKey).bytes
        let output1 = HMACSHA256.authenticationCode(for: [0x01], key: tempKey).bytes
        let output2 = HMACSHA256.authenticationCode(for: output1 + [0x02], key: tempKey).bytes

        let derived = HKDF.deriveKey(inputKeyMaterial: [], salt: chainingKey, info: [], outputLength: 64)
        #expect(derived == output1 + output2)
    }

    @Test("Noise's three-output HKDF is the first 96 bytes of RFC 5869 HKDF")
    func threeOutputsMatchNoiseConstruction() {
        let chainingKey = repeated(0x11, count: 32)
        let inputKeyMaterial = repeated(0x22, count: 32)
        let tempKey = HMACSHA256.authenticationCode(for: inputKeyMaterial, key: chainingKey).bytes
        let output1 = HMACSHA256.authenticationCode(for: [0x01], key: tempKey).bytes
        let output2 = HMACSHA256.authenticationCode(for: output1 + [0x02], key: tempKey).bytes
        let output3 = HMACSHA256.authenticationCode(for: output2 + [0x03], key: tempKey).bytes

        let derived = HKDF.deriveKey(inputKeyMaterial: inputKeyMaterial, salt: chainingKey, info: [], outputLength: 96)
        #expect(derived == output1 + output2 + output3)
    }
}
