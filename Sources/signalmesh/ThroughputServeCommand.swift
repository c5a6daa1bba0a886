import ArgumentParser
import MeshRuntime

/// `signalmesh throughput serve`: receives throughput runs and reports on each until signalled.
struct ThroughputServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive throughput runs and report on each, until SIGINT or SIGTERM.",
        discussion: """
            Loads node.key from the data directory, binds --listen and prints one line with the node id and the \
            bound address:

              serving as sm1… on 127.0.0.1:9000

            Then, for every run a sender completes, it answers the sender's report request and prints one line \
            (with --json, one object per line: {"event":"listening",…}, then {"event":"run",…}). The first SIGINT \
            or SIGTERM closes every session and exits with 0; a second one exits at once.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The address to bind, host:port or [v6]:port; port 0 picks a free port (default: "
                + "\(ListenCommand.defaultAddress)).", valueName: "address"))
    var listen: String?

    @OptionGroup var node: NodeOptions

    func run() throws {
        let address = try ListenAddress.parse(listen ?? ListenCommand.defaultAddress)
        let host = try node.inboundHost(bindingTo: [address])
        // The watcher is in place before the listening line: a script may signal as soon as it reads that line.
        let watcher = try node.watchShutdownSignals(of: host)
        let server = ThroughputServer(host: host, json: node.json)
        host.onEvent = { server.handle($0) }
        node.announce(host, as: "serving")
        host.run()
        watcher.close()
        if server.ignoredMessages > 0 {
            Output.note("ignored \(server.ignoredMessages) message(s) that were neither data nor report requests")
        }
        if !host.unsent.isEmpty {
            let reasons = host.unsent.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", ")
            Output.note("datagrams that could not be sent: \(reasons)")
        }
        try NodeOptions.shutDownCleanly(host)
    }
}
