import Foundation
import Testing

/// The control socket of a running node, through the CLI clients (`status`, `peers`, `events`, `metrics`, `top`,
/// `stop`, `rpc`) and through the Python client in `Tools/`.
@Suite struct ControlCommandTests {
    /// Starts a lone node (no seeds) in `directory/name` and waits for its control socket.
    func startNode(in directory: TemporaryDirectory, name: String = "node") throws -> (CLIChild, String) {
        let datadir = directory.path + "/" + name
        let child = try CLIChild(
            ["run", "--datadir", datadir, "--network", "devnet", "--listen", "127.0.0.1:0", "--json"], limit: 60)
        let line = child.nextLine(within: 10)
        #expect(line?.contains("\"listening\"") == true, "\(child.standardError)")
        return (child, datadir)
    }

    /// Calls `body` with a Unix socket address for `path` (for `bind` or `connect`).
    func withUnixAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    func json(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    @Test func aLoneNodeAnswersTheClientsAndStopsOnRequest() throws {
        let directory = try TemporaryDirectory()
        let (node, datadir) = try startNode(in: directory)
        let socketPath = datadir + "/control.sock"
        var info = stat()
        #expect(lstat(socketPath, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o600, "the control socket is owner-only")

        // Isolated (no seeds, no peers): status says so and exits 1.
        let status = try CLIProcess.run(["status", "--datadir", datadir, "--json"])
        #expect(status.status == 1, "\(status.stderr)")
        let health = (json(status.stdout)?["health"] as? [String: Any])?["status"] as? String
        #expect(health == "isolated")

        let hello = try CLIProcess.run(["rpc", "node.hello", "{\"api_versions\":[1]}", "--datadir", datadir])
        #expect(hello.status == 0, "\(hello.stderr)")
        #expect(json(hello.stdout)?["api_version"] as? Int == 1)
        let wrong = try CLIProcess.run(["rpc", "node.hello", "{\"api_versions\":[7]}", "--datadir", datadir])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("none of the API versions"), "\(wrong.stderr)")
        let unknown = try CLIProcess.run(["rpc", "no.such", "--datadir", datadir])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("method not found"), "\(unknown.stderr)")

        let peers = try CLIProcess.run(["peers", "--datadir", datadir])
        #expect(peers.status == 0)
        #expect(peers.stdout.contains("no peers"), "\(peers.stdout)")

        let events = try CLIProcess.run(["events", "--datadir", datadir, "--json"])
        #expect(events.status == 0, "\(events.stderr)")
        let first = events.stdout.split(separator: "\n").first.map(String.init).flatMap(json)
        #expect(first?["type"] as? String == "node.started")
        #expect(first?["id"] as? Int == 1)

        let metrics = try CLIProcess.run(["metrics", "--datadir", datadir])
        #expect(metrics.status == 0)
        try checkWithPromtool(metrics.stdout)
        #expect(metrics.stdout.contains("# TYPE signalmesh_handshakes_total counter"))
        #expect(metrics.stdout.contains("signalmesh_drops_total{reason=\"bad_mac1\"} 0"))

        // A ban and its lifting, seen by `peers bans` and on the event stream.
        let stranger = "sm1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqgc9umk"
        #expect(try CLIProcess.run(["peers", "ban", stranger, "--duration", "60", "--datadir", datadir]).status == 0)
        #expect(try CLIProcess.run(["peers", "bans", "--datadir", datadir]).stdout.contains(stranger))
        #expect(try CLIProcess.run(["peers", "unban", stranger, "--datadir", datadir]).status == 0)
        let again = try CLIProcess.run(["peers", "unban", stranger, "--datadir", datadir])
        #expect(again.status == 1)
        #expect(again.stderr.contains("not banned"))
        let banEvents = try CLIProcess.run(["events", "--types", "peer.*", "--datadir", datadir])
        #expect(banEvents.stdout.contains("peer.banned") && banEvents.stdout.contains("peer.unbanned"))

        // The log: levels shown and changed while running, and the records in DATADIR/logs/node.log.
        let levels = try CLIProcess.run([
            "log-level", "debug", "--category", "transport", "--datadir", datadir, "--json",
        ])
        #expect(levels.status == 0, "\(levels.stderr)")
        #expect((json(levels.stdout)?["levels"] as? [String: String])?["transport"] == "debug")
        let badLevel = try CLIProcess.run(["log-level", "loud", "--datadir", datadir])
        #expect(badLevel.status == 1)
        #expect(badLevel.stderr.contains("\"level\" must be one of"), "\(badLevel.stderr)")
        let logText = try String(contentsOfFile: datadir + "/logs/node.log", encoding: .utf8)
        let logRecords = logText.split(separator: "\n").compactMap { json(String($0)) }
        #expect(logRecords.first?["msg"] as? String == "started")
        #expect(logRecords.contains { $0["msg"] as? String == "peer.banned" && $0["peer"] as? String == stranger })
        #expect(logRecords.contains { $0["msg"] as? String == "log level changed" })

        let frame = try CLIProcess.run(["top", "--once", "--datadir", datadir])
        #expect(frame.status == 0, "\(frame.stderr)")
        #expect(frame.stdout.contains("signalmesh top") && frame.stdout.contains("node.started"))

        let stop = try CLIProcess.run(["stop", "--datadir", datadir])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(node.exitStatus(within: 10) == 0, "\(node.standardError)")
        #expect(!FileManager.default.fileExists(atPath: socketPath), "the socket file is removed at shutdown")

