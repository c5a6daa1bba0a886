import Foundation
import Glibc
import MeshCore
import Testing

@testable import signalmesh

/// `signalmesh throughput serve` and `throughput send` as two real processes on 127.0.0.1, each killed after 30 s
/// whatever happens; then the report codec, the receiver's tally and the datagram window driven directly.
@Suite(.serialized) struct ThroughputTests {
    @Test(arguments: [ThroughputMode.datagram, .stream])
    func oneSecondRunReportsGoodputAndTheServerLogsItThenExitsOnSIGTERM(mode: ThroughputMode) throws {
        let temporary = try TemporaryDirectory()
        let datadir = temporary.path + "/server"
        #expect(try CLIProcess.run(["keygen", "--datadir", datadir]).status == 0)
        let server = try CLIChild(
            ["throughput", "serve", "--listen", "127.0.0.1:0", "--datadir", datadir, "--json"], limit: 30)
        defer { server.kill() }
        let listening = try #require(ListenPingTests.parseJSON(server.nextLine(within: 10) ?? ""), "no listening line")
        let id = try #require(listening["node_id"] as? String)
        let address = try #require((listening["addresses"] as? [String])?.first)

        let sender = try CLIChild(
            [
                "throughput", "send", "\(id)@\(address)", "--mode", mode.rawValue, "--seconds", "1", "--json",
                "--datadir", temporary.path + "/sender",
            ], limit: 30)
        defer { sender.kill() }
        #expect(sender.exitStatus(within: 25) == 0, "send: \(sender.standardError)")
        let events = sender.remainingLines(within: 5).compactMap(ListenPingTests.parseJSON)
        #expect(events.map { $0["event"] as? String } == ["connected", "summary"])
        let summary = try #require(events.last)
        #expect(summary["mode"] as? String == mode.rawValue)
        #expect(summary["size"] as? Int == mode.defaultSize)
        let sent = try #require(summary["sent_messages"] as? Int)
        let received = try #require(summary["received_messages"] as? Int)
        #expect(sent > 0 && received > 0 && received <= sent)
        #expect(try #require(summary["goodput_mbps"] as? Double) > 0)
        #expect(summary["received_bytes"] as? Int == received * mode.defaultSize)
        #expect((summary["lost"] as? Int).map { $0 + received } == sent)
        if mode == .stream {
            #expect(summary["lost"] as? Int == 0)
            #expect(summary["out_of_order"] as? Int == 0)
            #expect(summary["duplicates"] as? Int == 0)
        }

        let run = try #require(ListenPingTests.parseJSON(server.nextLine(within: 10) ?? ""), "no run line")
        #expect(run["event"] as? String == "run")
        #expect(run["run"] as? String == summary["run"] as? String)
        #expect(run["received_messages"] as? Int == received)
        server.send(SIGTERM)
        #expect(server.exitStatus(within: 10) == 0, "serve: \(server.standardError)")
    }

