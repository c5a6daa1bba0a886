import MeshCore
import MeshCrypto
import Testing

/// One X25519 scalar multiplication: `scalar` times the point with u-coordinate `u` gives `output`.
struct X25519Vector: Sendable, CustomTestStringConvertible {
    let name: String
    let scalar: String
    let u: String
    let output: String

    var testDescription: String { name }
}

// RFC 7748, section 5.2 "Test Vectors": the two single scalar multiplications. The second u-coordinate has its top
// bit set, which X25519 must ignore (section 5: "implementations of X25519 MUST mask the most significant bit").
let rfc7748ScalarMultiplicationVectors: [X25519Vector] = [
    X25519Vector(
        name: "section 5.2, first vector",
        scalar: "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        u: "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        output: "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    X25519Vector(
        name: "section 5.2, second vector",
        scalar: "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        u: "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        output: "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
]

// RFC 7748, section 5.2: the iterated test. k and u start as the base point's u-coordinate (9); each round sets
// k to X25519(k, u) and u to the old k. The 1,000,000-round value is left out: it takes minutes.
let rfc7748IterationVectors: [(rounds: Int, k: String)] = [
    (1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"),
    (1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"),
]

// RFC 7748, section 6.1 "Curve25519": Alice's and Bob's keys and their shared secret.
enum RFC7748DiffieHellman {
    static let alicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
    static let alicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    static let bobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
    static let bobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
    static let sharedSecret = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
}

// The u-coordinates of small order on Curve25519 and its twist that libsodium refuses (its blacklist in
// crypto_scalarmult/curve25519/ref10/x25519_ref10.c): 0, 1, the two points of order 8, p - 1, p and p + 1. A
// clamped scalar is a multiple of 8, so each of them yields the all-zero result RFC 7748 section 6.1 says to check.
let lowOrderPoints: [String] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]

/// X25519(`scalar`, `u`) through the public API: the scalar as a private key, `u` as a peer's public key.
func x25519(_ scalar: [UInt8], _ u: [UInt8]) throws(CryptoError) -> [UInt8] {
    let privateKey = try X25519PrivateKey(rawRepresentation: scalar)
    let secret = try privateKey.sharedSecret(with: X25519PublicKey(bytes: u))
    return secret.withUnsafeBytes { Array($0) }
}

@Suite("X25519 (RFC 7748)")
struct X25519Tests {
    @Test("scalar multiplication gives the published u-coordinate", arguments: rfc7748ScalarMultiplicationVectors)
    func scalarMultiplicationMatchesVector(vector: X25519Vector) throws {
        #expect(try Hex.encode(x25519(bytes(vector.scalar), bytes(vector.u))) == vector.output)
    }

    @Test("the iterated scalar multiplication reaches the published k", arguments: rfc7748IterationVectors)
    func iteratedScalarMultiplicationMatchesVector(rounds: Int, expected: String) throws {
        var k = repeated(0, count: 32)
        k[0] = 9
        var u = k
        for _ in 0..<rounds {
            let next = try x25519(k, u)
            u = k
            k = next
        }
        #expect(Hex.encode(k) == expected)
    }

    @Test("Alice's private key yields her published public key")
    func alicePublicKey() throws {
        let alice = try X25519PrivateKey(rawRepresentation: bytes(RFC7748DiffieHellman.alicePrivate))
        #expect(alice.publicKey.rawValue == bytes32(RFC7748DiffieHellman.alicePublic))
    }

    @Test("Bob's private key yields his published public key")
    func bobPublicKey() throws {
        let bob = try X25519PrivateKey(rawRepresentation: bytes(RFC7748DiffieHellman.bobPrivate))
        #expect(bob.publicKey.rawValue == bytes32(RFC7748DiffieHellman.bobPublic))
    }

    @Test("Alice computes the published shared secret from Bob's public key")
    func aliceComputesSharedSecret() throws {
        let alice = try X25519PrivateKey(rawRepresentation: bytes(RFC7748DiffieHellman.alicePrivate))
        let secret = try alice.sharedSecret(with: X25519PublicKey(rawValue: bytes32(RFC7748DiffieHellman.bobPublic)))
        #expect(secret.withUnsafeBytes { Hex.encode($0) } == RFC7748DiffieHellman.sharedSecret)
    }

    @Test("Bob computes the published shared secret from Alice's public key")
    func bobComputesSharedSecret() throws {
        let bob = try X25519PrivateKey(rawRepresentation: bytes(RFC7748DiffieHellman.bobPrivate))
        let secret = try bob.sharedSecret(with: X25519PublicKey(rawValue: bytes32(RFC7748DiffieHellman.alicePublic)))
        #expect(secret.withUnsafeBytes { Hex.encode($0) } == RFC7748DiffieHellman.sharedSecret)
    }

    @Test("both sides of a Diffie-Hellman exchange hold equal symmetric keys")
    func bothSidesHoldEqualKeys() throws {
        var random = SeededRandomBytes(seed: 7748)
        let alice = X25519PrivateKey(using: &random)
        let bob = X25519PrivateKey(using: &random)
        #expect(try alice.sharedSecret(with: bob.publicKey) == bob.sharedSecret(with: alice.publicKey))
    }

    @Test("a low-order peer public key is refused", arguments: lowOrderPoints)
    func lowOrderPointIsRefused(u: String) throws {
        let bob = try X25519PrivateKey(rawRepresentation: bytes(RFC7748DiffieHellman.bobPrivate))
        #expect(throws: CryptoError.lowOrderPoint) {
            try bob.sharedSecret(with: X25519PublicKey(bytes: bytes(u)))
        }
    }

    @Test("the raw representation reads back as given")
    func rawRepresentationReadsBack() throws {
        let alice = try X25519PrivateKey(rawRepresentation: bytes(RFC7748DiffieHellman.alicePrivate))
        #expect(alice.withUnsafeRawRepresentation { Hex.encode($0) } == RFC7748DiffieHellman.alicePrivate)
    }

    @Test("a private key of any length other than 32 bytes is refused", arguments: [0, 31, 33])
    func wrongPrivateKeyLengthIsRefused(length: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: length)) {
            try X25519PrivateKey(rawRepresentation: repeated(9, count: length))
        }
    }

    @Test("a public key of any length other than 32 bytes is refused", arguments: [0, 31, 33])
    func wrongPublicKeyLengthIsRefused(length: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: length)) {
            try X25519PublicKey(bytes: repeated(9, count: length))
        }
    }
}
