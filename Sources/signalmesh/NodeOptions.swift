import ArgumentParser
import Foundation
import MeshCore
import MeshCrypto
import MeshTransport

/// The options every command that runs the transport shares: where the identity lives, which network, which output.
struct NodeOptions: ParsableArguments {
    @Option(
        name: .customLong("datadir"),
        help: "The data directory (default: SIGNALMESH_DATADIR, or ~/.signalmesh/NETWORK).")
    var datadirOption: String?

    @Option(
        name: .customLong("network"),
        help: ArgumentHelp(
            "The network to join (default: SIGNALMESH_NETWORK, or main). Nodes of different networks cannot "
                + "complete a handshake.", valueName: "network"))
    var networkOption: String?

    @Flag(name: .long, help: "Print one JSON object per line, for scripts.")
    var json = false

    func validate() throws {
        // A wrong flag is a usage error (64) here; a wrong SIGNALMESH_NETWORK is a configuration error (78), which
        // `dataDirectory()` reports (swift-argument-parser maps only its own errors from `validate`).
        if let networkOption, let problem = NetworkName.problem(with: networkOption) {
            throw ValidationError("--network: \(problem)")
        }
    }

    /// The environment the process started with (read once: it does not change while a command runs).
    static let environment = ProcessInfo.processInfo.environment

    /// The network: `--network`, else `SIGNALMESH_NETWORK`, else `main`, with where it came from.
    var network: NodeConfiguration.Setting<String> {
        if let networkOption { return .init(value: networkOption, origin: .flag("--network")) }
        if let value = Self.environment["SIGNALMESH_NETWORK"] {
            return .init(value: value, origin: .environment("SIGNALMESH_NETWORK"))
        }
        return .init(value: DataDirectory.defaultNetwork, origin: .defaultValue)
    }

    /// The data directory's path as given: `--datadir`, else `SIGNALMESH_DATADIR`, else `~/.signalmesh/<network>`.
    var datadir: NodeConfiguration.Setting<String> {
        if let datadirOption { return .init(value: datadirOption, origin: .flag("--datadir")) }
        if let value = Self.environment["SIGNALMESH_DATADIR"] {
            return .init(value: value, origin: .environment("SIGNALMESH_DATADIR"))
        }
        return .init(value: "~/.signalmesh/\(network.value)", origin: .defaultValue)
    }

    /// The data directory these options name.
    /// - Throws: `CLIFailure` 78 if `SIGNALMESH_NETWORK` is not a network name; the directory's own failures.
    func dataDirectory() throws(CLIFailure) -> DataDirectory {
        if let problem = NetworkName.problem(with: network.value) {
            throw network.origin.failure("network: \(problem)")
        }
        return try DataDirectory(path: datadir.value)
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
    var endpointSettings: EndpointSettings { EndpointSettings(network: network.value) }
}
