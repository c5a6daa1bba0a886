import CBenchOpenSSL
import MeshCore
import MeshCrypto

/// SHA-256 of 64 bytes: through `MeshCrypto.SHA256.hash`, and through the low-level SHA256_Init / SHA256_Update /
/// SHA256_Final that it wraps, on a context on the stack.
final class SHA256Fixture {
    static let inputLength = 64

    private let input: UnsafeMutableRawBufferPointer

    init() {
        input = .allocate(byteCount: Self.inputLength, alignment: 16)
        for index in input.indices { input[index] = UInt8(truncatingIfNeeded: index &* 5 &+ 11) }
        let openSSLDigest = withUnsafeBytes(of: hashWithOpenSSL().storage) { Array($0) }
        precondition(hashWithWrapper().bytes == openSSLDigest, "OpenSSL and SHA256.hash disagree")
    }

    deinit {
        input.deallocate()
    }

    @inline(__always)
    func hashWithWrapper() -> Bytes32 {
        SHA256.hash(UnsafeRawBufferPointer(input))
    }

    /// The digest as 32 inline bytes, returned by value as `Bytes32` is.
    @inline(__always)
    func hashWithOpenSSL() -> InlineDigest {
        var context = SHA256_CTX()
        var digest = InlineDigest()
        let initialised = SHA256_Init(&context)
        let updated = SHA256_Update(&context, input.baseAddress, Self.inputLength)
        let finalised = withUnsafeMutableBytes(of: &digest.storage) {
            SHA256_Final($0.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
        }
        precondition(initialised == 1 && updated == 1 && finalised == 1, "SHA256_* failed")
        return digest
    }
}

/// A 32-byte digest held inline, as `Bytes32` holds one (a nominal type, so that `blackHole` gets its metadata as
/// cheaply as `Bytes32`'s).
struct InlineDigest {
    var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
}
