import MeshCore
import MeshCrypto
import MeshIndicators
import MeshMembership
import MeshNode
import MeshSignals
import MeshTransport
import Testing

@testable import MeshControl

/// `indicators.list`, `indicators.compute` and `strategies.backtest` over the control API: the CLI's computations,
/// with every param checked.
@Suite("Analysis methods")
struct AnalysisMethodsTests {
    private func call(_ method: String, _ params: JSONValue? = nil) -> Result<JSONValue, RPCError> {
        AnalysisMethods.call(RPCRequest(id: 1, method: method, params: params))
    }

    private func error(_ method: String, _ params: JSONValue) -> String {
        guard case .failure(let error) = call(method, params) else { return "no error" }
        #expect(error.code == -32602)
        return error.message
    }

    @Test func listGivesEveryIndicatorWithItsParametersAndLookback() throws {
        let result = try call("indicators.list").get()
        guard case .array(let entries)? = result["indicators"] else { Issue.record("no list"); return }
        #expect(entries.count == IndicatorCatalog.entries.count)
        let rsi = try #require(entries.first { $0["name"] == "RSI" })
        #expect(rsi["lookback"] == 14 && rsi["outputs"] == ["real"])
    }

    @Test func computeMatchesTheIndicatorOverTheBundledData() throws {
        let result = try call(
            "indicators.compute", ["indicators": ["SMA(10)", "MACD"], "symbol": "ibm", "adjusted": false, "last": 5]
        ).get()
        #expect(result["columns"] == ["SMA(10)", "MACD.macd", "MACD.macdsignal", "MACD.macdhist"])
        #expect(result["rows"] == 5 && result["source"] == "bundled IBM")
        let closes = try #require(Feed.sample("IBM", adjusted: false)).bars.map(\.bar.close)
        let sma = try SMA(period: 10).batch(closes).suffix(5).map { JSONValue.double($0) }
        #expect(result["values"]?["SMA(10)"] == .array(sma))
        #expect(result["times"] == .array(["2013-02-25", "2013-02-26", "2013-02-27", "2013-02-28", "2013-03-01"]))
        // Inline bars in the NDJSON bar form; a warm-up is null.
        let bars: JSONValue = .array(
            (0..<3).map { day in
                ["time": .integer(86_400_000 * day), "open": 1, "high": 5, "low": 1, "close": .integer(day + 1)]
            })
        let inline = try call("indicators.compute", ["indicators": ["SMA(2)"], "bars": bars]).get()
        #expect(inline["values"]?["SMA(2)"] == [.null, .double(1.5), .double(2.5)])
        let weekly = try call("indicators.compute", ["indicators": ["SMA(2)"], "timeframe": "1w"]).get()
        #expect(weekly["rows"].flatMap { if case .int(let n) = $0 { n } else { nil } }.map { $0 > 600 } == true)
    }

    @Test func computeRefusesBadParamsNamingThem() {
        #expect(error("indicators.compute", ["indicators": []]).contains("\"indicators\" must be an array of 1 to"))
        #expect(error("indicators.compute", ["indicators": ["FOO"]]).contains("no indicator named 'FOO'"))
        #expect(error("indicators.compute", ["indicators": ["SMA"], "symbol": "TSLA"]).contains("no bundled data"))
        #expect(error("indicators.compute", ["indicators": ["SMA"], "timeframe": "1h"]).contains("cannot make 1h"))
        #expect(error("indicators.compute", ["indicators": ["SMA"], "colour": 1]).contains("unknown param"))
        #expect(error("indicators.compute", ["indicators": ["SMA"], "adjusted": 1]).contains("must be a boolean"))
        let bad: JSONValue = [["time": 0, "open": 1, "high": .double(0.5), "low": 1, "close": 1]]
        #expect(error("indicators.compute", ["indicators": ["SMA"], "bars": bad]).contains("\"bars\"[0]: open"))
        let backwards: JSONValue = [
            ["time": 5, "open": 1, "high": 1, "low": 1, "close": 1],
            ["time": 4, "open": 1, "high": 1, "low": 1, "close": 1],
        ]
        #expect(error("indicators.compute", ["indicators": ["SMA"], "bars": backwards]).contains("not after"))
    }

