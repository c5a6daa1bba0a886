public import MeshCore
public import MeshMembership

/// A whole simulated run described as data: the network, its nodes, the faults and when they strike. It runs to a
/// `Report`, and prints as the one `signalmesh sim` command line that reproduces it (`commandLine`).
///
/// ```swift
/// var scenario = Scenario(nodes: 200, seeds: 3, seed: 42, duration: .seconds(300))
/// scenario.network.loss = 0.01
/// scenario.faults = [try ScheduledFault(parsing: "partition halves@60+120", nodes: 200)]
/// let report = scenario.run()
/// #expect(report.violations.isEmpty, "\(report.failureMessage)")
/// ```
public struct Scenario: Sendable, Equatable {
    /// Nodes at the start (churn adds more).
    public var nodes: Int
    /// How many of them are seeds.
    public var seeds: Int
    /// The seed everything random is drawn from.
    public var seed: UInt64
    /// Virtual time to run.
    public var duration: Duration
    /// The links.
    public var network = NetworkModel()
    /// The nodes start at random instants within this window (a mass start of thousands through three seeds
    /// pushes the seeds past the transport's under-load threshold, where joins wait for cookies).
    public var joinWindow = Duration.seconds(1)
    /// The faults, each at its time.
    public var faults: [ScheduledFault] = []
    /// After the last fault has ended, keep running until the overlay has converged again, for at most this long
    /// beyond `duration` (zero: stop at `duration` whatever the state).
    public var settleLimit = Duration.zero
    /// The invariants checked at the end.
    public var invariants: [Invariant] = Invariant.membership
    /// Signals published, to measure gossip (nil: none; nodes then run no gossip).
    public var signals: SignalTraffic?
    /// Adversaries among the nodes (nil: none); they attack until the end.
    public var attack: AttackTraffic?
    /// The honest nodes' membership settings (seeds get the seed profile's sizes and limits over them). Set from the
    /// Swift API only: not part of `commandLine`.
    public var membership = MembershipSettings()
    /// Threads the simulation runs on (`Simulation.threads`): how fast it goes, not what happens, so not part of
    /// the command line that reproduces a run.
    public var threads = 1

    /// A scenario of `nodes` nodes, `seeds` of them seeds, drawn from `seed`, running `duration`.
    public init(nodes: Int, seeds: Int, seed: UInt64, duration: Duration) {
        self.nodes = nodes
        self.seeds = seeds
        self.seed = seed
        self.duration = duration
    }

    /// Equal when they run the same (same command line) and check the same invariants.
    public static func == (lhs: Scenario, rhs: Scenario) -> Bool {
        lhs.commandLine == rhs.commandLine && lhs.invariants.map(\.name) == rhs.invariants.map(\.name)
    }

    /// When the last fault ends (a partition's heal, a pause's resume, a churn's end), from the start.
    public var faultsEnd: Duration {
        faults.map { fault -> Duration in
            switch fault.fault {
            case .partition(_, let duration): return fault.at + (duration ?? .zero)
            case .pause(_, let duration), .churn(_, let duration): return fault.at + duration
            case .crash, .restart, .clock: return fault.at
            }
        }.max() ?? .zero
    }

    /// The simulation, built and started, its faults scheduled, not yet run.
    public func makeSimulation() -> Simulation {
        let simulation = Simulation(
            seed: seed, nodes: nodes, seeds: seeds, network: network, membership: membership, signals: signals,
            attack: attack, threads: threads)
        simulation.start(over: joinWindow)
        // Publishing stops 5 s before the end, so that the last signals have time to reach everyone.
        simulation.scheduleSignals(until: duration - .seconds(5))
        simulation.scheduleAttacks(until: duration)
        for fault in faults { simulation.schedule(fault) }
        return simulation
    }

    /// Runs the scenario: samples the overlay (every 100 ms while it is converging, every second otherwise), then
    /// checks the invariants. `progress`, if given, sees each second's snapshot.
    public func run(progress: ((Simulation.OverlaySnapshot) -> Void)? = nil) -> Report {
        let simulation = makeSimulation()
        return run(simulation, progress: progress)
    }

