/// The Noise prologue of every SignalMesh handshake (`Specs/transport.md`, "Handshake"): both sides hash it into the
/// handshake, so a peer of another protocol version or another network fails the first message's authentication
/// instead of half-connecting.
public enum TransportPrologue {
    /// The transport protocol version bound into the prologue.
    public static let version: UInt8 = 1

    /// `"SignalMesh transport"`, a zero byte, the version byte, a zero byte, then the network id in UTF-8.
    /// - Parameter network: the network id, e.g. `main` or `devnet`.
    public static func bytes(network: String) -> [UInt8] {
        Array("SignalMesh transport".utf8) + [0, version, 0] + Array(network.utf8)
    }
}
