import MeshCore
import MeshCrypto
import Testing

/// One AES-GCM test case: key, 96-bit IV, plaintext, additional authenticated data, ciphertext and tag.
struct AESGCMVector: Sendable, CustomTestStringConvertible {
    let name: String
    let key: String
    let iv: String
    let plaintext: String
    let aad: String
    let ciphertext: String
    let tag: String

    var testDescription: String { name }

    var cipher: AES256GCM {
        do {
            return AES256GCM(key: try SymmetricKey(bytes: bytes(key)))
        } catch {
            preconditionFailure("\(name): key refused: \(error)")
        }
    }

    var nonce: AESGCMNonce {
        guard let nonce = AESGCMNonce(bytes(iv)) else { preconditionFailure("\(name): IV is not 12 bytes") }
        return nonce
    }

    /// Ciphertext followed by the tag, the layout `seal` returns.
    var sealed: [UInt8] { bytes(ciphertext) + bytes(tag) }
}

// McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)" (revised 2005, the specification NIST SP 800-38D
// is based on), Appendix B "AES Test Vectors": Test Cases 13 to 16, the 256-bit-key cases with 96-bit IVs.
let gcmSpecVectors: [AESGCMVector] = [
    AESGCMVector(
        name: "Test Case 13 (empty plaintext, no AAD)",
        key: "0000000000000000000000000000000000000000000000000000000000000000",
        iv: "000000000000000000000000",
        plaintext: "",
        aad: "",
        ciphertext: "",
        tag: "530f8afbc74536b9a963b4f1c4cb738b"),
    AESGCMVector(
        name: "Test Case 14 (one zero block)",
        key: "0000000000000000000000000000000000000000000000000000000000000000",
        iv: "000000000000000000000000",
        plaintext: "00000000000000000000000000000000",
        aad: "",
        ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
        tag: "d0d1c8a799996bf0265b98b5d48ab919"),
    AESGCMVector(
        name: "Test Case 15 (four blocks, no AAD)",
        key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        iv: "cafebabefacedbaddecaf888",
        plaintext: [
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
        ].joined(),
        aad: "",
        ciphertext: [
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
        ].joined(),
        tag: "b094dac5d93471bdec1a502270e3cc6c"),
    AESGCMVector(
        name: "Test Case 16 (partial last block, 20 bytes of AAD)",
        key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        iv: "cafebabefacedbaddecaf888",
        plaintext: [
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        ].joined(),
        aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        ciphertext: [
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        ].joined(),
        tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
]

/// Test Case 16, the one with associated data, for the tampering tests.
let gcmVectorWithAAD = gcmSpecVectors[3]

@Suite("AES-256-GCM")
struct AES256GCMTests {
    // MARK: Published vectors

    @Test("sealing gives the published ciphertext followed by the published tag", arguments: gcmSpecVectors)
    func sealingMatchesVector(vector: AESGCMVector) {
        let sealed = vector.cipher.seal(bytes(vector.plaintext), nonce: vector.nonce, authenticating: bytes(vector.aad))
        #expect(Hex.encode(sealed) == vector.ciphertext + vector.tag)
    }

    @Test("opening the published ciphertext and tag gives the plaintext", arguments: gcmSpecVectors)
    func openingMatchesVector(vector: AESGCMVector) throws {
        let opened = try vector.cipher.open(vector.sealed, nonce: vector.nonce, authenticating: bytes(vector.aad))
        #expect(Hex.encode(opened) == vector.plaintext)
    }

    @Test("sealing in place over the plaintext's own buffer gives the published bytes", arguments: gcmSpecVectors)
    func sealingInPlaceMatchesVector(vector: AESGCMVector) {
        let plaintext = bytes(vector.plaintext)
        let aad = bytes(vector.aad)
        var buffer = plaintext + repeated(0, count: AES256GCM.tagLength)
        let cipher = vector.cipher
        let written = buffer.withUnsafeMutableBytes { raw in
            aad.withUnsafeBytes { aadBytes in
                cipher.seal(
                    UnsafeRawBufferPointer(rebasing: raw[..<plaintext.count]), nonce: vector.nonce,
                    authenticating: aadBytes, into: raw)
            }
        }
        #expect(written == plaintext.count + AES256GCM.tagLength)
        #expect(Hex.encode(buffer) == vector.ciphertext + vector.tag)
    }

    @Test("opening in place over the sealed message's own buffer gives the plaintext", arguments: gcmSpecVectors)
    func openingInPlaceMatchesVector(vector: AESGCMVector) throws {
        let aad = bytes(vector.aad)
        var buffer = vector.sealed
        let cipher = vector.cipher
        let nonce = vector.nonce
        let result: Result<Int, CryptoError> = buffer.withUnsafeMutableBytes { raw in
            aad.withUnsafeBytes { aadBytes in
                Result { () throws(CryptoError) -> Int in
                    try cipher.open(UnsafeRawBufferPointer(raw), nonce: nonce, authenticating: aadBytes, into: raw)
                }
            }
        }
        let count = try result.get()
        #expect(Hex.encode(buffer[..<count]) == vector.plaintext)
    }

    @Test("a sealed message with no ciphertext opens into an empty buffer")
    func tagOnlyMessageOpensIntoEmptyBuffer() throws {
        let vector = gcmSpecVectors[0]
        let cipher = vector.cipher
        let nonce = vector.nonce
        let result: Result<Int, CryptoError> = vector.sealed.withUnsafeBytes { sealed in
            Result { () throws(CryptoError) -> Int in
                try cipher.open(
                    sealed, nonce: nonce, authenticating: UnsafeRawBufferPointer(start: nil, count: 0),
                    into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
            }
        }
        #expect(try result.get() == 0)
    }

    // MARK: Tampering

    @Test("a flipped bit anywhere in the ciphertext is detected")
    func tamperedCiphertextIsDetected() {
        let vector = gcmVectorWithAAD
        let cipher = vector.cipher
        let ciphertextBits = bytes(vector.ciphertext).count * 8
        for bit in [0, 1, ciphertextBits / 2, ciphertextBits - 1] {
            #expect(throws: CryptoError.authenticationFailed, "bit \(bit)") {
                try cipher.open(vector.sealed.flippingBit(bit), nonce: vector.nonce, authenticating: bytes(vector.aad))
            }
        }
    }

    @Test("a flipped bit in the tag is detected")
    func tamperedTagIsDetected() {
        let vector = gcmVectorWithAAD
        let cipher = vector.cipher
        let tagStart = bytes(vector.ciphertext).count * 8
        for bit in [tagStart, tagStart + 63, tagStart + 127] {
            #expect(throws: CryptoError.authenticationFailed, "bit \(bit)") {
                try cipher.open(vector.sealed.flippingBit(bit), nonce: vector.nonce, authenticating: bytes(vector.aad))
            }
        }
    }

    @Test("a tampered tag is detected even when there is no ciphertext")
    func tamperedTagOfEmptyMessageIsDetected() {
        let vector = gcmSpecVectors[0]
        #expect(throws: CryptoError.authenticationFailed) {
            try vector.cipher.open(vector.sealed.flippingBit(0), nonce: vector.nonce)
        }
    }

    @Test("a flipped bit in the associated data is detected")
    func tamperedAssociatedDataIsDetected() {
        let vector = gcmVectorWithAAD
        #expect(throws: CryptoError.authenticationFailed) {
            try vector.cipher.open(vector.sealed, nonce: vector.nonce, authenticating: bytes(vector.aad).flippingBit(0))
        }
    }

    @Test("missing associated data is detected")
    func missingAssociatedDataIsDetected() {
        let vector = gcmVectorWithAAD
        #expect(throws: CryptoError.authenticationFailed) {
            try vector.cipher.open(vector.sealed, nonce: vector.nonce, authenticating: [])
        }
    }

    @Test("a different nonce is detected")
    func differentNonceIsDetected() {
        let vector = gcmVectorWithAAD
        let otherNonce = AESGCMNonce(bytes(vector.iv).flippingBit(95))!
        #expect(throws: CryptoError.authenticationFailed) {
            try vector.cipher.open(vector.sealed, nonce: otherNonce, authenticating: bytes(vector.aad))
        }
    }

    @Test("a different key is detected")
    func differentKeyIsDetected() throws {
        let vector = gcmVectorWithAAD
        let otherCipher = AES256GCM(key: try SymmetricKey(bytes: bytes(vector.key).flippingBit(0)))
        #expect(throws: CryptoError.authenticationFailed) {
            try otherCipher.open(vector.sealed, nonce: vector.nonce, authenticating: bytes(vector.aad))
        }
    }

    @Test("a truncated sealed message is detected")
    func truncatedMessageIsDetected() {
        let vector = gcmVectorWithAAD
        #expect(throws: CryptoError.authenticationFailed) {
            try vector.cipher.open(
                Array(vector.sealed.dropLast()), nonce: vector.nonce, authenticating: bytes(vector.aad))
        }
    }

    @Test("a sealed message shorter than the tag is refused as too short", arguments: [0, 1, 15])
    func messageShorterThanTagIsRefused(length: Int) {
        let vector = gcmVectorWithAAD
        #expect(throws: CryptoError.ciphertextTooShort(length)) {
            try vector.cipher.open(Array(vector.sealed.prefix(length)), nonce: vector.nonce)
        }
    }

    @Test("the raw-buffer open refuses a message shorter than the tag as too short")
    func rawBufferOpenRefusesShortMessage() {
        let vector = gcmVectorWithAAD
        let cipher = vector.cipher
        let nonce = vector.nonce
        var output = repeated(0, count: 16)
        let result: Result<Int, CryptoError> = Array(vector.sealed.prefix(15)).withUnsafeBytes { sealed in
            output.withUnsafeMutableBytes { out in
                Result { () throws(CryptoError) -> Int in
                    try cipher.open(
                        sealed, nonce: nonce, authenticating: UnsafeRawBufferPointer(start: nil, count: 0), into: out)
                }
            }
        }
        #expect(throws: CryptoError.ciphertextTooShort(15)) { try result.get() }
    }

    // MARK: Reuse of one key schedule

    @Test("one cipher seals many messages exactly as fresh ciphers would")
    func oneCipherSealsManyMessages() {
        let vector = gcmVectorWithAAD
        let reused = vector.cipher
        for counter in UInt64(0)..<200 {
            let plaintext = repeated(UInt8(truncatingIfNeeded: counter), count: Int(counter % 70))
            let nonce = AESGCMNonce(counter: counter)
            let sealed = reused.seal(plaintext, nonce: nonce, authenticating: bytes(vector.aad))
            #expect(sealed == vector.cipher.seal(plaintext, nonce: nonce, authenticating: bytes(vector.aad)))
        }
    }

    @Test("one cipher opens many messages it sealed, interleaved with sealing")
    func oneCipherOpensManyMessages() throws {
        let cipher = gcmVectorWithAAD.cipher
        for counter in UInt64(0)..<200 {
            let plaintext = repeated(UInt8(truncatingIfNeeded: counter &* 31), count: Int(counter % 90))
            let aad = repeated(UInt8(truncatingIfNeeded: counter), count: Int(counter % 3))
            let nonce = AESGCMNonce(counter: counter)
            let sealed = cipher.seal(plaintext, nonce: nonce, authenticating: aad)
            #expect(try cipher.open(sealed, nonce: nonce, authenticating: aad) == plaintext)
        }
    }

    @Test("a cipher that refused a tampered message still opens genuine ones")
    func failedOpenLeavesCipherUsable() throws {
        let vector = gcmVectorWithAAD
        let cipher = vector.cipher
        #expect(throws: CryptoError.authenticationFailed) {
            try cipher.open(vector.sealed.flippingBit(0), nonce: vector.nonce, authenticating: bytes(vector.aad))
        }
        let opened = try cipher.open(vector.sealed, nonce: vector.nonce, authenticating: bytes(vector.aad))
        #expect(Hex.encode(opened) == vector.plaintext)
    }

    @Test("sealing the same message under two nonces gives different ciphertexts")
    func differentNoncesGiveDifferentCiphertexts() {
        let cipher = gcmVectorWithAAD.cipher
        let plaintext = repeated(0x42, count: 32)
        #expect(
            cipher.seal(plaintext, nonce: AESGCMNonce(counter: 0))
                != cipher.seal(plaintext, nonce: AESGCMNonce(counter: 1)))
    }
}