    /// `run(progress:)` on a simulation made by `makeSimulation()` (so that the caller can watch it).
    public func run(_ simulation: Simulation, progress: ((Simulation.OverlaySnapshot) -> Void)? = nil) -> Report {
        var report = Report(scenario: self)
        let end = simulation.startedAt + duration
        let faultsEnd = simulation.startedAt + self.faultsEnd
        var nextSample = simulation.startedAt
        var converged = false
        var recovering = !faults.isEmpty
        func observe() {
            let snapshot = simulation.overlay()
            let isConverged = snapshot.belowMinimum == 0 && snapshot.components <= 1
            if isConverged && report.convergedAfter == nil { report.convergedAfter = snapshot.time }
            if recovering && simulation.now >= faultsEnd && isConverged && !simulation.isPartitioned {
                recovering = false
                report.recoveredAfterFaults = simulation.now - faultsEnd
            }
            converged = isConverged
            if simulation.now >= nextSample {
                report.series.append(snapshot)
                progress?(snapshot)
                nextSample = simulation.now + .seconds(1)
            }
        }
        observe()
        while simulation.now < end {
            let step: Duration =
                converged && !(recovering && simulation.now >= faultsEnd) ? .seconds(1) : .milliseconds(100)
            simulation.run(until: min(simulation.now + step, end))
            observe()
        }
        if settleLimit > .zero {
            let limit = max(end, faultsEnd) + settleLimit
            while simulation.now < limit && (recovering || !converged) {
                simulation.run(until: min(simulation.now + .milliseconds(100), limit))
                observe()
            }
        }
        report.finish(simulation)
        return report
    }

    /// The `signalmesh sim` command that runs this scenario again.
    public var commandLine: String {
        var words = [
            "signalmesh sim", "--seed \(seed)", "--nodes \(nodes)", "--seeds \(seeds)",
            "--duration \(Self.seconds(duration))", "--latency \(network.latency.description)",
        ]
        if let regions = network.regions { words.append("--regions \(regions == .world ? "world" : "custom")") }
        if network.loss > 0 { words.append("--loss \(network.loss)") }
        if network.duplication > 0 { words.append("--duplication \(network.duplication)") }
        if let bandwidth = network.bandwidth { words.append("--bandwidth \(bandwidth)") }
        if network.mtu != NetworkModel().mtu { words.append("--mtu \(network.mtu)") }
        if settleLimit > .zero { words.append("--settle \(Self.seconds(settleLimit))") }
        if joinWindow != .seconds(1) { words.append("--join-over \(Self.seconds(joinWindow))") }
        if let signals { words.append("--signals \(signals.text)") }
        if let attack { words.append("--attackers \(attack.text)") }
        for fault in faults {
            let text = fault.description
            if text.hasPrefix("partition ") {
                words.append("--partition '\(text.dropFirst("partition ".count))'")
            } else {
                words.append("--fault '\(text)'")
            }
        }
        return words.joined(separator: " ")
    }

    static func seconds(_ duration: Duration) -> String { plainNumber(Double(duration.nanoseconds) / 1e9) }

    // MARK: Swarm

    /// A random scenario for swarm testing (`signalmesh sim swarm`): everything drawn from `seed` — size, links,
    /// loss, and one to three faults among partitions of every kind, crashes with or without restarts, pauses,
    /// clock jumps and drift, churn — with time after the faults for the overlay to settle.
    public static func random(seed: UInt64, maxNodes: Int = 48) -> Scenario {
        var generator = Xoshiro256StarStar(seed: seed ^ 0x5357_4152_4D00_0000)
        func pick(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(generator.next() % UInt64(range.count))
        }
        func chance(_ p: Double) -> Bool { generator.unit() < p }
        let nodes = pick(12...max(12, maxNodes))
        var scenario = Scenario(nodes: nodes, seeds: pick(1...3), seed: seed, duration: .zero)
        let low = pick(1...30)
        scenario.network.latency = .uniform(.milliseconds(Int64(low)), .milliseconds(Int64(low + pick(0...80))))
        if chance(0.5) { scenario.network.loss = Double(pick(1...50)) / 1000 }
        if chance(0.3) { scenario.network.duplication = Double(pick(1...20)) / 1000 }
        func someNodes(_ count: ClosedRange<Int>) -> [Int] {
            var chosen: [Int] = []
            let wanted = pick(count)
            while chosen.count < wanted {
                let node = pick(scenario.seeds...(nodes - 1))
                if !chosen.contains(node) { chosen.append(node) }
            }
            return chosen.sorted()
        }
        for _ in 0..<pick(1...3) {
            let at = Duration.seconds(pick(10...60))
            switch pick(0...5) {
            case 0:
                let partition: Partition
                switch pick(0...3) {
                case 0: partition = .split(2)
                case 1: partition = .split(3)
                case 2: partition = .isolate(someNodes(1...3))
                default:
                    let half = nodes / 2
                    partition = .oneWay(from: Array(0..<half), to: Array(half..<nodes))
                }
                scenario.faults.append(
                    ScheduledFault(at: at, fault: .partition(partition, duration: .seconds(pick(10...90)))))
            case 1:
                let crashed = someNodes(1...3)
                scenario.faults.append(ScheduledFault(at: at, fault: .crash(crashed)))
                if chance(0.6) {
                    scenario.faults.append(
                        ScheduledFault(at: at + .seconds(pick(5...60)), fault: .restart(crashed)))
                }
            case 2:
                scenario.faults.append(ScheduledFault(at: at, fault: .restart(someNodes(1...3))))
            case 3:
                scenario.faults.append(
                    ScheduledFault(at: at, fault: .pause(someNodes(1...2), duration: .seconds(pick(1...20)))))
            case 4:
                let offset = Duration.milliseconds(Int64(pick(-2000...2000)))
                scenario.faults.append(
                    ScheduledFault(
                        at: at, fault: .clock(someNodes(1...3), offset: offset, drift: Double(pick(-200...200)) / 1e6)))
            default:
                scenario.faults.append(
                    ScheduledFault(
                        at: at, fault: .churn(fractionPerMinute: Double(pick(5...20)) / 100, duration: .seconds(60))))
            }
        }
        scenario.faults.sort { $0.at < $1.at }
        scenario.duration = scenario.faultsEnd + .seconds(30)
        // HyParView heals a partition through the periodic return to the seeds (every 300 s ±25%), so the overlay
        // gets up to two rounds of it.
        scenario.settleLimit = .seconds(900)
        return scenario
    }
}

