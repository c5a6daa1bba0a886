internal import CSodium

/// Heap storage for secret bytes that is wiped with `sodium_memzero` when the last reference goes away.
///
/// A class so that copies of a key share one buffer and the wipe happens exactly once. Immutable after
/// initialisation, hence safe to share across threads.
final class SecretStorage: @unchecked Sendable {
    let count: Int
    private let pointer: UnsafeMutableRawPointer

    /// Zero-filled storage of `count` bytes, then filled by `body`.
    init(count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        do {
            try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        } catch {
            sodium_memzero(pointer, count)
            pointer.deallocate()
            throw error
        }
    }

    deinit {
        sodium_memzero(pointer, count)
        pointer.deallocate()
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Constant-time equality of contents.
    func constantTimeEquals(_ other: SecretStorage) -> Bool {
        count == other.count && sodium_memcmp(pointer, other.pointer, count) == 0
    }
}

/// Copies `bytes` into `buffer` (which holds exactly as many): arrays and slices in one `memcpy`, other
/// collections byte by byte.
func copyBytes(_ bytes: some Collection<UInt8>, into buffer: UnsafeMutableRawBufferPointer) {
    let copied: Void? = bytes.withContiguousStorageIfAvailable { buffer.copyMemory(from: UnsafeRawBufferPointer($0)) }
    if copied == nil { for (index, byte) in bytes.enumerated() { buffer[index] = byte } }
}
