/// What can go wrong with keys, signatures and ciphertexts that came from outside.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Key or seed material of the wrong length.
    case invalidKeyLength(expected: Int, actual: Int)
    /// Bytes that are not a valid curve point for this use (for example an Ed25519 public key that cannot be
    /// converted to X25519).
    case invalidPublicKey
    /// A Diffie-Hellman result of all zeros: the peer's X25519 key is a low-order point.
    case lowOrderPoint
    /// An AEAD ciphertext whose tag does not verify: it was altered, or the key, nonce or associated data differ.
    case authenticationFailed
    /// A ciphertext too short to hold its authentication tag.
    case ciphertextTooShort(Int)

    /// What failed, with the lengths involved; never any key bytes.
    public var description: String {
        switch self {
        case .invalidKeyLength(let expected, let actual):
            "key material has \(actual) bytes; \(expected) are required"
        case .invalidPublicKey:
            "the public key is not a valid curve point"
        case .lowOrderPoint:
            "the peer's X25519 public key is a low-order point (the shared secret would be zero)"
        case .authenticationFailed:
            "authentication failed: the ciphertext was altered or the key, nonce or associated data differ"
        case .ciphertextTooShort(let count):
            "a sealed message of \(count) bytes is shorter than its \(AES256GCM.tagLength)-byte tag"
        }
    }
}
