import MeshCore

/// A peer to contact: its node id and where it listens, written `<node-id>@<host:port>`.
struct PeerAddress {
    let id: NodeID
    let address: SocketAddress

    /// Parses `sm1…@127.0.0.1:9000` or `sm1…@[::1]:9000`; every mistake is a usage error that says which part is
    /// wrong.
    init(text: String) throws(CLIFailure) {
        guard let at = text.firstIndex(of: "@") else {
            throw .usage("'\(text)' is not <node-id>@<host:port>; write e.g. sm1…@127.0.0.1:9000 or sm1…@[::1]:9000")
        }
        do {
            id = try NodeID(text: String(text[..<at]))
        } catch {
            throw .usage("the node id before '@' is wrong: \(error.description)")
        }
        do {
            address = try SocketAddress(text: String(text[text.index(after: at)...]))
        } catch {
            throw .usage("the address after '@' is wrong: \(error.description)")
        }
    }
}
