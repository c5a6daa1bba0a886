import CBenchSodium
import MeshCore
import MeshCrypto

/// A 200-byte message signed and verified with Ed25519: through `MeshCrypto`'s key types, and through
/// `crypto_sign_detached` / `crypto_sign_verify_detached` on the same key bytes.
final class Ed25519Fixture {
    static let messageLength = 200

    private let privateKey: Ed25519PrivateKey
    private let publicKey: Ed25519PublicKey
    private let signature: Bytes64
    private let message: UnsafeMutableRawBufferPointer
    /// libsodium's 64-byte secret key (seed, then public key), the 32-byte public key and the message's signature.
    private let secretKeyBytes: UnsafeMutableRawBufferPointer
    private let publicKeyBytes: UnsafeMutableRawBufferPointer
    private let signatureBytes: UnsafeMutableRawBufferPointer

    init() {
        precondition(sodium_init() >= 0, "sodium_init failed")
        let seed = (0..<Ed25519PrivateKey.seedLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        privateKey = try! Ed25519PrivateKey(seed: seed)
        publicKey = privateKey.publicKey
        message = .allocate(byteCount: Self.messageLength, alignment: 16)
        for index in message.indices { message[index] = UInt8(truncatingIfNeeded: index &* 3) }
        signature = privateKey.signature(for: UnsafeRawBufferPointer(message))

        secretKeyBytes = .allocate(byteCount: 64, alignment: 16)
        publicKeyBytes = .allocate(byteCount: 32, alignment: 16)
        signatureBytes = .allocate(byteCount: 64, alignment: 16)
        seed.withUnsafeBufferPointer { seed in
            precondition(
                crypto_sign_seed_keypair(
                    publicKeyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    secretKeyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), seed.baseAddress!) == 0)
        }
        signature.withUnsafeBytes { signatureBytes.copyMemory(from: $0) }

        precondition(publicKey.rawValue.bytes.elementsEqual(publicKeyBytes), "public keys differ")
        let sodiumSignature = withUnsafeBytes(of: signWithSodium().storage) { Array($0) }
        precondition(sodiumSignature == signature.bytes, "libsodium and Ed25519PrivateKey signed differently")
        precondition(verifyWithWrapper() && verifyWithSodium(), "the signature does not verify")
    }

    deinit {
        sodium_memzero(secretKeyBytes.baseAddress, secretKeyBytes.count)
        for buffer in [message, secretKeyBytes, publicKeyBytes, signatureBytes] { buffer.deallocate() }
    }

    @inline(__always)
    func signWithWrapper() -> Bytes64 {
        privateKey.signature(for: UnsafeRawBufferPointer(message))
    }

    /// The signature as 64 inline bytes, returned by value as `Bytes64` is.
    @inline(__always)
    func signWithSodium() -> InlineSignature {
        var signature = InlineSignature()
        let result = withUnsafeMutableBytes(of: &signature.storage) { out in
            crypto_sign_detached(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
                message.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(Self.messageLength),
                secretKeyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        precondition(result == 0, "crypto_sign_detached failed")
        return signature
    }

    @inline(__always)
    func verifyWithWrapper() -> Bool {
        publicKey.isValidSignature(signature, for: UnsafeRawBufferPointer(message))
    }

    @inline(__always)
    func verifyWithSodium() -> Bool {
        crypto_sign_verify_detached(
            signatureBytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
            message.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(Self.messageLength),
            publicKeyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
    }
}

/// A 64-byte signature held inline, as `Bytes64` holds one (a nominal type, so `blackHole` finds its metadata
/// statically, as it does `Bytes64`'s, rather than instantiating a tuple type's).
struct InlineSignature {
    var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}
