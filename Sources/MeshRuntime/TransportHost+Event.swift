public import MeshCore
public import MeshTransport

extension TransportHost {
    /// What the transport tells the shell that drives it.
    public enum Event: Equatable, Sendable {
        /// A session with `peer` is up, the first since the peer was down; `address` is where it was authenticated.
        case sessionUp(peer: NodeID, address: SocketAddress)
        /// The last session with `peer` ended, for `reason`.
        case sessionDown(peer: NodeID, reason: SessionDownReason)
        /// `message` arrived from `peer` in a DATAGRAM frame.
        case message([UInt8], from: NodeID)
        /// `peer` acknowledged a ping after `rtt`.
        case pong(peer: NodeID, rtt: Duration)
        /// `peer` can take datagrams again after a send was refused with `.congested`.
        case writable(peer: NodeID)
    }

    /// Why a datagram the endpoint asked to send did not leave the host.
    public enum UnsentReason: Hashable, Sendable, CustomStringConvertible {
        /// The host has no socket of the destination's address family (an IPv6 peer, an IPv4-only host).
        case noSocketForFamily
        /// The socket dropped it (full send queue, refused by the kernel, ...).
        case socket(UDPSocket.DropReason)

        /// The metric label, e.g. `no_socket_for_family` or `send_failed`.
        public var description: String {
            switch self {
            case .noSocketForFamily: "no_socket_for_family"
            case .socket(let reason): reason.description
            }
        }
    }
}
