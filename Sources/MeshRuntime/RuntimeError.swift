internal import CLibUV
public import MeshCore

/// What the operating system can refuse the runtime shell: a socket it cannot bind, a loop it cannot set up.
public enum RuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A libuv call failed; `code` is libuv's negative error number.
    case libuv(call: String, code: Int32)
    /// A UDP socket could not be bound to `address`; `code` is libuv's negative error number.
    case bindFailed(address: SocketAddress, code: Int32)
    /// `EventLoop.close()` was called while `count` handles (sockets, timers, signal watchers) were still open.
    case handlesStillOpen(count: Int)

    /// libuv's message and error name, with advice for the usual bind failures (port in use, address not configured,
    /// privileged port).
    public var description: String {
        switch self {
        case .libuv(let call, let code):
            "\(call) failed: \(Self.explain(code))"
        case .bindFailed(let address, let code):
            "cannot bind a UDP socket to \(address): \(Self.explain(code))" + Self.bindAdvice(code)
        case .handlesStillOpen(let count):
            "the event loop still has \(count) open handle(s); close every socket, timer and signal watcher first"
        }
    }

    /// libuv's message and symbolic name, e.g. `address already in use (EADDRINUSE)`.
    private static func explain(_ code: Int32) -> String {
        "\(String(cString: uv_strerror(code))) (\(String(cString: uv_err_name(code))))"
    }

    private static func bindAdvice(_ code: Int32) -> String {
        switch String(cString: uv_err_name(code)) {
        case "EADDRINUSE": "; another socket holds that port: choose another port, or 0 for an ephemeral one"
        case "EADDRNOTAVAIL": "; that address is not configured on this host"
        case "EACCES": "; ports below 1024 need privileges: choose a port of 1024 or more"
        default: ""
        }
    }
}
