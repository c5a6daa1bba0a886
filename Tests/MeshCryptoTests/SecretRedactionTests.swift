import MeshCore
import MeshCrypto
import Testing

/// Every way a value can end up in a log or a test failure message: `print`/interpolation, `debugPrint`, `dump`.
func renderings(of value: Any) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    return [String(describing: value), String(reflecting: value), "\(value)", dumped]
}

/// Fragments that would betray `secret` if they appeared in text: every run of four bytes in lowercase and uppercase
/// hexadecimal, and the first bytes as a decimal array (how `[UInt8]` prints).
func leakFragments(of secret: [UInt8]) -> [String] {
    var fragments: [String] = []
    for start in 0...(secret.count - 4) {
        let hex = Hex.encode(secret[start..<start + 4])
        fragments.append(hex)
        fragments.append(hex.uppercased())
    }
    fragments.append(secret.prefix(4).map(String.init).joined(separator: ", "))
    return fragments
}

/// Records an issue for every rendering of `value` that contains a fragment of `secret`.
func expectRedacted(_ value: Any, secret: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    for text in renderings(of: value) {
        for fragment in leakFragments(of: secret) {
            #expect(
                !text.contains(fragment), "'\(fragment)' of the secret appears in: \(text)",
                sourceLocation: sourceLocation)
        }
    }
}

@Suite("Secrets stay out of printed text")
struct SecretRedactionTests {
    @Test("an Ed25519 private key never prints its seed")
    func ed25519PrivateKeyIsRedacted() {
        let vector = rfc8032Vectors[0]
        expectRedacted(vector.privateKey, secret: bytes(vector.seed))
    }

    @Test("an Ed25519 private key still prints its public identity")
    func ed25519PrivateKeyShowsIdentity() {
        let key = rfc8032Vectors[0].privateKey
        #expect(String(describing: key).contains(key.nodeID.shortText))
    }

    @Test("an X25519 private key never prints its scalar")
    func x25519PrivateKeyIsRedacted() throws {
        let scalar = bytes(RFC7748DiffieHellman.alicePrivate)
        expectRedacted(try X25519PrivateKey(rawRepresentation: scalar), secret: scalar)
    }

    @Test("an X25519 private key converted from an Ed25519 key never prints its scalar")
    func convertedX25519PrivateKeyIsRedacted() throws {
        let key = try Ed25519PrivateKey(seed: bytes(LibsodiumConversionVector.seed)).x25519PrivateKey()
        expectRedacted(key, secret: bytes(LibsodiumConversionVector.x25519Private))
    }

    @Test("a symmetric key never prints its bytes")
    func symmetricKeyIsRedacted() throws {
        let keyBytes = bytes(gcmSpecVectors[2].key)
        expectRedacted(try SymmetricKey(bytes: keyBytes), secret: keyBytes)
    }

    @Test("a Diffie-Hellman result never prints its bytes")
    func sharedSecretIsRedacted() throws {
        let alice = try X25519PrivateKey(rawRepresentation: bytes(RFC7748DiffieHellman.alicePrivate))
        let secret = try alice.sharedSecret(with: X25519PublicKey(bytes: bytes(RFC7748DiffieHellman.bobPublic)))
        expectRedacted(secret, secret: bytes(RFC7748DiffieHellman.sharedSecret))
    }

    @Test("a key inside a collection is still redacted")
    func keyInCollectionIsRedacted() throws {
        let keyBytes = bytes(gcmSpecVectors[2].key)
        let keys = ["session": try SymmetricKey(bytes: keyBytes)]
        expectRedacted(keys, secret: keyBytes)
    }
}
