import MeshCore
import MeshCrypto
import Testing

// libsodium's test/default/ed25519_convert.c and its expected output ed25519_convert.exp: the Ed25519 key pair from
// this seed converts (crypto_sign_ed25519_sk_to_curve25519, crypto_sign_ed25519_pk_to_curve25519) to this X25519
// private key and public key.
enum LibsodiumConversionVector {
    static let seed = "421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee"
    static let x25519Private = "8052030376d47112be7f73ed7a019293dd12ad910b654455798b4667d73de166"
    static let x25519Public = "f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50"
}

@Suite("Ed25519 to X25519 conversion")
struct Ed25519ToX25519Tests {
    @Test("the converted private key is libsodium's published value")
    func convertedPrivateKeyMatchesLibsodium() throws {
        let key = try Ed25519PrivateKey(seed: bytes(LibsodiumConversionVector.seed))
        let converted = key.x25519PrivateKey()
        #expect(converted.withUnsafeRawRepresentation { Hex.encode($0) } == LibsodiumConversionVector.x25519Private)
    }

    @Test("the converted private key's public key is libsodium's published value")
    func convertedPrivateKeysPublicKeyMatchesLibsodium() throws {
        let key = try Ed25519PrivateKey(seed: bytes(LibsodiumConversionVector.seed))
        #expect(key.x25519PrivateKey().publicKey.rawValue == bytes32(LibsodiumConversionVector.x25519Public))
    }

    @Test("the converted public key is libsodium's published value")
    func convertedPublicKeyMatchesLibsodium() throws {
        let key = try Ed25519PrivateKey(seed: bytes(LibsodiumConversionVector.seed))
        #expect(try key.publicKey.x25519PublicKey().rawValue == bytes32(LibsodiumConversionVector.x25519Public))
    }

    @Test(
        "converting the private key and converting the public key reach the same X25519 public key",
        arguments: rfc8032Vectors)
    func conversionsAgree(vector: Ed25519Vector) throws {
        let key = vector.privateKey
        #expect(try key.x25519PrivateKey().publicKey == key.publicKey.x25519PublicKey())
    }

    @Test("a conversion answered from the memo equals the first one, and an invalid key is refused every time")
    func rememberedConversions() throws {
        let key = try Ed25519PrivateKey(seed: bytes(LibsodiumConversionVector.seed)).publicKey
        let first = try key.x25519PublicKey()
        #expect(try key.x25519PublicKey() == first)
        #expect(first.rawValue == bytes32(LibsodiumConversionVector.x25519Public))
        // Not a point on the curve (y = 2 has no x): never remembered, refused again.
        var invalid = [UInt8](repeating: 0, count: 32)
        invalid[0] = 2
        let bad = try Ed25519PublicKey(bytes: invalid)
        for _ in 0..<2 { #expect(throws: CryptoError.invalidPublicKey) { try bad.x25519PublicKey() } }
    }

    @Test("two converted identities agree on a Diffie-Hellman secret both ways")
    func convertedIdentitiesAgreeOnSharedSecret() throws {
        let alice = rfc8032Vectors[0].privateKey
        let bob = rfc8032Vectors[1].privateKey
        // Each side knows only its own private key and the other's Ed25519 public key (its node id).
        let aliceSide = try alice.x25519PrivateKey().sharedSecret(with: bob.publicKey.x25519PublicKey())
        let bobSide = try bob.x25519PrivateKey().sharedSecret(with: alice.publicKey.x25519PublicKey())
        #expect(aliceSide == bobSide)
    }

    @Test("a small-order Ed25519 public key cannot be converted")
    func smallOrderPublicKeyIsRefused() {
        // The encoding of the neutral element (x = 0, y = 1): a point of order 1.
        let neutralElement = "0100000000000000000000000000000000000000000000000000000000000000"
        let identity = Ed25519PublicKey(rawValue: bytes32(neutralElement))
        #expect(throws: CryptoError.invalidPublicKey) {
            try identity.x25519PublicKey()
        }
    }
}
