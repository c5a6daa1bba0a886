internal import CSodium
public import MeshCore

/// An X25519 private key (RFC 7748): a node's static Noise key (derived from its Ed25519 key) or an ephemeral key.
///
/// Wiped when released; never printed.
public struct X25519PrivateKey: Sendable {
    /// Bytes in a private key.
    public static let length = 32

    private let secret: SecretStorage
    /// The matching public key, X25519(key, 9).
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
        publicKey = secret.withUnsafeBytes { Self.publicKey(for: $0) }
    }

    private init(secret: SecretStorage, publicKey: X25519PublicKey) {
        self.secret = secret
        self.publicKey = publicKey
    }

    /// `count` new keys drawn from `random`: the same keys, in the same order, as `count` calls of `init(using:)`,
    /// made together for less. Their base-point multiplications run back to back, so libsodium's 30 KB table stays
    /// in cache (between handshakes other work evicts it), and their public keys share one field inversion
    /// (Montgomery's batch-inversion trick; only public values, points on the curve, go through it). For a supply of
    /// ephemeral keys, each used once.
    public static func batch(count: Int, using random: inout some RandomBytesSource) -> [X25519PrivateKey] {
        precondition(count >= 0, "a batch of \(count) keys")
        ensureSodium()
        let secrets = (0..<count).map { _ in SecretStorage(count: Self.length) { random.fill($0) } }
        let ys = secrets.map { $0.withUnsafeBytes { Self.edwardsY(for: $0) } }
        // u = (1 + y) / (1 - y) for each key. The denominators are never zero: y = 1 only at the identity, and a
        // clamped scalar (8k with 2^251 <= k < 2^252 < the group order) times the base point never is.
        let denominators = ys.map { Curve25519FieldElement.one - $0 }
        var prefix: [Curve25519FieldElement] = []
        prefix.reserveCapacity(count)
        for denominator in denominators { prefix.append(prefix.last.map { $0 * denominator } ?? denominator) }
        var inverse = prefix.last?.inverted() ?? Curve25519FieldElement.one
        var keys = [X25519PrivateKey?](repeating: nil, count: count)
        for index in stride(from: count - 1, through: 0, by: -1) {
            // Here `inverse` is 1 / (d_0 ... d_index).
            let inverseOfThis = index > 0 ? inverse * prefix[index - 1] : inverse
            inverse = inverse * denominators[index]
            let u = (Curve25519FieldElement.one + ys[index]) * inverseOfThis
            keys[index] = X25519PrivateKey(
                secret: secrets[index], publicKey: X25519PublicKey(rawValue: u.littleEndianBytes))
        }
        return keys.map { $0! }
    }

    /// The public key of `scalar`: X25519(scalar, 9) (RFC 7748), computed on the birationally equivalent Edwards
    /// curve with libsodium's precomputed base-point table and mapped to u = (1 + y) / (1 - y), which is 2.4 times
    /// faster than `crypto_scalarmult_base`'s ladder (see `Curve25519FieldElement`). Tests compare it with the ladder:
    /// `sharedSecret(with:)` the base point u = 9.
    static func publicKey(for scalar: UnsafeRawBufferPointer) -> X25519PublicKey {
        let y = edwardsY(for: scalar)
        let u = (Curve25519FieldElement.one + y) * (Curve25519FieldElement.one - y).inverted()
        return X25519PublicKey(rawValue: u.littleEndianBytes)
    }

    /// The y coordinate of the clamped `scalar` times the Ed25519 base point.
    private static func edwardsY(for scalar: UnsafeRawBufferPointer) -> Curve25519FieldElement {
        let edwards = withUnsafeTemporaryAllocation(byteCount: Self.length, alignment: 8) { clamped in
            defer { sodium_memzero(clamped.baseAddress!, clamped.count) }
            clamped.copyMemory(from: scalar)
            // RFC 7748 section 5 clamping, which crypto_scalarmult_base applies itself.
            clamped[0] &= 248
            clamped[31] = (clamped[31] & 127) | 64
            return Bytes32.filling { out in
                // Fails only for a scalar that is 0 modulo the group order, which no clamped scalar is.
                let result = crypto_scalarmult_ed25519_base_noclamp(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    clamped.baseAddress!.assumingMemoryBound(to: UInt8.self))
                precondition(result == 0, "crypto_scalarmult_ed25519_base_noclamp failed")
            }
        }
        // The encoding's top bit is the sign of x; Curve25519FieldElement(littleEndian:) ignores bit 255.
        return edwards.withUnsafeBytes { Curve25519FieldElement(littleEndian: $0) }
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
