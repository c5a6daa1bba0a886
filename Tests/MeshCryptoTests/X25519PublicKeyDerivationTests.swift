import MeshCore
import PropertyBased
import Testing

@testable import MeshCrypto

/// The X25519 base point, u = 9 (RFC 7748, section 4.1).
private let basePoint = X25519PublicKey(rawValue: Bytes32([9] + [UInt8](repeating: 0, count: 31))!)

/// A private key's public key is computed on the Edwards curve and mapped to Montgomery form; libsodium's ladder
/// (`sharedSecret(with:)` the base point) is the reference it must equal.
@Suite("X25519 public keys through the Edwards table")
struct X25519PublicKeyDerivationTests {
    @Test("every public key equals the ladder's X25519(k, 9), for any 32 bytes (clamping included)")
    func publicKeyEqualsLadder() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 32)) { scalar in
            guard let key = try? X25519PrivateKey(rawRepresentation: scalar),
                let ladder = try? key.sharedSecret(with: basePoint)
            else {
                Issue.record("a 32-byte key was refused")
                return
            }
            #expect(ladder.withUnsafeBytes { Array($0) } == key.publicKey.rawValue.bytes)
        }
    }

    @Test("scalars at the edges of clamping give the ladder's public key", arguments: [0x00, 0xFF, 0x80, 0x7F, 0x40])
    func edgeScalars(byte: Int) throws {
        let key = try X25519PrivateKey(rawRepresentation: [UInt8](repeating: UInt8(byte), count: 32))
        let ladder = try key.sharedSecret(with: basePoint)
        #expect(ladder.withUnsafeBytes { Array($0) } == key.publicKey.rawValue.bytes)
    }

    @Test(
        "a batch gives the keys, in order, that single generation gives from the same source",
        arguments: [0, 1, 2, 8, 13])
    func batchEqualsOneByOne(count: Int) {
        var batchSource = SeededRandomBytes(seed: UInt64(40 + count))
        var singleSource = SeededRandomBytes(seed: UInt64(40 + count))
        let batch = X25519PrivateKey.batch(count: count, using: &batchSource)
        let single = (0..<count).map { _ in X25519PrivateKey(using: &singleSource) }
        #expect(batch.count == count)
        #expect(batch.map(\.publicKey) == single.map(\.publicKey))
        #expect(
            batch.map { $0.withUnsafeRawRepresentation { Array($0) } }
                == single.map { $0.withUnsafeRawRepresentation { Array($0) } })
    }

    @Test("every public key of a batch equals the ladder's X25519(k, 9)")
    func batchPublicKeysEqualLadder() throws {
        var source = SeededRandomBytes(seed: 77)
        for key in X25519PrivateKey.batch(count: 64, using: &source) {
            let ladder = try key.sharedSecret(with: basePoint)
            #expect(ladder.withUnsafeBytes { Array($0) } == key.publicKey.rawValue.bytes)
        }
    }
}

/// Arithmetic modulo 2^255 - 19 used by the public-key mapping.
@Suite("Curve25519 field elements")
struct Curve25519FieldElementTests {
    /// p = 2^255 - 19, little-endian.
    static let p: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]

    private func element(_ bytes: [UInt8]) -> Curve25519FieldElement {
        bytes.withUnsafeBytes { Curve25519FieldElement(littleEndian: $0) }
    }

    @Test("an element times its inverse is one")
    func inverseTimesSelfIsOne() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 32)) { bytes in
            let x = element(bytes)
            guard x.littleEndianBytes != Bytes32.zero else { return }
            #expect((x * x.inverted()).littleEndianBytes == Curve25519FieldElement.one.littleEndianBytes)
        }
    }

    @Test("canonical encodings read back unchanged")
    func canonicalRoundTrip() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 32)) { bytes in
            var canonical = bytes
            canonical[31] &= 0x3F  // below 2^254 < p
            #expect(element(canonical).littleEndianBytes.bytes == canonical)
        }
    }

    @Test("p and the values up to 2^255 - 1 reduce to 0 through 18")
    func valuesFromPReduce() {
        for offset in 0..<19 {
            var bytes = Self.p
            bytes[0] += UInt8(offset)
            #expect(element(bytes).littleEndianBytes.bytes == [UInt8(offset)] + [UInt8](repeating: 0, count: 31))
        }
    }

    @Test("subtraction wraps around p: 0 - 1 is p - 1")
    func subtractionWraps() {
        let zero = element([UInt8](repeating: 0, count: 32))
        var pMinusOne = Self.p
        pMinusOne[0] -= 1
        #expect((zero - Curve25519FieldElement.one).littleEndianBytes.bytes == pMinusOne)
    }

    @Test("(p - 1)^2 is 1 and 2 · 2^-1 is 1")
    func knownProducts() {
        var pMinusOne = Self.p
        pMinusOne[0] -= 1
        let minusOne = element(pMinusOne)
        #expect((minusOne * minusOne).littleEndianBytes == Curve25519FieldElement.one.littleEndianBytes)
        let two = Curve25519FieldElement.one + Curve25519FieldElement.one
        #expect((two * two.inverted()).littleEndianBytes == Curve25519FieldElement.one.littleEndianBytes)
    }

    @Test("the inverse of zero is zero")
    func inverseOfZero() {
        let zero = element([UInt8](repeating: 0, count: 32))
        #expect(zero.inverted().littleEndianBytes == Bytes32.zero)
    }
}
