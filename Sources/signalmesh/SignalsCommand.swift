import ArgumentParser
import MeshControl
import MeshIndicators
import MeshSignals

/// `signalmesh signals`: the signals the running node's strategies gave (`signals.list`), and with `--follow` the new
/// ones as they come (the `signal` events of the event stream).
struct SignalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signals",
        abstract: "Print the signals the running node's strategies gave; with --follow, keep printing new ones.",
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
        if !client.json && (result["strategies"]?.elements ?? []).isEmpty {
            Output.note("the node runs no strategy (signalmesh run --strategy FILE)")
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
            ].joined(separator: "  "))
    }

    /// A signal as `run` prints it: the same columns.
    static func line(_ signal: Signal) -> String {
        [
            "signal: " + Feed.label(signal.time), "\(signal.symbol) \(signal.timeframe)",
            "\(signal.side.rawValue) \(signal.kind.rawValue)", "\(signal.price)", "strength \(signal.strength)",
            "(\(signal.strategy) / \(signal.rule))",
        ].joined(separator: "  ")
    }
}
