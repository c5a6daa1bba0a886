import MeshCore
import MeshMembership
import MeshTransport
import Testing

@testable import MeshSimulator

/// Faults on the simulated network and its nodes, scenarios, reports and swarm scenarios.
@Suite struct FaultTests {
    /// `nodes` nodes through 3 seeds, converged (or the test fails).
    static func converged(_ nodes: Int, seed: UInt64 = 21, network: NetworkModel = NetworkModel()) -> Simulation? {
        let simulation = Simulation(seed: seed, nodes: nodes, seeds: 3, network: network)
        simulation.start()
        guard simulation.run(until: { $0.isConverged() }, limit: .seconds(60)) != nil else {
            Issue.record("\(nodes) nodes did not converge in 60 s")
            return nil
        }
        return simulation
    }

    @Test("a 50/50 partition splits the overlay in two; after it heals, the overlay converges into one again")
    func halvesSplitAndHeal() throws {
        var scenario = Scenario(nodes: 40, seeds: 3, seed: 4, duration: .seconds(100))
        scenario.faults = [try ScheduledFault(parsing: "partition halves@20+60", nodes: 40)]
        scenario.settleLimit = .seconds(900)
        let report = scenario.run()
        // Late in the partition: two components, each of one parity (node i is in group i % 2).
        let split = try #require(report.series.first { $0.time >= .seconds(75) })
        #expect(split.components == 2, "\(split)")
        #expect(report.drops["partition", default: 0] > 0)
        #expect(report.recoveredAfterFaults != nil, "\(report.failureMessage)")
        #expect(report.violations.isEmpty, "\(report.failureMessage)")
    }

