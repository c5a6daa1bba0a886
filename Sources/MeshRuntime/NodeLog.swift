import Glibc
public import Logging
import MeshControl
public import MeshCore
import Synchronization

/// The node's structured log: JSON lines in `DATADIR/logs/node.log`, one object per record with the time, level,
/// category (the logger's label: `node`, `transport`, `membership`, `control`, `store`), message and metadata;
/// through swift-log, so any `Logger` can write to it.
///
/// - **Levels at run time**: each category's level is kept here, shared by every `Logger` of the category, and can
///   be changed while the node runs (`node.log_level` on the control socket).
/// - **Repeats are rate-limited**: within a 10-second window, a category writes the same message at most 10 times;
///   the rest are counted and reported in one `repeated` record when the window ends (a peer sending garbage in a
///   loop must not fill the disk).
/// - **Bounded on disk**: past 16 MiB the file is renamed `node.log.1` (older ones shift to `.2`, `.3`; the fourth
///   is dropped) and a new one started.
///
/// Writes go straight to the file descriptor (`O_APPEND`, one `write` per record), so a crash loses nothing that was
/// logged.
public final class NodeLog: Sendable {
    /// The categories the node logs under.
    public static let categories = ["node", "transport", "membership", "control", "store"]
    /// The file is rotated past this size by default.
    public static let defaultMaxFileBytes = 16 << 20
    /// The file is rotated past this size.
    public let maxFileBytes: Int
    /// Rotated files kept.
    public static let keptFiles = 3
    /// Identical messages written per category within a window before the rest are only counted.
    public static let repeatsPerWindow = 10
    /// The repeat window.
    public static let repeatWindow = Duration.seconds(10)

    /// The log file's path.
    public let path: String
    private struct State {
        var descriptor: Int32
        var size: Int
        var levels: [String: Logger.Level]
        var defaultLevel: Logger.Level
        var windowStart: Instant
        var counts: [String: Int] = [:]
        var suppressed: [String: (category: String, message: String, count: Int)] = [:]
    }
    private let state: Mutex<State>
    private let loggers = Mutex<[String: Logger]>([:])
    private let clock: @Sendable () -> Instant

    /// Opens (or creates, mode 0600) `directory/node.log`, creating `directory` (mode 0700) if needed.
    /// - Throws: `NodeLogError` naming the path and the system's reason.
    public init(
        directory: String, level: Logger.Level = .info, maxFileBytes: Int = NodeLog.defaultMaxFileBytes,
        clock: @escaping @Sendable () -> Instant
    ) throws(NodeLogError) {
        self.maxFileBytes = maxFileBytes
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw NodeLogError(path: directory, reason: String(cString: strerror(errno)))
        }
        path = directory + "/node.log"
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw NodeLogError(path: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        fstat(descriptor, &status)
        self.clock = clock
        state = Mutex(
            State(
                descriptor: descriptor, size: Int(status.st_size), levels: [:], defaultLevel: level,
                windowStart: clock()))
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
        }
    }

    /// The logger for `category` (made once per category: loggers share their levels through this log anyway).
    public func logger(_ category: String) -> Logger {
        if let made = loggers.withLock({ $0[category] }) { return made }
        let made = Logger(label: category) { label in Handler(log: self, category: label) }
        loggers.withLock { $0[category] = made }
        return made
    }

    /// The level of `category`.
    public func level(of category: String) -> Logger.Level {
        state.withLock { $0.levels[category] ?? $0.defaultLevel }
    }

    /// Sets the level of `category`, or of every category when nil.
    public func setLevel(_ level: Logger.Level, for category: String?) {
        state.withLock { state in
            if let category {
                state.levels[category] = level
            } else {
                state.defaultLevel = level
                state.levels = [:]
            }
        }
    }

    /// Writes the counts of repeats suppressed in the window that has ended, if it has (`force`: now, whatever the
    /// window, as at shutdown).
    public func flushRepeats(force: Bool = false) {
        write(category: "node", level: .info, message: "", metadata: [:], flushOnly: true, force: force)
    }

    fileprivate func write(
        category: String, level: Logger.Level, message: String, metadata: [String: JSONValue], flushOnly: Bool = false,
        force: Bool = false
    ) {
        let now = clock()
        state.withLock { state in
            if force || now - state.windowStart >= Self.repeatWindow {
                for (_, entry) in state.suppressed.sorted(by: { $0.key < $1.key }) {
                    append(
                        record(
                            now: now, level: .notice, category: entry.category, message: "repeated",
                            metadata: ["repeats": .integer(entry.count), "of": .string(entry.message)]),
                        state: &state)
                }
                state.suppressed = [:]
                state.counts = [:]
                state.windowStart = now
            }
            if flushOnly { return }
            let key = category + "\u{0}" + message
            let count = (state.counts[key] ?? 0) + 1
            state.counts[key] = count
            guard count <= Self.repeatsPerWindow else {
                state.suppressed[key, default: (category, message, 0)].count += 1
                return
            }
            append(
                record(now: now, level: level, category: category, message: message, metadata: metadata), state: &state)
        }
    }

    private func record(
        now: Instant, level: Logger.Level, category: String, message: String, metadata: [String: JSONValue]
    ) -> [UInt8] {
        var object: [String: JSONValue] = [:]
        for (key, value) in metadata {
            // Metadata never hides the record's own fields: a clashing key is kept under a prefix.
            object[["ts", "level", "category", "msg"].contains(key) ? "meta_" + key : key] = value
        }
        object["ts"] = .string(RFC3339.text(now))
        object["level"] = .string(level.rawValue)
        object["category"] = .string(category)
        object["msg"] = .string(message)
        var bytes = JSONValue.object(object).encoded
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private func append(_ bytes: [UInt8], state: inout State) {
        if state.size + bytes.count > maxFileBytes { rotate(state: &state) }
        // A reopen that failed (no descriptors left, a full disk) is retried with each record, not given up on.
        if state.descriptor < 0 { state.descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600) }
        guard state.descriptor >= 0 else { return }
        let written = bytes.withUnsafeBytes { Glibc.write(state.descriptor, $0.baseAddress, $0.count) }
        if written > 0 { state.size += written }
    }

    /// node.log → node.log.1 → … → node.log.3 (dropped), then a new node.log.
    private func rotate(state: inout State) {
        close(state.descriptor)
        for index in stride(from: Self.keptFiles, through: 1, by: -1) {
            let from = index == 1 ? path : "\(path).\(index - 1)"
            rename(from, "\(path).\(index)")
        }
        state.descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        state.size = 0
    }

    /// The swift-log handler: levels and writes go to the shared `NodeLog`.
    private struct Handler: LogHandler {
        /// Weak: the log keeps its loggers, so a strong reference here would keep the log (and its file) forever.
        /// A logger that outlives its log writes nothing.
        weak var log: NodeLog?
        let category: String
        var metadata: Logger.Metadata = [:]

        var logLevel: Logger.Level {
            get { log?.level(of: category) ?? .critical }
            set { log?.setLevel(newValue, for: category) }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged: [String: JSONValue] = [:]
            for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
                merged[key] = .string("\(value)")
            }
            if let error = event.error { merged["error"] = .string("\(error)") }
            log?.write(category: category, level: event.level, message: "\(event.message)", metadata: merged)
        }
    }
}

/// The log file or its folder could not be opened.
public struct NodeLogError: Error, Equatable, CustomStringConvertible {
    /// The path.
    public var path: String
    /// The system's reason.
    public var reason: String

    /// A sentence for the operator.
    public var description: String { "cannot open the log \(path): \(reason)" }
}
