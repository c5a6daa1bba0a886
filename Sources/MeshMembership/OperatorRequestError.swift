public import MeshCore

/// Why an operator's request to the membership core (`Membership.connect`, `disconnect`) was refused.
public enum OperatorRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request named this node itself.
    case isSelf
    /// The peer is banned; lift the ban first.
    case banned(NodeID)
    /// The peer is a neighbour already.
    case alreadyNeighbor(NodeID)
    /// The peer is not a neighbour.
    case notNeighbor(NodeID)
    /// No address was given and none is known for the peer.
    case noAddress(NodeID)

    /// A sentence for the operator.
    public var description: String {
        switch self {
        case .isSelf: "that is this node's own id"
        case .banned(let peer): "\(peer.text) is banned; unban it first"
        case .alreadyNeighbor(let peer): "\(peer.text) is already a neighbour"
        case .notNeighbor(let peer): "\(peer.text) is not a neighbour"
        case .noAddress(let peer): "no address is known for \(peer.text); give one as <node-id>@<host:port>"
        }
    }
}
