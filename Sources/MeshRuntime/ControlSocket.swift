internal import CLibUV
import Glibc
public import MeshControl
public import MeshCore

/// The control socket's libuv shell: a Unix stream socket at a path, owner-only, whose connections are passed to
/// callbacks as bytes in and taken as bytes out. The protocol (framing, JSON-RPC, events) is `ControlServer`'s; this
/// class moves bytes and checks who connects.
///
/// Who may connect: the file is created with mode 0600 inside the data directory, and each connection's peer
/// credentials (SO_PEERCRED) must name this process's user or root; anyone else is disconnected at once.
///
/// The thread that runs the loop owns the socket; every method is for that thread.
public final class ControlSocket {
    /// Called when a client connected (credentials already checked).
    public var onAccept: ((ControlConnectionID) -> Void)?
    /// Called with the bytes a client sent; the buffer is valid during the call only.
    public var onData: ((ControlConnectionID, UnsafeRawBufferPointer) -> Void)?
    /// Called when a client has sent all it will send (end of file on its side); the connection stays open for the
    /// answers still due until `close` is called.
    public var onInputEnded: ((ControlConnectionID) -> Void)?
    /// Called when `count` bytes written to a client have gone to the kernel.
    public var onWritten: ((ControlConnectionID, Int) -> Void)?
    /// Called when a connection is gone (closed by either side).
    public var onClosed: ((ControlConnectionID) -> Void)?
    /// Called when a connection is refused for its credentials, with the other end's user id if it could be read.
    public var onRefused: ((UInt32?) -> Void)?
    /// Connections refused for their credentials, since the start.
    public private(set) var refusedCredentials = 0

    /// The socket's path.
    public let path: String
    private let loop: EventLoop
    private let listener: UnsafeMutablePointer<uv_pipe_t>
    private var state = HandleState.open
    private var connections: [ControlConnectionID: Connection] = [:]
    private var nextID: UInt64 = 1
    /// Every read lands here: a read callback hands the bytes on before the next read can start.
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
    /// Set while `drain` waits for connections to finish writing.
    private var drainTimer: LoopTimer?

    /// One client connection: its handle (its data points at this object, retained until the close callback).
    private final class Connection {
        let id: ControlConnectionID
        let handle: UnsafeMutablePointer<uv_pipe_t>
        unowned let owner: ControlSocket
        var state = HandleState.open
        var shuttingDown = false

        init(id: ControlConnectionID, handle: UnsafeMutablePointer<uv_pipe_t>, owner: ControlSocket) {
            self.id = id
            self.handle = handle
            self.owner = owner
        }

        var stream: UnsafeMutablePointer<uv_stream_t> { cuv_pipe_as_stream(handle) }
    }

    /// One write in flight: the bytes stay here until libuv's callback.
    private final class WriteRequest {
        let connection: Connection
        let bytes: UnsafeMutableRawBufferPointer
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)

        init(connection: Connection, bytes: [UInt8]) {
            self.connection = connection
            self.bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            bytes.withUnsafeBytes { self.bytes.copyMemory(from: $0) }
        }

