internal import CLibUV
import Glibc
import MeshCore

/// Conversion between the cores' `SocketAddress` and the C `sockaddr` family, the only place that does it.
///
/// Both directions work on stack values so that neither the send path nor the receive path allocates. IPv6 scope ids
/// are not carried: the node talks to global and loopback addresses, never to link-local ones.
extension SocketAddress {
    /// `AF_INET` or `AF_INET6`.
    var addressFamily: Int32 {
        switch self {
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        }
    }

    /// Reads a `sockaddr_in` or `sockaddr_in6`; nil for any other family.
    init?(_ address: UnsafePointer<sockaddr>) {
        let raw = UnsafeRawPointer(address)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let v4 = raw.load(as: sockaddr_in.self)
            self = .ipv4(UInt32(bigEndian: v4.sin_addr.s_addr), port: UInt16(bigEndian: v4.sin_port))
        case AF_INET6:
            let v6 = raw.load(as: sockaddr_in6.self)
            let host = Bytes16.filling { bytes in
                withUnsafeBytes(of: v6.sin6_addr) { bytes.copyMemory(from: $0) }
            }
            self = .ipv6(host, port: UInt16(bigEndian: v6.sin6_port))
        default:
            return nil
        }
    }

    /// Calls `body` with this address as a `sockaddr` that lives on the stack for the duration of the call.
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>) -> Result) -> Result {
        switch self {
        case .ipv4(let host, let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = host.bigEndian
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        case .ipv6(let host, let port):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            host.withUnsafeBytes { bytes in
                withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyMemory(from: bytes) }
            }
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        }
    }
}
