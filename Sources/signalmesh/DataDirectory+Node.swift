import Foundation
import MeshCore
import MeshMembership

/// The files `signalmesh run` keeps in the data directory besides `node.key`.
extension DataDirectory {
    /// The version of the data directory's layout this build writes and reads.
    static let layoutVersion = 1

    /// `LOCK`: held (flock) by the node using the directory.
    var lockFile: String { path + "/LOCK" }
    /// `VERSION`: the layout version, one line.
    var versionFile: String { path + "/VERSION" }
    /// `peers.sqlite`: the peer store (known peers and bans).
    var peerStoreFile: String { path + "/peers.sqlite" }
    /// The control socket, `control.sock` (Specs/control-api.md).
    var controlSocketFile: String { path + "/control.sock" }
    /// `seedlist.accepted`: the seq and SHA-256 of the seed list accepted last.
    var acceptedSeedListFile: String { path + "/seedlist.accepted" }

    /// Writes `VERSION` if it is missing; refuses a directory of a layout this build does not know (exit 65).
    func checkVersion() throws(CLIFailure) {
        guard FileManager.default.fileExists(atPath: versionFile) else {
            try FileIO.writeAtomically(Array("\(Self.layoutVersion)\n".utf8), to: versionFile, what: "VERSION file")
            return
        }
        let text = String(decoding: try FileIO.read(versionFile, limit: 64, what: "VERSION file"), as: UTF8.self)
        guard let version = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .corruptData("\(versionFile) does not hold a version number: '\(text.prefix(20))'")
        }
        guard version == Self.layoutVersion else {
            throw .corruptData(
                "\(path) has data directory version \(version); this signalmesh reads version \(Self.layoutVersion)")
        }
    }

    /// The accepted seed list's state, nil before the first one.
    func acceptedSeedList() throws(CLIFailure) -> AcceptedSeedList? {
        guard FileManager.default.fileExists(atPath: acceptedSeedListFile) else { return nil }
        let text = String(
            decoding: try FileIO.read(acceptedSeedListFile, limit: 1024, what: "accepted seed list state"),
            as: UTF8.self)
        var seq: UInt64?
        var digest: Bytes32?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2 else { continue }
            switch fields[0] {
            case "seq": seq = UInt64(fields[1])
            case "sha256": digest = (try? Hex.decode(String(fields[1]))).flatMap { Bytes32($0) }
            default: continue
            }
        }
        guard let seq, let digest else {
            throw .corruptData("\(acceptedSeedListFile) is damaged; remove it to accept any seed list again")
        }
        return AcceptedSeedList(seq: seq, digest: digest)
    }

    /// Records `accepted` as the seed list accepted last.
    func storeAcceptedSeedList(_ accepted: AcceptedSeedList) throws(CLIFailure) {
        let text = "seq \(accepted.seq)\nsha256 \(Hex.encode(accepted.digest.bytes))\n"
        try FileIO.writeAtomically(Array(text.utf8), to: acceptedSeedListFile, what: "accepted seed list state")
    }
}

/// The data directory's `LOCK`, held with `flock` for as long as the node runs: a second node on the same directory
/// is refused (exit 73) instead of corrupting it, and a crashed node's lock is released by the kernel, so no stale
/// lock ever needs deleting by hand.
final class DataDirectoryLock {
    private var descriptor: Int32

    init(directory: DataDirectory) throws(CLIFailure) {
        descriptor = open(directory.lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .ioError("cannot open \(directory.lockFile): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? FileIO.read(directory.lockFile, limit: 64, what: "LOCK")).map {
                String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            close(descriptor)
            throw .locked(
                "\(directory.path) is in use by another signalmesh node"
                    + (holder.map { $0.isEmpty ? "" : " (pid \($0))" } ?? ""))
        }
        // The holder's pid, for the message above; the lock itself is the flock, not the contents.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Releases the lock (also released by the kernel when the process ends).
    func release() {
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }
}
