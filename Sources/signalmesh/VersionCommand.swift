import ArgumentParser
import MeshCrypto

/// `signalmesh version`: the program, protocol and library versions.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the program version, the wire protocol version and the native library versions."
    )

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        let fields = [
            "version": BuildInfo.version,
            "wire_version": String(BuildInfo.wireVersion),
            "libsodium": CryptoLibraries.sodiumVersion,
            "openssl": CryptoLibraries.openSSLVersion,
        ]
        if json {
            Output.json(fields)
        } else {
            print("signalmesh \(BuildInfo.version)")
            print("wire protocol version \(BuildInfo.wireVersion)")
            print("libsodium \(CryptoLibraries.sodiumVersion)")
            print(CryptoLibraries.openSSLVersion)
        }
    }
}
