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
        let name = Array(protocolName.utf8)
        let initial =
            name.count <= SHA256.digestLength
            ? Bytes32(name + [UInt8](repeating: 0, count: SHA256.digestLength - name.count))!
            : SHA256.hash(name)
        chainingKey = try! SymmetricKey(bytes: initial.bytes)
        handshakeHash = initial
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
        var output = [UInt8](repeating: 0, count: 64)
        chainingKey.withUnsafeBytes { ck in
            output.withUnsafeMutableBytes { out in
                HKDF.deriveKey(
                    inputKeyMaterial: UnsafeRawBufferPointer(start: nil, count: 0), salt: ck,
                    info: UnsafeRawBufferPointer(start: nil, count: 0), into: out)
            }
        }
        defer { output.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        return (try! SymmetricKey(bytes: output[0..<32]), try! SymmetricKey(bytes: output[32..<64]))
    }

    /// HKDF(ck, ikm, 2) of the Noise spec (section 4.3), which is RFC 5869 HKDF with salt `ck` and empty info.
    private static func hkdf2(chainingKey: SymmetricKey, inputKeyMaterial: SymmetricKey) -> (SymmetricKey, SymmetricKey)
    {
        var output = [UInt8](repeating: 0, count: 64)
        defer { output.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        chainingKey.withUnsafeBytes { ck in
            inputKeyMaterial.withUnsafeBytes { ikm in
                output.withUnsafeMutableBytes { out in
                    HKDF.deriveKey(
                        inputKeyMaterial: ikm, salt: ck, info: UnsafeRawBufferPointer(start: nil, count: 0), into: out)
                }
            }
        }
        return (try! SymmetricKey(bytes: output[0..<32]), try! SymmetricKey(bytes: output[32..<64]))
    }
}