    @Test("a one-way cut drops only one direction: the cut-off node hears the others, nobody hears it")
    func oneWayPartition() throws {
        let simulation = try #require(Self.converged(30))
        let others = Array(0..<30).filter { $0 != 9 }
        simulation.schedule(
            .partition(.oneWay(from: [9], to: others), duration: nil), at: simulation.now - simulation.startedAt)
        simulation.run(for: .seconds(60))
        for node in others { #expect(!simulation.neighbours(of: node).contains(9), "node \(node) still lists 9") }
        // Node 9 hears the others but none answer it: Lifeguard's local health rises (it blames itself first).
        #expect(simulation.nodes[9].core.membership.localHealth > 0)
        #expect(Partition.oneWay(from: [9], to: others).cuts(from: 9, to: 3, sets: ([9], Set(others))))
        #expect(!Partition.oneWay(from: [9], to: others).cuts(from: 3, to: 9, sets: ([9], Set(others))))
    }

    @Test("an isolated node drops out of every view and comes back after the partition heals")
    func isolateAndReturn() throws {
        let simulation = try #require(Self.converged(24))
        let start = simulation.now - simulation.startedAt
        simulation.schedule(.partition(.isolate([7]), duration: .seconds(40)), at: start)
        simulation.run(for: .seconds(39))
        #expect(simulation.isPartitioned)
        #expect(simulation.nodes.indices.allSatisfy { !simulation.neighbours(of: $0).contains(7) })
        simulation.run(for: .seconds(2))
        #expect(!simulation.isPartitioned)
        #expect(simulation.run(until: { $0.isConverged() }, limit: .seconds(400)) != nil, "node 7 never came back")
    }

    @Test("a restart keeps what was written durably and loses the rest")
    func restartFromDurableState() throws {
        let simulation = try #require(Self.converged(30))
        simulation.run(for: .seconds(10))  // past the first save at 5 s
        let saved = simulation.nodes[12].durable.records
        #expect(!saved.isEmpty, "node 12 saved its peers")
        simulation.crash(12)
        simulation.run(for: .seconds(20))
        simulation.restart(12)
        let reborn = simulation.nodes[12]
        #expect(reborn.up && reborn.incarnation == 1)
        // Before any message: the passive view is what was saved, the active view empty.
        let remembered = Set((reborn.core.membership.passive).map(\.nodeID))
        #expect(remembered == Set(saved.map(\.nodeID)).subtracting([reborn.core.nodeID]))
        #expect(reborn.core.membership.active.isEmpty)
        #expect(simulation.run(until: { $0.isConverged() }, limit: .seconds(120)) != nil)
        // A node that crashes before its first save comes back knowing nothing but its seeds.
        let fresh = Simulation(seed: 8, nodes: 10, seeds: 2)
        fresh.start()
        fresh.run(for: .seconds(3))
        fresh.restart(6)
        #expect(fresh.nodes[6].core.membership.passive.isEmpty)
        #expect(Invariant.noSessionKeyReuse.check(simulation) == nil)
    }

    @Test("a paused node holds its datagrams and timers; its neighbours give up on it; it rejoins when it resumes")
    func pauseAndResume() throws {
        let simulation = try #require(Self.converged(24))
        let start = simulation.now - simulation.startedAt
        let delivered = simulation.datagramsDelivered
        simulation.schedule(.pause([5], duration: .seconds(30)), at: start)
        simulation.run(for: .seconds(29))
        #expect(simulation.datagramsDelivered > delivered)
        #expect(simulation.nodes.indices.allSatisfy { $0 == 5 || !simulation.neighbours(of: $0).contains(5) })
        simulation.run(for: .seconds(2))
        #expect(simulation.run(until: { $0.isConverged() }, limit: .seconds(400)) != nil)
    }

    @Test("clock faults: an offset and a drift move a node's clock, which never runs backwards")
    func clocks() throws {
        let simulation = try #require(Self.converged(12))
        let before = simulation.localNow(of: 4)
        simulation.schedule(.clock([4], offset: .seconds(2), drift: 1e-3), at: simulation.now - simulation.startedAt)
        simulation.run(for: .seconds(10))
        let skew = simulation.localNow(of: 4) - simulation.now
        #expect(skew >= .milliseconds(2009) && skew <= .milliseconds(2011), "\(skew)")
        #expect(simulation.localNow(of: 4) > before)
        // A backwards jump holds the clock still instead.
        let held = simulation.localNow(of: 4)
        simulation.schedule(.clock([4], offset: .seconds(-5), drift: 0), at: simulation.now - simulation.startedAt)
        simulation.run(for: .seconds(1))
        #expect(simulation.localNow(of: 4) >= held)
        simulation.run(for: .seconds(60))
        #expect(simulation.isConverged(), "a skewed node stays in the overlay")
    }

    @Test("churn replaces nodes at the asked rate and the overlay stays whole")
    func churn() throws {
        var scenario = Scenario(nodes: 40, seeds: 3, seed: 6, duration: .seconds(90))
        scenario.faults = [try ScheduledFault(parsing: "churn 10%@20+60", nodes: 40)]
        scenario.settleLimit = .seconds(300)
        let report = scenario.run()
        // 10% of 37 ordinary nodes a minute for a minute: about 4 leave, 4 join.
        #expect((43...45).contains(report.nodesAtEnd), "\(report.nodesAtEnd) nodes")
        #expect(report.liveAtEnd == 40)
        #expect(report.violations.isEmpty, "\(report.failureMessage)")
    }

    @Test("a tiny MTU drops every datagram; a thin uplink queues and drops at its limit")
    func mtuAndBandwidth() {
        var tiny = NetworkModel()
        tiny.mtu = 64
        let blocked = Simulation(seed: 2, nodes: 6, seeds: 1, network: tiny)
        blocked.start()
        blocked.run(for: .seconds(10))
        #expect(blocked.drops["mtu", default: 0] > 0 && blocked.datagramsDelivered == 0)

        var thin = NetworkModel(latency: .fixed(.milliseconds(5)))
        thin.bandwidth = 2_000
        thin.queueLimit = 4_000
        let slow = Simulation(seed: 2, nodes: 30, seeds: 1, network: thin)
        slow.start()
        slow.run(for: .seconds(20))
        #expect(slow.drops["queue", default: 0] > 0, "the seed's uplink overflowed")
        #expect(slow.delaySample.contains { $0 > .milliseconds(100) }, "datagrams waited in the queue")
    }

    @Test("latency distributions: normal and log-normal draws have their centre; regions add their base delay")
    func latencyDistributions() {
        var generator = Xoshiro256StarStar(seed: 3)
        let normal = (0..<4000).map {
            _ in
            Double(
                NetworkModel.Latency.normal(mean: .milliseconds(50), deviation: .milliseconds(10)).draw(
                    using: &generator
                ).nanoseconds) / 1e6
        }
        let mean = normal.reduce(0, +) / Double(normal.count)
        #expect(abs(mean - 50) < 1, "mean \(mean)")
        let logNormal = (0..<4001).map {
            _ in
            Double(
                NetworkModel.Latency.logNormal(median: .milliseconds(40), sigma: 0.5).draw(using: &generator)
                    .nanoseconds) / 1e6
        }.sorted()
        #expect(abs(logNormal[2000] - 40) < 2, "median \(logNormal[2000])")
        #expect(logNormal.allSatisfy { $0 >= 0 })
        var model = NetworkModel(latency: .fixed(.milliseconds(2)))
        model.regions = .world
        #expect(model.delay(from: 0, to: 3, using: &generator) == .milliseconds(117))
        #expect(model.delay(from: 5, to: 5, using: &generator) == .milliseconds(3))
    }

    @Test(
        "fault text round-trips, and bad text is refused with the reason",
        arguments: [
            "partition halves@30+60", "partition split:3@10", "partition isolate:4,7-9@30+5",
            "partition oneway:0-4>5-9@12.5+20", "crash 5-6@20", "restart 1,3@80", "pause 3@40+10",
            "clock 2-3@0:+1500ms:100ppm", "clock 4@7:-20ms:0ppm", "churn 10%@60+300",
        ])
    func faultText(text: String) throws {
        let fault = try ScheduledFault(parsing: text, nodes: 10)
        #expect(fault.description == text)
        #expect(try ScheduledFault(parsing: fault.description, nodes: 10) == fault)
    }

    @Test(
        "bad fault text names its problem",
        arguments: [
            ("crash 5", "no @TIME"), ("crash 10@5", "within 0..<10"), ("pause 3@5", "needs @TIME+DURATION"),
            ("partition split:1@5", "split:K"), ("partition cut@5", "unknown partition"), ("melt 3@5", "unknown fault"),
            ("churn 0%@5+10", "percentage"), ("clock 3@5:+2s", "milliseconds"), ("crash 3@-1", "not a number"),
            ("crash 5-2@1", "range"),
        ])
    func badFaultText(text: String, problem: String) {
        #expect {
            try ScheduledFault(parsing: text, nodes: 10)
        } throws: { error in
            "\(error)".contains(problem)
        }
    }

