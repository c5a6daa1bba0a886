import Foundation
import MeshCore
import MeshGossip
import MeshIndicators

/// Where an effective setting came from, as `signalmesh config show` prints it.
enum SettingOrigin: Equatable, CustomStringConvertible {
    /// A command-line flag.
    case flag(String)
    /// An environment variable.
    case environment(String)
    /// A line of the configuration file.
    case file(path: String, line: Int)
    /// The built-in default.
    case defaultValue

    var description: String {
        switch self {
        case .flag(let name): "flag \(name)"
        case .environment(let name): "environment \(name)"
        case .file(let path, let line): "\(path):\(line)"
        case .defaultValue: "default"
        }
    }

    /// A failure about a value from here: a flag's is a usage error (64), any other a configuration error (78).
    func failure(_ message: String) -> CLIFailure {
        if case .flag = self { return .usage(message) }
        return .config("\(self): \(message)")
    }
}

/// The settings of `signalmesh run` that the configuration file and the environment may give, resolved with the
/// precedence flags > environment (`SIGNALMESH_<KEY>`) > `DATADIR/node.conf` > defaults (DESIGN.md, "Operating the
/// node"), each with its origin.
///
/// Hand-written rather than built on swift-configuration: its file providers are `async` (the node's loop must own
/// the main thread, where the shutdown signals are unblocked) and read JSON or YAML, while an operator's node
/// configuration is a flat `key = value` file like bitcoind's; what is left, precedence over five keys with their
/// origins, is the short code below.
struct NodeConfiguration {
    /// One effective setting.
    struct Setting<Value> {
        var value: Value
        var origin: SettingOrigin
    }

    /// `run`'s default address, `ListenCommand.defaultAddress`.
    static let defaultListen = SocketAddress.ipv4(0x7F00_0001, port: 9000)

    /// The keys the file and the environment may set, in the order `config show` lists them.
    static let keys = [
        "listen", "seeds", "seed_signer", "seed_threshold", "seed_profile", "log_level", "strategy", "feed",
        "feed_interval",
        "feed_timeframe", "feed_grace", "subscribe",
    ]
    /// Keys that take several values: repeated lines in the file, comma-separated in the environment.
    static let listKeys: Set<String> = ["listen", "seed_signer", "strategy", "subscribe"]
    /// The configuration file's name inside the data directory.
    static let fileName = "node.conf"
    /// The largest configuration file read.
    static let maxFileBytes = 64 << 10

    var listen: Setting<[SocketAddress]>
    var seeds: Setting<String?>
    var seedSigners: Setting<[NodeID]>
    var seedThreshold: Setting<Int>
    var seedProfile: Setting<Bool>
    /// The log's level for every category (`DATADIR/logs/node.log`), one of swift-log's level names.
    var logLevel: Setting<String>
    /// Strategy files the node runs over its feed (`Specs/strategies.md`).
    var strategies: Setting<[String]>
    /// The price feed of the strategies: `bundled` (the bundled daily data, replayed), `none` (only `feed.push`),
    /// `-` (live NDJSON on stdin), a `.csv` file (replayed) or another path (live NDJSON: a file or a named pipe).
    var feed: Setting<String>
    /// Seconds between two bars of the replayed feed.
    var feedInterval: Setting<Double>
    /// The timeframe of the live feed's bars and of the bars ticks make; nil: the strategies' shortest.
    var feedTimeframe: Setting<Timeframe?>
    /// Milliseconds a live tick may arrive after its bar's end and still count.
    var feedGrace: Setting<Int64>
    /// Symbols whose signals the node receives from its peers (its strategies' symbols are added).
    var subscriptions: Setting<[String]>

    /// The environment variable for `key`.
    static func environmentName(_ key: String) -> String { "SIGNALMESH_" + key.uppercased() }

    /// The raw text values of a key and where they came from.
    struct Raw {
        var values: [String]
        var origin: SettingOrigin
    }

