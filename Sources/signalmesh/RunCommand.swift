import ArgumentParser
import Foundation
import Logging
import MeshControl
import MeshCore
import MeshCrypto
import MeshIndicators
import MeshMembership
import MeshNode
import MeshRuntime
import MeshSampleData
import MeshSignals

/// `signalmesh run`: runs the node — transport and membership — with the data directory's identity, joining the
/// network through a signed seed list, until signalled.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the node: join the network through a seed list and keep a membership overlay.",
        discussion: """
            Uses the data directory (default ~/.signalmesh/NETWORK): node.key (created on first run; refused if \
            others can read it), LOCK (one node per directory: a second one exits with 73), VERSION, \
            seedlist.accepted (the seq and digest of the last seed list accepted, so an older list is refused after \
            a restart too), and peers.sqlite (the peers it knew and its bans, written 5 s after the start, then \
            every 30 s and at shutdown, so a restarted node rejoins through them too). With --seeds FILE the node \
            verifies FILE and FILE.sig against the --seed-signer ids (Specs/bootstrap.md) and joins through the \
            seeds; a node listed as a seed in the file skips itself. The control socket, control.sock (owner-only; \
            Specs/control-api.md), serves `signalmesh status`, `peers`, `events`, `metrics` and `top`. It prints one line when listening, then \
            neighbours coming and going, until the first SIGINT or SIGTERM (a second one exits at once).
            """
    )

    @OptionGroup var node: NodeOptions

    @OptionGroup var settings: RunSettings

    func run() throws {
        try NodeRunner(node: node, settings: settings, seedCommand: false).run()
    }
}