    @Test func backtestRunsAStrategyObjectAndNamesItsMistakes() throws {
        let strategy: JSONValue = [
            "id": "cross", "symbol": "MSFT", "timeframe": "1d",
            "indicators": ["fast": "SMA(10)", "slow": "SMA(30)"],
            "rules": [
                ["when": ["crosses_above": ["fast", "slow"]], "side": "buy"],
                ["when": ["crosses_below": ["fast", "slow"]], "side": "sell", "kind": "exit"],
            ],
        ]
        let result = try call("strategies.backtest", ["strategy": strategy, "horizon": 10]).get()
        let report = try #require(result["report"])
        #expect(report["symbol"] == "MSFT" && report["horizon"] == 10 && report["source"] == "bundled MSFT (adjusted)")
        guard case .array(let signals)? = result["signals"], case .int(let count)? = report["signals"] else {
            Issue.record("no signals")
            return
        }
        #expect(signals.count == Int(count) && count > 20)
        // The same figures as the library gives.
        let local = try Backtest.run(
            try Strategy(json: String(decoding: strategy.encoded, as: UTF8.self)),
            bars: #require(Feed.sample("MSFT")).bars,
            horizon: 10)
        #expect(report["total_return"] == .double(local.report.totalReturn))
        var broken = strategy
        if case .object(var members) = broken {
            members["rules"] = [["when": ["above": ["rsi", 1]], "side": "buy"]]
            broken = .object(members)
        }
        #expect(error("strategies.backtest", ["strategy": broken]).contains("rules[0].when.above[0]: 'rsi' names no"))
        #expect(error("strategies.backtest", ["strategy": "text"]).contains("must be a strategy object"))
        #expect(error("strategies.backtest", ["strategy": strategy, "horizon": 0]).contains("\"horizon\" must be"))
    }
}