    /// Resolves every key from `flags` (the values given on the command line, by key; absent or empty when not
    /// given), `environment` and the file at `filePath` (absent is fine).
    /// - Throws: `CLIFailure` 78 naming the file line or variable that is wrong, 64 for a wrong flag.
    static func resolve(
        flags: [String: [String]], environment: [String: String], filePath: String, dataDirectory: String
    ) throws(CLIFailure) -> NodeConfiguration {
        let file = try readFile(filePath)
        // Every layer that gives a key is parsed, not only the one that wins: a wrong line in node.conf is reported
        // even while a flag overrides it, rather than waiting for the day the flag is dropped.
        var layers: [String: [Raw]] = [:]
        for key in keys {
            if let given = flags[key], !given.isEmpty {
                layers[key, default: []].append(
                    Raw(values: given, origin: .flag("--" + key.replacingOccurrences(of: "_", with: "-"))))
            }
            if let text = environment[environmentName(key)] {
                let values =
                    listKeys.contains(key)
                    ? text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : [text]
                layers[key, default: []].append(Raw(values: values, origin: .environment(environmentName(key))))
            }
            if let entries = file[key] {
                layers[key, default: []].append(
                    Raw(values: entries.map(\.value), origin: .file(path: filePath, line: entries[0].line)))
            }
        }
        /// `path` as given, or, when it is relative and comes from the file, inside the data directory the file
        /// lives in.
        func located(_ path: String, _ origin: SettingOrigin) -> String {
            if case .file = origin, !path.hasPrefix("/") { return dataDirectory + "/" + path }
            return path
        }
        /// The winning layer's value of `key`, after checking every layer's with `parse`.
        func pick<Value>(
            _ key: String, _ parse: (Raw) throws(CLIFailure) -> Value
        ) throws(CLIFailure) -> Setting<Value>? {
            var chosen: Setting<Value>?
            for raw in layers[key] ?? [] {
                let value = try parse(raw)
                if chosen == nil { chosen = Setting(value: value, origin: raw.origin) }
            }
            return chosen
        }
        var configuration = NodeConfiguration(
            listen: Setting(value: [defaultListen], origin: .defaultValue),
            seeds: Setting(value: nil, origin: .defaultValue),
            seedSigners: Setting(value: [], origin: .defaultValue),
            seedThreshold: Setting(value: 1, origin: .defaultValue),
            seedProfile: Setting(value: false, origin: .defaultValue),
            logLevel: Setting(value: "info", origin: .defaultValue),
            strategies: Setting(value: [], origin: .defaultValue),
            feed: Setting(value: "bundled", origin: .defaultValue),
            feedInterval: Setting(value: 1, origin: .defaultValue),
            feedTimeframe: Setting(value: nil, origin: .defaultValue),
            feedGrace: Setting(value: 0, origin: .defaultValue),
            subscriptions: Setting(value: [], origin: .defaultValue))
        if let listen = try pick(
            "listen",
            { (raw) throws(CLIFailure) in
                guard !raw.values.isEmpty, !raw.values.contains(where: \.isEmpty) else {
                    throw raw.origin.failure("listen is empty; give host:port, or two separated by a comma")
                }
                do throws(CLIFailure) {
                    return try ListenCommand.parseAddresses(raw.values)
                } catch {
                    throw raw.origin.failure(error.message)
                }
            })
        {
            configuration.listen = listen
        }
        if let seeds = try pick(
            "seeds",
            { (raw) throws(CLIFailure) -> String? in
                guard let path = raw.values.first, !path.isEmpty else { throw raw.origin.failure("seeds is empty") }
                return located(path, raw.origin)
            })
        {
            configuration.seeds = seeds
        }
        if let signers = try pick(
            "seed_signer",
            { (raw) throws(CLIFailure) in
                var ids: [NodeID] = []
                for text in raw.values {
                    do throws(NodeID.ParseError) {
                        ids.append(try NodeID(text: text))
                    } catch {
                        throw raw.origin.failure("seed_signer '\(text)' is not a node id: \(error.description)")
                    }
                }
                return ids
            })
        {
            configuration.seedSigners = signers
        }
        if let threshold = try pick(
            "seed_threshold",
            { (raw) throws(CLIFailure) in
                guard let text = raw.values.first, let value = Int(text), value >= 1 else {
                    throw raw.origin.failure("seed_threshold must be a whole number of at least 1")
                }
                return value
            })
        {
            configuration.seedThreshold = threshold
        }
        if let profile = try pick(
            "seed_profile",
            { (raw) throws(CLIFailure) in
                let text = raw.values.first?.lowercased() ?? ""
                guard
                    let value = [
                        "true": true, "yes": true, "on": true, "1": true, "false": false, "no": false,
                        "off": false, "0": false,
                    ][text]
                else { throw raw.origin.failure("seed_profile must be true or false, not '\(text)'") }
                return value
            })
        {
            configuration.seedProfile = profile
        }
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        if let level = try pick(
            "log_level",
            { (raw) throws(CLIFailure) in
                guard let text = raw.values.first?.lowercased(), levels.contains(text) else {
                    throw raw.origin.failure("log_level must be one of \(levels.joined(separator: ", "))")
                }
                return text
            })
        {
            configuration.logLevel = level
        }
        if let strategies = try pick(
            "strategy",
            { (raw) throws(CLIFailure) in
                try raw.values.map { (path) throws(CLIFailure) in
                    guard !path.isEmpty else { throw raw.origin.failure("strategy is empty: give a strategy file") }
                    return located(path, raw.origin)
                }
            })
        {
            configuration.strategies = strategies
        }
        if let interval = try pick(
            "feed_interval",
            { (raw) throws(CLIFailure) in
                guard let text = raw.values.first, let value = Double(text), value >= 0.001, value <= 3600 else {
                    throw raw.origin.failure("feed_interval must be a number of seconds from 0.001 to 3600")
                }
                return value
            })
        {
            configuration.feedInterval = interval
        }
        if let feed = try pick(
            "feed",
            { (raw) throws(CLIFailure) in
                guard let text = raw.values.first, !text.isEmpty else {
                    throw raw.origin.failure("feed is empty: give bundled, none, - (stdin) or a file")
                }
                if ["bundled", "none", "-"].contains(text) { return text }
                return located(text, raw.origin)
            })
        {
            configuration.feed = feed
        }
        if let timeframe = try pick(
            "feed_timeframe",
            { (raw) throws(CLIFailure) -> Timeframe? in
                do {
                    return try Timeframe(raw.values.first ?? "")
                } catch {
                    throw raw.origin.failure("feed_timeframe: \(error)")
                }
            })
        {
            configuration.feedTimeframe = timeframe
        }
        if let grace = try pick(
            "feed_grace",
            { (raw) throws(CLIFailure) in
                guard let text = raw.values.first, let value = Int64(text), (0...86_400_000).contains(value) else {
                    throw raw.origin.failure("feed_grace must be a whole number of milliseconds from 0 to 86400000")
                }
                return value
            })
        {
            configuration.feedGrace = grace
        }
        if let subscriptions = try pick(
            "subscribe",
            { (raw) throws(CLIFailure) in
                try raw.values.map { (symbol) throws(CLIFailure) in
                    guard Topic.signals(symbol) != nil, symbol.utf8.count <= 32 else {
                        throw raw.origin.failure("subscribe '\(symbol)' is not a symbol (letters, digits, . _ -)")
                    }
                    return symbol.uppercased()
                }
            })
        {
            configuration.subscriptions = subscriptions
        }
        try configuration.check()
        return configuration
    }

