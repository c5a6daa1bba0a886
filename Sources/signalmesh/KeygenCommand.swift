import ArgumentParser
import MeshCrypto

/// `signalmesh keygen`: creates the node's identity key.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a node key (node.key, mode 0600) in the data directory and print the node id.",
        discussion: """
            The key is the node's whole identity: its Ed25519 signing key, from which the transport's X25519 key is \
            derived. An existing key is never replaced unless --force is given.
            """
    )

    @Option(name: .long, help: "The data directory (default: ~/.signalmesh/main).")
    var datadir: String?

    @Flag(name: .long, help: "Replace an existing key. The old identity is lost.")
    var force = false

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        let directory = try DataDirectory(path: datadir)
        try directory.create()
        let key = Ed25519PrivateKey()
        try KeyStore.store(key, to: directory.keyFile, replace: force)
        if json {
            Output.json(["node_id": key.nodeID.text, "key_file": directory.keyFile])
        } else {
            Output.note("wrote \(directory.keyFile)")
            print(key.nodeID.text)
        }
    }
}
