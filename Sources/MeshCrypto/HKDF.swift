internal import MeshCore

/// HKDF with SHA-256 (RFC 5869), extract then expand, over `HMACSHA256`.
///
/// Why not OpenSSL's `EVP_KDF`: it allocates a context and parses named parameters on every derivation, 5 µs for a
/// 64-byte output on the development machine against under 2 µs here; the Noise handshake derives five times per
/// side. The RFC 5869 vectors pin this code.
public enum HKDF {
    /// The most bytes one derivation may produce, 255 × 32 (RFC 5869, section 2.3).
    public static let maxOutputLength = 255 * 32

    /// Derives `output.count` bytes from `inputKeyMaterial`, `salt` (empty means 32 zero bytes, as RFC 5869 says,
    /// which HMAC's zero padding of the key gives by itself) and `info`, writing them into `output`.
    public static func deriveKey(
        inputKeyMaterial: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer, info: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) {
        precondition(
            output.count > 0 && output.count <= maxOutputLength, "HKDF output length outside 1...\(maxOutputLength)")
        // Extract (section 2.2): PRK = HMAC(salt, IKM).
        let expand = HMACSHA256.authenticationCode(for: inputKeyMaterial, key: salt).withUnsafeBytes { prk in
            HMACSHA256(key: prk)
        }
        // Expand (section 2.3): T(i) = HMAC(PRK, T(i-1) | info | i), keyed once and copied per block.
        var previous = Bytes32.zero
        var offset = 0
        var counter: UInt8 = 1
        while offset < output.count {
            var block = expand
            if counter > 1 { previous.withUnsafeBytes { block.update($0) } }
            block.update(info)
            withUnsafeBytes(of: counter) { block.update($0) }
            previous = block.finalize()
            let take = min(HMACSHA256.length, output.count - offset)
            previous.withUnsafeBytes {
                output.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: take)
            }
            offset += take
            counter &+= 1
        }
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
