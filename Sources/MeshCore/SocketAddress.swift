/// A UDP endpoint: an IPv4 or IPv6 address and a port.
///
/// A plain value so that cores can key tables by it and the simulator can invent addresses; the runtime converts it
/// to and from `sockaddr` at the edge. The text forms are `192.0.2.1:9000` and `[2001:db8::1]:9000`.
public enum SocketAddress: Hashable, Sendable {
    /// An IPv4 address (four bytes, network order) and port.
    case ipv4(UInt32, port: UInt16)
    /// An IPv6 address (sixteen bytes) and port.
    case ipv6(Bytes16, port: UInt16)

    /// The port.
    public var port: UInt16 {
        switch self {
        case .ipv4(_, let port), .ipv6(_, let port): port
        }
    }

    /// The address bytes in network order (4 or 16), without the port: the key for per-source limits.
    public var hostBytes: [UInt8] {
        switch self {
        case .ipv4(let host, _): (0..<4).map { UInt8(truncatingIfNeeded: host >> (24 - 8 * UInt32($0))) }
        case .ipv6(let host, _): host.bytes
        }
    }

    /// The host part alone, with the port set to zero: rate limits and cookies apply per host.
    public var host: SocketAddress {
        switch self {
        case .ipv4(let host, _): .ipv4(host, port: 0)
        case .ipv6(let host, _): .ipv6(host, port: 0)
        }
    }

    /// Whether the address is a loopback address (127.0.0.0/8 or ::1).
    public var isLoopback: Bool {
        switch self {
        case .ipv4(let host, _): host >> 24 == 127
        case .ipv6(let host, _): host == Bytes16.loopback
        }
    }

    /// Why a `host:port` text was refused.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// No `:port` after the host; the value is the whole text.
        case missingPort(String)
        /// The port is not a number from 1 to 65535; the value is the port text.
        case invalidPort(String)
        /// The host is not an IPv4 or IPv6 address literal (names are not resolved here); the value is the host text.
        case invalidHost(String)

        /// What is wrong with the text, quoting the refused part, for the person who wrote the address.
        public var description: String {
            switch self {
            case .missingPort(let text):
                "'\(text)' has no port; write host:port, e.g. 127.0.0.1:9000 or [::1]:9000"
            case .invalidPort(let text):
                "'\(text)' is not a port number (1-65535)"
            case .invalidHost(let text):
                "'\(text)' is not an IPv4 or IPv6 address (host names are not resolved here)"
            }
        }
    }

    /// Parses `a.b.c.d:port` or `[v6]:port`. Host names are not resolved: that is the runtime's job.
    public init(text: String) throws(ParseError) {
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidHost(text) }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .missingPort(text) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .missingPort(text) }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
            if hostText.contains(":") { throw .invalidHost(String(hostText) + " (put IPv6 addresses in brackets)") }
        }
        guard let port = UInt16(portText), port > 0 else { throw .invalidPort(String(portText)) }
        if let v4 = Self.parseIPv4(hostText) {
            self = .ipv4(v4, port: port)
        } else if let v6 = Self.parseIPv6(hostText) {
            self = .ipv6(v6, port: port)
        } else {
            throw .invalidHost(String(hostText))
        }
    }

    static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let octet = UInt8(part),
                part == "0" || !part.hasPrefix("0")
            else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    static func parseIPv6(_ text: Substring) -> Bytes16? {
        // RFC 4291 section 2.2 forms: eight groups, "::" once for a run of zero groups, an IPv4 tail.
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = parseIPv4(piece) {
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                } else {
                    guard !piece.isEmpty, piece.count <= 4, let group = UInt16(piece, radix: 16) else { return nil }
                    result.append(group)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return Bytes16(all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] })
    }
}

extension SocketAddress: CustomStringConvertible {
    /// `a.b.c.d:port` or `[v6]:port` (RFC 5952 compressed form).
    public var description: String {
        switch self {
        case .ipv4(let host, let port):
            return "\(host >> 24).\(host >> 16 & 0xff).\(host >> 8 & 0xff).\(host & 0xff):\(port)"
        case .ipv6(let host, let port):
            let bytes = host.bytes
            let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
            // RFC 5952: compress the longest run of two or more zero groups, the first if tied.
            var best: (start: Int, length: Int) = (-1, 0)
            var index = 0
            while index < 8 {
                guard groups[index] == 0 else {
                    index += 1
                    continue
                }
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > best.length { best = (index, end - index) }
                index = end
            }
            let hex = groups.map { String($0, radix: 16) }
            let text: String
            if best.length >= 2 {
                text =
                    hex[..<best.start].joined(separator: ":") + "::"
                    + hex[(best.start + best.length)...].joined(separator: ":")
            } else {
                text = hex.joined(separator: ":")
            }
            return "[\(text)]:\(port)"
        }
    }
}