/// `signalmesh seed`: a node in the seed profile, for operators of the nodes others join through.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Run a seed node: the node others join through (higher caps, per-IP limits, no trading state).",
        discussion: """
            The same as `signalmesh run --seed-profile` (same data directory, configuration and control socket): \
            active and passive views of 32 and 256 peers instead of 8 and 64, a peer table of 4096, and per-IP \
            limits on peer-exchange requests (JOIN and SHUFFLE: a burst of 64, then 2 a second) on top of the \
            transport's per-IP handshake limits; peer-exchange replies are bounded by the membership protocol (at \
            most as many records as asked for, 16 at most). A seed keeps no trading state. Bootstrap/ has a \
            systemd unit for it.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var settings: RunSettings

    func run() throws {
        try NodeRunner(node: node, settings: settings, seedCommand: true).run()
    }
}

/// What `run` and `seed` do: the node, its data directory, configuration, control socket, until signalled.
struct NodeRunner {
    let node: NodeOptions
    let settings: RunSettings
    /// Whether `signalmesh seed` asked for it (the seed profile whatever the configuration says).
    let seedCommand: Bool

    func run() throws {
        let directory = try node.dataDirectory()
        try directory.create()
        let lock = try DataDirectoryLock(directory: directory)
        defer { lock.release() }
        try directory.checkVersion()
        let identity = try loadOrCreateKey(in: directory)
        for name in NodeConfiguration.unknownVariables(in: NodeOptions.environment) {
            Output.note("warning: \(name) is not a SignalMesh setting (a typo?); see `signalmesh config show`")
        }
        let configuration = try settings.resolve(in: directory)
        let bind = configuration.listen.value
        let seedProfile = seedCommand || configuration.seedProfile.value
        let contacts = try loadSeeds(configuration, directory: directory)
        let log: NodeLog
        do {
            log = try NodeLog(
                directory: directory.path + "/logs",
                level: Logger.Level(rawValue: configuration.logLevel.value) ?? .info
            ) {
                var time = timespec()
                clock_gettime(CLOCK_REALTIME, &time)
                return Instant(nanosecondsSinceEpoch: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
            }
        } catch {
            throw CLIFailure.ioError(error.description)
        }
        let store: PeerStore
        do {
            store = try PeerStore(path: directory.peerStoreFile)
        } catch {
            throw CLIFailure.corruptData(
                "the peer store \(directory.peerStoreFile) cannot be used: \(error.description); "
                    + "move it aside to start with an empty one")
        }

        let (signals, feed) = try loadStrategies(configuration)
        defer { if let input = feed.input, input.descriptor > 0 { close(input.descriptor) } }
        let host: NodeHost
        do {
            var endpointSettings = node.endpointSettings
            if seedProfile { endpointSettings.maxPeers = 4096 }
            host = try NodeHost(
                identity: identity, addresses: bind, seeds: contacts, settings: endpointSettings,
                membership: seedProfile ? .seed : MembershipSettings(), roles: seedProfile ? [.seed] : [],
                store: store,
                control: NodeHost.ControlOptions(
                    path: directory.controlSocketFile, version: BuildInfo.version, network: node.network.value,
                    dataDirectory: directory.path, seedProfile: seedProfile),
                exchangeLimit: seedProfile ? NodeCore.seedExchangeLimit : nil, log: log, signals: signals,
                feed: feed.replay,
                liveFeed: feed.live, subscriptions: configuration.subscriptions.value)
            if let input = feed.input { try host.startLineFeed(descriptor: input.descriptor, name: input.name) }
        } catch {
            throw CLIFailure(setUp: error)
        }
        let json = node.json
        let watcher: SignalWatcher
        do {
            watcher = try SignalWatcher(loop: host.loop) { signal, count in
                guard count == 1 else { NodeOptions.exitAtOnce(signal) }
                if json {
                    Output.jsonLine(["event": "shutdown", "signal": signal.description])
                } else {
                    Output.line("\(signal): shutting down")
                }
                host.stop()
            }
        } catch {
            try? host.shutdown()
            throw CLIFailure(setUp: error)
        }
        host.onEvent = { event in Self.log(event, json: json) }
        host.onStopRequest = {
            if json {
                Output.jsonLine(["event": "shutdown", "reason": "node.stop"])
            } else {
                Output.line("node.stop on the control socket: shutting down")
            }
            host.stop()
        }
        let bound = host.localAddresses.map(\.description)
        if json {
            Output.jsonLine([
                "event": "listening", "node_id": host.nodeID.text, "addresses": bound, "network": node.network.value,
                "seeds": contacts.count, "control": directory.controlSocketFile,
            ])
        } else {
            Output.line(
                "running as \(host.nodeID.text) on \(bound.joined(separator: " ")), \(contacts.count) seed(s)")
        }
        host.start()
        host.run()
        watcher.close()
        if let error = host.storeError { Output.note("the peer store could not be written: \(error.description)") }
        do {
            try host.shutdown()
        } catch {
            throw CLIFailure.software("the node did not shut down cleanly: \(error.description)")
        }
    }

    static func log(_ event: NodeEvent, json: Bool) {
        switch event {
        case .neighborUp(let peer):
            if json {
                Output.jsonLine(["event": "neighbor_up", "peer": peer.text])
            } else {
                Output.line("neighbor up: \(peer.text)")
            }
        case .neighborDown(let peer):
            if json {
                Output.jsonLine(["event": "neighbor_down", "peer": peer.text])
            } else {
                Output.line("neighbor down: \(peer.text)")
            }
        case .malformedMessage(let peer, let reason):
            Output.note("ignored a message from \(peer.shortText)…: \(reason)")
        case .banned(let peer, _), .unbanned(let peer):
            if json {
                Output.jsonLine(["event": event.controlType, "peer": peer.text])
            } else {
                Output.line("\(event.controlType): \(peer.text)")
            }
        case .sessionUp, .sessionDown:
            break  // on the control socket's event stream; neighbours are what the terminal shows
        case .signal(let signal, _):
            if json {
                Self.jsonLine(signal, extra: ["event": "signal"])
            } else {
                Output.line(SignalsCommand.line(signal))
            }
        case .signalReceived(let record, _):
            if json {
                let extra: [String: JSONValue] = ["event": "signal_received", "issuer": .string(record.issuer.text)]
                Self.jsonLine(record.signal, extra: extra)
            } else {
                Output.line(SignalsCommand.line(record.signal, issuer: record.issuer))
            }
        }
    }

    static func signalFields(_ signal: Signal) -> [String: JSONValue] {
        [
            "strategy": .string(signal.strategy), "rule": .string(signal.rule), "symbol": .string(signal.symbol),
            "timeframe": .string(signal.timeframe), "time": .string(Feed.label(signal.time)),
            "price": .double(signal.price), "side": .string(signal.side.rawValue),
            "kind": .string(signal.kind.rawValue), "strength": .double(signal.strength),
        ]
    }

    /// A signal's log line in JSON, written by `JSONValue` (the same text as `Output.jsonLine`'s): every node of a
    /// devnet prints one per signal, and `JSONSerialization` was a seventh of a node's processor time per signal.
    private static func jsonLine(_ signal: Signal, extra: [String: JSONValue]) {
        let fields = signalFields(signal).merging(extra) { _, new in new }
        Output.line(String(decoding: JSONValue.object(fields).encoded, as: UTF8.self))
    }

    /// Where the strategies' bars come from.
    struct FeedPlan {
        /// Bars replayed one per `feed_interval` (the bundled data, a CSV file).
        var replay: FeedReplay?
        /// How live records become bars.
        var live: LiveFeed?
        /// A live NDJSON input: its descriptor and name.
        var input: (descriptor: Int32, name: String)?
    }

    /// The strategies of the configuration and the feed they run over (`feed`): by default the bundled daily data
    /// of their symbols, replayed one bar per `feed_interval`; nothing without strategies.
    private func loadStrategies(
        _ configuration: NodeConfiguration
    ) throws(CLIFailure) -> (SignalEngine, FeedPlan) {
        var strategies: [Strategy] = []
        for path in configuration.strategies.value {
            do {
                strategies.append(try Strategy(contentsOf: path))
            } catch {
                throw configuration.strategies.origin.failure("\(error)")
            }
        }
        let engine: SignalEngine
        do {
            engine = try SignalEngine(strategies: strategies)
        } catch {
            throw configuration.strategies.origin.failure("\(error)")
        }
        guard !strategies.isEmpty else {
            if configuration.feed.origin != .defaultValue {
                throw configuration.feed.origin.failure("feed needs a strategy to feed (--strategy)")
            }
            return (engine, FeedPlan())
        }
        let timeframe = configuration.feedTimeframe.value ?? LiveFeed.shortest(strategies.map(\.timeframe))!
        let live: LiveFeed
        do {
            live = try LiveFeed(symbols: engine.symbols, timeframe: timeframe, grace: configuration.feedGrace.value)
        } catch {
            throw configuration.feedGrace.origin.failure("\(error)")
        }
        if let slower = strategies.first(where: { LiveFeed.shortest([$0.timeframe, timeframe]) != timeframe }) {
            throw configuration.feedTimeframe.origin.failure(
                "feed_timeframe \(timeframe) is longer than strategy \(slower.id)'s \(slower.timeframe): its bars "
                    + "cannot be made from the feed's")
        }
        let interval = Duration.nanoseconds(Int64(configuration.feedInterval.value * 1e9))
        let source = configuration.feed.value
        switch source {
        case "none":
            return (engine, FeedPlan(live: live))
        case "-":
            return (engine, FeedPlan(live: live, input: (0, "stdin")))
        case "bundled":
            break
        case let path where path.hasSuffix(".csv"):
            guard engine.symbols.count == 1 else {
                throw configuration.feed.origin.failure(
                    "a CSV feed carries one symbol's bars; the strategies trade "
                        + engine.symbols.joined(separator: ", ") + " (use NDJSON records with a symbol)")
            }
            let table: Feed.Table
            do {
                table = try Feed.bars(csv: try FeedOptions.readText(path))
            } catch let failure as CLIFailure {
                throw failure
            } catch {
                throw CLIFailure.corruptData("\(path): \(error)")
            }
            if table.timed, let smallest = Feed.spacing(of: table.bars, exceeding: timeframe) {
                throw configuration.feed.origin.failure(
                    "\(path)'s bars are \(smallest / 1000) s apart, longer than the feed's timeframe \(timeframe) "
                        + "(set feed_timeframe to theirs)")
            }
            let replay = FeedReplay(bars: [engine.symbols[0]: table.bars], timeframe: timeframe, interval: interval)
            return (engine, FeedPlan(replay: replay, live: live))
        case let path:
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw CLIFailure.ioError("cannot read the feed \(path): \(String(cString: strerror(errno)))")
            }
            // A named pipe is opened for writing too, so that it never reads as ended between two writers.
            let isPipe = status.st_mode & S_IFMT == S_IFIFO
            let descriptor = open(path, (isPipe ? O_RDWR : O_RDONLY) | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw CLIFailure.ioError("cannot open the feed \(path): \(String(cString: strerror(errno)))")
            }
            return (engine, FeedPlan(live: live, input: (descriptor, path)))
        }
        var bars: [String: [TimeBar]] = [:]
        for symbol in engine.symbols {
            guard let table = Feed.sample(symbol) else {
                throw configuration.strategies.origin.failure(
                    "no feed for \(symbol): the node replays the bundled data, which has "
                        + SampleData.symbols.joined(separator: ", "))
            }
            bars[symbol] = table.bars
        }
        return (
            engine,
            FeedPlan(replay: FeedReplay(bars: bars, timeframe: try? Timeframe("1d"), interval: interval), live: live)
        )
    }

    /// The data directory's key; a new one (and a note) when the directory has none.
    private func loadOrCreateKey(in directory: DataDirectory) throws(CLIFailure) -> Ed25519PrivateKey {
        if !FileManager.default.fileExists(atPath: directory.keyFile) {
            let key = Ed25519PrivateKey()
            try KeyStore.store(key, to: directory.keyFile, replace: false)
            Output.note("created \(directory.keyFile): this node is \(key.nodeID.text)")
        }
        return try KeyStore.load(from: directory.keyFile)
    }

    /// The seeds of the verified seed list (none without one), with the accepted list's state updated.
    private func loadSeeds(
        _ configuration: NodeConfiguration, directory: DataDirectory
    ) throws(CLIFailure) -> [PeerContact] {
        guard let seeds = configuration.seeds.value else { return [] }
        let signers = Set(configuration.seedSigners.value)
        let seedThreshold = configuration.seedThreshold.value
        let list = try FileIO.read(seeds, limit: SeedList.maxBytes, what: "seed list")
        let signatures = try FileIO.read(seeds + ".sig", limit: SeedListSignatures.maxBytes, what: "signature file")
        let previous = try directory.acceptedSeedList()
        let now = Instant(nanosecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1e9))
        let verified: VerifiedSeedList
        do {
            verified = try SeedListVerifier.verify(
                list: list, signatures: signatures, trust: SeedListTrust(signers: signers, threshold: seedThreshold),
                network: node.network.value, previous: previous, now: now)
        } catch {
            throw CLIFailure.corruptData("\(seeds) refused: \(error.description)")
        }
        for warning in verified.warnings { Output.note("warning: \(warning.description)") }
        if verified.accepted != previous { try directory.storeAcceptedSeedList(verified.accepted) }
        return verified.list.seeds.map(PeerContact.init(seed:))
    }
}
