import ArgumentParser
import MeshTransport

/// The options every command that runs the transport shares: where the identity lives, which network, which output.
struct NodeOptions: ParsableArguments {
    /// The longest network name accepted, in bytes.
    static let maxNetworkLength = 64

    @Option(name: .long, help: "The data directory (default: ~/.signalmesh/NETWORK).")
    var datadir: String?

    @Option(
        name: .long,
        help: "The network to join (default: main). Nodes of different networks cannot complete a handshake.")
    var network = DataDirectory.defaultNetwork

    @Flag(name: .long, help: "Print one JSON object per line, for scripts.")
    var json = false

    func validate() throws {
        guard !network.isEmpty, network.utf8.count <= Self.maxNetworkLength else {
            throw ValidationError("--network must have 1 to \(Self.maxNetworkLength) bytes")
        }
        guard network.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
            network != ".", network != ".."
        else {
            throw ValidationError(
                "--network '\(network)' may use only letters, digits, '-', '_' and '.' (it names a directory)")
        }
    }

    /// `--datadir`, or `~/.signalmesh/<network>`.
    func dataDirectory() throws(CLIFailure) -> DataDirectory {
        try DataDirectory(path: datadir ?? "~/.signalmesh/\(network)")
    }

    /// The endpoint settings for `--network`.
    var endpointSettings: EndpointSettings { EndpointSettings(network: network) }
}
