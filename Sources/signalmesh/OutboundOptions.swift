import ArgumentParser

/// The options of a command that connects out to one peer (`ping`, `throughput send`).
struct OutboundOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The local address to bind (default: 0.0.0.0:0 or [::]:0, as the target's family).", valueName: "address"))
    var listen: String?
}
