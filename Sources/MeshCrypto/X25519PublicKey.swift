public import MeshCore

/// An X25519 public key (RFC 7748): the Diffie-Hellman half of a node's identity, or an ephemeral key.
public struct X25519PublicKey: Hashable, Sendable {
    /// The 32-byte u-coordinate.
    public let rawValue: Bytes32

    /// Wraps 32 bytes. Any 32 bytes are accepted; low-order points are caught when a shared secret is computed.
    public init(rawValue: Bytes32) {
        self.rawValue = rawValue
    }

    /// Wraps exactly 32 bytes.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard let value = Bytes32(bytes) else { throw .invalidKeyLength(expected: Bytes32.count, actual: bytes.count) }
        self.rawValue = value
    }
}

extension X25519PublicKey: CustomStringConvertible {
    /// Lowercase hexadecimal.
    public var description: String { rawValue.description }
}
