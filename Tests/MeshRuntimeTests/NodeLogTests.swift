import Foundation
import Logging
import MeshCore
import Synchronization
import Testing

@testable import MeshRuntime

/// The node's structured log: JSON lines, levels per category at run time, rate-limited repeats, rotation.
@Suite struct NodeLogTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        let now = Mutex(Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000))
        func advance(_ duration: MeshCore.Duration) { now.withLock { $0 += duration } }
        func read() -> Instant { now.withLock { $0 } }
    }

    func records(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func makeDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/signalmesh-log-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func writesOneJSONObjectPerRecordWithCategoryLevelAndMetadata() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let log = try NodeLog(directory: directory + "/logs") { clock.read() }
        log.logger("membership").info("neighbor.up", metadata: ["peer": "sm1abc", "level": "clash"])
        log.logger("transport").debug("not written at info")
        let lines = try records(log.path)
        #expect(lines.count == 1)
        #expect(lines[0]["category"] as? String == "membership")
        #expect(lines[0]["level"] as? String == "info")
        #expect(lines[0]["msg"] as? String == "neighbor.up")
        #expect(lines[0]["peer"] as? String == "sm1abc")
        #expect(lines[0]["meta_level"] as? String == "clash", "metadata never hides the record's own fields")
        #expect(lines[0]["ts"] as? String == "2026-11-21T00:00:00.000Z")
        var status = stat()
        #expect(stat(log.path, &status) == 0 && status.st_mode & 0o777 == 0o600)
    }

    @Test func levelsChangePerCategoryWhileRunning() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let log = try NodeLog(directory: directory) { clock.read() }
        let transport = log.logger("transport")
        transport.debug("hidden")
        log.setLevel(.debug, for: "transport")
        transport.debug("shown")
        log.logger("store").debug("still hidden")
        #expect(log.level(of: "transport") == .debug)
        #expect(log.level(of: "store") == .info)
        log.setLevel(.error, for: nil)
        transport.warning("hidden again: setting all resets each category")
        #expect(try records(log.path).map { $0["msg"] as? String } == ["shown"])
    }

    @Test func repeatsBeyondTenPerWindowAreCountedNotWritten() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let log = try NodeLog(directory: directory) { clock.read() }
        let logger = log.logger("membership")
        for _ in 0..<25 { logger.warning("message.malformed") }
        logger.warning("something else")
        #expect(try records(log.path).count == NodeLog.repeatsPerWindow + 1)
        clock.advance(.seconds(11))
        log.flushRepeats()
        let lines = try records(log.path)
        let summary = try #require(lines.last)
        #expect(summary["msg"] as? String == "repeated")
        #expect(summary["repeats"] as? Int == 15)
        #expect(summary["of"] as? String == "message.malformed")
        // A new window writes the message again.
        logger.warning("message.malformed")
        #expect(try records(log.path).last?["msg"] as? String == "message.malformed")
    }

    @Test func rotatesPastItsSizeKeepingThreeOldFiles() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let log = try NodeLog(directory: directory, maxFileBytes: 1000) { clock.read() }
        let logger = log.logger("node")
        for index in 0..<200 {
            logger.info("record", metadata: ["index": "\(index)"])  // distinct metadata, same message: rate-limited
            clock.advance(.seconds(11))  // a new repeat window each time
        }
        for suffix in ["", ".1", ".2", ".3"] {
            var status = stat()
            #expect(stat(log.path + suffix, &status) == 0, "node.log\(suffix) exists")
            #expect(Int(status.st_size) <= 1000)
        }
        #expect(!FileManager.default.fileExists(atPath: log.path + ".4"))
        #expect(try records(log.path).last?["index"] as? String == "199")
    }
}
