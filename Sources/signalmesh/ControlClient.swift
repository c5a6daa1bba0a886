import ArgumentParser
import Foundation
import MeshControl

/// The options of the commands that talk to a running node through its control socket.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The node's data directory (default: SIGNALMESH_DATADIR, or ~/.signalmesh/NETWORK).")
    var datadir: String?

    @Option(
        name: .long,
        help: "The node's network, for the default data directory (default: SIGNALMESH_NETWORK, or main).")
    var network: String?

    @Option(name: .long, help: "The control socket's path (default: DATADIR/control.sock).")
    var socket: String?

    @Option(name: .long, help: "Seconds to wait for the node to answer (default 10).")
    var timeout: Double = 10

    @Flag(name: .long, help: "Print JSON, for scripts.")
    var json = false

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds")
        }
    }

    /// The socket path these options name.
    func socketPath() throws(CLIFailure) -> String {
        if let socket { return socket }
        let environment = NodeOptions.environment
        let network = network ?? environment["SIGNALMESH_NETWORK"] ?? DataDirectory.defaultNetwork
        let path = datadir ?? environment["SIGNALMESH_DATADIR"] ?? "~/.signalmesh/\(network)"
        return try DataDirectory(path: path).controlSocketFile
    }

    /// A client connected to the node.
    func connect() throws(CLIFailure) -> ControlClient {
        try ControlClient(path: socketPath(), timeout: timeout)
    }

    /// Prints a call's `result`: as JSON with `--json`, else as `text` for people.
    func report(_ result: JSONValue, _ text: @autoclosure () -> String) {
        Output.line(json ? result.line : text())
    }
}

/// A blocking JSON-RPC client of the control socket (`Specs/control-api.md`): one request at a time, answers matched
/// by id, event notifications that arrive in between kept for `nextNotification`.
final class ControlClient {
    private let descriptor: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private var nextID: Int64 = 1
    private var notifications: [JSONValue] = []
    /// The longest line the client accepts from the node (a `metrics.get` or a big `peers.list` fits easily).
    static let maxLine = 16 << 20

    /// Connects to the socket at `path`; every failure says what to do.
    init(path: String, timeout: Double) throws(CLIFailure) {
        self.path = path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            throw .usage("the socket path \(path) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
        }
        descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .osError("socket(): \(String(cString: strerror(errno)))") }
        // At least 1 µs: a zero timeval would mean no limit at all.
        var wait = timeval(tv_sec: Int(timeout), tv_usec: max(Int((timeout - timeout.rounded(.down)) * 1e6), 1))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(descriptor)
            switch code {
            case ENOENT:
                throw .unavailable("no node is running here: \(path) does not exist (start one with `signalmesh run`)")
            case ECONNREFUSED:
                throw .unavailable("\(path) exists but no node answers on it (a node that was killed?)")
            case EACCES, EPERM:
                throw .permission("not allowed to connect to \(path): it belongs to another user")
            default:
                throw .osError("cannot connect to \(path): \(String(cString: strerror(code)))")
            }
        }
    }

    deinit { Glibc.close(descriptor) }

    /// Calls `method` and returns its result.
    /// - Throws: `CLIFailure` for an error answer (exit 1, with the node's message), a node that went away or did
    ///   not answer in time.
    func call(_ method: String, _ params: JSONValue? = nil) throws(CLIFailure) -> JSONValue {
        let id = nextID
        nextID += 1
        var request: [String: JSONValue] = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method)]
        if let params { request["params"] = params }
        try send(JSONValue.object(request).encoded + [UInt8(ascii: "\n")])
        while true {
            let message = try readMessage()
            if message["id"] == nil {
                if notifications.count < 100_000 { notifications.append(message) }
                continue
            }
            // An error the node could not tie to a request (a line it could not parse, a connection it refused).
            if message["id"] == .null, let error = message["error"] {
                let text: String
                if case .string(let value)? = error["message"] { text = value } else { text = "an error" }
                throw .noAnswer("the node answered: \(text)")
            }
            guard message["id"] == .int(id) else { continue }
            if let error = message["error"] {
                let text: String
                if case .string(let value)? = error["message"] { text = value } else { text = "an error" }
                throw .noAnswer("\(method): \(text)")
            }
            return message["result"] ?? .null
        }
    }

    /// The next notification (an event of a subscription), waiting for it; nil when the node closed the connection.
    func nextNotification() throws(CLIFailure) -> JSONValue? {
        if !notifications.isEmpty { return notifications.removeFirst() }
        do {
            return try readMessage()
        } catch {
            if case .closed = closedState { return nil }
            throw error
        }
    }

    /// Waits for the node without a time limit from now on (for following events, which may be rare).
    func waitWithoutLimit() {
        var forever = timeval(tv_sec: 0, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &forever, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Whether a line can be read without waiting longer than `milliseconds`.
    func waitReadable(milliseconds: Int32) -> Bool {
        if !notifications.isEmpty || buffer.contains(UInt8(ascii: "\n")) { return true }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    private enum ClosedState { case open, closed }
    private var closedState = ClosedState.open

    private func send(_ bytes: [UInt8]) throws(CLIFailure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .unavailable("the node at \(path) closed the connection: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    private func readMessage() throws(CLIFailure) -> JSONValue {
        let line = try readLine()
        do {
            return try JSONValue(parsing: line)
        } catch {
            throw .software(
                "the node sent a line that is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
    }

    private func readLine() throws(CLIFailure) -> [UInt8] {
        var searched = 0  // bytes already known to hold no newline: each read is searched once
        while true {
            if let newline = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            searched = buffer.count
            guard buffer.count <= Self.maxLine else {
                throw .software("the node sent a line over \(Self.maxLine) bytes")
            }
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            let count = chunk.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[..<count]
            } else if count == 0 {
                closedState = .closed
                throw .unavailable("the node at \(path) closed the connection")
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw .noAnswer("the node at \(path) did not answer in time (--timeout)")
            } else {
                throw .unavailable("reading from \(path) failed: \(String(cString: strerror(errno)))")
            }
        }
    }
}

extension JSONValue {
    /// The value as text for a table cell: strings bare, null as `-`, other values as JSON.
    var cell: String {
        switch self {
        case .string(let text): text
        case .null: "-"
        case .int(let value): String(value)
        case .double(let value): String(format: "%.3f", value)
        case .bool(let value): value ? "yes" : "no"
        default: String(decoding: encoded, as: UTF8.self)
        }
    }

    /// The value as compact JSON on one line (for `--json`).
    var line: String { String(decoding: encoded, as: UTF8.self) }

    /// The array's elements, or none.
    var elements: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}
