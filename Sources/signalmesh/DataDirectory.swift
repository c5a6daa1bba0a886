import Foundation

/// A node's data directory (`~/.signalmesh/<network>/` by default) and the files in it that this build knows.
struct DataDirectory {
    /// The default network's directory name.
    static let defaultNetwork = "main"

    let path: String

    /// `path` with a leading `~` expanded; the default when `path` is nil.
    init(path: String?) throws(CLIFailure) {
        if let path {
            guard !path.isEmpty else { throw .usage("--datadir is empty; give a directory path") }
            self.path = try Self.expandTilde(path)
        } else {
            self.path = try Self.expandTilde("~/.signalmesh/\(Self.defaultNetwork)")
        }
    }

    /// The key file, `node.key`.
    var keyFile: String { path + "/node.key" }

    /// Creates the directory and its missing parents with mode 0700 (existing ones are left as they are).
    func create() throws(CLIFailure) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw .ioError("cannot create directory \(current): \(String(cString: strerror(errno)))")
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw .usage("\(path) exists and is not a directory")
        }
    }

    private static func expandTilde(_ path: String) throws(CLIFailure) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        guard let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else {
            throw .usage("HOME is not set, so \(path) cannot be expanded; pass --datadir with an absolute path")
        }
        return home + path.dropFirst()
    }
}
