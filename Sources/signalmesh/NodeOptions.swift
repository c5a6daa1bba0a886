import ArgumentParser
import Foundation
import MeshCore
import MeshCrypto
import MeshTransport

/// The options every command that runs the transport shares: where the identity lives, which network, which output.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "The data directory (default: ~/.signalmesh/NETWORK).")
    var datadir: String?

    @Option(
        name: .long,
        help: "The network to join (default: main). Nodes of different networks cannot complete a handshake.")
    var network = DataDirectory.defaultNetwork

    @Flag(name: .long, help: "Print one JSON object per line, for scripts.")
    var json = false

    func validate() throws {
        if let problem = NetworkName.problem(with: network) { throw ValidationError("--network: \(problem)") }
    }

    /// `--datadir`, or `~/.signalmesh/<network>`.
    func dataDirectory() throws(CLIFailure) -> DataDirectory {
        try DataDirectory(path: datadir ?? "~/.signalmesh/\(network)")
    }

    /// The node key from the data directory, or a fresh temporary identity when the directory has none, for the
    /// commands that only connect out (`ping`, `throughput send`) and need no lasting identity.
    ///
    /// - Parameter activity: what the command does with the identity, for the note on standard error that says a
    ///   temporary one is used, e.g. "pinging".
    /// - Throws: `CLIFailure` if the data directory is unusable or its key file cannot be read.
    func loadIdentity(temporaryFor activity: String) throws(CLIFailure) -> Ed25519PrivateKey {
        let keyFile = try dataDirectory().keyFile
        guard FileManager.default.fileExists(atPath: keyFile) else {
            let identity = Ed25519PrivateKey()
            Output.note("no key at \(keyFile); \(activity) with a temporary identity \(identity.nodeID.text)")
            return identity
        }
        return try KeyStore.load(from: keyFile)
    }

    /// The endpoint settings for `--network`.
    var endpointSettings: EndpointSettings { EndpointSettings(network: network) }
}