    /// The checks across keys: a seed list needs a signer; the threshold fits the signers.
    func check() throws(CLIFailure) {
        if seeds.value != nil && seedSigners.value.isEmpty {
            throw seeds.origin.failure(
                "seeds needs at least one seed_signer: the node id whose signature you trust (--seed-signer, "
                    + "SIGNALMESH_SEED_SIGNER or seed_signer in node.conf)")
        }
        let distinctSigners = Set(seedSigners.value).count
        if distinctSigners > 0 && seedThreshold.value > distinctSigners {
            throw seedThreshold.origin.failure(
                "seed_threshold \(seedThreshold.value) is more than the \(distinctSigners) distinct seed_signer id(s)")
        }
    }

    /// The file's entries by key, with their line numbers; an empty table when the file does not exist.
    static func readFile(_ path: String) throws(CLIFailure) -> [String: [(value: String, line: Int)]] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read(path, limit: maxFileBytes, what: "configuration file")
        } catch {
            throw .config(error.message)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .config("\(path) is not UTF-8 text")
        }
        var entries: [String: [(value: String, line: Int)]] = [:]
        // `\r\n` is one Character in Swift: split on any line break so that a file written on Windows reads the same.
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = index + 1
            var content = Substring(rawLine)
            if let hash = content.firstIndex(of: "#") { content = content[..<hash] }
            let trimmed = content.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw .config("\(path):\(line): expected key = value, found '\(trimmed)'")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard keys.contains(key) else {
                let hint =
                    key == "network" || key == "datadir"
                    ? " (set it with --\(key) or SIGNALMESH_\(key.uppercased()): the file lives inside the data directory)"
                    : ""
                throw .config(
                    "\(path):\(line): unknown key '\(key)'\(hint); the keys are \(keys.joined(separator: ", "))")
            }
            guard !value.isEmpty else { throw .config("\(path):\(line): \(key) has no value") }
            if entries[key] != nil && !listKeys.contains(key) {
                throw .config("\(path):\(line): \(key) is set twice (first on line \(entries[key]![0].line))")
            }
            entries[key, default: []].append((value, line))
        }
        return entries
    }

    /// Environment variables that look like SignalMesh's but are not known: probably typos, worth a warning.
    static func unknownVariables(in environment: [String: String]) -> [String] {
        let known = Set(keys.map(environmentName) + ["SIGNALMESH_NETWORK", "SIGNALMESH_DATADIR"])
        return environment.keys.filter { $0.hasPrefix("SIGNALMESH_") && !known.contains($0) }.sorted()
    }
}
