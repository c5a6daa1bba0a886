import MeshCore

/// Parsing of the addresses a command binds to: `host:port` or `[v6]:port`, where port 0 asks the kernel for a free
/// port (which `SocketAddress(text:)`, made for peers' addresses, refuses).
enum ListenAddress {
    /// 0.0.0.0:0, every IPv4 address of the host, on a port the kernel picks.
    static let anyIPv4 = SocketAddress.ipv4(0, port: 0)
    /// [::]:0, every IPv6 address of the host, on a port the kernel picks.
    static let anyIPv6 = SocketAddress.ipv6(.zero, port: 0)

    /// Parses `text`, given to `option`; a bad address is a usage error whose message names the option.
    static func parse(_ text: String, option: String = "--listen") throws(CLIFailure) -> SocketAddress {
        let asksForAnyPort = text.hasSuffix(":0")
        do {
            let address = try SocketAddress(text: asksForAnyPort ? String(text.dropLast()) + "1" : text)
            return asksForAnyPort ? address.withPort(0) : address
        } catch {
            throw .usage("\(option) \(text): \(error.description)")
        }
    }

    /// The wildcard address of `address`'s family, port 0: what a client binds when it is told nothing.
    static func any(sameFamilyAs address: SocketAddress) -> SocketAddress {
        switch address {
        case .ipv4: anyIPv4
        case .ipv6: anyIPv6
        }
    }
}

extension SocketAddress {
    /// The same host with another port.
    func withPort(_ port: UInt16) -> SocketAddress {
        switch self {
        case .ipv4(let host, _): .ipv4(host, port: port)
        case .ipv6(let host, _): .ipv6(host, port: port)
        }
    }

    /// Whether both are IPv4 or both are IPv6.
    func isSameFamily(as other: SocketAddress) -> Bool {
        switch (self, other) {
        case (.ipv4, .ipv4), (.ipv6, .ipv6): true
        case (.ipv4, .ipv6), (.ipv6, .ipv4): false
        }
    }

    /// "IPv4" or "IPv6".
    var familyName: String {
        switch self {
        case .ipv4: "IPv4"
        case .ipv6: "IPv6"
        }
    }
}
