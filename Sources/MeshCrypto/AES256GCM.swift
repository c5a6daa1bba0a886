internal import COpenSSL
import MeshCore

/// AES-256-GCM, fetched from OpenSSL's default provider once per process. Passing `EVP_aes_256_gcm()` instead makes
/// every context set-up fetch it again by name (0.5 µs of the 1 µs a key set-up costs), and the handshake keys five
/// ciphers per side.
nonisolated(unsafe) let aes256GCMAlgorithm: OpaquePointer = {
    guard let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else {
        preconditionFailure("OpenSSL has no AES-256-GCM implementation")
    }
    return cipher
}()

/// AES-256-GCM with a fixed key (NIST SP 800-38D), through OpenSSL's EVP interface: 96-bit nonces, 128-bit tags.
///
/// The key schedule is set up once per direction, in a reusable cipher context made on first use (one to seal, one
/// to open; a session's key and most handshake keys are only ever used in one direction, and one handshake key not at
/// all); each call only resets the nonce, so sealing or opening a packet performs no allocation. Not thread-safe: one
/// instance per session, used from the thread that owns the session. Contexts are freed (and their key material
/// cleansed by OpenSSL) when the instance is released, and the key with them.
public final class AES256GCM {
    /// Bytes in the authentication tag appended to every sealed message.
    public static let tagLength = 16

    private let key: SymmetricKey
    private var sealState: OpaquePointer?
    private var openState: OpaquePointer?

    /// A cipher keyed with `key`.
    public init(key: SymmetricKey) {
        self.key = key
    }

    deinit {
        if let sealState { EVP_CIPHER_CTX_free(sealState) }
        if let openState { EVP_CIPHER_CTX_free(openState) }
    }

    /// The sealing context, keyed on first use.
    private var sealContext: OpaquePointer {
        if let sealState { return sealState }
        let context = makeContext(encrypting: true)
        sealState = context
        return context
    }

    /// The opening context, keyed on first use.
    private var openContext: OpaquePointer {
        if let openState { return openState }
        let context = makeContext(encrypting: false)
        openState = context
        return context
    }

    /// A context keyed for one direction. GCM's default IV length is the 96 bits used here, so none is set.
    private func makeContext(encrypting: Bool) -> OpaquePointer {
        guard let context = EVP_CIPHER_CTX_new() else {
            preconditionFailure("EVP_CIPHER_CTX_new failed: out of memory")
        }
        key.withUnsafeBytes { raw in
            let bytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let result =
                encrypting
                ? EVP_EncryptInit_ex(context, aes256GCMAlgorithm, nil, bytes, nil)
                : EVP_DecryptInit_ex(context, aes256GCMAlgorithm, nil, bytes, nil)
            precondition(result == 1, "AES-256-GCM key setup failed")
        }
        return context
    }

    /// Encrypts `plaintext` and writes ciphertext followed by the 16-byte tag into `output`.
    ///
    /// `output` may be the same memory as `plaintext` (in-place encryption) and must hold at least
    /// `plaintext.count + tagLength` bytes.
    /// - Returns: the number of bytes written, `plaintext.count + tagLength`.
    /// - Complexity: O(n), no allocation.
    @discardableResult
    public func seal(
        _ plaintext: UnsafeRawBufferPointer, nonce: AESGCMNonce, authenticating associatedData: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(output.count >= plaintext.count + Self.tagLength, "AES-GCM output buffer too small")
        precondition(plaintext.count <= Int32.max && associatedData.count <= Int32.max, "AES-GCM input too large")
        let context = sealContext
        let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        var ok = nonce.withUnsafeBytes { EVP_EncryptInit_ex(context, nil, nil, nil, $0) } == 1
        if associatedData.count > 0 {
            ok =
                ok
                && EVP_EncryptUpdate(
                    context, nil, &written, associatedData.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    Int32(associatedData.count)) == 1
        }
        var length = 0
        if plaintext.count > 0 {
            ok =
                ok
                && EVP_EncryptUpdate(
                    context, out, &written, plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    Int32(plaintext.count)) == 1
            length = Int(written)
        }
        ok = ok && EVP_EncryptFinal_ex(context, out + length, &written) == 1
        length += Int(written)
        ok = ok && copenssl_gcm_get_tag(context, Int32(Self.tagLength), out + length) == 1
        precondition(ok && length == plaintext.count, "AES-256-GCM seal failed inside OpenSSL")
        return length + Self.tagLength
    }

