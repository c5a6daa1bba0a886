import MeshCore
import MeshCrypto
import PropertyBased
import Testing

/// One SHA-256 example: a message given as text and its digest.
struct SHA256Vector: Sendable, CustomTestStringConvertible {
    let name: String
    let message: [UInt8]
    let digest: String

    var testDescription: String { name }
}

// FIPS 180-2, Appendix B "SHA-256 Examples" (B.1 one block "abc", B.2 multi-block, B.3 one million 'a'), also in
// NIST's "SHA256.pdf" example file; the empty-message digest is the well-known value from NIST's SHA-256 short-message
// test vectors (SHA256ShortMsg.rsp, Len = 0).
let sha256Vectors: [SHA256Vector] = [
    SHA256Vector(
        name: "B.1: \"abc\"",
        message: Array("abc".utf8),
        digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    SHA256Vector(
        name: "empty message",
        message: [],
        digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    SHA256Vector(
        name: "B.2: 448-bit message",
        message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
        digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
]

/// FIPS 180-2, B.3: the digest of one million repetitions of 'a'.
let millionADigest = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

@Suite("SHA-256")
struct SHA256Tests {
    @Test("hashing gives the published digest", arguments: sha256Vectors)
    func hashMatchesVector(vector: SHA256Vector) {
        #expect(SHA256.hash(vector.message) == bytes32(vector.digest))
    }

    @Test("hashing through the raw-buffer entry point gives the published digest", arguments: sha256Vectors)
    func rawBufferHashMatchesVector(vector: SHA256Vector) {
        #expect(vector.message.withUnsafeBytes { SHA256.hash($0) } == bytes32(vector.digest))
    }

    @Test("one million 'a' hashed at once gives the published digest")
    func millionAOneShot() {
        #expect(SHA256.hash(repeated(UInt8(ascii: "a"), count: 1_000_000)) == bytes32(millionADigest))
    }

    @Test("one million 'a' fed in 1000-byte pieces gives the published digest")
    func millionAStreamed() {
        let piece = repeated(UInt8(ascii: "a"), count: 1000)
        var hasher = SHA256()
        for _ in 0..<1000 { hasher.update(piece) }
        #expect(hasher.finalize() == bytes32(millionADigest))
    }

    @Test("feeding a message in arbitrary pieces gives the one-shot digest")
    func streamingEqualsOneShot() async {
        await propertyCheck(
            input: Gen.uint8().array(of: 0...600), Gen.int(in: 1...130).array(of: 1...12)
        ) { message, pieceLengths in
            var hasher = SHA256()
            var offset = 0
            var index = 0
            while offset < message.count {
                let length = min(pieceLengths[index % pieceLengths.count], message.count - offset)
                hasher.update(Array(message[offset..<offset + length]))
                offset += length
                index += 1
            }
            #expect(hasher.finalize() == SHA256.hash(message))
        }
    }

    @Test("feeding nothing leaves the digest unchanged")
    func emptyUpdatesChangeNothing() {
        var hasher = SHA256()
        hasher.update([])
        hasher.update(Array("abc".utf8))
        hasher.update(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(hasher.finalize() == bytes32(sha256Vectors[0].digest))
    }

    @Test("a copy of a partly fed hasher continues independently")
    func copiedHasherForks() {
        var prefix = SHA256()
        prefix.update(Array("ab".utf8))
        var fork = prefix
        prefix.update(Array("c".utf8))
        fork.update(Array("d".utf8))
        #expect(prefix.finalize() == bytes32(sha256Vectors[0].digest))
        #expect(fork.finalize() == SHA256.hash(Array("abd".utf8)))
    }
}
