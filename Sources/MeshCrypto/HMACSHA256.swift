internal import CSodium
public import MeshCore

/// HMAC-SHA256 (RFC 2104, RFC 4231), computed as the two nested hashes of RFC 2104 section 2 over OpenSSL's
/// low-level SHA-256 (`SHA256`).
///
/// Why not OpenSSL's `EVP_MAC`: every `EVP_MAC` tag allocates a context and looks its parameters up by name, which
/// cost 2.5 µs per 32-byte tag on the development machine against about 0.6 µs for the four SHA-256 blocks here; a
/// handshake computes about fifteen tags per side (mac1, and three per HKDF). The RFC 4231 vectors pin this code.
///
/// The two hash states hold values derived from the key (as OpenSSL's context does); they live in this value only.
public struct HMACSHA256: Sendable {
    /// Bytes in a tag.
    public static let length = 32

    /// The state after the block `key ⊕ ipad`, to which the message is added.
    private var inner = SHA256()
    /// The state after the block `key ⊕ opad`, to which the inner digest is added.
    private var outer = SHA256()

    /// Starts a tag under `key` (keys longer than a SHA-256 block are hashed first, as RFC 2104 says).
    public init(key: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(byteCount: SHA256.blockLength, alignment: 8) { block in
            defer { sodium_memzero(block.baseAddress!, block.count) }
            block.initializeMemory(as: UInt8.self, repeating: 0)
            if key.count > SHA256.blockLength {
                SHA256.hash(key).withUnsafeBytes { block.copyMemory(from: $0) }
            } else if key.count > 0 {
                block.copyMemory(from: key)
            }
            for index in 0..<block.count { block[index] ^= 0x36 }
            inner.update(UnsafeRawBufferPointer(block))
            // (k ⊕ 0x36) ⊕ (0x36 ⊕ 0x5c) = k ⊕ 0x5c.
            for index in 0..<block.count { block[index] ^= 0x36 ^ 0x5c }
            outer.update(UnsafeRawBufferPointer(block))
        }
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bytes)
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) {
        inner.update(bytes)
    }

    /// The tag over everything added.
    public consuming func finalize() -> Bytes32 {
        let innerDigest = inner.finalize()
        innerDigest.withUnsafeBytes { outer.update($0) }
        return outer.finalize()
    }

    /// The HMAC-SHA256 of `message` under `key`.
    public static func authenticationCode(
        for message: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer
    ) -> Bytes32 {
        var mac = HMACSHA256(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// The HMAC-SHA256 of `message` under `key`.
    public static func authenticationCode(for message: [UInt8], key: [UInt8]) -> Bytes32 {
        message.withUnsafeBytes { m in key.withUnsafeBytes { k in authenticationCode(for: m, key: k) } }
    }

    /// Whether `tag` is the HMAC-SHA256 of `message` under `key`, compared in constant time.
    public static func isValid(_ tag: Bytes32, for message: [UInt8], key: [UInt8]) -> Bool {
        let expected = authenticationCode(for: message, key: key)
        return expected.withUnsafeBytes { e in tag.withUnsafeBytes { t in ConstantTime.equal(e, t) } }
    }
}