    /// Verifies and decrypts `sealed` (ciphertext followed by the tag) into `output`.
    ///
    /// `output` may be the same memory as `sealed` and must hold at least `sealed.count - tagLength` bytes. On
    /// failure the contents of `output` are unspecified and must not be used.
    /// - Returns: the number of plaintext bytes.
    /// - Throws: `ciphertextTooShort` or `authenticationFailed`.
    /// - Complexity: O(n), no allocation.
    public func open(
        _ sealed: UnsafeRawBufferPointer, nonce: AESGCMNonce, authenticating associatedData: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) -> Int {
        guard sealed.count >= Self.tagLength else { throw .ciphertextTooShort(sealed.count) }
        let ciphertextLength = sealed.count - Self.tagLength
        precondition(output.count >= ciphertextLength, "AES-GCM output buffer too small")
        precondition(sealed.count <= Int32.max && associatedData.count <= Int32.max, "AES-GCM input too large")
        let context = openContext
        let input = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        var ok = nonce.withUnsafeBytes { EVP_DecryptInit_ex(context, nil, nil, nil, $0) } == 1
        if associatedData.count > 0 {
            ok =
                ok
                && EVP_DecryptUpdate(
                    context, nil, &written, associatedData.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    Int32(associatedData.count)) == 1
        }
        var length = 0
        if ciphertextLength > 0 {
            ok = ok && EVP_DecryptUpdate(context, out, &written, input, Int32(ciphertextLength)) == 1
            length = Int(written)
        }
        ok = ok && copenssl_gcm_set_tag(context, Int32(Self.tagLength), input + ciphertextLength) == 1
        precondition(ok, "AES-256-GCM open failed inside OpenSSL before the tag check")
        var scratch: UInt8 = 0
        let verified = withUnsafeMutablePointer(to: &scratch) { fallback in
            EVP_DecryptFinal_ex(context, out.map { $0 + length } ?? fallback, &written)
        }
        guard verified > 0 else { throw .authenticationFailed }
        return length + Int(written)
    }

    /// Encrypts `plaintext`; returns ciphertext followed by the tag.
    public func seal(_ plaintext: [UInt8], nonce: AESGCMNonce, authenticating associatedData: [UInt8] = []) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: plaintext.count + Self.tagLength)
        plaintext.withUnsafeBytes { input in
            associatedData.withUnsafeBytes { aad in
                output.withUnsafeMutableBytes { _ = seal(input, nonce: nonce, authenticating: aad, into: $0) }
            }
        }
        return output
    }

    /// Verifies and decrypts `sealed`; returns the plaintext.
    /// - Throws: `ciphertextTooShort` or `authenticationFailed`.
    public func open(
        _ sealed: [UInt8], nonce: AESGCMNonce, authenticating associatedData: [UInt8] = []
    ) throws(CryptoError)
        -> [UInt8]
    {
        guard sealed.count >= Self.tagLength else { throw .ciphertextTooShort(sealed.count) }
        var output = [UInt8](repeating: 0, count: sealed.count - Self.tagLength)
        let result: Result<Int, CryptoError> = sealed.withUnsafeBytes { input in
            associatedData.withUnsafeBytes { aad in
                output.withUnsafeMutableBytes { out in
                    Result { () throws(CryptoError) -> Int in
                        try open(input, nonce: nonce, authenticating: aad, into: out)
                    }
                }
            }
        }
        _ = try result.get()
        return output
    }
}