        // With no node running, the clients say so with 69.
        let none = try CLIProcess.run(["status", "--datadir", datadir])
        #expect(none.status == 69)
        #expect(none.stderr.contains("no node is running"), "\(none.stderr)")
    }

    /// `promtool check metrics` (Debian's `prometheus` package; CI installs it) accepts `text`. Without promtool the
    /// check is skipped, except under CI, where its absence is a failure.
    func checkWithPromtool(_ text: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("promtool is not installed; .ci/run installs Debian's prometheus package for it")
            }
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool: \(report)")
        #expect(report.isEmpty, "promtool has remarks: \(report)")
    }

    @Test func aStaleSocketIsReplacedAndAnyOtherFileRefused() throws {
        let directory = try TemporaryDirectory()
        let datadir = directory.path + "/node"
        try FileManager.default.createDirectory(atPath: datadir, withIntermediateDirectories: true)
        // A socket file left by a node that was killed: bound, never unlinked.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let bound = withUnixAddress(datadir + "/control.sock") { bind(stale, $0, $1) }
        #expect(bound == 0)
        close(stale)
        let (node, _) = try startNode(in: directory)
        #expect(try CLIProcess.run(["rpc", "node.hello", "--datadir", datadir]).status == 0)
        node.send(SIGTERM)
        #expect(node.exitStatus(within: 10) == 0)

        // A regular file where the socket goes is not the node's to remove: exit 78 (configuration).
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: datadir + "/control.sock"))
        let refused = try CLIProcess.run([
            "run", "--datadir", datadir, "--network", "devnet", "--listen", "127.0.0.1:0",
        ])
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(refused.stderr.contains("is not a socket"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: datadir + "/control.sock", encoding: .utf8) == "keep me")
    }

    @Test func aClientThatHalfClosesStillGetsItsAnswers() throws {
        let directory = try TemporaryDirectory()
        let (node, datadir) = try startNode(in: directory)
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        let connected = withUnixAddress(datadir + "/control.sock") { connect(client, $0, $1) }
        #expect(connected == 0)
        // A long poll, then the end of the client's sending side (as `nc -N` or a script piping a file does): the
        // answer comes 300 ms after the node has read the end, and must still reach the client.
        let request =
            Array(
                #"{"jsonrpc":"2.0","id":1,"method":"events.poll","params":{"since":0,"types":["no.such"],"timeout_ms":300}}"#
                    .utf8) + [10]
        _ = request.withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }
        shutdown(client, Int32(SHUT_WR))
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += chunk[..<count]
        }
        let text = String(decoding: answer, as: UTF8.self)
        #expect(text.hasSuffix("\n") && text.contains(#""events":[]"#), "\(text.prefix(200))")
        node.send(SIGTERM)
        #expect(node.exitStatus(within: 10) == 0)
    }

    @Test func thePythonClientPassesItsConformanceChecks() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            Issue.record("python3 is not installed; the control API's conformance check needs it")
            return
        }
        let tools = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tools/control-client.py").path
        let directory = try TemporaryDirectory()
        let (node, datadir) = try startNode(in: directory)
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        check.arguments = [tools, "--socket", datadir + "/control.sock", "check"]
        let output = Pipe()
        check.standardOutput = output
        check.standardError = output
        try check.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "\(text)")
        #expect(text.contains("checks passed"))
        #expect(!text.contains("FAIL"), "\(text)")
        node.send(SIGTERM)
        #expect(node.exitStatus(within: 10) == 0)
    }

    @Test func neighboursShowWithDirectionTrafficAndSeedFlag() throws {
        let setup = try RunCommandTests().setUp()
        let seed = try CLIChild(setup.arguments("seed", listen: setup.seedAddress) + ["--seed-profile"], limit: 60)
        #expect(seed.nextLine(within: 10)?.contains("listening") == true)
        let joiner = try CLIChild(setup.arguments("b", listen: "127.0.0.1:0"), limit: 60)
        #expect(joiner.nextLine(within: 10)?.contains("listening") == true)
        #expect(RunCommandTests().waitForNeighbor(joiner, seconds: 15) != nil, "\(joiner.standardError)")
        Thread.sleep(forTimeInterval: 1)
        let listed = try CLIProcess.run(["peers", "--json", "--datadir", setup.datadir("b")])
        #expect(listed.status == 0, "\(listed.stderr)")
        let peers = json(listed.stdout)?["peers"] as? [[String: Any]] ?? []
        #expect(peers.count == 1)
        #expect(peers.first?["is_seed"] as? Bool == true)
        #expect(peers.first?["direction"] as? String == "outbound")
        #expect((peers.first?["bytes_in"] as? Int ?? 0) > 0)
        #expect((peers.first?["bytes_out"] as? Int ?? 0) > 0)
        #expect(peers.first?["connected_since"] is String)
        let fromSeed = try CLIProcess.run(["peers", "--json", "--datadir", setup.datadir("seed")])
        let seen = json(fromSeed.stdout)?["peers"] as? [[String: Any]] ?? []
        #expect(seen.first?["direction"] as? String == "inbound")
        let status = try CLIProcess.run(["status", "--datadir", setup.datadir("b")])
        #expect(status.stdout.contains("1 active"), "\(status.stdout)")
        for child in [seed, joiner] { child.send(SIGTERM) }
        for child in [seed, joiner] { #expect(child.exitStatus(within: 10) == 0, "\(child.standardError)") }
    }
}
