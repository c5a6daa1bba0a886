import MeshCore
import MeshCrypto

/// A Noise SymmetricState (Noise spec, section 5.2) for SHA256: chaining key `ck`, handshake hash `h`, and the
/// CipherState the handshake encrypts with.
struct NoiseSymmetricState {
    /// Secret: wiped when released, like every `SymmetricKey`.
    private var chainingKey: SymmetricKey
    private(set) var handshakeHash: Bytes32
    private(set) var cipher = NoiseCipherState()

    /// InitializeSymmetric(protocol_name): `h` is the name padded with zeros to 32 bytes, or its hash if longer.
    init(protocolName: String) {
        self.init(initial: Self.initialValues(protocolName: protocolName))
    }

    /// The state InitializeSymmetric leaves: `ck` and `h` (see `initialValues`).
    init(initial: (chainingKey: SymmetricKey, handshakeHash: Bytes32)) {
        chainingKey = initial.chainingKey
        handshakeHash = initial.handshakeHash
    }

    /// `ck` and `h` after InitializeSymmetric(protocol_name), for callers that compute them once per protocol.
    static func initialValues(protocolName: String) -> (chainingKey: SymmetricKey, handshakeHash: Bytes32) {
        let name = Array(protocolName.utf8)
        let initial =
            name.count <= SHA256.digestLength
            ? Bytes32(name + [UInt8](repeating: 0, count: SHA256.digestLength - name.count))!
            : SHA256.hash(name)
        return (try! SymmetricKey(bytes: initial.bytes), initial)
    }

    /// MixHash(data): h = HASH(h || data).
    mutating func mixHash(_ data: [UInt8]) {
        var hasher = SHA256()
        handshakeHash.withUnsafeBytes { hasher.update($0) }
        hasher.update(data)
        handshakeHash = hasher.finalize()
    }

    /// MixKey(input_key_material): ck, temp_k = HKDF(ck, ikm, 2); the cipher is keyed with temp_k.
    mutating func mixKey(_ inputKeyMaterial: SymmetricKey) {
        let (nextChainingKey, key) = Self.hkdf2(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial)
        chainingKey = nextChainingKey
        cipher.initializeKey(key)
    }

    /// EncryptAndHash(plaintext).
    mutating func encryptAndHash(_ plaintext: [UInt8]) -> [UInt8] {
        let ciphertext = cipher.encrypt(plaintext, associatedData: handshakeHash.bytes)
        mixHash(ciphertext)
        return ciphertext
    }

    /// DecryptAndHash(ciphertext).
    mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let plaintext = try cipher.decrypt(ciphertext, associatedData: handshakeHash.bytes)
        mixHash(ciphertext)
        return plaintext
    }

    /// Split(): the two transport keys, initiator-to-responder first.
    func split() -> (initiatorToResponder: SymmetricKey, responderToInitiator: SymmetricKey) {
        chainingKey.withUnsafeBytes { ck in
            Self.derivePair(salt: ck, inputKeyMaterial: UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    /// HKDF(ck, ikm, 2) of the Noise spec (section 4.3), which is RFC 5869 HKDF with salt `ck` and empty info.
    private static func hkdf2(chainingKey: SymmetricKey, inputKeyMaterial: SymmetricKey) -> (SymmetricKey, SymmetricKey)
    {
        chainingKey.withUnsafeBytes { ck in
            inputKeyMaterial.withUnsafeBytes { ikm in derivePair(salt: ck, inputKeyMaterial: ikm) }
        }
    }

    /// Two 32-byte keys from one 64-byte HKDF output, which passes through a stack buffer that is wiped after.
    private static func derivePair(
        salt: UnsafeRawBufferPointer, inputKeyMaterial: UnsafeRawBufferPointer
    ) -> (SymmetricKey, SymmetricKey) {
        withUnsafeTemporaryAllocation(byteCount: 2 * SymmetricKey.length, alignment: 8) { output in
            defer { output.initializeMemory(as: UInt8.self, repeating: 0) }
            HKDF.deriveKey(
                inputKeyMaterial: inputKeyMaterial, salt: salt, info: UnsafeRawBufferPointer(start: nil, count: 0),
                into: output)
            let bytes = UnsafeRawBufferPointer(output)
            return (
                try! SymmetricKey(copying: UnsafeRawBufferPointer(rebasing: bytes[0..<SymmetricKey.length])),
                try! SymmetricKey(copying: UnsafeRawBufferPointer(rebasing: bytes[SymmetricKey.length...]))
            )
        }
    }
}
