import ArgumentParser
import MeshControl

/// `signalmesh feed`: the running node's live price feed — push NDJSON ticks or bars into it, or show its state.
struct FeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "The running node's live price feed: push ticks or bars into it (push), or show it (status).",
        subcommands: [FeedPushCommand.self, FeedStatusCommand.self],
        defaultSubcommand: FeedStatusCommand.self)

    /// `signalmesh feed push`: NDJSON lines sent to the node with `feed.push`, a batch at a time.
    struct FeedPushCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Send NDJSON ticks or bars (a file, or stdin) to the running node's strategies (feed.push).",
            discussion: """
                Each line is one record, as in `run --feed`: a tick {"symbol", "time", "price", "size"} or a bar \
                {"symbol", "time", "open", "high", "low", "close", "volume"}. Lines are sent in batches as they are \
                read, so a pipe can stream into a running node. Refused lines are reported with their line number; \
                the exit status is 65 when any was.
                """)

        @OptionGroup var client: ClientOptions

        @Argument(help: "An NDJSON file ('-' or none: stdin).")
        var file: String = "-"

        @Option(name: .long, help: "Records per request (1...10000, default 1000).")
        var batch = 1000

        func validate() throws {
            guard (1...NodeMethods.maxFeedRecords).contains(batch) else {
                throw ValidationError("--batch must be from 1 to \(NodeMethods.maxFeedRecords)")
            }
        }

        func run() throws {
            let connection = try client.connect()
            var records: [JSONValue] = []
            var lineNumbers: [Int] = []
            var totals = (accepted: 0, unused: 0, refused: 0, bars: 0, signals: 0)
            var lineNumber = 0
            func refuse(_ line: Int, _ reason: String) {
                totals.refused += 1
                if client.json {
                    Output.jsonLine(["line": line, "refused": reason])
                } else {
                    Output.note("signalmesh: \(file == "-" ? "stdin" : file) line \(line): \(reason)")
                }
            }
            func send() throws {
                guard !records.isEmpty else { return }
                let result = try connection.call("feed.push", ["records": .array(records)])
                totals.accepted += result["accepted"].intValue ?? 0
                totals.unused += result["unused"].intValue ?? 0
                totals.bars += result["bars"].intValue ?? 0
                totals.signals += result["signals"].intValue ?? 0
                if case .array(let refusals)? = result["refusals"] {
                    for refusal in refusals {
                        let index = refusal["index"].intValue ?? -1
                        refuse(
                            lineNumbers.indices.contains(index) ? lineNumbers[index] : -1, refusal["reason"]?.cell ?? ""
                        )
                    }
                }
                records.removeAll(keepingCapacity: true)
                lineNumbers.removeAll(keepingCapacity: true)
            }
            func line(_ text: Substring) throws {
                lineNumber += 1
                guard text.contains(where: { !$0.isWhitespace }) else { return }
                guard text.utf8.count <= 65_536 else { return refuse(lineNumber, "longer than 65536 bytes") }
                do {
                    records.append(try JSONValue(parsing: Array(text.utf8)))
                    lineNumbers.append(lineNumber)
                } catch {
                    return refuse(lineNumber, "not valid JSON (\(error))")
                }
                if records.count >= batch { try send() }
            }
            if file == "-" {
                while let text = Swift.readLine(strippingNewline: true) { try line(Substring(text)) }
            } else {
                let text = try FeedOptions.readText(file)
                for text in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) { try line(text) }
            }
            try send()
            if client.json {
                Output.jsonLine([
                    "lines": lineNumber, "accepted": totals.accepted, "unused": totals.unused,
                    "refused": totals.refused, "bars": totals.bars, "signals": totals.signals,
                ])
            } else {
                Output.line(
                    "\(totals.accepted) records taken (\(totals.bars) bars closed, \(totals.signals) signals), "
                        + "\(totals.unused) of symbols no strategy trades, \(totals.refused) refused")
            }
            if totals.refused > 0 { throw CLIFailure.corruptData("\(totals.refused) line(s) refused") }
        }
    }

    /// `signalmesh feed status`: the live feed's state (`node.info` → `signals.feed`).
    struct FeedStatusCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show the running node's live feed: timeframe, symbols, counts.")

        @OptionGroup var client: ClientOptions

        func run() throws {
            let connection = try client.connect()
            let info = try connection.call("node.info")
            let feed = info["signals"]?["feed"] ?? .null
            if client.json {
                Output.line(feed.line)
                return
            }
            guard feed != .null else {
                Output.line("this node runs no strategies: it takes no feed")
                return
            }
            let rows: [(String, String)] = [
                ("timeframe", feed["timeframe"]?.cell ?? "-"), ("grace", "\(feed["grace_ms"]?.cell ?? "-") ms"),
                ("symbols", feed["symbols"]?.elements.map(\.cell).joined(separator: ", ") ?? "-"),
                ("records", feed["records"]?.cell ?? "-"),
                ("bars", feed["bars"]?.cell ?? "-"), ("refused", feed["refused"]?.cell ?? "-"),
                ("unused", feed["unused"]?.cell ?? "-"), ("late ticks", feed["late_ticks"]?.cell ?? "-"),
                ("last refusal", feed["last_refusal"]?.cell ?? "-"),
            ]
            for (key, value) in rows { Output.line(key.padding(toLength: 13, withPad: " ", startingAt: 0) + value) }
        }
    }
}

extension JSONValue? {
    /// The integer held, if any.
    fileprivate var intValue: Int? {
        if case .int(let value)? = self { return Int(value) }
        return nil
    }
}
