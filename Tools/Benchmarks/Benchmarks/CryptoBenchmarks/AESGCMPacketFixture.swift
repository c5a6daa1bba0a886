import CBenchOpenSSL
import MeshCrypto

/// One 1200-byte packet with a 16-byte associated-data header, sealed and then opened with AES-256-GCM: through
/// `MeshCrypto.AES256GCM`, and through the same EVP calls on contexts keyed once, exactly as the wrapper makes them.
///
/// All buffers are allocated here, once, so an operation allocates nothing of its own. Each operation uses the next
/// counter nonce (the wrapper builds an `AESGCMNonce`, the C path writes the same 12 bytes in place).
final class AESGCMPacketFixture {
    static let packetLength = 1200
    static let associatedDataLength = 16
    static let tagLength = 16

    private let cipher: AES256GCM
    private let sealContext: OpaquePointer
    private let openContext: OpaquePointer
    private let plaintext: UnsafeMutableRawBufferPointer
    private let associatedData: UnsafeMutableRawBufferPointer
    private let sealed: UnsafeMutableRawBufferPointer
    private let opened: UnsafeMutableRawBufferPointer
    /// The C path's nonce: 4 zero bytes, then the counter big-endian (Noise, section 12.4), as `AESGCMNonce` makes it.
    private let nonce: UnsafeMutableRawBufferPointer
    private var counter: UInt64 = 0

    init() {
        let keyBytes = (0..<SymmetricKey.length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        cipher = AES256GCM(key: try! SymmetricKey(bytes: keyBytes))
        guard let seal = EVP_CIPHER_CTX_new(), let open = EVP_CIPHER_CTX_new() else {
            preconditionFailure("EVP_CIPHER_CTX_new failed")
        }
        sealContext = seal
        openContext = open
        keyBytes.withUnsafeBufferPointer { key in
            precondition(EVP_EncryptInit_ex(seal, EVP_aes_256_gcm(), nil, nil, nil) == 1)
            precondition(copenssl_gcm_set_ivlen(seal, 12) == 1)
            precondition(EVP_EncryptInit_ex(seal, nil, nil, key.baseAddress, nil) == 1)
            precondition(EVP_DecryptInit_ex(open, EVP_aes_256_gcm(), nil, nil, nil) == 1)
            precondition(copenssl_gcm_set_ivlen(open, 12) == 1)
            precondition(EVP_DecryptInit_ex(open, nil, nil, key.baseAddress, nil) == 1)
        }
        plaintext = .allocate(byteCount: Self.packetLength, alignment: 16)
        associatedData = .allocate(byteCount: Self.associatedDataLength, alignment: 16)
        sealed = .allocate(byteCount: Self.packetLength + Self.tagLength, alignment: 16)
        opened = .allocate(byteCount: Self.packetLength, alignment: 16)
        nonce = .allocate(byteCount: 12, alignment: 16)
        for index in plaintext.indices { plaintext[index] = UInt8(truncatingIfNeeded: index) }
        for index in associatedData.indices { associatedData[index] = UInt8(truncatingIfNeeded: 0xA0 + index) }
        nonce.initializeMemory(as: UInt8.self, repeating: 0)
        checkBothPathsAgree()
    }

    deinit {
        EVP_CIPHER_CTX_free(sealContext)
        EVP_CIPHER_CTX_free(openContext)
        for buffer in [plaintext, associatedData, sealed, opened, nonce] { buffer.deallocate() }
    }

    /// Seals the packet and opens it again through `AES256GCM`.
    @inline(__always)
    func sealAndOpenWithWrapper() {
        counter &+= 1
        let nonce = AESGCMNonce(counter: counter)
        let aad = UnsafeRawBufferPointer(associatedData)
        cipher.seal(UnsafeRawBufferPointer(plaintext), nonce: nonce, authenticating: aad, into: sealed)
        let length = try? cipher.open(UnsafeRawBufferPointer(sealed), nonce: nonce, authenticating: aad, into: opened)
        precondition(length == Self.packetLength, "AES256GCM.open failed on its own output")
    }

    /// Seals the packet and opens it again with the EVP calls `AES256GCM` makes.
    @inline(__always)
    func sealAndOpenWithOpenSSL() {
        counter &+= 1
        nonce.storeBytes(of: counter.bigEndian, toByteOffset: 4, as: UInt64.self)
        sealWithOpenSSL()
        precondition(openWithOpenSSL(), "EVP open failed on its own output")
    }

    @inline(__always)
    private func sealWithOpenSSL() {
        let iv = nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let aad = associatedData.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let input = plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let out = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        var ok = EVP_EncryptInit_ex(sealContext, nil, nil, nil, iv) == 1
        ok = ok && EVP_EncryptUpdate(sealContext, nil, &written, aad, Int32(Self.associatedDataLength)) == 1
        ok = ok && EVP_EncryptUpdate(sealContext, out, &written, input, Int32(Self.packetLength)) == 1
        var length = Int(written)
        ok = ok && EVP_EncryptFinal_ex(sealContext, out + length, &written) == 1
        length += Int(written)
        ok = ok && copenssl_gcm_get_tag(sealContext, Int32(Self.tagLength), out + length) == 1
        precondition(ok && length == Self.packetLength, "EVP seal failed")
    }

    @inline(__always)
    private func openWithOpenSSL() -> Bool {
        let iv = nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let aad = associatedData.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let input = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let out = opened.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        var ok = EVP_DecryptInit_ex(openContext, nil, nil, nil, iv) == 1
        ok = ok && EVP_DecryptUpdate(openContext, nil, &written, aad, Int32(Self.associatedDataLength)) == 1
        ok = ok && EVP_DecryptUpdate(openContext, out, &written, input, Int32(Self.packetLength)) == 1
        let length = Int(written)
        ok = ok && copenssl_gcm_set_tag(openContext, Int32(Self.tagLength), input + Self.packetLength) == 1
        precondition(ok, "EVP open failed before the tag check")
        return EVP_DecryptFinal_ex(openContext, out + length, &written) > 0
            && length + Int(written) == Self.packetLength
    }

    /// The two paths must compute the same thing, or the ratio means nothing: the wrapper's output opens on the C
    /// path, and the C path's output is byte-identical to the wrapper's for the same nonce.
    private func checkBothPathsAgree() {
        let nonce = AESGCMNonce(counter: 1)
        cipher.seal(
            UnsafeRawBufferPointer(plaintext), nonce: nonce, authenticating: UnsafeRawBufferPointer(associatedData),
            into: sealed)
        let wrapperOutput = Array(sealed)
        self.nonce.storeBytes(of: UInt64(1).bigEndian, toByteOffset: 4, as: UInt64.self)
        precondition(openWithOpenSSL(), "EVP cannot open what AES256GCM sealed")
        precondition(opened.elementsEqual(plaintext), "EVP opened AES256GCM's output to different bytes")
        sealWithOpenSSL()
        precondition(sealed.elementsEqual(wrapperOutput), "EVP and AES256GCM sealed the same packet differently")
    }
}
