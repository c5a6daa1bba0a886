import ArgumentParser

/// `signalmesh throughput`: measures what the encrypted transport carries between two nodes, as iperf does for TCP
/// and UDP.
struct ThroughputCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Measure the transport's throughput between two nodes, like iperf.",
        discussion: """
            Run `throughput serve` on one node and `throughput send <node-id>@<host:port>` on another: the sender \
            sends numbered messages as fast as the transport takes them for --seconds, then asks for the \
            receiver's report and prints both sides (sent Mbit/s, received goodput in Mbit/s of message bytes, \
            loss).
            """,
        subcommands: [ThroughputServeCommand.self, ThroughputSendCommand.self]
    )
}
