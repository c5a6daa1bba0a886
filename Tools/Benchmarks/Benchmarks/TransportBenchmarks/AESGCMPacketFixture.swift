import MeshCore
import MeshCrypto

/// The raw crypto of one data packet: 1100 bytes sealed and opened again with `AES256GCM`'s buffer API, with the
/// 16-byte data-packet header as associated data and the next counter nonce, into buffers allocated here once. What
/// a packet would cost if the transport added nothing to its AEAD.
final class AESGCMPacketFixture {
    static let plaintextLength = 1100
    static let associatedDataLength = 16

    private let cipher: AES256GCM
    private let plaintext: UnsafeMutableRawBufferPointer
    private let associatedData: UnsafeMutableRawBufferPointer
    private let sealed: UnsafeMutableRawBufferPointer
    private let opened: UnsafeMutableRawBufferPointer
    private var counter: UInt64 = 0

    init() {
        var random = SeededRandomBytes(seed: 0x4145_5347_434d)
        cipher = AES256GCM(key: SymmetricKey(using: &random))
        plaintext = .allocate(byteCount: Self.plaintextLength, alignment: 16)
        associatedData = .allocate(byteCount: Self.associatedDataLength, alignment: 16)
        sealed = .allocate(byteCount: Self.plaintextLength + AES256GCM.tagLength, alignment: 16)
        opened = .allocate(byteCount: Self.plaintextLength, alignment: 16)
        random.fill(plaintext)
        random.fill(associatedData)
        sealAndOpen()
        precondition(opened.elementsEqual(plaintext), "AES256GCM opened its own output to different bytes")
    }

    deinit {
        for buffer in [plaintext, associatedData, sealed, opened] { buffer.deallocate() }
    }

    /// Seals the packet and opens it again.
    @inline(__always)
    func sealAndOpen() {
        counter &+= 1
        let nonce = AESGCMNonce(counter: counter)
        let aad = UnsafeRawBufferPointer(associatedData)
        cipher.seal(UnsafeRawBufferPointer(plaintext), nonce: nonce, authenticating: aad, into: sealed)
        let length = try? cipher.open(UnsafeRawBufferPointer(sealed), nonce: nonce, authenticating: aad, into: opened)
        precondition(length == Self.plaintextLength, "AES256GCM.open failed on its own output")
    }
}
