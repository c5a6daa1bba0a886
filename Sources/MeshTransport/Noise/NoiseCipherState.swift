import MeshCore
import MeshCrypto

/// A Noise CipherState (Noise spec, section 5.1) for AESGCM: a key, once one is set, and a 64-bit nonce counter.
struct NoiseCipherState {
    private var cipher: AES256GCM?
    private(set) var nonce: UInt64 = 0

    /// Whether a key has been set (before that, EncryptWithAd and DecryptWithAd pass data through).
    var hasKey: Bool { cipher != nil }

    /// InitializeKey(k): sets the key and resets the nonce.
    mutating func initializeKey(_ key: SymmetricKey) {
        cipher = AES256GCM(key: key)
        nonce = 0
    }

    /// EncryptWithAd(ad, plaintext).
    mutating func encrypt(_ plaintext: [UInt8], associatedData: [UInt8]) -> [UInt8] {
        guard let cipher else { return plaintext }
        // The handshake encrypts at most three fields; a nonce of 2^64 - 1 is unreachable here.
        let sealed = cipher.seal(plaintext, nonce: AESGCMNonce(counter: nonce), authenticating: associatedData)
        nonce += 1
        return sealed
    }

    /// DecryptWithAd(ad, ciphertext).
    mutating func decrypt(_ ciphertext: [UInt8], associatedData: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let cipher else { return ciphertext }
        do {
            let plaintext = try cipher.open(
                ciphertext, nonce: AESGCMNonce(counter: nonce), authenticating: associatedData)
            nonce += 1
            return plaintext
        } catch {
            throw .decryptionFailed
        }
    }
}
