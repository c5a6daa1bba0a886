public import MeshCore
public import MeshCrypto

/// What a completed Noise handshake yields: one key per direction and the handshake hash, which binds everything
/// both sides saw (usable as a session identifier, channel binding).
public struct NoiseTransportKeys: Sendable {
    /// The key this side encrypts with.
    public let sending: SymmetricKey
    /// The key this side decrypts with.
    public let receiving: SymmetricKey
    /// The final handshake hash `h`.
    public let handshakeHash: Bytes32
}
