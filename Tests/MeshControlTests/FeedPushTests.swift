import MeshCore
import MeshIndicators
import MeshNode
import MeshSignals
import Testing

@testable import MeshControl

/// `feed.push` and the live feed of a node core: records in, bars to the strategies, refusals listed, bars closed on
/// the clock.
@Suite("feed.push")
struct FeedPushTests {
    static let now = SignalsListTests.now
    static let host = NodeHostInfo(
        version: "test", network: "test", bootID: "b", startedAt: now, processID: 0, dataDirectory: nil,
        addresses: [], seedProfile: false)

    static func push(_ records: [JSONValue], into core: inout NodeCore, now: Instant = now) -> NodeMethods.Outcome {
        NodeMethods.call(
            RPCRequest(id: 1, method: "feed.push", params: ["records": .array(records)]), core: &core, host: host,
            now: now, metrics: { _ in "" })
    }

    static func barJSON(_ bar: TimeBar, symbol: String? = "AAPL") -> JSONValue {
        var object: [String: JSONValue] = [
            "time": .integer(bar.start), "open": .double(bar.bar.open), "high": .double(bar.bar.high),
            "low": .double(bar.bar.low), "close": .double(bar.bar.close), "volume": .double(bar.bar.volume),
        ]
        if let symbol { object["symbol"] = .string(symbol) }
        return .object(object)
    }

    @Test func pushedBarsGiveTheSameSignalsAsTheFeedAndRefusalsAreListedByIndex() throws {
        let strategy = try Strategy(json: Strategy.exampleJSON)
        let bars = Array(try #require(Feed.sample("AAPL")).bars.prefix(400))
        var reference = try SignalsListTests.core(signals: try SignalEngine(strategies: [strategy]))
        for bar in bars { _ = reference.feed(symbol: "AAPL", bar: bar, timeframe: try Timeframe("1d"), now: Self.now) }
        #expect(reference.signals.given > 0)

        var core = try SignalsListTests.core(signals: try SignalEngine(strategies: [strategy]))
        var records = bars.map { Self.barJSON($0) }
        records.insert("not an object", at: 10)
        records.insert(["symbol": "AAPL", "time": 0, "open": 1], at: 20)
        records.insert(Self.barJSON(bars[0]), at: 30)  // out of order by then
        records.insert(Self.barJSON(bars[0], symbol: "IBM"), at: 40)  // no strategy trades IBM
        let outcome = Self.push(records, into: &core)
        let result = try outcome.result.get()
        #expect(result["bars"] == .integer(400))
        #expect(result["accepted"] == .integer(400))
        #expect(result["unused"] == 1 && result["refused"] == 3)
        #expect(result["signals"] == .integer(reference.signals.given))
        let same = core.signals.recent == reference.signals.recent
        #expect(same, "the pushed bars' signals differ from the fed bars'")
        guard case .array(let refusals)? = result["refusals"] else {
            Issue.record("no refusals")
            return
        }
        #expect(refusals.map { $0["index"] } == [10, 20, 30])
        #expect(refusals[0]["reason"] == "not valid JSON")
        #expect(refusals[1]["reason"].map { "\($0)".contains("no \\\"high\\\"") || "\($0)".contains("high") } == true)
        #expect(refusals[2]["reason"].map { "\($0)".contains("not after the previous one") } == true)
        // The signals are events of the outcome, and node.info and the metrics count the feed.
        let events = outcome.effects.filter { if case .event(.signal) = $0 { true } else { false } }
        #expect(events.count == reference.signals.given)
        let feed = NodeMethods.info(core: core, host: Self.host, now: Self.now)["signals"]?["feed"]
        #expect(feed?["records"] == 404 && feed?["bars"] == 400 && feed?["refused"] == 3 && feed?["unused"] == 1)
        #expect(feed?["timeframe"] == "1d" && feed?["symbols"] == ["AAPL"])
        let metrics = NodeMetrics.render(
            core: core, host: Self.host, control: NodeMetrics.ControlStatus(ControlServer(bootID: "b")), now: Self.now)
        #expect(metrics.contains("signalmesh_feed_records_total{outcome=\"used\"} 400\n"))
        #expect(metrics.contains("signalmesh_feed_records_total{outcome=\"refused\"} 3\n"))
        #expect(metrics.contains("signalmesh_feed_bars_total 400\n"))
    }

    @Test func liveTicksCloseTheirBarOnTheNodesClock() throws {
        let strategy = try Strategy(json: Strategy.exampleJSON.replacingOccurrences(of: "\"1d\"", with: "\"1m\""))
        var core = try SignalsListTests.core(signals: try SignalEngine(strategies: [strategy]))
        let milliseconds = Self.now.nanosecondsSinceEpoch / 1_000_000
        let minute = try Timeframe("1m").interval(containing: milliseconds)
        let outcome = Self.push(
            [["symbol": "AAPL", "time": .integer(milliseconds), "price": 10, "size": 1]], into: &core)
        #expect(try outcome.result.get()["accepted"] == 1)
        #expect(core.liveFeed?.bars == 0)
        // The core asks to be woken when the minute ends, and its timer closes the bar then.
        let end = Instant(nanosecondsSinceEpoch: minute.end * 1_000_000)
        #expect(outcome.effects.contains(.wake(at: end)) || core.liveFeed?.nextClose == minute.end)
        _ = core.timerFired(now: end - .milliseconds(1))
        #expect(core.liveFeed?.bars == 0)
        _ = core.timerFired(now: end)
        #expect(core.liveFeed?.bars == 1)
        #expect(core.liveFeed?.nextClose == nil)
    }

    @Test func aNodeWithoutStrategiesOrTooManyRecordsIsRefused() throws {
        var plain = try SignalsListTests.core()
        guard case .failure(let error) = Self.push([], into: &plain).result else {
            Issue.record("a node without strategies took a feed")
            return
        }
        #expect(error.message.contains("runs no strategies"))
        var core = try SignalsListTests.core(
            signals: try SignalEngine(strategies: [Strategy(json: Strategy.exampleJSON)]))
        let many = Array(repeating: JSONValue.null, count: NodeMethods.maxFeedRecords + 1)
        #expect(throws: RPCError.self) { try Self.push(many, into: &core).result.get() }
        let notArray = NodeMethods.call(
            RPCRequest(id: 1, method: "feed.push", params: ["records": "x"]), core: &core, host: Self.host,
            now: Self.now, metrics: { _ in "" })
        #expect(throws: RPCError.self) { try notArray.result.get() }
    }
}
