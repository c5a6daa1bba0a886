import ArgumentParser
import Dispatch
import Foundation
import MeshCore
import MeshMembership
import MeshSignals
import Synchronization

/// `signalmesh devnet`: a small network of real node processes on 127.0.0.1, for trying SignalMesh on one machine.
struct DevnetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devnet",
        abstract: "Start N real nodes on 127.0.0.1 joining through signed seeds, and show the overlay forming.",
        discussion: """
            Makes a folder (--dir, default a new temporary one) with one data directory per node. The first two \
            nodes are the seeds of the bundled devnet list, Bootstrap/devnet/seeds.json (signed; its seed keys are \
            public test keys, copied into the seeds' data directories), on 127.0.0.1:47100 and :47101. When that \
            list is not found (run from elsewhere: give --bootstrap), when --seeds asks for another number, or when \
            its ports are taken (another devnet runs), the devnet makes and signs a fresh list naming the first \
            --seeds nodes on free ports instead, and says so. Then starts \
            `signalmesh run` for every node (the seeds first), follows their events, and shows each node's \
            neighbours until Ctrl-C (or --duration seconds), when it stops them all with SIGTERM. It reports the \
            time until the overlay was one connected graph with every node at its minimum of neighbours. Node 0 \
            runs the example macd-cross strategy (or the --strategy files) over the bundled daily AAPL data, one \
            bar per --feed-interval, signs its signals and gossips them; every node subscribes to their symbol. \
            The table counts each node's own signals and those received from peers, and shows the latest. Exits \
            with 0 when the overlay was connected, 1 when not, or when a node died.
            """
    )

    @Option(name: .long, help: "How many nodes (2 to 64, default 5).")
    var nodes = 5

    @Option(name: .long, help: "How many of them are seeds (default: 2, or 1 for two nodes).")
    var seeds: Int?

    @Option(name: .long, help: "The folder for the devnet's keys, list and data directories (default: a new one).")
    var dir: String?

    @Option(name: .long, help: "The bundled devnet list's folder (default: Bootstrap/devnet, found from here).")
    var bootstrap: String?

    @Option(name: .long, help: "Stop after this many seconds instead of waiting for Ctrl-C.")
    var duration: Double?

    @Flag(name: .long, help: "Print one JSON object per line (node events, then a summary) instead of the table.")
    var json = false

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp(
            "A strategy file node 0 runs over the bundled feed; every node subscribes to its symbol's signals "
                + "(repeat for several; default: the example macd-cross strategy, written into the folder).",
            valueName: "file"))
    var strategy: [String] = []

    @Flag(name: .long, help: "Run the nodes without strategies.")
    var noStrategy = false

    @Option(name: .long, help: "Seconds between two bars of the nodes' replayed feed (default 0.05).")
    var feedInterval = 0.05

    /// A node needs this many neighbours (the membership low watermark, or all others in a small devnet) to count
    /// as joined.
    var neededNeighbours: Int { min(4, nodes - 1) }

    func validate() throws {
        guard (2...64).contains(nodes) else { throw ValidationError("--nodes must be from 2 to 64") }
        if let seeds, !(1...nodes).contains(seeds) { throw ValidationError("--seeds must be from 1 to --nodes") }
        if let duration, !(duration > 0 && duration <= 86_400) {
            throw ValidationError("--duration must be from 0 to 86400 seconds")
        }
        guard feedInterval >= 0.001 && feedInterval <= 3600 else {
            throw ValidationError("--feed-interval must be from 0.001 to 3600 seconds")
        }
        if noStrategy && !strategy.isEmpty { throw ValidationError("--no-strategy and --strategy exclude each other") }
    }

    func run() throws {
        let folder = try dir ?? Self.temporaryFolder()
        try DataDirectory(path: folder).create()
        let executable = Self.ownExecutable()
        let seedCount = seeds ?? min(2, nodes - 1)
        var ids: [String] = []
        for index in 0..<nodes {
            ids.append(try Self.runQuietly(executable, ["keygen", "--datadir", folder + "/node\(index)", "--force"]))
        }
        let signer: String
        let ports: [UInt16]
        if let bundled = try bundledList(seedCount: seedCount) {
            // The bundled list: its seeds' keys go into the first data directories.
            for (index, key) in bundled.keys.enumerated() {
                let target = folder + "/node\(index)/node.key"
                try FileIO.writeAtomically(key, to: target, what: "devnet seed key")
                // Owner-only, as the node demands of its key (git checks the bundled copy out readable by all).
                chmod(target, 0o600)
                ids[index] = try Self.runQuietly(executable, ["id", "--datadir", folder + "/node\(index)"])
            }
            try FileIO.writeAtomically(bundled.list, to: folder + "/seeds.json", what: "seed list")
            try FileIO.writeAtomically(bundled.signatures, to: folder + "/seeds.json.sig", what: "signature file")
            if !json { Output.line("seeds from the bundled devnet list \(bundled.folder)/seeds.json") }
            signer = bundled.signer
            ports = bundled.ports
        } else {
            // Keys, ports and the signed list: made with this program's own commands, as an operator would.
            signer = try Self.runQuietly(executable, ["keygen", "--datadir", folder + "/signer", "--force"])
            ports = try (0..<seedCount).map { _ throws(CLIFailure) in try Self.freeUDPPort() }
            var make = [
                "bootstrap", "make", "--network", "devnet", "--operator", "devnet", "-o", folder + "/seeds.json",
            ]
            for index in 0..<seedCount { make += ["--seed", "\(ids[index])@127.0.0.1:\(ports[index])"] }
            _ = try Self.runQuietly(executable, make)
            _ = try Self.runQuietly(
                executable, ["bootstrap", "sign", folder + "/seeds.json", "--datadir", folder + "/signer"])
        }

        let monitor = DevnetMonitor(ids: ids, needed: neededNeighbours)
        var children: [Process] = []
        let stopAll = {
            for child in children where child.isRunning { child.terminate() }
        }
        var strategies = strategy
        if strategy.isEmpty && !noStrategy {
            let example = folder + "/macd-cross.json"
            try FileIO.writeAtomically(Array(Strategy.exampleJSON.utf8), to: example, what: "example strategy")
            strategies = [example]
        }
        var symbols: [String] = []
        for file in strategies {
            do {
                symbols.append(try Strategy(contentsOf: file).symbol)
            } catch {
                throw CLIFailure.config("\(file): \(error)")
            }
        }
        // Every node subscribes to AAPL's signals as well, so that `signals publish` shows them spread.
        symbols = Array(Set(symbols + ["AAPL"])).sorted()
        let signals = Self.watchSignals { monitor.requestStop() }
        defer { signals.forEach { $0.cancel() } }
        let started = Date()
        for index in 0..<nodes {
            let process = Process()
            process.executableURL = executable
            var arguments = [
                "run", "--datadir", folder + "/node\(index)", "--network", "devnet", "--seeds", folder + "/seeds.json",
                "--seed-signer", signer, "--json",
                "--listen", index < seedCount ? "127.0.0.1:\(ports[index])" : "127.0.0.1:0",
            ]
            if index < seedCount { arguments.append("--seed-profile") }
            if index == 0 {
                for file in strategies { arguments += ["--strategy", file] }
                if !strategies.isEmpty { arguments += ["--feed-interval", "\(feedInterval)"] }
            }
            for symbol in symbols { arguments += ["--subscribe", symbol] }
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            let errorLog = folder + "/node\(index)/stderr.log"
            _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: errorLog) ?? FileHandle.nullDevice
            out.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil
                    return
                }
                monitor.receive(data, from: index, json: json)
            }
            do {
                try process.run()
            } catch {
                stopAll()
                throw CLIFailure.osError("cannot start node \(index): \(error.localizedDescription)")
            }
            children.append(process)
        }
        let header =
            "devnet in \(folder): \(nodes) nodes, \(seedCount) seed(s); Ctrl-C stops them\n"
            + "watch one: signalmesh top --datadir \(folder)/node0   (status, peers, events, metrics likewise)"
        let isTerminal = isatty(STDOUT_FILENO) == 1
        if !json { Output.line(header) }
        let deadline = duration.map { started.addingTimeInterval($0) }
        var lastTable = ""
        var died: Int?
        while !monitor.stopRequested && deadline.map({ Date() < $0 }) ?? true {
            Thread.sleep(forTimeInterval: 0.2)
            if let index = children.firstIndex(where: { !$0.isRunning }) {
                died = index
                break
            }
            monitor.noteConnectivity(since: started)
            if !json {
                let table = monitor.table()
                if table != lastTable {
                    // On a terminal the table is redrawn in place; into a file or pipe, each change is a new table.
                    if isTerminal { Output.line("\u{1B}[H\u{1B}[2J" + header) }
                    Output.line(table)
                    lastTable = table
                }
            }
        }
        // Resident memory of each node just before the stop (Linux /proc), for the summary.
        let residentKB = children.compactMap { Self.residentKilobytes(of: $0.processIdentifier) }
        let memory = children.compactMap { Self.proportionalMemory(of: $0.processIdentifier) }
        stopAll()
        for child in children { child.waitUntilExit() }
        let joinedAfter = monitor.joinedAfter
        if json {
            var summary: [String: Any] = ["event": "summary", "nodes": nodes, "seeds": seedCount, "dir": folder]
            summary["connected_after_ms"] = joinedAfter.map { Int($0 * 1000) }
            if !residentKB.isEmpty {
                summary["rss_kb_max"] = residentKB.max()
                summary["rss_kb_mean"] = residentKB.reduce(0, +) / residentKB.count
            }
            if !memory.isEmpty {
                summary["pss_kb_mean"] = memory.map(\.pss).reduce(0, +) / memory.count
                summary["private_kb_mean"] = memory.map(\.privateDirty).reduce(0, +) / memory.count
                summary["private_kb_max"] = memory.map(\.privateDirty).max()
            }
            Output.jsonLine(summary)
        } else {
            Output.line(
                joinedAfter.map { String(format: "the overlay was connected %.2f s after the start", $0) }
                    ?? "the overlay never became connected")
            if let largest = residentKB.max() {
                Output.line(
                    "resident memory per node: mean \(residentKB.reduce(0, +) / residentKB.count / 1024) MB, "
                        + "largest \(largest / 1024) MB")
            }
        }
        if let died {
            throw CLIFailure.software("node \(died) exited early; see \(folder)/node\(died)/stderr.log")
        }
        if joinedAfter == nil { throw ExitCode(1) }
    }

    // MARK: Helpers

    /// This program's path, to start its own subcommands.
    static func ownExecutable() -> URL {
        URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
    }

    /// Runs this program with `arguments` and returns its standard output's first line; fails with its standard error.
    static func runQuietly(_ executable: URL, _ arguments: [String]) throws(CLIFailure) -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw .osError("cannot run \(executable.path): \(error.localizedDescription)")
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw .software(
                "signalmesh \(arguments.prefix(2).joined(separator: " ")) failed: "
                    + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// `VmRSS` of process `pid` in kilobytes, from /proc; nil where there is none.
    /// A process's proportional set size (its share of pages it shares with others, such as the Swift runtime's
    /// and Foundation's code every node maps) and its private dirty memory (what it alone costs), from Linux's
    /// `/proc/PID/smaps_rollup`, in kB.
    static func proportionalMemory(of pid: Int32) -> (pss: Int, privateDirty: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") })?
                .split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        guard let pss = field("Pss"), let privateDirty = field("Private_Dirty") else { return nil }
        return (pss, privateDirty)
    }

    static func residentKilobytes(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// The bundled devnet list (`Bootstrap/devnet`): the list, its signatures, its signer's id, its seeds' keys and
    /// ports. Nil, with a note saying why, when it cannot be used: not found, another seed count asked for, or a
    /// port taken.
    func bundledList(
        seedCount: Int
    ) throws(CLIFailure) -> (
        folder: String, list: [UInt8], signatures: [UInt8], signer: String, keys: [[UInt8]], ports: [UInt16]
    )? {
        let candidates =
            bootstrap.map { [$0] }
            ?? [
                FileManager.default.currentDirectoryPath + "/Bootstrap/devnet",
                // From the build folder (.build/<config>/signalmesh) up to the package.
                URL(fileURLWithPath: Self.ownExecutable().path).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("Bootstrap/devnet").path,
            ]
        guard let folder = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/seeds.json") })
        else {
            if let bootstrap { throw .noInput("no seeds.json in --bootstrap \(bootstrap)") }
            Output.note("the bundled devnet list (Bootstrap/devnet) is not here; making a fresh one")
            return nil
        }
        let list = try FileIO.read(folder + "/seeds.json", limit: SeedList.maxBytes, what: "seed list")
        let parsed: SeedList
        do {
            parsed = try SeedList(parsing: list)
        } catch {
            throw .corruptData("\(folder)/seeds.json: \(error.description)")
        }
        guard parsed.seeds.count == seedCount else {
            Output.note("the bundled devnet list has \(parsed.seeds.count) seeds, not \(seedCount); making a fresh one")
            return nil
        }
        let ports = parsed.seeds.map { $0.addresses.first?.port ?? 0 }
        for port in ports where !Self.isFree(port) {
            Output.note("port \(port) of the bundled devnet list is taken (another devnet?); making a fresh list")
            return nil
        }
        let signatures = try FileIO.read(
            folder + "/seeds.json.sig", limit: SeedListSignatures.maxBytes, what: "signature file")
        let signer = String(
            decoding: try FileIO.read(folder + "/signer.id", limit: 256, what: "signer id"), as: UTF8.self
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        var keys: [[UInt8]] = []
        for index in 0..<seedCount {
            let key = try FileIO.read(folder + "/seed\(index).key", limit: 4096, what: "devnet seed key")
            // The key file names its node id; it must be the seed the list names in the same place.
            guard String(decoding: key, as: UTF8.self).contains("node-id \(parsed.seeds[index].peerID.text)") else {
                throw .corruptData("\(folder)/seed\(index).key is not the key of seeds[\(index)] in seeds.json")
            }
            keys.append(key)
        }
        return (folder, list, signatures, signer, keys, ports)
    }

    /// Whether UDP `port` on 127.0.0.1 can be bound now.
    static func isFree(_ port: UInt16) -> Bool {
        bindLoopbackUDP(port: port) != nil
    }

    /// A UDP port on 127.0.0.1 that was free a moment ago.
    static func freeUDPPort() throws(CLIFailure) -> UInt16 {
        guard let port = bindLoopbackUDP(port: 0) else {
            throw .osError("cannot find a free port: \(String(cString: strerror(errno)))")
        }
        return port
    }

    /// Binds a UDP socket to 127.0.0.1:`port` (0: the kernel picks), closes it, and returns the port it had; nil if
    /// the bind failed.
    private static func bindLoopbackUDP(port: UInt16) -> UInt16? {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        return bound ? UInt16(bigEndian: address.sin_port) : nil
    }

    static func temporaryFolder() throws(CLIFailure) -> String {
        var template = Array((NSTemporaryDirectory() + "/signalmesh-devnet-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw .ioError("cannot make a temporary folder: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// SIGINT and SIGTERM call `handler` (on a dispatch queue) instead of ending the process.
    static func watchSignals(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}

/// Follows the nodes' JSON events: each node's neighbours, and when the overlay was first connected.
final class DevnetMonitor: Sendable {
    private struct State {
        var buffers: [[UInt8]]
        var neighbours: [Set<String>]
        /// Signals each node's strategies gave, those it received from peers, and the latest of all, as a line.
        var signals: [Int] = []
        var received: [Int] = []
        var lastSignal: String?
        var joinedAfter: TimeInterval?
        var stop = false
    }

    private let ids: [String]
    private let needed: Int
    private let state: Mutex<State>

    init(ids: [String], needed: Int) {
        self.ids = ids
        self.needed = needed
        state = Mutex(
            State(
                buffers: Array(repeating: [], count: ids.count), neighbours: Array(repeating: [], count: ids.count),
                signals: Array(repeating: 0, count: ids.count), received: Array(repeating: 0, count: ids.count)))
    }

    var stopRequested: Bool { state.withLock { $0.stop } }
    var joinedAfter: TimeInterval? { state.withLock { $0.joinedAfter } }

    func requestStop() { state.withLock { $0.stop = true } }

    /// Takes output of node `index`; complete lines are events.
    func receive(_ data: Data, from index: Int, json: Bool) {
        let lines: [String] = state.withLock { state in
            state.buffers[index] += data
            var lines: [String] = []
            while let newline = state.buffers[index].firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: state.buffers[index][..<newline], as: UTF8.self))
                state.buffers[index].removeSubrange(...newline)
            }
            // A node's output line is bounded; a runaway one is dropped rather than held.
            if state.buffers[index].count > 64 << 10 { state.buffers[index].removeAll() }
            return lines
        }
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let event = object["event"] as? String
            else { continue }
            if json { Output.line("{\"node\":\(index),\(line.dropFirst())") }
            if event == "signal_received" {
                state.withLock { $0.received[index] += 1 }
                continue
            }
            if event == "signal" {
                let text = ["time", "symbol", "timeframe", "side", "kind", "price", "strategy", "rule"].map {
                    object[$0].map { "\($0)" } ?? "-"
                }
                state.withLock { state in
                    state.signals[index] += 1
                    state.lastSignal =
                        "latest signal: node \(index): \(text[0])  \(text[1]) \(text[2])  \(text[3]) \(text[4])  "
                        + "\(text[5])  (\(text[6]) / \(text[7]))"
                }
                continue
            }
            guard let peer = object["peer"] as? String else { continue }
            state.withLock { state in
                if event == "neighbor_up" { state.neighbours[index].insert(peer) }
                if event == "neighbor_down" { state.neighbours[index].remove(peer) }
            }
        }
    }

    /// Records the first moment every node has its needed neighbours and the overlay is one connected graph.
    func noteConnectivity(since start: Date) {
        state.withLock { state in
            guard state.joinedAfter == nil, state.neighbours.allSatisfy({ $0.count >= needed }) else { return }
            var seen: Set<String> = [ids[0]]
            var frontier = [0]
            let indexByID = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            while let next = frontier.popLast() {
                for peer in state.neighbours[next] where !seen.contains(peer) {
                    seen.insert(peer)
                    if let index = indexByID[peer] { frontier.append(index) }
                }
            }
            if seen.count == ids.count { state.joinedAfter = Date().timeIntervalSince(start) }
        }
    }

    /// One line per node: index, id, neighbour count and their indices.
    func table() -> String {
        state.withLock { state in
            let indexByID = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            var lines = ["node  id                signals own/received  neighbours"]
            for (index, id) in ids.enumerated() {
                let peers = state.neighbours[index].compactMap { indexByID[$0] }.sorted().map(String.init)
                lines.append(
                    "\(String(index).padding(toLength: 4, withPad: " ", startingAt: 0))  \(id.prefix(16))  "
                        + "\("\(state.signals[index])/\(state.received[index])".padding(toLength: 20, withPad: " ", startingAt: 0))  "
                        + "\(peers.count): \(peers.joined(separator: " "))")
            }
            if let joined = state.joinedAfter { lines.append(String(format: "connected after %.2f s", joined)) }
            if let signal = state.lastSignal { lines.append(signal) }
            return lines.joined(separator: "\n")
        }
    }
}
