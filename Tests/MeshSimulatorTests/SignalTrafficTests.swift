import MeshCore
import Testing

@testable import MeshSimulator

/// Signals gossiped between simulated node cores: every live node gets every signal, few duplicates, the same run
/// for the same seed.
@Suite("Signal traffic")
struct SignalTrafficTests {
    @Test("40 nodes, 20-150 ms links, 1% loss: every signal reaches every node; duplicates stay low; deterministic")
    func delivery() throws {
        var scenario = Scenario(nodes: 40, seeds: 2, seed: 7, duration: .seconds(40))
        scenario.network.latency = try NetworkModel.Latency(parsing: "20-150")
        scenario.network.loss = 0.01
        scenario.signals = SignalTraffic(publishers: 4, interval: .seconds(1), start: .seconds(10))
        let report = scenario.run()
        #expect(report.violations.isEmpty, "\(report.failureMessage)")
        #expect(report.signalsPublished >= 90)
        #expect(report.signalDeliveries == report.signalDeliveriesExpected)
        #expect(report.duplicatesPerNodePerSignal < 1.5, "\(report.duplicatesPerNodePerSignal)")
        #expect(report.signalLatencyMilliseconds.p99 < 2000)
        #expect(scenario.run().traceHash == report.traceHash)
        #expect(scenario.commandLine.contains("--signals 4@1s+10s"))
    }

    @Test("signals published during a 50/50 partition reach the other half after it heals; deterministic")
    func partitionRepair() throws {
        var scenario = Scenario(nodes: 40, seeds: 2, seed: 5, duration: .seconds(80))
        scenario.network.latency = try NetworkModel.Latency(parsing: "20-150")
        scenario.faults = [try ScheduledFault(parsing: "partition halves@20+25", nodes: 40)]
        scenario.signals = SignalTraffic(publishers: 4, interval: .seconds(1), start: .seconds(10))
        let report = scenario.run()
        #expect(report.violations.isEmpty, "\(report.failureMessage)")
        #expect(report.drops["partition", default: 0] > 0)
        // About 25 s of the 65 s of publishing were cut in two: without repair, a fifth of the deliveries would miss.
        #expect(report.signalsPublished >= 240)
        #expect(
            report.signalDeliveries == report.signalDeliveriesExpected,
            "\(report.signalDeliveries) of \(report.signalDeliveriesExpected)")
        #expect(scenario.run().traceHash == report.traceHash)
    }

    @Test("the report names the records a node missed and the node: one isolated for good from 15 s")
    func undelivered() throws {
        var scenario = Scenario(nodes: 20, seeds: 2, seed: 3, duration: .seconds(30))
        scenario.faults = [try ScheduledFault(parsing: "partition isolate:5@15", nodes: 20)]
        scenario.signals = SignalTraffic(publishers: 2, interval: .seconds(1), start: .seconds(5))
        let report = scenario.run()
        let missing = report.undelivered
        #expect(missing.deliveries == report.signalDeliveriesExpected - report.signalDeliveries)
        // Two publishers, one record a second each, from 15 s until publishing stops 5 s before the end.
        #expect(missing.records >= 18 && missing.records <= 22, "\(missing.records)")
        #expect(missing.deliveries == missing.records)
        #expect(missing.sample.count == 10)
        for entry in missing.sample {
            #expect(entry.nodes == [5] && entry.missed == 1, "\(entry)")
            #expect(entry.publishedAt >= .seconds(14), "\(entry.publishedAt)")
            #expect([2, 3].contains(entry.publisher))
        }
        #expect(missing.sample.map(\.publishedAt) == missing.sample.map(\.publishedAt).sorted())
    }

    @Test("with links of fixed regional delays, delivery latency follows the shortest paths (p99 within 1.3x)")
    func shortestPaths() throws {
        var scenario = Scenario(nodes: 40, seeds: 2, seed: 9, duration: .seconds(30))
        scenario.network.regions = .world
        scenario.network.latency = try NetworkModel.Latency(parsing: "0-10")
        scenario.signals = SignalTraffic(publishers: 4, interval: .seconds(1), start: .seconds(10))
        let report = scenario.run()
        #expect(report.signalDeliveries == report.signalDeliveriesExpected)
        #expect(report.shortestPathMilliseconds.count > 500)
        let ratio = report.sampledLatencyMilliseconds.p99 / report.shortestPathMilliseconds.p99
        #expect(
            ratio <= 1.3,
            "p99 \(report.sampledLatencyMilliseconds.p99) ms against \(report.shortestPathMilliseconds.p99) ms")
        // Never faster than the shortest path by more than the jitter saved on it.
        #expect(report.sampledLatencyMilliseconds.p50 >= report.shortestPathMilliseconds.p50 - 20)
    }

    @Test func trafficTextsAreReadAndRefused() {
        #expect(
            SignalTraffic(text: "10@1s") == SignalTraffic(publishers: 10, interval: .seconds(1), start: .seconds(10)))
        #expect(SignalTraffic(text: "3@0.5s+20s")?.interval == .milliseconds(500))
        for bad in ["", "10", "0@1s", "10@1", "10@-1s", "a@1s", "10@1s+x"] {
            #expect(SignalTraffic(text: bad) == nil, "\(bad)")
        }
    }
}
