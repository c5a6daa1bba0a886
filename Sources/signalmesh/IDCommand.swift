import ArgumentParser
import Foundation
import MeshCrypto

/// `signalmesh id`: prints the node id of a key file or data directory.
struct IDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print the node id of a key file or a data directory.",
        discussion: "With no argument, reads node.key in the data directory (default: ~/.signalmesh/main)."
    )

    @Argument(help: "A key file, or a data directory holding node.key.")
    var path: String?

    @Option(name: .long, help: "The data directory (default: ~/.signalmesh/main).")
    var datadir: String?

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        if path != nil && datadir != nil {
            throw ValidationError("give either a path or --datadir, not both")
        }
    }

    func run() throws {
        let keyFile: String
        if let path {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                keyFile = try DataDirectory(path: path).keyFile
            } else {
                keyFile = path
            }
        } else {
            keyFile = try DataDirectory(path: datadir).keyFile
        }
        let key = try KeyStore.load(from: keyFile)
        if json {
            Output.json(["node_id": key.nodeID.text, "key_file": keyFile])
        } else {
            print(key.nodeID.text)
        }
    }
}
