internal import CSodium
public import MeshCore

/// An X25519 private key (RFC 7748): a node's static Noise key (derived from its Ed25519 key) or an ephemeral key.
///
/// Wiped when released; never printed.
public struct X25519PrivateKey: Sendable {
    /// Bytes in a private key.
    public static let length = 32

    private let secret: SecretStorage
    /// The matching public key (`crypto_scalarmult_base`).
    public let publicKey: X25519PublicKey

    /// A new key drawn from `random` (ephemeral keys: the runtime passes `SystemRandom`).
    public init(using random: inout some RandomBytesSource) {
        self.init(filling: { random.fill($0) })
    }

    /// The key with these 32 bytes (clamped when used, as RFC 7748 says).
    /// - Throws: `invalidKeyLength` for any other length.
    public init(rawRepresentation bytes: some Collection<UInt8>) throws(CryptoError) {
        guard bytes.count == Self.length else { throw .invalidKeyLength(expected: Self.length, actual: bytes.count) }
        self.init(filling: { raw in copyBytes(bytes, into: raw) })
    }

    init(filling body: (UnsafeMutableRawBufferPointer) -> Void) {
        ensureSodium()
        secret = SecretStorage(count: Self.length, body)
        publicKey = X25519PublicKey(
            rawValue: secret.withUnsafeBytes { scalar in
                Bytes32.filling { out in
                    let result = crypto_scalarmult_base(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        scalar.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    precondition(result == 0, "crypto_scalarmult_base failed")
                }
            })
    }

    /// The Diffie-Hellman shared secret with `peer` (RFC 7748 X25519).
    /// - Throws: `lowOrderPoint` when the result is all zeros (libsodium refuses it), which a peer can force only
    ///   by sending a low-order point.
    public func sharedSecret(with peer: X25519PublicKey) throws(CryptoError) -> SymmetricKey {
        var failed = false
        let key = secret.withUnsafeBytes { scalar in
            peer.rawValue.withUnsafeBytes { point in
                SymmetricKey(filling: { out in
                    failed =
                        crypto_scalarmult(
                            out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            scalar.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            point.baseAddress!.assumingMemoryBound(to: UInt8.self)) != 0
                })
            }
        }
        if failed { throw .lowOrderPoint }
        return key
    }

    /// Calls `body` with the 32 private bytes (for test vectors and the Noise reference comparison only).
    public func withUnsafeRawRepresentation<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try secret.withUnsafeBytes(body)
    }
}

extension X25519PrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The start of the public key; the secret is never printed.
    public var description: String {
        "X25519PrivateKey(public \(publicKey.rawValue.description.prefix(16))…, secret redacted)"
    }
    /// The same as `description`, so `debugPrint` does not reveal the secret either.
    public var debugDescription: String { description }
    /// Only the public key, so `dump` and debuggers cannot reveal the secret.
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}
