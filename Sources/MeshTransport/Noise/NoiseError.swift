/// Why a Noise handshake message was refused.
public enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message is shorter or longer than the pattern allows.
    case malformedMessage(expectedAtLeast: Int, actual: Int)
    /// An encrypted field did not authenticate: wrong keys, a different prologue, or altered bytes.
    case decryptionFailed
    /// A Diffie-Hellman with the peer's key gave the all-zero result (a low-order point).
    case invalidPeerKey

    /// Which check the handshake message failed, with the likely causes.
    public var description: String {
        switch self {
        case .malformedMessage(let expected, let actual):
            "handshake message of \(actual) bytes; at least \(expected) are required"
        case .decryptionFailed:
            "handshake message did not authenticate (wrong key, different network or protocol version, or altered)"
        case .invalidPeerKey:
            "the peer's key is a low-order point"
        }
    }
}
