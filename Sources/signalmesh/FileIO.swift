import Foundation

/// Reading and writing the non-secret files commands take and make (seed lists, signature files).
enum FileIO {
    /// The bytes of the file at `path`, refused when larger than `limit` (read no further than that).
    /// - Throws: `noInput` when the file does not exist, `corruptData` when it is too large, `ioError` otherwise.
    static func read(_ path: String, limit: Int, what: String) throws(CLIFailure) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if !FileManager.default.fileExists(atPath: path) { throw .noInput("no \(what) at \(path)") }
            throw .ioError("cannot open the \(what) \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let data: Data?
        do {
            data = try handle.read(upToCount: limit + 1)
        } catch {
            throw .ioError("cannot read the \(what) \(path): \(error.localizedDescription)")
        }
        let bytes = Array(data ?? Data())
        guard bytes.count <= limit else { throw .corruptData("the \(what) \(path) is larger than \(limit) bytes") }
        return bytes
    }

    /// Writes all of `bytes` to `descriptor` (retrying interrupted and short writes), then flushes it to disk; the
    /// failure, naming `path`, or nil. Shared by the files commands write and by the key store.
    static func writeAllAndSync(_ bytes: [UInt8], to descriptor: Int32, path: String) -> CLIFailure? {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .ioError("cannot write \(path): \(String(cString: strerror(errno)))") }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            return .ioError("cannot flush \(path) to disk: \(String(cString: strerror(errno)))")
        }
        return nil
    }

    /// Writes `bytes` to `path` through a temporary file that is flushed to disk and renamed over it, so a reader
    /// never sees half a file and a crash leaves the old one.
    static func writeAtomically(_ bytes: [UInt8], to path: String, what: String) throws(CLIFailure) {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .ioError("cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var failure = writeAllAndSync(bytes, to: descriptor, path: temporary)
        close(descriptor)
        if failure == nil && rename(temporary, path) != 0 {
            failure = .ioError("cannot write the \(what) to \(path): \(String(cString: strerror(errno)))")
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }
}