    @Test(arguments: [
        (["--size", "0"], "--size 0 is too small"),
        (["--size", "2000"], "--size 2000 does not fit one datagram"),
        (["--mode", "stream", "--size", "2000000"], "above the reliable stream's message limit"),
        (["--mode", "bogus"], "bogus"),
        (["--seconds", "0"], "--seconds must be between"),
        (["--seconds", "nan"], "--seconds must be between"),
        (["--timeout", "0"], "--timeout must be between"),
    ])
    func badSendArgumentIsAUsageError(arguments: [String], message: String) throws {
        let temporary = try TemporaryDirectory()
        let target = "\(ListenPingTests.someNodeID.text)@127.0.0.1:9"
        let result = try CLIProcess.run(["throughput", "send", target, "--datadir", temporary.path] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func serveRefusesABadListenAddressWith64() throws {
        let temporary = try TemporaryDirectory()
        #expect(try CLIProcess.run(["keygen", "--datadir", temporary.path]).status == 0)
        let result = try CLIProcess.run([
            "throughput", "serve", "--listen", "127.0.0.1", "--datadir", temporary.path,
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("has no port"), "\(result.stderr)")
    }

    @Test func sendWithNobodyServingExitsWith1WithinItsTimeout() throws {
        let temporary = try TemporaryDirectory()
        let port = try ListenPingTests.unusedUDPPort()
        let sender = try CLIChild(
            [
                "throughput", "send", "\(ListenPingTests.someNodeID.text)@127.0.0.1:\(port)", "--timeout", "1",
                "--datadir", temporary.path,
            ], limit: 30)
        defer { sender.kill() }
        #expect(sender.exitStatus(within: 20) == 1)
        #expect(sender.standardError.contains("no handshake with"), "\(sender.standardError)")
    }

    // MARK: The report codec

    @Test func everyMessageKindDecodesToWhatWasEncoded() throws {
        let report = ThroughputReport(
            run: 0x0123_4567_89ab_cdef, messages: 1000, bytes: 1_165_000, duplicates: 2, outOfOrder: 3, lost: 40,
            elapsed: .milliseconds(1500))
        let messages: [ThroughputMessage] = [
            .data(mode: .datagram, run: 7, sequence: 42, size: 1165),
            .data(
                mode: .stream, run: .max, sequence: ThroughputMessage.maxSequence,
                size: ThroughputMessage.dataHeaderSize),
            .reportRequest(mode: .stream, run: 9, messagesSent: 1040, bytesSent: 17_039_360),
            .report(report),
        ]
        for message in messages {
            #expect(try ThroughputMessage(decoding: message.encoded) == message)
        }
        #expect(ThroughputMessage.data(mode: .datagram, run: 1, sequence: 2, size: 1165).encoded.count == 1165)
    }

    @Test(arguments: [
        ("a report cut short", Array(Self.validReport.dropLast()), "truncated input: report elapsed nanoseconds"),
        ("a trailing byte", Self.validReport + [0], "1 unexpected bytes after the end of a throughput report"),
        ("an unknown kind", [9] + Self.validReport.dropFirst(), "unknown throughput message type 9"),
        ("an empty message", [], "truncated input: throughput message kind"),
        ("more out of order than received", Self.report(messages: 1, bytes: 18, outOfOrder: 2), "report out of order"),
        ("fewer bytes than headers", Self.report(messages: 3, bytes: 53, outOfOrder: 0), "report bytes"),
    ])
    func malformedReportIsRefusedWithAnErrorThatSaysWhy(what: String, bytes: [UInt8], message: String) {
        let error = #expect(throws: (any Error).self, "\(what)") { try ThroughputMessage(decoding: bytes) }
        #expect(error.map { "\($0)".contains(message) } == true, "\(what): \(String(describing: error))")
    }

    @Test func dataMessageWithAnUnknownModeOrASequenceNumberAboveTheLimitIsRefused() {
        var badMode = ThroughputMessage.data(mode: .datagram, run: 1, sequence: 0, size: 100).encoded
        badMode[1] = 3
        let modeError = #expect(throws: (any Error).self) { try ThroughputMessage(decoding: badMode) }
        #expect(modeError.map { "\($0)".contains("data mode: 3 is neither") } == true)
        var badSequence = ThroughputMessage.data(mode: .datagram, run: 1, sequence: 0, size: 100).encoded
        badSequence.replaceSubrange(10..<18, with: [UInt8](repeating: 0xff, count: 8))
        let sequenceError = #expect(throws: (any Error).self) { try ThroughputMessage(decoding: badSequence) }
        #expect(sequenceError.map { "\($0)".contains("data sequence") } == true)
    }

    // MARK: The receiver's tally

    @Test func tallyCountsGapsAsLostAndTellsDuplicatesFromLateFirstCopies() {
        var tally = ThroughputTally(run: 1, mode: .datagram)
        let start = Instant(nanosecondsSinceEpoch: 1_000_000_000)
        for (index, sequence) in [0, 1, 3, 2, 3, 6, 0].enumerated() {
            tally.record(sequence: UInt64(sequence), size: 100, at: start + .milliseconds(Int64(index)))
        }
        let report = tally.report(messagesSent: 8)
        #expect(report.messages == 5)  // 0, 1, 2, 3, 6
        #expect(report.bytes == 500)
        #expect(report.duplicates == 2)  // the second 3 and the second 0
        #expect(report.outOfOrder == 1)  // 2, after 3
        #expect(report.lost == 3)  // 4, 5, 7
        #expect(report.elapsed == .milliseconds(6))
    }

    @Test func tallyCountsAnArrivalOlderThanItsWindowAsADuplicate() {
        var tally = ThroughputTally(run: 1, mode: .datagram)
        tally.record(sequence: 0, size: 18, at: .epoch)
        tally.record(sequence: ThroughputTally.windowSize + 1, size: 18, at: .epoch)
        tally.record(sequence: 0, size: 18, at: .epoch)
        tally.record(sequence: 1, size: 18, at: .epoch)
        #expect(tally.messages == 2 && tally.duplicates == 2 && tally.outOfOrder == 0)
    }

    // MARK: The datagram window

    @Test func windowOpensOnlyForThePongOfAPingItSent() {
        var window = ThroughputWindow()
        let start = Instant(nanosecondsSinceEpoch: 1_000_000_000)
        #expect(!window.wantsPing(now: start))
        for _ in 0..<ThroughputWindow.pingInterval { window.onDatagramSent() }
        #expect(window.wantsPing(now: start))
        window.onPingSent(at: start)
        while window.room > 0 { window.onDatagramSent() }
        #expect(window.sent == ThroughputWindow.limit)

        window.onPong(pingSentAt: start + .nanoseconds(1))  // answers no ping it sent: confirms nothing
        #expect(window.room == 0)
        window.onPong(pingSentAt: start)
        #expect(window.room == ThroughputWindow.pingInterval)
    }

    @Test func windowPingsAgainWhenAPingGoesUnanswered() {
        var window = ThroughputWindow()
        let start = Instant(nanosecondsSinceEpoch: 1_000_000_000)
        window.onDatagramSent()
        window.onPingSent(at: start)
        #expect(!window.wantsPing(now: start + ThroughputWindow.pingTimeout - .nanoseconds(1)))
        #expect(window.wantsPing(now: start + ThroughputWindow.pingTimeout))
    }

    // MARK: Helpers

    static let validReport = ThroughputMessage.report(
        ThroughputReport(
            run: 5, messages: 10, bytes: 11650, duplicates: 0, outOfOrder: 0, lost: 0, elapsed: .milliseconds(10))
    ).encoded

    /// A report's bytes written field by field, so that it can say what `ThroughputMessage` would refuse to encode.
    static func report(messages: UInt8, bytes: UInt8, outOfOrder: UInt8) -> [UInt8] {
        [3] + [UInt8](repeating: 0, count: 8) + [messages, bytes, 0, outOfOrder, 0, 0]
    }
}