extension NetworkModel.Latency: CustomStringConvertible {
    /// Reads `MS` (fixed), `LOW-HIGH` (uniform), `normal:MEAN,SD` or `lognormal:MEDIAN,SIGMA`, all in milliseconds
    /// (sigma is a plain number).
    /// - Throws: a message naming what is wrong.
    public init(parsing text: String) throws(LatencySyntaxError) {
        func milliseconds(_ field: Substring) throws(LatencySyntaxError) -> Duration {
            guard let value = Double(field), value.isFinite, value >= 0, value <= 60_000 else {
                throw LatencySyntaxError(text: text, problem: "'\(field)' is not a delay in ms from 0 to 60000")
            }
            return .nanoseconds(Int64(value * 1e6))
        }
        if text.hasPrefix("normal:") || text.hasPrefix("lognormal:") {
            let isNormal = text.hasPrefix("normal:")
            let fields = text.drop(while: { $0 != ":" }).dropFirst().split(
                separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw LatencySyntaxError(
                    text: text, problem: isNormal ? "expected normal:MEAN,SD" : "expected lognormal:MEDIAN,SIGMA")
            }
            let first = try milliseconds(fields[0])
            if isNormal {
                self = .normal(mean: first, deviation: try milliseconds(fields[1]))
            } else {
                guard let sigma = Double(fields[1]), sigma.isFinite, sigma >= 0, sigma <= 5 else {
                    throw LatencySyntaxError(text: text, problem: "sigma '\(fields[1])' is not a number from 0 to 5")
                }
                self = .logNormal(median: first, sigma: sigma)
            }
            return
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            self = .fixed(try milliseconds(parts[0]))
        case 2:
            let low = try milliseconds(parts[0])
            let high = try milliseconds(parts[1])
            guard low <= high else { throw LatencySyntaxError(text: text, problem: "LOW is above HIGH") }
            self = .uniform(low, high)
        default:
            throw LatencySyntaxError(
                text: text, problem: "expected MS, LOW-HIGH, normal:MEAN,SD or lognormal:MEDIAN,SIGMA (ms)")
        }
    }

    /// The text form `init(parsing:)` reads.
    public var description: String {
        func ms(_ duration: Duration) -> String { plainNumber(Double(duration.nanoseconds) / 1e6) }
        switch self {
        case .fixed(let value): return ms(value)
        case .uniform(let low, let high): return "\(ms(low))-\(ms(high))"
        case .normal(let mean, let deviation): return "normal:\(ms(mean)),\(ms(deviation))"
        case .logNormal(let median, let sigma): return "lognormal:\(ms(median)),\(sigma)"
        }
    }
}

/// A latency text that could not be read.
public struct LatencySyntaxError: Error, Equatable, CustomStringConvertible {
    /// The text.
    public let text: String
    /// What is wrong.
    public let problem: String
    /// The text and its problem, for people.
    public var description: String { "--latency '\(text)': \(problem)" }
}
