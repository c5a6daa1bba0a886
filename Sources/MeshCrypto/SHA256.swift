internal import COpenSSL
public import MeshCore

/// SHA-256 (FIPS 180-4) through OpenSSL's low-level SHA-256, as a value type: the hashing state lives inline, so
/// hashing performs no allocation and a partly-fed hasher can be copied to fork the computation.
public struct SHA256: Sendable {
    /// Bytes in a digest.
    public static let digestLength = 32
    /// Bytes in a block, for HMAC.
    public static let blockLength = 64

    private var context = SHA256_CTX()

    /// A hasher with nothing fed yet.
    public init() {
        precondition(copenssl_sha256_init(&context) == 1, "SHA256_Init failed")
    }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(copenssl_sha256_update(&context, base, bytes.count) == 1, "SHA256_Update failed")
    }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed.
    public consuming func finalize() -> Bytes32 {
        Bytes32.filling { out in
            precondition(
                copenssl_sha256_final(&context, out.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1,
                "SHA256_Final failed")
        }
    }

    /// The digest of `bytes`.
    /// - Complexity: O(n), no allocation.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Bytes32 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> Bytes32 {
        bytes.withUnsafeBytes { hash($0) }
    }
}
