internal import CSodium
public import MeshCore
import Synchronization

/// An Ed25519 public key (RFC 8032): a node's identity and the key its signatures verify under.
public struct Ed25519PublicKey: Hashable, Sendable {
    /// The 32-byte encoding.
    public let rawValue: Bytes32

    /// Wraps 32 bytes. Invalid points are caught when a signature is verified (verification fails).
    public init(rawValue: Bytes32) {
        self.rawValue = rawValue
    }

    /// The key of the node `nodeID` names.
    public init(_ nodeID: NodeID) {
        self.rawValue = nodeID.publicKey
    }

    /// Wraps exactly 32 bytes.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard let value = Bytes32(bytes) else { throw .invalidKeyLength(expected: Bytes32.count, actual: bytes.count) }
        self.rawValue = value
    }

    /// The node id this key is.
    public var nodeID: NodeID { NodeID(publicKey: rawValue) }

    /// Whether `signature` is a valid Ed25519 signature by this key over `message` (libsodium's checks: canonical
    /// encodings, no small-order keys).
    ///
    /// Complexity: one signature verification, no allocation.
    public func isValidSignature(_ signature: Bytes64, for message: UnsafeRawBufferPointer) -> Bool {
        ensureSodium()
        return signature.withUnsafeBytes { sig in
            rawValue.withUnsafeBytes { key in
                crypto_sign_verify_detached(
                    sig.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
            }
        }
    }

    /// Whether `signature` is valid for `message`.
    public func isValidSignature(_ signature: Bytes64, for message: [UInt8]) -> Bool {
        message.withUnsafeBytes { isValidSignature(signature, for: $0) }
    }

    /// The X25519 public key for the same identity (libsodium `crypto_sign_ed25519_pk_to_curve25519`), used as the
    /// node's static key in the Noise handshake.
    /// - Throws: `invalidPublicKey` when the bytes are not a valid Ed25519 point.
    ///
    /// Conversions are remembered (a bounded process-wide memo: at 65,536 keys it starts over): every handshake with
    /// a peer and every new peer converts its key, and the conversion (a point decompression and an inversion) costs
    /// tens of microseconds. The memo holds public values only and changes no result.
    public func x25519PublicKey() throws(CryptoError) -> X25519PublicKey {
        if let known = convertedKeys.withLock({ $0[rawValue] }) { return X25519PublicKey(rawValue: known) }
        let converted = try convertToX25519()
        convertedKeys.withLock { table in
            if table.count >= 1 << 16 { table.removeAll(keepingCapacity: true) }
            table[rawValue] = converted.rawValue
        }
        return converted
    }

    private func convertToX25519() throws(CryptoError) -> X25519PublicKey {
        ensureSodium()
        var result = 0 as Int32
        let converted = Bytes32.filling { out in
            rawValue.withUnsafeBytes { key in
                result = crypto_sign_ed25519_pk_to_curve25519(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard result == 0 else { throw .invalidPublicKey }
        return X25519PublicKey(rawValue: converted)
    }
}

extension Ed25519PublicKey: CustomStringConvertible {
    /// The node-id text form.
    public var description: String { nodeID.text }
}

/// Ed25519 public keys already converted to X25519 (`Ed25519PublicKey.x25519PublicKey`).
private let convertedKeys = Mutex<[Bytes32: Bytes32]>([:])
