internal import CSodium
public import MeshCore

/// An Ed25519 signing key (RFC 8032): the whole identity of a node.
///
/// The secret lives in storage that is wiped when the last copy is released; `description`, `debugDescription`
/// and reflection never show it. `withUnsafeSeed` is the one way out, for writing the key file.
public struct Ed25519PrivateKey: Sendable {
    /// Bytes in a seed.
    public static let seedLength = 32

    /// libsodium's expanded secret key: seed followed by the public key (64 bytes).
    private let secret: SecretStorage
    /// The matching public key.
    public let publicKey: Ed25519PublicKey

    /// A new key from the operating system's secure random generator.
    public init() {
        var random = SystemRandom()
        self.init(using: &random)
    }

    /// A new key whose seed is drawn from `random` (the simulator passes a seeded source; the runtime never does).
    public init(using random: inout some RandomBytesSource) {
        let seed = SecretStorage(count: Self.seedLength) { random.fill($0) }
        self = seed.withUnsafeBytes { Ed25519PrivateKey(validSeed: $0) }
    }

    /// The key for a 32-byte seed (RFC 8032's private key).
    /// - Throws: `invalidKeyLength` for any other length.
    public init(seed: some Collection<UInt8>) throws(CryptoError) {
        guard seed.count == Self.seedLength else {
            throw .invalidKeyLength(expected: Self.seedLength, actual: seed.count)
        }
        let copy = SecretStorage(count: Self.seedLength) { raw in
            copyBytes(seed, into: raw)
        }
        self = copy.withUnsafeBytes { Ed25519PrivateKey(validSeed: $0) }
    }

    private init(validSeed seed: UnsafeRawBufferPointer) {
        ensureSodium()
        var publicBytes = Bytes32.zero
        secret = SecretStorage(count: Int(csodium_sign_secretkeybytes())) { expanded in
            publicBytes = Bytes32.filling { pk in
                let result = crypto_sign_seed_keypair(
                    pk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    expanded.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    seed.baseAddress!.assumingMemoryBound(to: UInt8.self))
                precondition(result == 0, "crypto_sign_seed_keypair failed")
            }
        }
        publicKey = Ed25519PublicKey(rawValue: publicBytes)
    }

    /// The node id of this key.
    public var nodeID: NodeID { publicKey.nodeID }

    /// Signs `message` (RFC 8032 Ed25519, deterministic).
    ///
    /// Complexity: one signature, no allocation.
    public func signature(for message: UnsafeRawBufferPointer) -> Bytes64 {
        secret.withUnsafeBytes { key in
            Bytes64.filling { out in
                let result = crypto_sign_detached(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self))
                precondition(result == 0, "crypto_sign_detached failed")
            }
        }
    }

    /// Signs `message`.
    public func signature(for message: [UInt8]) -> Bytes64 {
        message.withUnsafeBytes { signature(for: $0) }
    }

    /// Calls `body` with the 32-byte seed; for writing the key file. Do not copy the bytes anywhere that is not
    /// wiped afterwards.
    public func withUnsafeSeed<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try secret.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0.prefix(Self.seedLength))) }
    }

    /// The X25519 private key for the same identity (libsodium `crypto_sign_ed25519_sk_to_curve25519`): the node's
    /// static key in the Noise handshake, so one key file is the whole identity.
    public func x25519PrivateKey() -> X25519PrivateKey {
        secret.withUnsafeBytes { key in
            X25519PrivateKey(filling: { out in
                let result = crypto_sign_ed25519_sk_to_curve25519(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self))
                precondition(result == 0, "crypto_sign_ed25519_sk_to_curve25519 failed")
            })
        }
    }
}

extension Ed25519PrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The short node id; the secret is never printed.
    public var description: String { "Ed25519PrivateKey(\(nodeID.shortText)…, secret redacted)" }
    /// The same as `description`, so `debugPrint` does not reveal the secret either.
    public var debugDescription: String { description }
    /// Only the public key, so `dump` and debuggers cannot reveal the secret.
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}