/// `signals.list` over a node core whose strategies ran over a feed.
@Suite("signals.list")
struct SignalsListTests {
    static let now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)

    static func key() throws -> Ed25519PrivateKey { try Ed25519PrivateKey(seed: [UInt8](repeating: 7, count: 32)) }

    /// A node core alone (no peers), with `signals` and, when given, a key to sign with.
    static func core(
        signals: SignalEngine = try! SignalEngine(), signingKey: Ed25519PrivateKey? = nil
    ) throws -> NodeCore {
        let key = try signingKey ?? key()
        let endpoint = Endpoint(
            identity: key, settings: EndpointSettings(network: "test"), random: SeededRandomBytes(seed: 1), seed: 2,
            now: now)
        let record = PeerRecord(key: key, seq: 1, issuedAt: now, addresses: [.ipv4(0x7F00_0001, port: 9000)])
        let membership = Membership(selfRecord: record, seeds: [], settings: MembershipSettings(), seed: 3, now: now)
        return NodeCore(
            endpoint: endpoint, membership: membership, signals: signals, signingKey: signingKey, now: now)
    }

    @Test func theCoreTurnsFeedBarsIntoSignalEventsAndListsThem() throws {
        let now = Self.now
        let strategy = try Strategy(json: Strategy.exampleJSON)
        var core = try Self.core(signals: try SignalEngine(strategies: [strategy]))
        var events: [NodeEvent] = []
        for bar in try #require(Feed.sample("AAPL")).bars.prefix(400) {
            for case .event(let event) in core.feed(symbol: "AAPL", bar: bar, timeframe: try Timeframe("1d"), now: now)
            {
                events.append(event)
            }
        }
        #expect(!events.isEmpty && events.allSatisfy { if case .signal = $0 { true } else { false } })
        #expect(events.first?.controlType == "signal" && events.first?.controlData["strategy"] == "macd-cross")
        let host = NodeHostInfo(
            version: "test", network: "test", bootID: "b", startedAt: now, processID: 0, dataDirectory: nil,
            addresses: [], seedProfile: false)
        let answer = NodeMethods.call(
            RPCRequest(id: 1, method: "signals.list", params: ["limit": 2]), core: &core, host: host, now: now,
            metrics: { _ in "" })
        let result = try answer.result.get()
        #expect(result["signals"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 2)
        #expect(result["given"] == .integer(events.count))
        #expect(result["strategies"] == [["id": "macd-cross", "symbol": "AAPL", "timeframe": "1d"]])
        let other = NodeMethods.call(
            RPCRequest(id: 1, method: "signals.list", params: ["symbol": "MSFT"]), core: &core, host: host, now: now,
            metrics: { _ in "" })
        #expect(try other.result.get()["signals"] == [])
        // The metrics and node.info count them.
        let metrics = NodeMetrics.render(
            core: core, host: host, control: NodeMetrics.ControlStatus(ControlServer(bootID: "b")), now: now)
        #expect(metrics.contains("signalmesh_signals_total{origin=\"local\"} \(events.count)\n"))
        #expect(metrics.contains("signalmesh_gossip_subscriptions 1\n"))
        #expect(metrics.contains("signalmesh_gossip_score_events_total{event=\"broken_promise\"} 0\n"))
        #expect(NodeMethods.info(core: core, host: host, now: now)["signals"]?["given"] == .integer(events.count))
        let bad = NodeMethods.call(
            RPCRequest(id: 1, method: "signals.list", params: ["limit": 0]), core: &core, host: host, now: now,
            metrics: { _ in "" })
        #expect(throws: RPCError.self) { try bad.result.get() }
        // This core has no key: it cannot sign an operator's signal.
        let unsigned = NodeMethods.call(
            RPCRequest(id: 1, method: "signals.publish", params: ["symbol": "AAPL", "side": "buy", "price": 1]),
            core: &core, host: host, now: now, metrics: { _ in "" })
        #expect(throws: RPCError.self) { try unsigned.result.get() }
    }

    @Test func anOperatorsSignalIsSignedPublishedAndListed() throws {
        let now = Self.now
        let key = try Self.key()
        var core = try Self.core(signingKey: key)
        let host = NodeHostInfo(
            version: "test", network: "test", bootID: "b", startedAt: now, processID: 0, dataDirectory: nil,
            addresses: [], seedProfile: false)
        func call(_ method: String, _ params: JSONValue) -> Result<JSONValue, RPCError> {
            NodeMethods.call(
                RPCRequest(id: 1, method: method, params: params), core: &core, host: host, now: now,
                metrics: { _ in "" }
            ).result
        }
        let published = try call(
            "signals.publish", ["symbol": "msft", "side": "sell", "price": .double(30.25), "strength": .double(0.5)]
        ).get()
        #expect(published["symbol"] == "MSFT" && published["side"] == "sell" && published["origin"] == "local")
        #expect(published["issuer"] == .string(key.nodeID.text) && published["kind"] == "entry")
        let listed = try call("signals.list", [:]).get()
        #expect(listed["signals"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 1)
        for (params, problem) in [
            (["symbol": "AAPL", "side": "long", "price": 1] as JSONValue, "must be buy, sell or flat"),
            (["symbol": "AAPL", "side": "buy", "price": 0], "above 0"),
            (["symbol": "AAPL", "side": "buy", "price": 1, "strength": 2], "from 0 to 1"),
            (["symbol": "A B", "side": "buy", "price": 1], "letters, digits"),
            (["side": "buy", "price": 1], "needs \"symbol\""),
        ] {
            guard case .failure(let error) = call("signals.publish", params) else {
                Issue.record("accepted \(params)")
                continue
            }
            #expect(error.message.contains(problem), "\(error.message)")
        }
    }
}
