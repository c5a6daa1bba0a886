public import MeshCore

/// A 32-byte secret: an AES-256 key, a Diffie-Hellman result, a chaining key. Wiped when released, never printed,
/// compared in constant time.
public struct SymmetricKey: Sendable, Equatable {
    /// Bytes in a key.
    public static let length = 32

    private let secret: SecretStorage

    /// A key with these exactly 32 bytes.
    /// - Throws: `invalidKeyLength` for any other length.
    public init(bytes: some Collection<UInt8>) throws(CryptoError) {
        guard bytes.count == Self.length else { throw .invalidKeyLength(expected: Self.length, actual: bytes.count) }
        secret = SecretStorage(count: Self.length) { raw in
            copyBytes(bytes, into: raw)
        }
    }

    /// A key with the exactly 32 bytes at `bytes`. Not generic, unlike `init(bytes:)`, so that callers in other
    /// modules (the Noise handshake derives ten keys per handshake) run it without unspecialised generic code.
    /// - Throws: `invalidKeyLength` for any other length.
    public init(copying bytes: UnsafeRawBufferPointer) throws(CryptoError) {
        guard bytes.count == Self.length else { throw .invalidKeyLength(expected: Self.length, actual: bytes.count) }
        secret = SecretStorage(count: Self.length) { raw in raw.copyMemory(from: bytes) }
    }

    /// A fresh random key from `random`.
    public init(using random: inout some RandomBytesSource) {
        secret = SecretStorage(count: Self.length) { random.fill($0) }
    }

    init(filling body: (UnsafeMutableRawBufferPointer) -> Void) {
        secret = SecretStorage(count: Self.length, body)
    }

    /// Calls `body` with the key bytes. Do not copy them anywhere that is not wiped afterwards.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try secret.withUnsafeBytes(body)
    }

    /// Constant-time equality.
    public static func == (lhs: SymmetricKey, rhs: SymmetricKey) -> Bool {
        lhs.secret.constantTimeEquals(rhs.secret)
    }
}

extension SymmetricKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A fixed text without the key bytes, so a key in a log line reveals nothing.
    public var description: String { "SymmetricKey(32 bytes, redacted)" }
    /// The same as `description`, so `debugPrint` does not reveal the key either.
    public var debugDescription: String { description }
    /// No children, so `dump` and debuggers show nothing of the key.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
