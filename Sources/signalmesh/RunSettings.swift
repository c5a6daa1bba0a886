import ArgumentParser

/// The flags of `signalmesh run` that the environment and `node.conf` may also set (`NodeConfiguration`); shared
/// with `signalmesh config show`, which prints what they resolve to.
struct RunSettings: ParsableArguments {
    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp(
            "An address to bind and advertise, host:port or [v6]:port (default: \(ListenCommand.defaultAddress)); "
                + "repeat for one IPv4 and one IPv6 address. Also SIGNALMESH_LISTEN, listen in node.conf.",
            valueName: "address"))
    var addresses: [String] = []

    @Option(name: .long, help: "A signed seed list to join through (its signature file is FILE.sig).")
    var seeds: String?

    @Option(name: .long, parsing: .singleValue, help: "A node id trusted to sign seed lists (repeat for several).")
    var seedSigner: [String] = []

    @Option(name: .long, help: "How many distinct trusted signers a seed list needs (default 1).")
    var seedThreshold: Int?

    @Flag(
        name: .long, inversion: .prefixedNo,
        help: "Run the seed profile: larger views, for a node others join through (default: off).")
    var seedProfile: Bool?

    @Option(
        name: .long,
        help: "The log's level: trace, debug, info (default), notice, warning, error or critical (DATADIR/logs).")
    var logLevel: String?

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp(
            "A strategy file to run over the node's price feed (repeat for several; Specs/strategies.md). The feed "
                + "is the bundled daily data of the strategies' symbols, replayed one bar per --feed-interval.",
            valueName: "file"))
    var strategy: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The strategies' price feed: bundled (default: the bundled daily data, replayed), none (only "
                + "feed.push on the control socket), - (live NDJSON ticks or bars on stdin), a .csv file of bars "
                + "(replayed), or another file or named pipe of live NDJSON.", valueName: "source"))
    var feed: String?

    @Option(name: .long, help: "Seconds between two bars of a replayed feed (default 1).")
    var feedInterval: Double?

    @Option(
        name: .long,
        help: "The live feed's bar timeframe, and the bars its ticks make (default: the strategies' shortest).")
    var feedTimeframe: String?

    @Option(name: .long, help: "Milliseconds a live tick may arrive after its bar's end and still count (default 0).")
    var feedGrace: Int64?

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp(
            "A symbol whose signals the node receives from its peers (repeat for several; the strategies' symbols "
                + "are added).", valueName: "symbol"))
    var subscribe: [String] = []

    /// The values given as flags, by configuration key.
    var flags: [String: [String]] {
        var flags: [String: [String]] = [
            "listen": addresses, "seed_signer": seedSigner, "seeds": seeds.map { [$0] } ?? [],
            "seed_threshold": seedThreshold.map { [String($0)] } ?? [], "log_level": logLevel.map { [$0] } ?? [],
            "strategy": strategy, "feed_interval": feedInterval.map { ["\($0)"] } ?? [], "subscribe": subscribe,
            "feed": feed.map { [$0] } ?? [], "feed_timeframe": feedTimeframe.map { [$0] } ?? [],
            "feed_grace": feedGrace.map { [String($0)] } ?? [],
        ]
        if let seedProfile { flags["seed_profile"] = [seedProfile ? "true" : "false"] }
        return flags
    }

    /// The effective settings for a node in `directory`: flags, then the environment, then `node.conf`.
    func resolve(in directory: DataDirectory) throws(CLIFailure) -> NodeConfiguration {
        try NodeConfiguration.resolve(
            flags: flags, environment: NodeOptions.environment,
            filePath: directory.path + "/" + NodeConfiguration.fileName, dataDirectory: directory.path)
    }
}

/// `signalmesh config show`: every effective setting of `run` and where it came from.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the node's effective configuration and where each value came from.",
        subcommands: [ConfigShowCommand.self],
        defaultSubcommand: ConfigShowCommand.self)
}

/// `signalmesh config show`.
struct ConfigShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print each effective setting with its origin: flag, environment, node.conf line, or default.",
        discussion: """
            Precedence: flags > environment (SIGNALMESH_<KEY>) > DATADIR/node.conf > defaults. Give the same flags \
            as to `signalmesh run` to see what it would use. node.conf holds `key = value` lines (`#` starts a \
            comment); its keys are listen, seeds, seed_signer (repeat lines for several), seed_threshold, \
            seed_profile, log_level, strategy (repeat lines for several), feed, feed_interval, feed_timeframe, \
            feed_grace and subscribe (repeat). A \
            wrong value exits with 78 and names the line or variable.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var settings: RunSettings

    func run() throws {
        let directory = try node.dataDirectory()
        let configuration = try settings.resolve(in: directory)
        let rows: [(key: String, value: String, origin: SettingOrigin)] = [
            ("network", node.network.value, node.network.origin),
            ("datadir", directory.path, node.datadir.origin),
            (
                "listen", configuration.listen.value.map(\.description).joined(separator: ","),
                configuration.listen.origin
            ),
            ("seeds", configuration.seeds.value ?? "", configuration.seeds.origin),
            (
                "seed_signer", configuration.seedSigners.value.map(\.text).joined(separator: ","),
                configuration.seedSigners.origin
            ),
            ("seed_threshold", String(configuration.seedThreshold.value), configuration.seedThreshold.origin),
            ("seed_profile", configuration.seedProfile.value ? "true" : "false", configuration.seedProfile.origin),
            ("log_level", configuration.logLevel.value, configuration.logLevel.origin),
            ("strategy", configuration.strategies.value.joined(separator: ","), configuration.strategies.origin),
            ("feed", configuration.feed.value, configuration.feed.origin),
            ("feed_interval", "\(configuration.feedInterval.value)", configuration.feedInterval.origin),
            (
                "feed_timeframe", configuration.feedTimeframe.value?.description ?? "",
                configuration.feedTimeframe.origin
            ),
            ("feed_grace", "\(configuration.feedGrace.value)", configuration.feedGrace.origin),
            ("subscribe", configuration.subscriptions.value.joined(separator: ","), configuration.subscriptions.origin),
        ]
        if node.json {
            for row in rows {
                Output.jsonLine(["key": row.key, "value": row.value, "origin": row.origin.description])
            }
        } else {
            let width = rows.map(\.key.count).max() ?? 0
            for row in rows {
                let value = row.value.isEmpty ? "-" : row.value
                Output.line(
                    row.key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value + "  ("
                        + row.origin.description + ")")
            }
        }
        for name in NodeConfiguration.unknownVariables(in: NodeOptions.environment) {
            Output.note("warning: \(name) is not a SignalMesh setting (a typo?)")
        }
    }
}
