import ArgumentParser
import MeshControl
import MeshCore
import MeshIndicators
import MeshSignals

/// `signalmesh signals`: list the signals the node knows, or publish one.
struct SignalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signals",
        abstract: "The running node's signals: its strategies' and its peers' (list, the default), or publish one.",
        subcommands: [SignalsListCommand.self, SignalsPublishCommand.self],
        defaultSubcommand: SignalsListCommand.self)

    /// A signal as `run` prints it: the same columns; a peer's names its issuer.
    static func line(_ signal: Signal, issuer: NodeID? = nil) -> String {
        [
            (issuer.map { "signal from \($0.shortText)…: " } ?? "signal: ") + Feed.label(signal.time),
            "\(signal.symbol) \(signal.timeframe)",
            "\(signal.side.rawValue) \(signal.kind.rawValue)", "\(signal.price)", "strength \(signal.strength)",
            "(\(signal.strategy) / \(signal.rule))",
        ].joined(separator: "  ")
    }

    /// `signalmesh signals publish`: an operator's signal, signed by the node and gossiped (`signals.publish`).
    struct SignalsPublishCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract:
                "Publish a signal from the running node: signed with its key and gossiped to the symbol's subscribers.")

        @OptionGroup var client: ClientOptions

        @Option(name: .long, help: "The symbol (e.g. AAPL).")
        var symbol: String

        @Option(name: .long, help: "buy, sell or flat.")
        var side: String

        @Option(name: .long, help: "entry (default) or exit.")
        var kind = "entry"

        @Option(name: .long, help: "The price it refers to.")
        var price: Double

        @Option(name: .long, help: "0 to 1 (default 1).")
        var strength = 1.0

        @Option(name: .long, help: "A strategy name to show (default manual).")
        var strategy = "manual"

        func run() throws {
            let connection = try client.connect()
            let result = try connection.call(
                "signals.publish",
                [
                    "symbol": .string(symbol), "side": .string(side), "kind": .string(kind), "price": .double(price),
                    "strength": .double(strength), "strategy": .string(strategy),
                ])
            if client.json {
                Output.line(result.line)
            } else {
                Output.line(
                    "published \(result["side"]?.cell ?? "-") \(result["kind"]?.cell ?? "-") on "
                        + "\(result["symbol"]?.cell ?? "-"), sequence \(result["sequence"]?.cell ?? "-")")
            }
        }
    }

    /// `signalmesh signals list`: the signals the running node knows (`signals.list`), and with `--follow` the new ones
    /// as they come (the `signal` events of the event stream).
    struct SignalsListCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Print the signals the running node knows; with --follow, keep printing new ones.",
            discussion: """
                A node runs strategies given with `signalmesh run --strategy FILE` (or `strategy` in node.conf) over its \
                price feed. Each line: bar date, symbol and timeframe, side and kind, the bar's close, strength, \
                strategy / rule. With --json each line is one signal object (Specs/control-api.md, signals.list).
                """)

        @OptionGroup var client: ClientOptions

        @Flag(name: .long, help: "Keep printing signals as they come, until interrupted.")
        var follow = false

        @Option(name: .long, help: "Only this symbol's signals.")
        var symbol: String?

        @Option(name: .long, help: "Only this strategy's signals (its id).")
        var strategy: String?

        @Option(name: .long, help: "How many of the most recent to print first (1 to 1024, default 20).")
        var limit = 20

        func validate() throws {
            guard (1...1024).contains(limit) else { throw ValidationError("--limit must be from 1 to 1024") }
        }

        func run() throws {
            let connection = try client.connect()
            var params: [String: JSONValue] = ["limit": .int(Int64(limit))]
            if let symbol { params["symbol"] = .string(symbol) }
            if let strategy { params["strategy"] = .string(strategy) }
            let result = try connection.call("signals.list", .object(params))
            if !client.json && (result["signals"]?.elements ?? []).isEmpty
                && (result["strategies"]?.elements ?? []).isEmpty
            {
                Output.note(
                    "no signals: the node runs no strategy (run --strategy FILE) and has received none (run --subscribe SYMBOL)"
                )
            }
            for signal in result["signals"]?.elements ?? [] { print(signal) }
            guard follow else { return }
            // Without "since": only the events after this answer (the recent signals were printed above).
            _ = try connection.call("events.subscribe", ["types": ["signal"]])
            connection.waitWithoutLimit()
            while let message = try connection.nextNotification() {
                guard message["method"] == .string("events.event"), let signal = message["params"]?["event"]?["data"],
                    symbol.map({ signal["symbol"] == .string($0.uppercased()) }) ?? true,
                    strategy.map({ signal["strategy"] == .string($0) }) ?? true
                else { continue }
                print(signal)
            }
        }

        private func print(_ signal: JSONValue) {
            if client.json {
                Output.line(signal.line)
                return
            }
            guard case .int(let time)? = signal["time"] else { return }
            Output.line(
                [
                    Feed.label(time), (signal["symbol"]?.cell ?? "-") + " " + (signal["timeframe"]?.cell ?? "-"),
                    (signal["side"]?.cell ?? "-") + " " + (signal["kind"]?.cell ?? "-"), signal["price"]?.cell ?? "-",
                    "strength " + (signal["strength"]?.cell ?? "-"),
                    "(" + (signal["strategy"]?.cell ?? "-") + " / " + (signal["rule"]?.cell ?? "-") + ")",
                ].joined(separator: "  ")
                    + (signal["origin"] == "peer" ? "  from \(signal["issuer"]?.cell.prefix(12) ?? "-")…" : ""))
        }
    }
}
