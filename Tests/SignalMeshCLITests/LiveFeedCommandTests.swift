import Foundation
import MeshCore
import Testing

/// `signalmesh run --feed`: a live NDJSON feed from a named pipe into the node's strategies, and the checks on the
/// feed settings.
@Suite("run --feed")
struct LiveFeedCommandTests {
    static let examples = BacktestCommandTests.examples

    /// NDJSON daily bars of a random walk, `count` of them from 2024-01-01.
    static func bars(_ count: Int) -> String {
        var generator = SplitMix64(seed: 7)
        var price = 100.0
        var lines: [String] = []
        for day in 0..<count {
            let open = price
            price *= 1 + (Double(generator.next() % 4001) - 2000) / 50_000
            let time = 1_704_067_200_000 + Int64(day) * 86_400_000
            lines.append(
                "{\"symbol\":\"AAPL\",\"time\":\(time),\"open\":\(open),\"high\":\(max(open, price) * 1.01),"
                    + "\"low\":\(min(open, price) * 0.99),\"close\":\(price),\"volume\":1000}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("bars written to a named pipe reach the strategy as they arrive; a bad line is skipped, the node runs on")
    func namedPipeFeed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("feed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("feed.pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let node = try CLIChild(
            [
                "run", "--datadir", directory.appendingPathComponent("node").path, "--network", "devnet",
                "--listen", "127.0.0.1:0", "--json", "--strategy", "\(Self.examples)/macd-cross.json", "--feed", fifo,
            ], limit: 60)
        defer { node.kill() }
        // The first line says the node runs (and so has opened the pipe).
        #expect(node.nextLine(within: 20)?.contains("\"seeds\"") == true)
        // The node holds the pipe open for writing too, so this open does not wait and a writer that closes does
        // not end the feed.
        let writer = try #require(FileHandle(forWritingAtPath: fifo))
        writer.write(Data(("this is not JSON\n" + Self.bars(300)).utf8))
        try writer.close()
        var signals = 0
        let deadline = Date(timeIntervalSinceNow: 30)
        while signals == 0, Date() < deadline, let line = node.nextLine(within: 30) {
            if line.contains("\"signal\"") && line.contains("macd-cross") { signals += 1 }
        }
        #expect(signals > 0, "no signal from the piped bars: \(node.standardError)")
        node.send(SIGTERM)
        #expect(node.exitStatus(within: 15) == 0, "\(node.standardError)")
        let log = try String(
            contentsOfFile: directory.appendingPathComponent("node/logs/node.log").path, encoding: .utf8)
        #expect(log.contains("\"feed line refused\"") && log.contains("\"line\":\"1\""))
    }

    @Test("signalmesh feed push sends NDJSON to a running node and reports refused lines by number; feed status")
    func pushToRunningNode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("push-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let datadir = directory.path
        let node = try CLIChild(
            [
                "run", "--datadir", datadir, "--network", "devnet", "--listen", "127.0.0.1:0", "--json",
                "--strategy", "\(Self.examples)/macd-cross.json", "--feed", "none",
            ], limit: 60)
        defer { node.kill() }
        #expect(node.nextLine(within: 20)?.contains("\"seeds\"") == true)
        let input = Self.bars(300) + "{\"symbol\": \"AAPL\", \"time\": 0, \"close\": 1}\nnot json\n"
        let pushed = try CLIProcess.run(
            ["feed", "push", "--datadir", datadir, "--network", "devnet", "--batch", "64", "--json"], input: input)
        #expect(pushed.status == 65, "\(pushed.stderr)")
        let lines = pushed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("\"line\":301") && $0.contains("open") })
        #expect(lines.contains { $0.contains("\"line\":302") && $0.contains("not valid JSON") })
        #expect(lines.last?.contains("\"accepted\":300") == true && lines.last?.contains("\"bars\":300") == true)
        let status = try CLIProcess.run(["feed", "--datadir", datadir, "--network", "devnet"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("timeframe    1d") && status.stdout.contains("bars         300"))
        #expect(status.stdout.contains("symbols      AAPL"))
        node.send(SIGTERM)
        #expect(node.exitStatus(within: 15) == 0)
    }

    @Test("feed settings that cannot work are refused before the node starts")
    func badSettings() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("feedbad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = ["run", "--datadir", directory.path, "--network", "devnet", "--listen", "127.0.0.1:0"]
        let strategy = ["--strategy", "\(Self.examples)/macd-cross.json"]
        for (arguments, problem) in [
            (["--feed", "-"], "feed needs a strategy"),
            (strategy + ["--feed-timeframe", "1w"], "longer than strategy"),
            (strategy + ["--feed-timeframe", "7x"], "feed_timeframe"),
            (strategy + ["--feed-grace=-5"], "feed_grace"),
            (strategy + ["--feed", directory.path + "/missing.ndjson"], "cannot read the feed"),
            (
                strategy + ["--strategy", "\(Self.examples)/rsi-reversion.json", "--feed", "x.csv"],
                "a CSV feed carries one symbol"
            ),
        ] {
            let result = try CLIProcess.run(base + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(problem), "\(arguments): \(result.stderr)")
        }
    }
}
