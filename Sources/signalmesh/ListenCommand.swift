import ArgumentParser
import Foundation
import MeshCore
import MeshRuntime

/// `signalmesh listen`: runs the transport with the node's identity, answering handshakes and pings, until signalled.
struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Accept encrypted sessions on UDP and log them until SIGINT or SIGTERM.",
        discussion: """
            Loads node.key from the data directory, binds each --listen address (at most one IPv4 and one IPv6; \
            port 0 picks a free port) and prints one line with the node id and the bound addresses:

              listening as sm1… on 127.0.0.1:9000

            (with --json: {"addresses":[…],"event":"listening","network":…,"node_id":…}). Then it logs each session \
            up and down and each message received, and answers pings. The first SIGINT or SIGTERM closes every \
            session (telling the peers) and exits with 0; a second one exits at once.
            """
    )

    /// Where `listen` binds when it is told nothing.
    static let defaultAddress = "127.0.0.1:9000"

    @OptionGroup var node: NodeOptions

    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp(
            "An address to bind, host:port or [v6]:port (default: \(ListenCommand.defaultAddress)); repeat it for "
                + "one IPv4 and one IPv6 address.", valueName: "address"))
    var addresses: [String] = []

    func run() throws {
        let bind = try Self.parseAddresses(addresses.isEmpty ? [Self.defaultAddress] : addresses)
        let host = try node.inboundHost(bindingTo: bind)
        // The watcher is in place before the listening line: a script may signal as soon as it reads that line.
        let watcher = try node.watchShutdownSignals(of: host)
        let log = TransportEventLog(json: node.json)
        host.onEvent = { log.record($0) }
        node.announce(host, as: "listening")
        host.run()
        watcher.close()
        if !host.unsent.isEmpty {
            let reasons = host.unsent.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", ")
            Output.note("datagrams that could not be sent: \(reasons)")
        }
        try NodeOptions.shutDownCleanly(host)
    }

    /// Parses the --listen values: at most one per address family.
    static func parseAddresses(_ texts: [String]) throws(CLIFailure) -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for text in texts {
            let address = try ListenAddress.parse(text)
            if let clash = addresses.first(where: { $0.isSameFamily(as: address) }) {
                throw .usage(
                    "--listen \(text): already listening on \(clash), another \(address.familyName) address; "
                        + "give at most one IPv4 and one IPv6 address")
            }
            addresses.append(address)
        }
        return addresses
    }
}