        deinit {
            bytes.deallocate()
            request.deallocate()
        }
    }

    /// Listens at `path`, replacing a stale socket left there by a crash (the caller holds the data directory's
    /// lock, so no live node owns it); any other kind of file there is refused.
    ///
    /// - Throws: `ControlSocketError` naming what was wrong with the path, or the libuv call that failed.
    public init(loop: EventLoop, path: String) throws(ControlSocketError) {
        guard path.utf8.count < cuv_unix_path_capacity() else {
            throw .pathTooLong(path: path, limit: cuv_unix_path_capacity() - 1)
        }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path: path) }
            guard unlink(path) == 0 else { throw .system(call: "unlink \(path)", errno: errno) }
        }
        // A client that goes away while the node writes to it must cost a failed write (EPIPE), not the process:
        // SIGPIPE's default action ends it, and libuv leaves the signal to the application.
        signal(SIGPIPE, SIG_IGN)
        let listener = UnsafeMutablePointer<uv_pipe_t>.allocate(capacity: 1)
        let initResult = uv_pipe_init(loop.uvLoop, listener, 0)
        guard initResult == 0 else {
            listener.deallocate()
            throw .libuv(call: "uv_pipe_init", code: initResult)
        }
        self.loop = loop
        self.listener = listener
        self.path = path
        uv_handle_set_data(cuv_pipe_as_handle(listener), Unmanaged.passRetained(self).toOpaque())
        // The socket file is created owner-only (no window in which others could connect), then fixed at 0600.
        let previousMask = umask(0o177)
        let bindResult = uv_pipe_bind(listener, path)
        umask(previousMask)
        guard bindResult == 0 else {
            closeListener()
            throw .libuv(call: "uv_pipe_bind \(path)", code: bindResult)
        }
        chmod(path, 0o600)
        let listenResult = uv_listen(cuv_pipe_as_stream(listener), 128) { server, status in
            let socket = Unmanaged<ControlSocket>.fromOpaque(uv_handle_get_data(cuv_stream_as_handle(server!)))
                .takeUnretainedValue()
            if status == 0 { socket.accept() }
        }
        guard listenResult == 0 else {
            closeListener()
            unlink(path)
            throw .libuv(call: "uv_listen", code: listenResult)
        }
    }

    /// Connections open now.
    public var connectionCount: Int { connections.count }

    /// Writes `bytes` to the connection (queued by libuv if the client is slow); nothing if it is gone or closing.
    public func write(_ bytes: [UInt8], to id: ControlConnectionID) {
        guard let connection = connections[id], connection.state == .open, !connection.shuttingDown, !bytes.isEmpty
        else { return }
        let write = WriteRequest(connection: connection, bytes: bytes)
        uv_req_set_data(
            UnsafeMutableRawPointer(write.request).assumingMemoryBound(to: uv_req_t.self),
            Unmanaged.passRetained(write).toOpaque())
        var buffer = uv_buf_init(write.bytes.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        let result = uv_write(write.request, connection.stream, &buffer, 1) { request, status in
            let write = Unmanaged<WriteRequest>.fromOpaque(
                uv_req_get_data(UnsafeMutableRawPointer(request!).assumingMemoryBound(to: uv_req_t.self))
            ).takeRetainedValue()
            let connection = write.connection
            if status == 0 {
                connection.owner.onWritten?(connection.id, write.bytes.count)
            } else if status != UV_ECANCELED.rawValue {
                connection.owner.closeNow(connection)
            }
        }
        if result != 0 {
            Unmanaged<WriteRequest>.fromOpaque(
                uv_req_get_data(UnsafeMutableRawPointer(write.request).assumingMemoryBound(to: uv_req_t.self))
            ).release()
            closeNow(connection)
        }
    }

    /// Closes the connection after what was written to it has gone out.
    public func close(_ id: ControlConnectionID) {
        guard let connection = connections[id] else { return }
        shutDown(connection)
    }

    /// Closes the connection now; what it has not read is discarded.
    public func abort(_ id: ControlConnectionID) {
        guard let connection = connections[id] else { return }
        closeNow(connection)
    }

    /// Stops listening, removes the socket file, and lets each connection finish writing for up to `timeout`
    /// (running the loop meanwhile) before closing it. Call it from outside `loop.run()`, before `loop.close()`.
    public func drain(timeout: Duration = .seconds(2)) {
        closeListener()
        unlink(path)
        guard !connections.isEmpty else { return }
        for connection in connections.values { shutDown(connection) }
        drainTimer = try? LoopTimer(loop: loop) { [unowned self] in
            for connection in Array(self.connections.values) { self.closeNow(connection) }
        }
        drainTimer?.arm(at: loop.now + timeout)
        loop.run()  // returns when the last connection closed (`didClose` stops it)
        drainTimer?.close()
        drainTimer = nil
    }

    // MARK: libuv callbacks

    private func accept() {
        let handle = UnsafeMutablePointer<uv_pipe_t>.allocate(capacity: 1)
        guard uv_pipe_init(loop.uvLoop, handle, 0) == 0 else {
            handle.deallocate()
            return
        }
        let connection = Connection(id: ControlConnectionID(nextID), handle: handle, owner: self)
        nextID += 1
        uv_handle_set_data(cuv_pipe_as_handle(handle), Unmanaged.passRetained(connection).toOpaque())
        connections[connection.id] = connection
        guard uv_accept(cuv_pipe_as_stream(listener), connection.stream) == 0 else {
            closeNow(connection, report: false)
            return
        }
        let (allowed, uid) = credentials(of: connection)
        guard allowed else {
            refusedCredentials += 1
            onRefused?(uid)
            closeNow(connection, report: false)
            return
        }
        onAccept?(connection.id)
        // The accept callback may have closed it (the server's connection limit).
        guard connection.state == .open, !connection.shuttingDown else { return }
        uv_read_start(
            connection.stream,
            { handle, _, buffer in
                let connection = Unmanaged<Connection>.fromOpaque(uv_handle_get_data(handle!)).takeUnretainedValue()
                let storage = connection.owner.readBuffer
                buffer!.pointee = uv_buf_init(
                    storage.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(storage.count))
            },
            { stream, count, _ in
                let connection = Unmanaged<Connection>.fromOpaque(uv_handle_get_data(cuv_stream_as_handle(stream!)))
                    .takeUnretainedValue()
                if count > 0 {
                    let bytes = UnsafeRawBufferPointer(rebasing: connection.owner.readBuffer[..<count])
                    connection.owner.onData?(connection.id, bytes)
                } else if count == Int(cuv_eof()) {
                    // The client finished sending (it may have half-closed): answers still due go out first, so the
                    // owner decides when to close (`onInputEnded`); without one, close once the writes are done.
                    uv_read_stop(connection.stream)
                    if let onInputEnded = connection.owner.onInputEnded {
                        onInputEnded(connection.id)
                    } else {
                        connection.owner.shutDown(connection)
                    }
                } else if count < 0 {
                    connection.owner.closeNow(connection)  // a read error
                }
            })
    }

    /// Whether the process at the other end runs as this process's user (or as root), and its user id.
    private func credentials(of connection: Connection) -> (allowed: Bool, uid: UInt32?) {
        var descriptor: uv_os_fd_t = -1
        guard uv_fileno(cuv_pipe_as_handle(connection.handle), &descriptor) == 0 else { return (false, nil) }
        var credentials = cuv_peer_credentials()
        guard cuv_peer_credentials_get(descriptor, &credentials) == 0 else { return (false, nil) }
        return (credentials.uid == geteuid() || credentials.uid == 0, credentials.uid)
    }

    private func shutDown(_ connection: Connection) {
        guard connection.state == .open, !connection.shuttingDown else { return }
        connection.shuttingDown = true
        uv_read_stop(connection.stream)
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        uv_req_set_data(
            UnsafeMutableRawPointer(request).assumingMemoryBound(to: uv_req_t.self),
            Unmanaged.passUnretained(connection).toOpaque())
        let result = uv_shutdown(request, connection.stream) { request, _ in
            let connection = Unmanaged<Connection>.fromOpaque(
                uv_req_get_data(UnsafeMutableRawPointer(request!).assumingMemoryBound(to: uv_req_t.self))
            ).takeUnretainedValue()
            request!.deallocate()
            connection.owner.closeNow(connection)
        }
        if result != 0 {
            request.deallocate()
            closeNow(connection)
        }
    }

    private func closeNow(_ connection: Connection, report: Bool = true) {
        guard connection.state == .open else { return }
        connection.state = .closing
        uv_close(cuv_pipe_as_handle(connection.handle)) { handle in
            let connection = Unmanaged<Connection>.fromOpaque(uv_handle_get_data(handle!)).takeRetainedValue()
            connection.state = .closed
            connection.handle.deallocate()
            connection.owner.didClose(connection)
        }
        if report { onClosed?(connection.id) }
    }

    private func didClose(_ connection: Connection) {
        connections[connection.id] = nil
        if connections.isEmpty, drainTimer != nil { loop.stop() }
        if connections.isEmpty, state == .closed { readBuffer.deallocate() }
    }

    private func closeListener() {
        guard state == .open else { return }
        state = .closing
        uv_close(cuv_pipe_as_handle(listener)) { handle in
            let socket = Unmanaged<ControlSocket>.fromOpaque(uv_handle_get_data(handle!)).takeRetainedValue()
            socket.listener.deallocate()
            socket.state = .closed
            if socket.connections.isEmpty { socket.readBuffer.deallocate() }
        }
    }
}

/// Why the control socket could not be set up.
public enum ControlSocketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path does not fit in a Unix socket address.
    case pathTooLong(path: String, limit: Int)
    /// Something other than a socket is at the path.
    case notASocket(path: String)
    /// A system call failed.
    case system(call: String, errno: Int32)
    /// A libuv call failed.
    case libuv(call: String, code: Int32)

    /// A sentence for the operator.
    public var description: String {
        switch self {
        case .pathTooLong(let path, let limit):
            "the control socket path \(path) is \(path.utf8.count) bytes; Unix sockets allow at most \(limit): "
                + "use a shorter data directory"
        case .notASocket(let path):
            "\(path) exists and is not a socket; move it aside so the node can create its control socket there"
        case .system(let call, let code):
            "\(call) failed: \(String(cString: strerror(code)))"
        case .libuv(let call, let code):
            "\(call) failed: \(String(cString: uv_strerror(code))) (\(String(cString: uv_err_name(code))))"
        }
    }
}
