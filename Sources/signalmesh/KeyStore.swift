import Foundation
import MeshCrypto

/// Reads and writes `node.key` with the care a node's whole identity deserves: owner-only permissions checked
/// before the key is used, and writes that are atomic and durable (temporary file, fsync, link or rename, fsync
/// of the directory), so a crash never leaves a half-written key behind.
enum KeyStore {
    /// Loads the key at `path`, refusing a file that group or others can read (exit 77) or that is damaged (65).
    static func load(from path: String) throws(CLIFailure) -> Ed25519PrivateKey {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT {
                throw .noInput("no key file at \(path); create one with `signalmesh keygen`")
            }
            throw .ioError("cannot open key file \(path): \(reason)")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw .ioError("cannot stat key file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .usage("\(path) is not a regular file") }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw .permission(
                "key file \(path) can be read by group or others (mode \(String(mode, radix: 8))); "
                    + "the node refuses such a key. If it may have leaked, make a new one; otherwise: chmod 600 \(path)"
            )
        }
        if info.st_uid != geteuid() && geteuid() != 0 {
            throw .permission("key file \(path) belongs to user \(info.st_uid), not to you (\(geteuid()))")
        }
        var contents = [UInt8](repeating: 0, count: NodeKeyFile.maxSize + 1)
        var total = 0
        while total < contents.count {
            let count = contents.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + total, $0.count - total) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .ioError("cannot read key file \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            total += count
        }
        defer { contents.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        do {
            // Shrink in place (no copy of the secret is made); the defer above wipes the buffer.
            contents.removeLast(contents.count - total)
            return try NodeKeyFile.decode(contents)
        } catch {
            throw .corruptData("\(path): \(error.description)")
        }
    }

    /// Writes `key` to `path` with mode 0600. Without `replace`, an existing file is never touched.
    static func store(_ key: Ed25519PrivateKey, to path: String, replace: Bool) throws(CLIFailure) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(path).tmp-\(getpid())"
        var contents = NodeKeyFile.encode(key)
        defer { contents.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .ioError("cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var failure: CLIFailure?
        // fchmod: the process umask may have removed bits from 0600, never added; make the mode exact.
        if fchmod(descriptor, 0o600) != 0 {
            failure = .ioError("cannot set mode 0600 on \(temporary): \(String(cString: strerror(errno)))")
        }
        if failure == nil { failure = FileIO.writeAllAndSync(contents, to: descriptor, path: temporary) }
        close(descriptor)
        if failure == nil {
            if replace {
                if rename(temporary, path) != 0 {
                    failure = .ioError("cannot move the new key into \(path): \(String(cString: strerror(errno)))")
                }
            } else if link(temporary, path) != 0 {
                // link(2) refuses to replace an existing name, so two racing keygens cannot overwrite each other.
                failure =
                    errno == EEXIST
                    ? .usage("\(path) already exists; pass --force to replace it (the old identity is lost)")
                    : .ioError("cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
        unlink(temporary)
        if let failure { throw failure }
        syncDirectory(directory)
    }

    /// Makes a new directory entry durable. Best effort: some file systems refuse fsync on directories.
    private static func syncDirectory(_ path: String) {
        let descriptor = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