    @Test(
        "a scenario with every kind of fault replays to the same trace, and its command line reads back",
        arguments: [UInt64(77), 78, 79])
    func scenarioDeterminismAndCommandLine(seed: UInt64) throws {
        var scenario = Scenario(nodes: 20, seeds: 2, seed: seed, duration: .seconds(60))
        scenario.network = NetworkModel(
            latency: .normal(mean: .milliseconds(20), deviation: .milliseconds(5)), loss: 0.01)
        scenario.faults = try [
            "partition split:3@10+15", "crash 4@12", "restart 4@30", "pause 6@15+5", "clock 8@5:+300ms:50ppm",
            "churn 10%@20+30", "partition oneway:0-3>10-19@40+5",
        ].map { try ScheduledFault(parsing: $0, nodes: 20) }
        let first = scenario.run()
        let second = scenario.run()
        #expect(first.traceHash == second.traceHash)
        #expect(scenario.commandLine.contains("--partition 'split:3@10+15'"))
        #expect(scenario.commandLine.contains("--fault 'clock 8@5:+300ms:50ppm'"))
        #expect(scenario.commandLine.contains("--latency normal:20,5"))
        let svg = first.svg
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.contains("fill=\"#f6d5d5\""))
    }

    @Test(
        "a run is the same on one thread as on several: traces, overlay series, delays and signal figures",
        arguments: ["5-40", "normal:20,5"])
    func threadsChangeNothing(latency: String) throws {
        var scenario = Scenario(nodes: 30, seeds: 2, seed: 21, duration: .seconds(45))
        scenario.network = NetworkModel(
            latency: try NetworkModel.Latency(parsing: latency), loss: 0.01, duplication: 0.01)
        scenario.signals = SignalTraffic(publishers: 3, interval: .seconds(1), start: .seconds(8))
        scenario.faults = try [
            "partition halves@12+8", "crash 5@14", "restart 5@25", "pause 9@16+3", "clock 11@6:+200ms:80ppm",
            "churn 10%@10+20",
        ].map { try ScheduledFault(parsing: $0, nodes: 30) }
        let one = scenario.run()
        scenario.threads = 3
        let three = scenario.run()
        #expect(one.traceHash == three.traceHash)
        #expect(one.series == three.series)
        #expect(one.delayCDF == three.delayCDF)
        #expect(one.signalDeliveries == three.signalDeliveries && one.signalDeliveries > 0)
        #expect(one.signalLatencyMilliseconds == three.signalLatencyMilliseconds)
        #expect(one.events == three.events && one.drops == three.drops)
    }

    @Test(
        "swarm seed 96: after restarts, no link stays one-sided (it did for 900 s before restarted nodes sent DISCONNECT)"
    )
    func swarmSeed96() {
        let report = Scenario.random(seed: 96).run()
        #expect(report.scenario.faults.map(\.description) == ["restart 22@22", "restart 3,7,22@43"])
        #expect(report.violations.isEmpty, "\(report.failureMessage)")
        #expect(report.recoveredAfterFaults != nil)
    }

    @Test("swarm seed 142: a fast clock never wakes a core a nanosecond early forever (it hung before)")
    func swarmSeed142() {
        let scenario = Scenario.random(seed: 142, maxNodes: 60)
        #expect(scenario.faults.contains { if case .clock = $0.fault { true } else { false } })
        let report = scenario.run()
        // About 16 events per node per virtual second; the livelock never advanced the clock at all.
        let perNodeSecond =
            Double(report.events) / Double(scenario.nodes) / (Double(report.virtualTime.nanoseconds) / 1e9)
        #expect(perNodeSecond < 40, "\(perNodeSecond) events per node-second")
        #expect(report.violations.isEmpty, "\(report.failureMessage)")
    }

    @Test("swarm scenarios differ by seed, are reproducible, and pass their invariants")
    func swarmScenarios() {
        let a = Scenario.random(seed: 3, maxNodes: 20)
        #expect(a == Scenario.random(seed: 3, maxNodes: 20))
        #expect(a != Scenario.random(seed: 4, maxNodes: 20))
        #expect((12...20).contains(a.nodes) && !a.faults.isEmpty && a.settleLimit > .zero)
        for seed in UInt64(30)..<UInt64(33) {
            let scenario = Scenario.random(seed: seed, maxNodes: 20)
            let report = scenario.run()
            #expect(report.violations.isEmpty, "\(report.failureMessage)")
        }
    }
}
