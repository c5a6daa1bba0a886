internal import COpenSSL

/// The HKDF algorithm, fetched from OpenSSL's default provider once per process.
nonisolated(unsafe) let hkdfAlgorithm: OpaquePointer = {
    guard let kdf = EVP_KDF_fetch(nil, "HKDF", nil) else { preconditionFailure("OpenSSL has no HKDF implementation") }
    return kdf
}()

/// HKDF with SHA-256 (RFC 5869), extract then expand, through OpenSSL's `EVP_KDF` interface.
public enum HKDF {
    /// The most bytes one derivation may produce, 255 × 32 (RFC 5869, section 2.3).
    public static let maxOutputLength = 255 * 32

    /// Derives `outputLength` bytes from `inputKeyMaterial`, `salt` (empty means 32 zero bytes, as RFC 5869 says)
    /// and `info`, writing them into `output`.
    public static func deriveKey(
        inputKeyMaterial: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer, info: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) {
        precondition(
            output.count > 0 && output.count <= maxOutputLength, "HKDF output length outside 1...\(maxOutputLength)")
        let ok = copenssl_hkdf_sha256(
            hkdfAlgorithm, salt.baseAddress, salt.count, inputKeyMaterial.baseAddress, inputKeyMaterial.count,
            info.baseAddress, info.count, output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count)
        precondition(ok == 1, "EVP_KDF_derive for HKDF-SHA256 failed")
    }

    /// Derives `outputLength` bytes; see `deriveKey(inputKeyMaterial:salt:info:into:)`.
    public static func deriveKey(
        inputKeyMaterial: [UInt8], salt: [UInt8] = [], info: [UInt8] = [], outputLength: Int
    ) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: outputLength)
        inputKeyMaterial.withUnsafeBytes { ikm in
            salt.withUnsafeBytes { s in
                info.withUnsafeBytes { i in
                    output.withUnsafeMutableBytes { deriveKey(inputKeyMaterial: ikm, salt: s, info: i, into: $0) }
                }
            }
        }
        return output
    }
}
