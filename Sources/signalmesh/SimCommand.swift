import ArgumentParser
import Foundation
import MeshCore
import MeshSimulator

/// `signalmesh sim`: a deterministic simulation of real node cores on a virtual clock, with a report.
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Simulate N real node cores joining through seeds on a virtual clock, deterministically.",
        discussion: """
            Every node is the shipped node core (transport with real cryptography, membership) driven by a \
            virtual clock; one seed (--seed) decides keys, start phases and every datagram's delay and fate, so a \
            run replays exactly (--check-determinism runs it twice and compares the trace hashes). Prints when \
            the overlay converged (one connected graph, every node at its minimum of neighbours), events, \
            datagrams delivered, lost and duplicated, and how much faster than real time the run went. This is \
            the first slice of the simulator (issue 5): partitions, clock faults, restarts and charts follow.
            """)

    @Option(name: .long, help: "How many nodes (default 100).")
    var nodes = 100

    @Option(name: .long, help: "How many of them are seeds (default 3).")
    var seeds = 3

    @Option(name: .long, help: "Virtual seconds to run (default 60).")
    var duration: Double = 60

    @Option(name: .long, help: "The seed of the run (default 1).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "One-way link delay in ms: a number, or LOW-HIGH for uniform (default 5-25).")
    var latency = "5-25"

    @Option(name: .long, help: "Probability that a datagram is lost, 0 to 1 (default 0).")
    var loss = 0.0

    @Option(name: .long, help: "Probability that a datagram is delivered twice, 0 to 1 (default 0).")
    var duplication = 0.0

    @Flag(name: .long, help: "Run twice and check that both runs have the same trace.")
    var checkDeterminism = false

    @Flag(name: .long, help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        guard (1...100_000).contains(nodes) else { throw ValidationError("--nodes must be from 1 to 100000") }
        guard (1...nodes).contains(seeds) else { throw ValidationError("--seeds must be from 1 to --nodes") }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be 0 to 86400 s") }
        guard (0...1).contains(loss), (0...1).contains(duplication) else {
            throw ValidationError("--loss and --duplication are probabilities from 0 to 1")
        }
        _ = try parsedLatency()
    }

    /// `--latency` as a model.
    func parsedLatency() throws -> NetworkModel.Latency {
        let parts = latency.split(separator: "-", omittingEmptySubsequences: false).map { Double($0) }
        switch parts.count {
        case 1:
            guard let value = parts[0], value >= 0, value <= 60_000 else {
                throw ValidationError("--latency: '\(latency)' is not a delay in ms (0 to 60000)")
            }
            return .fixed(.seconds(value / 1000))
        case 2:
            guard let low = parts[0], let high = parts[1], low >= 0, high >= low, high <= 60_000 else {
                throw ValidationError("--latency: '\(latency)' is not LOW-HIGH in ms with 0 <= LOW <= HIGH <= 60000")
            }
            return .uniform(.seconds(low / 1000), .seconds(high / 1000))
        default:
            throw ValidationError("--latency: '\(latency)' is not a number of ms or LOW-HIGH")
        }
    }

    func run() throws {
        let model = NetworkModel(latency: try parsedLatency(), loss: loss, duplication: duplication)
        var convergedAfter: Duration?
        var series: [Simulation.OverlaySnapshot] = []
        var nextSample = Duration.zero
        func scenario() -> Simulation {
            series = []
            nextSample = .zero
            let simulation = Simulation(seed: seed, nodes: nodes, seeds: seeds, network: model)
            simulation.start()
            let limit = Duration.seconds(duration)
            convergedAfter = simulation.run(
                until: { simulation in
                    let snapshot = simulation.overlay()
                    if snapshot.time >= nextSample {
                        series.append(snapshot)
                        nextSample = snapshot.time + .seconds(1)
                    }
                    return snapshot.belowMinimum == 0 && snapshot.components <= 1
                }, limit: limit)
            if let convergedAfter, convergedAfter < limit { simulation.run(for: limit - convergedAfter) }
            return simulation
        }
        let started = Date()
        let simulation = scenario()
        let wall = Date().timeIntervalSince(started)
        var determinism: Bool?
        if checkDeterminism { determinism = scenario().traceHash == simulation.traceHash }
        let peakKB = Self.peakResidentKilobytes()
        var report: [String: Any] = [
            "nodes": nodes, "seeds": seeds, "seed": seed, "virtual_seconds": duration,
            "events": simulation.eventsProcessed, "datagrams_delivered": simulation.datagramsDelivered,
            "datagrams_lost": simulation.datagramsLost, "datagrams_duplicated": simulation.datagramsDuplicated,
            "wall_seconds": wall, "speed_vs_real_time": duration / max(wall, 1e-9),
            "events_per_second": Double(simulation.eventsProcessed) / max(wall, 1e-9),
            "trace_hash": String(simulation.traceHash, radix: 16), "handshakes": simulation.handshakesCompleted,
        ]
        if let convergedAfter { report["converged_after_s"] = Double(convergedAfter.nanoseconds) / 1e9 }
        if let peakKB { report["peak_rss_kb_per_node"] = peakKB / nodes }
        if let determinism { report["deterministic"] = determinism }
        report["formation"] = series.map { snapshot -> [String: Any] in
            [
                "t_s": Double(snapshot.time.nanoseconds) / 1e9, "live": snapshot.live,
                "below_minimum": snapshot.belowMinimum, "components": snapshot.components,
                "largest_component": snapshot.largestComponent, "mean_degree": snapshot.meanDegree,
            ]
        }
        if json {
            Output.jsonLine(report)
        } else {
            Output.line("simulated \(nodes) nodes (\(seeds) seeds) for \(Output.seconds(duration)) s, seed \(seed)")
            Output.line(
                "converged after: "
                    + (convergedAfter.map { String(format: "%.2f s", Double($0.nanoseconds) / 1e9) } ?? "never"))
            if !series.isEmpty {
                Output.line("formation (each second until converged): time, nodes short of neighbours, components, "
                    + "largest component, mean degree")
                for snapshot in series {
                    Output.line(
                        String(
                            format: "  %6.1f s %6d %6d %6d %6.2f", Double(snapshot.time.nanoseconds) / 1e9,
                            snapshot.belowMinimum, snapshot.components, snapshot.largestComponent,
                            snapshot.meanDegree))
                }
            }
            Output.line("handshakes completed \(simulation.handshakesCompleted)")
            Output.line(
                "events \(simulation.eventsProcessed); datagrams delivered \(simulation.datagramsDelivered), lost "
                    + "\(simulation.datagramsLost), duplicated \(simulation.datagramsDuplicated)")
            Output.line(
                String(
                    format: "wall %.2f s: %.1fx real time, %.0f events/s", wall, duration / max(wall, 1e-9),
                    Double(simulation.eventsProcessed) / max(wall, 1e-9)))
            if let peakKB { Output.line("peak memory: \(peakKB / 1024) MB, \(peakKB / nodes) kB per node") }
            Output.line("trace \(String(simulation.traceHash, radix: 16))")
            if let determinism {
                Output.line(
                    determinism ? "determinism: the second run had the same trace" : "determinism: TRACES DIFFER")
            }
        }
        if determinism == false { throw ExitCode(1) }
    }

    /// The process's peak resident memory (`VmHWM`), in kB.
    static func peakResidentKilobytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}
