import MeshCore
import MeshCrypto

/// The Diffie-Hellman work a handshake is made of: one X25519 shared secret (a variable-base scalar multiplication;
/// a Noise IK handshake does four on each side, three once DH(s, rs) is kept) and one key generation (a base-point
/// multiplication; one ephemeral key on each side, made in batches of eight).
final class X25519Fixture {
    private var random = SeededRandomBytes(seed: 0x5832_3535_3139)
    private let privateKey: X25519PrivateKey
    private let peerKey: X25519PublicKey

    init() {
        privateKey = X25519PrivateKey(using: &random)
        peerKey = X25519PrivateKey(using: &random).publicKey
    }

    /// `X25519PrivateKey.sharedSecret(with:)` on fixed keys.
    @inline(__always)
    func sharedSecret() -> SymmetricKey {
        try! privateKey.sharedSecret(with: peerKey)
    }

    /// `X25519PrivateKey(using:)` from a seeded source: one key on its own.
    @inline(__always)
    func newKey() -> X25519PrivateKey {
        X25519PrivateKey(using: &random)
    }

    /// `X25519PrivateKey.batch(count:using:)` of `Endpoint.ephemeralBatch` (8) keys, as an endpoint makes its
    /// ephemeral keys.
    @inline(__always)
    func newBatch() -> [X25519PrivateKey] {
        X25519PrivateKey.batch(count: 8, using: &random)
    }
}
