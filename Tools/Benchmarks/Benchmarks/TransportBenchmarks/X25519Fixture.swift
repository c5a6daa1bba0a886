import MeshCore
import MeshCrypto

/// The Diffie-Hellman work a handshake is made of: one X25519 shared secret (a variable-base scalar multiplication;
/// a Noise IK handshake does four on each side) and one key generation (a base-point multiplication; one ephemeral
/// key on each side).
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

    /// `X25519PrivateKey(using:)` from a seeded source, as an endpoint makes each ephemeral key.
    @inline(__always)
    func newKey() -> X25519PrivateKey {
        X25519PrivateKey(using: &random)
    }
}
