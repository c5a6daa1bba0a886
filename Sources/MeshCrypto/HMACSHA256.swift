internal import COpenSSL
public import MeshCore

/// The HMAC algorithm, fetched from OpenSSL's default provider once per process (an `EVP_MAC` is immutable and
/// reference-counted, safe to share between threads).
nonisolated(unsafe) let hmacAlgorithm: OpaquePointer = {
    guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { preconditionFailure("OpenSSL has no HMAC implementation") }
    return mac
}()

/// HMAC-SHA256 (RFC 2104, RFC 4231) through OpenSSL's `EVP_MAC` interface.
public enum HMACSHA256 {
    /// Bytes in a tag.
    public static let length = 32

    /// The HMAC-SHA256 of the concatenation of `parts` under `key` (parts avoid copying a message together first).
    public static func authenticationCode(
        for parts: [UnsafeRawBufferPointer], key: UnsafeRawBufferPointer
    ) -> Bytes32 {
        guard let context = copenssl_hmac_sha256_new(hmacAlgorithm, key.baseAddress, key.count) else {
            preconditionFailure("EVP_MAC_init for HMAC-SHA256 failed")
        }
        defer { EVP_MAC_CTX_free(context) }
        return Bytes32.filling { out in
            for part in parts where part.count > 0 {
                precondition(
                    EVP_MAC_update(context, part.baseAddress!.assumingMemoryBound(to: UInt8.self), part.count) == 1,
                    "EVP_MAC_update failed")
            }
            var written = 0
            precondition(
                EVP_MAC_final(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &written, out.count) == 1
                    && written == length, "EVP_MAC_final failed")
        }
    }

    /// The HMAC-SHA256 of `message` under `key`.
    public static func authenticationCode(for message: [UInt8], key: [UInt8]) -> Bytes32 {
        message.withUnsafeBytes { m in key.withUnsafeBytes { k in authenticationCode(for: [m], key: k) } }
    }

    /// Whether `tag` is the HMAC-SHA256 of `message` under `key`, compared in constant time.
    public static func isValid(_ tag: Bytes32, for message: [UInt8], key: [UInt8]) -> Bool {
        let expected = authenticationCode(for: message, key: key)
        return expected.withUnsafeBytes { e in tag.withUnsafeBytes { t in ConstantTime.equal(e, t) } }
    }
}
