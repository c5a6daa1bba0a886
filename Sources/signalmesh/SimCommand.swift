import ArgumentParser
import Foundation
import MeshCore
import MeshSignals
import MeshSimulator

/// `signalmesh sim`: deterministic simulations of real node cores on a virtual clock.
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Simulate real node cores on a virtual clock, deterministically, with faults.",
        subcommands: [SimRunCommand.self, SimSwarmCommand.self],
        defaultSubcommand: SimRunCommand.self)
}

/// The scenario options shared by `sim run` (and read from a scenario file).
struct ScenarioOptions: ParsableArguments {
    @Option(name: .long, help: "A scenario file (JSON, Specs/simulator.md); flags given as well override its values.")
    var scenario: String?

    @Option(name: .long, help: "How many nodes at the start (default 100).")
    var nodes: Int?

    @Option(name: .long, help: "How many of them are seeds (default 3).")
    var seeds: Int?

    @Option(name: .long, help: "Virtual seconds to run (default 60).")
    var duration: Double?

    @Option(name: .long, help: "The seed of the run (default 1).")
    var seed: UInt64?

    @Option(
        name: .long,
        help: "One-way delay in ms: MS, LOW-HIGH (uniform), normal:MEAN,SD or lognormal:MEDIAN,SIGMA (default 5-25).")
    var latency: String?

    @Option(name: .long, help: "Regions with a latency matrix added to --latency: 'world' (4 regions) or 'none'.")
    var regions: String?

    @Option(name: .long, help: "Probability that a datagram is lost, 0 to 1 (default 0).")
    var loss: Double?

    @Option(name: .long, help: "Probability that a datagram is delivered twice, 0 to 1 (default 0).")
    var duplication: Double?

    @Option(name: .long, help: "Each node's uplink in bytes per second, with a 1 MiB queue (default unlimited).")
    var bandwidth: Int?

    @Option(name: .long, help: "The largest datagram links carry, in bytes (default 1500).")
    var mtu: Int?

    @Option(
        name: .long,
        help: "A partition: halves|split:K|isolate:LIST|oneway:LIST>LIST @START[+DURATION] in s (repeatable).")
    var partition: [String] = []

    @Option(
        name: .long,
        help: """
            A fault: 'crash LIST@T', 'restart LIST@T', 'pause LIST@T+D', 'clock LIST@T:+MSms[:PPMppm]', \
            'churn PERCENT%@T+D' (repeatable; LIST is indices and ranges like 3,5-7).
            """)
    var fault: [String] = []

    @Option(name: .long, help: "After the faults, run up to this many more seconds until the overlay converges.")
    var settle: Double?

    @Option(name: .long, help: "Start the nodes at random instants within this many seconds (default 1).")
    var joinOver: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Signal traffic to measure gossip: 'P@Is[+Ss]', P nodes each publishing a signed signal every I "
                + "seconds from S (default 10); every node subscribes.", valueName: "traffic"))
    var signals: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Adversaries: 'P%:KIND[@R/s][+Ss]', P percent of the nodes (at most 50; never seeds or publishers) "
                + "pushing KIND frames — invalid (records that fail their checks) or duplicate (valid records "
                + "again) — R a second to each neighbour (default 20) from S seconds (default 10) to the end; or "
                + "eclipse: sybils in two address groups asking nodes that joined in the last 20 s to take them as "
                + "neighbours and filling their passive views, R rounds a second each.",
            valueName: "attack"))
    var attackers: String?

    /// The scenario: the file's values, then the flags over them, all checked.
    func makeScenario() throws -> Scenario {
        var file: [String: Any] = [:]
        if let path = scenario {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("--scenario: cannot read '\(path)'")
            }
            guard let object = try? JSONSerialization.jsonObject(with: data), let dictionary = object as? [String: Any]
            else { throw ValidationError("--scenario: '\(path)' is not a JSON object") }
            let known: Set = [
                "nodes", "seeds", "seed", "duration", "latency", "regions", "loss", "duplication", "bandwidth", "mtu",
                "settle", "faults", "join_over", "signals", "attackers",
            ]
            if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
                throw ValidationError(
                    "--scenario: unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
            }
            file = dictionary
        }
        func number(_ key: String) throws -> Double? {
            guard let value = file[key] else { return nil }
            // JSONNumber: on Linux every NSNumber says it `is Bool`, and decimals need care to read exactly.
            guard let number = JSONNumber.value(value) else {
                throw ValidationError("--scenario: '\(key)' must be a number")
            }
            return number
        }
        func integer(_ key: String) throws -> Int? {
            guard let value = try number(key) else { return nil }
            guard value == value.rounded(), abs(value) < 1e15 else {
                throw ValidationError("--scenario: '\(key)' must be a whole number")
            }
            return Int(value)
        }
        func text(_ key: String) throws -> String? {
            guard let value = file[key] else { return nil }
            guard let text = value as? String else { throw ValidationError("--scenario: '\(key)' must be a string") }
            return text
        }
        let nodes = try self.nodes ?? integer("nodes") ?? 100
        let seeds = try self.seeds ?? integer("seeds") ?? 3
        guard (1...100_000).contains(nodes) else { throw ValidationError("--nodes must be from 1 to 100000") }
        guard (1...nodes).contains(seeds) else { throw ValidationError("--seeds must be from 1 to --nodes") }
        let duration = try self.duration ?? number("duration") ?? 60
        guard duration > 0, duration <= 86_400 * 7 else { throw ValidationError("--duration must be 0 to 604800 s") }
        let seedValue: UInt64
        if let seed {
            seedValue = seed
        } else if let fileSeed = try integer("seed") {
            guard fileSeed >= 0 else { throw ValidationError("--scenario: 'seed' must not be negative") }
            seedValue = UInt64(fileSeed)
        } else {
            seedValue = 1
        }
        var scenario = Scenario(
            nodes: nodes, seeds: seeds, seed: seedValue, duration: .nanoseconds(Int64(duration * 1e9)))
        let latencyText = try latency ?? text("latency") ?? "5-25"
        do {
            scenario.network.latency = try NetworkModel.Latency(parsing: latencyText)
        } catch {
            throw ValidationError(error.description)
        }
        switch try regions ?? text("regions") ?? "none" {
        case "none": scenario.network.regions = nil
        case "world": scenario.network.regions = .world
        case let other: throw ValidationError("--regions: '\(other)' is not 'world' or 'none'")
        }
        let loss = try self.loss ?? number("loss") ?? 0
        let duplication = try self.duplication ?? number("duplication") ?? 0
        guard (0...1).contains(loss), (0...1).contains(duplication) else {
            throw ValidationError("--loss and --duplication are probabilities from 0 to 1")
        }
        scenario.network.loss = loss
        scenario.network.duplication = duplication
        if let bandwidth = try self.bandwidth ?? integer("bandwidth") {
            guard bandwidth >= 1_000 else { throw ValidationError("--bandwidth must be at least 1000 bytes/s") }
            scenario.network.bandwidth = bandwidth
        }
        let mtu = try self.mtu ?? integer("mtu") ?? 1500
        guard (64...65_535).contains(mtu) else { throw ValidationError("--mtu must be from 64 to 65535") }
        scenario.network.mtu = mtu
        let settle = try self.settle ?? number("settle") ?? 0
        guard settle >= 0, settle <= 86_400 else { throw ValidationError("--settle must be 0 to 86400 s") }
        scenario.settleLimit = .nanoseconds(Int64(settle * 1e9))
        let joinOver = try self.joinOver ?? number("join_over") ?? 1
        guard joinOver > 0, joinOver <= 86_400 else { throw ValidationError("--join-over must be 0 to 86400 s") }
        scenario.joinWindow = .nanoseconds(Int64(joinOver * 1e9))
        if let text = signals ?? (file["signals"] as? String) {
            guard let traffic = SignalTraffic(text: text) else {
                throw ValidationError("--signals '\(text)': expected P@Is[+Ss], as 10@1s or 5@0.5s+20s")
            }
            scenario.signals = traffic
        }
        if let text = attackers ?? (file["attackers"] as? String) {
            guard let attack = AttackTraffic(text: text) else {
                throw ValidationError(
                    "--attackers '\(text)': expected P%:KIND[@R/s][+Ss] with P up to 50 and KIND invalid or "
                        + "duplicate or eclipse, as 10%:invalid, 5%:duplicate@50/s+20s or 20%:eclipse+0s")
            }
            scenario.attack = attack
            if attack.kind == .eclipse { scenario.invariants.append(.notEclipsed) }
        }
        var faultTexts: [String] = []
        if let listed = file["faults"] {
            guard let texts = listed as? [String] else {
                throw ValidationError("--scenario: 'faults' must be a list of strings like \"crash 5@20\"")
            }
            faultTexts = texts
        }
        faultTexts += partition.map { "partition " + $0 } + fault
        guard faultTexts.count <= 10_000 else { throw ValidationError("at most 10000 faults") }
        do {
            scenario.faults = try faultTexts.map { text throws(FaultSyntaxError) in
                try ScheduledFault(parsing: text, nodes: nodes)
            }
        } catch {
            throw ValidationError(error.description)
        }
        return scenario
    }
}

/// `signalmesh sim [run]`: one scenario, with a report.
struct SimRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one scenario and print its report (the default).",
        discussion: """
            Every node is the shipped node core (transport with real cryptography, membership) driven by a \
            virtual clock; one seed (--seed) decides keys, start phases and every datagram's delay and fate, so a \
            run replays exactly (--check-determinism runs it twice and compares the trace hashes). Faults \
            (--partition, --fault) strike at their times. The report: when the overlay converged (one connected \
            graph, every node at its minimum of neighbours) and how long it took to converge again after the \
            faults, the overlay second by second while it formed and while it recovered, handshakes, bytes sent \
            per node, datagrams delivered, duplicated and dropped by reason, one-way datagram delays, the \
            invariants checked at the end (a failure prints the command that reproduces the run and exits 1), \
            and how much faster than real time the run went. --report writes it all as JSON, --chart draws the \
            overlay over time and the delay CDF as SVG. Specs/simulator.md describes scenario files.
            """)

    @OptionGroup var options: ScenarioOptions

    @Flag(name: .long, help: "Run twice and check that both runs have the same trace.")
    var checkDeterminism = false

    @Option(name: .long, help: "Write the report as JSON to this file.")
    var report: String?

    @Option(name: .long, help: "Write an SVG chart (overlay over time, datagram delay CDF) to this file.")
    var chart: String?

    @Option(
        name: .long,
        help: "Threads to run the nodes on, 1 to 64 (default: the processors online); the run is the same with any.")
    var threads: Int?

    @Flag(name: .long, help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        if let threads, !(1...64).contains(threads) {
            throw ValidationError("--threads must be from 1 to 64, not \(threads)")
        }
    }

    func run() throws {
        var scenario = try options.makeScenario()
        scenario.threads = threads ?? min(64, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let started = Date()
        // The wall clock when the overlay had first converged (read at the next once-a-second sample): the speed
        // from there on is that of a formed overlay, without the joining's handshakes.
        var converged: (wall: Date, virtual: Duration)?
        let result = scenario.run { snapshot in
            if converged == nil, snapshot.belowMinimum == 0, snapshot.components <= 1 {
                converged = (Date(), snapshot.time)
            }
        }
        let ended = Date()
        let wall = ended.timeIntervalSince(started)
        let formedSpeed = converged.flatMap { converged -> Double? in
            let virtual = Double((result.virtualTime - converged.virtual).nanoseconds) / 1e9
            // Too short a stretch says nothing.
            guard virtual >= 10 else { return nil }
            return virtual / max(ended.timeIntervalSince(converged.wall), 1e-9)
        }
        var deterministic: Bool?
        if checkDeterminism { deterministic = scenario.run().traceHash == result.traceHash }
        let peakKB = Self.peakResidentKilobytes()
        var fields = Self.fields(of: result)
        fields["wall_seconds"] = wall
        fields["threads"] = scenario.threads
        fields["speed_vs_real_time"] = Double(result.virtualTime.nanoseconds) / 1e9 / max(wall, 1e-9)
        fields["events_per_second"] = Double(result.events) / max(wall, 1e-9)
        if let formedSpeed { fields["speed_after_converged"] = formedSpeed }
        if let peakKB {
            fields["peak_rss_kb"] = peakKB
            fields["peak_rss_kb_per_node"] = peakKB / max(result.nodesAtEnd, 1)
        }
        if let deterministic { fields["deterministic"] = deterministic }
        if let path = report {
            let data = try JSONSerialization.data(
                withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
            guard FileManager.default.createFile(atPath: path, contents: data) else {
                throw ValidationError("--report: cannot write '\(path)'")
            }
        }
        if let path = chart {
            guard FileManager.default.createFile(atPath: path, contents: Data(result.svg.utf8)) else {
                throw ValidationError("--chart: cannot write '\(path)'")
            }
        }
        if json {
            Output.jsonLine(fields)
        } else {
            Self.printText(
                result, wall: wall, formedSpeed: formedSpeed, peakKB: peakKB, deterministic: deterministic)
        }
        if deterministic == false || !result.violations.isEmpty { throw ExitCode(1) }
    }

    /// The report as JSON fields.
    static func fields(of report: Report) -> [String: Any] {
        func summary(_ summary: Report.Summary) -> [String: Any] {
            [
                "count": summary.count, "mean": summary.mean, "p50": summary.p50, "p90": summary.p90,
                "p99": summary.p99,
                "max": summary.max,
            ]
        }
        let scenario = report.scenario
        var fields: [String: Any] = [
            "nodes": scenario.nodes, "seeds": scenario.seeds, "seed": scenario.seed,
            "virtual_seconds": Double(report.virtualTime.nanoseconds) / 1e9, "command": scenario.commandLine,
            "faults": scenario.faults.map(\.description), "events": report.events,
            "datagrams_delivered": report.datagramsDelivered, "datagrams_duplicated": report.datagramsDuplicated,
            "drops": report.drops, "handshakes": report.handshakes, "nodes_at_end": report.nodesAtEnd,
            "live_at_end": report.liveAtEnd, "bytes_sent_per_node": summary(report.bytesPerNode),
            "datagram_delay_ms": summary(report.delayMilliseconds),
            "trace_hash": String(report.traceHash, radix: 16),
            "invariants": scenario.invariants.map(\.name),
            "violations": report.violations.map { ["invariant": $0.invariant, "problem": $0.problem] },
            "series": report.series.map { snapshot -> [String: Any] in
                [
                    "t_s": Double(snapshot.time.nanoseconds) / 1e9, "live": snapshot.live,
                    "below_minimum": snapshot.belowMinimum, "components": snapshot.components,
                    "largest_component": snapshot.largestComponent, "mean_degree": snapshot.meanDegree,
                ]
            },
        ]
        if scenario.signals != nil {
            fields["signals"] =
                [
                    "published": report.signalsPublished, "deliveries_expected": report.signalDeliveriesExpected,
                    "deliveries": report.signalDeliveries,
                    "delivery_ratio": Double(report.signalDeliveries) / Double(max(1, report.signalDeliveriesExpected)),
                    "latency_ms": summary(report.signalLatencyMilliseconds),
                    "duplicates_per_node_per_signal": report.duplicatesPerNodePerSignal,
                    "sampled_latency_ms": summary(report.sampledLatencyMilliseconds),
                    "shortest_path_ms": summary(report.shortestPathMilliseconds),
                    "p99_to_shortest_path_p99": report.sampledLatencyMilliseconds.p99
                        / max(1e-9, report.shortestPathMilliseconds.p99),
                    "undelivered": [
                        "records": report.undelivered.records, "deliveries": report.undelivered.deliveries,
                        "first": report.undelivered.sample.map { entry -> [String: Any] in
                            [
                                "published_s": Double(entry.publishedAt.nanoseconds) / 1e9,
                                "publisher": entry.publisher, "sequence": entry.sequence, "missed": entry.missed,
                                "nodes": entry.nodes,
                            ]
                        },
                    ] as [String: Any],
                ] as [String: Any]
        }
        if scenario.attack != nil {
            fields["attack"] =
                [
                    "attackers": report.attack.attackers, "links": report.attack.links,
                    "graylisted_links": report.attack.graylistedLinks, "frames_sent": report.attack.framesSent,
                    "honest_links_graylisted": report.attack.honestGraylisted,
                ] as [String: Any]
            if scenario.attack?.kind == .eclipse {
                fields["eclipse"] =
                    [
                        "targets": report.eclipse.targets, "eclipsed": report.eclipse.eclipsed,
                        "mean_sybil_share": report.eclipse.meanSybilShare,
                        "max_sybil_share": report.eclipse.maxSybilShare,
                        "fewest_honest_neighbours": report.eclipse.fewestHonestNeighbours,
                        "honest_components": report.eclipse.honestComponents,
                    ] as [String: Any]
            }
        }
        if let converged = report.convergedAfter { fields["converged_after_s"] = Double(converged.nanoseconds) / 1e9 }
        if let recovered = report.recoveredAfterFaults {
            fields["recovered_after_faults_s"] = Double(recovered.nanoseconds) / 1e9
        }
        return fields
    }

    static func printText(
        _ report: Report, wall: Double, formedSpeed: Double? = nil, peakKB: Int?, deterministic: Bool?
    ) {
        let scenario = report.scenario
        let virtual = Double(report.virtualTime.nanoseconds) / 1e9
        Output.line(
            "simulated \(scenario.nodes) nodes (\(scenario.seeds) seeds) for \(Output.seconds(virtual)) s, seed "
                + "\(scenario.seed), links \(scenario.network.latency) ms"
                + (scenario.network.regions != nil ? " + regions" : "")
                + (scenario.network.loss > 0 ? ", loss \(scenario.network.loss)" : ""))
        for fault in scenario.faults { Output.line("  fault: \(fault)") }
        func seconds(_ duration: Duration?) -> String {
            duration.map { String(format: "%.1f s", Double($0.nanoseconds) / 1e9) } ?? "never"
        }
        Output.line("converged after: \(seconds(report.convergedAfter))")
        if !scenario.faults.isEmpty {
            Output.line(
                "converged again after the faults ended: "
                    + (report.recoveredAfterFaults.map { "\(seconds($0)) later" } ?? "not by the end of the run"))
        }
        // The seconds worth reading: forming, and from the first fault until recovery.
        let firstFault = scenario.faults.map(\.at).min()
        let recoveredAt = report.recoveredAfterFaults.map { scenario.faultsEnd + $0 }
        let rows = report.series.filter { snapshot in
            let forming = report.convergedAfter.map { snapshot.time <= $0 + .seconds(1) } ?? true
            // From the first fault until one second past recovery, or to the end when it never recovered.
            let afterFirstFault = firstFault.map { snapshot.time >= $0 } ?? false
            let beforeRecovery = recoveredAt.map { snapshot.time <= $0 + .seconds(1) } ?? true
            let faulty = afterFirstFault && beforeRecovery
            return forming || faulty
        }
        if !rows.isEmpty {
            Output.line(
                "overlay: time, live nodes, nodes short of neighbours, components, largest component, mean degree")
            let step = max(1, rows.count / 60)
            for (index, snapshot) in rows.enumerated() where index % step == 0 || index == rows.count - 1 {
                Output.line(
                    String(
                        format: "  %7.1f s %6d %6d %6d %6d %6.2f", Double(snapshot.time.nanoseconds) / 1e9,
                        snapshot.live, snapshot.belowMinimum, snapshot.components, snapshot.largestComponent,
                        snapshot.meanDegree))
            }
        }
        Output.line("handshakes completed \(report.handshakes)")
        if report.scenario.signals != nil {
            let latency = report.signalLatencyMilliseconds
            Output.line(
                String(
                    format: "signals: %d published, %d of %d deliveries (%.4f), latency ms p50 %.1f p99 %.1f max %.1f, "
                        + "%.3f duplicates per node per signal", report.signalsPublished, report.signalDeliveries,
                    report.signalDeliveriesExpected,
                    Double(report.signalDeliveries) / Double(max(1, report.signalDeliveriesExpected)), latency.p50,
                    latency.p99, latency.max, report.duplicatesPerNodePerSignal))
            let undelivered = report.undelivered
            if undelivered.records > 0 {
                Output.line(
                    "  undelivered: \(undelivered.records) records missed \(undelivered.deliveries) deliveries; the first:"
                )
                for entry in undelivered.sample {
                    let nodes = entry.nodes.map(String.init).joined(separator: ",")
                    let more = entry.missed > entry.nodes.count ? "…" : ""
                    Output.line(
                        String(
                            format: "    published %.3f s by node %d (sequence %llu), missed by %d: nodes ",
                            Double(entry.publishedAt.nanoseconds) / 1e9, entry.publisher, entry.sequence, entry.missed)
                            + nodes + more)
                }
            }
            let sampled = report.sampledLatencyMilliseconds
            let shortest = report.shortestPathMilliseconds
            if shortest.count > 0 {
                Output.line(
                    String(
                        format: "  against the shortest paths (first %d signals, links at their mean delay): latency "
                            + "p50 %.1f p99 %.1f ms, shortest path p50 %.1f p99 %.1f ms, p99 ratio %.2f",
                        Simulation.shortestPathSignals, sampled.p50, sampled.p99, shortest.p50, shortest.p99,
                        sampled.p99 / max(1e-9, shortest.p99)))
            }
        }
        if let attack = report.scenario.attack {
            Output.line(
                "attack: \(report.attack.attackers) nodes sending \(attack.kind.rawValue) frames "
                    + "(\(report.attack.framesSent) pushed); honest nodes had \(report.attack.links) links to them "
                    + "at the end, \(report.attack.graylistedLinks) graylisted; links between honest nodes graylisted: "
                    + "\(report.attack.honestGraylisted)")
            if attack.kind == .eclipse {
                let eclipse = report.eclipse
                Output.line(
                    String(
                        format:
                            "eclipse: %d joining nodes targeted; sybils hold %.0f%% of their neighbours on average, "
                            + "%.0f%% at most; honest nodes with no honest neighbour: %d (fewest honest neighbours: "
                            + "%d); honest links in %d piece(s)",
                        eclipse.targets, eclipse.meanSybilShare * 100, eclipse.maxSybilShare * 100,
                        eclipse.eclipsed.count, eclipse.fewestHonestNeighbours, eclipse.honestComponents))
            }
        }
        let bytes = report.bytesPerNode
        Output.line(
            String(
                format: "bytes sent per node: mean %.0f, p50 %.0f, p99 %.0f, max %.0f", bytes.mean, bytes.p50,
                bytes.p99,
                bytes.max))
        let drops = report.drops.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        Output.line(
            "events \(report.events); datagrams delivered \(report.datagramsDelivered), duplicated "
                + "\(report.datagramsDuplicated), dropped: \(drops.isEmpty ? "none" : drops)")
        let delay = report.delayMilliseconds
        Output.line(
            String(
                format: "datagram delay ms: p50 %.1f, p90 %.1f, p99 %.1f, max %.1f", delay.p50, delay.p90, delay.p99,
                delay.max))
        Output.line(
            String(format: "wall %.2f s: %.1fx real time", wall, virtual / max(wall, 1e-9))
                + (formedSpeed.map { String(format: " (%.1fx once converged)", $0) } ?? "")
                + String(format: ", %.0f events/s", Double(report.events) / max(wall, 1e-9))
                + ", \(scenario.threads) thread\(scenario.threads == 1 ? "" : "s")")
        if let peakKB {
            Output.line("peak memory: \(peakKB / 1024) MB, \(peakKB / max(report.nodesAtEnd, 1)) kB per node")
        }
        Output.line("trace \(String(report.traceHash, radix: 16))")
        if report.violations.isEmpty {
            Output.line("invariants held: \(scenario.invariants.map(\.name).joined(separator: ", "))")
        } else {
            Output.line(report.failureMessage)
        }
        if let deterministic {
            Output.line(deterministic ? "determinism: the second run had the same trace" : "determinism: TRACES DIFFER")
        }
    }

    /// The process's peak resident memory (`VmHWM`), in kB.
    static func peakResidentKilobytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}

/// `signalmesh sim swarm`: many random scenarios, invariants checked, failing seeds listed.
struct SimSwarmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swarm",
        abstract: "Run random fault scenarios, one per seed, and list the seeds whose invariants failed.",
        discussion: """
            Each run draws its own scenario from its seed (the first run's is --seed, then --seed + 1, …): 12 to \
            --max-nodes nodes, 1 to 3 seeds, links, loss and duplication, and one to three faults among \
            partitions of every kind, crashes with and without restarts, restarts, pauses, clock jumps and drift, \
            and churn; after the faults the overlay gets up to 900 virtual seconds to converge again. At the end \
            of each run the invariants are checked (the overlay is connected with every node at its minimum of \
            neighbours; no session keys were reused). Every --determinism-every'th run is run twice and its traces \
            compared. Failing seeds are listed with the command that reproduces each; the exit status is 1 if any \
            failed.
            """)

    @Option(name: .long, help: "How many runs (default 100).")
    var runs = 100

    @Option(name: .long, help: "The first run's seed (default 1).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "The most nodes a run may have (12 to 1000; default 48).")
    var maxNodes = 48

    @Option(name: .long, help: "Check determinism on every Nth run (0: never; default 10).")
    var determinismEvery = 10

    @Flag(name: .long, help: "Print one JSON object per run, then a summary object.")
    var json = false

    func validate() throws {
        guard (1...100_000).contains(runs) else { throw ValidationError("--runs must be from 1 to 100000") }
        guard (12...1000).contains(maxNodes) else { throw ValidationError("--max-nodes must be from 12 to 1000") }
        guard determinismEvery >= 0 else { throw ValidationError("--determinism-every must not be negative") }
    }

    func run() throws {
        var failed: [(seed: UInt64, message: String)] = []
        let started = Date()
        var virtualSeconds = 0.0
        for index in 0..<runs {
            let runSeed = seed &+ UInt64(index)
            let scenario = Scenario.random(seed: runSeed, maxNodes: maxNodes)
            let runStarted = Date()
            let report = scenario.run()
            let wall = Date().timeIntervalSince(runStarted)
            virtualSeconds += Double(report.virtualTime.nanoseconds) / 1e9
            var problems = report.violations.map { "invariant '\($0.invariant)' failed: \($0.problem)" }
            var deterministic: Bool?
            if determinismEvery > 0, index % determinismEvery == 0 {
                deterministic = scenario.run().traceHash == report.traceHash
                if deterministic == false { problems.append("the second run's trace differs (nondeterminism)") }
            }
            if !problems.isEmpty {
                failed.append(
                    (runSeed, (problems + ["reproduce with: \(scenario.commandLine)"]).joined(separator: "\n  ")))
            }
            if json {
                var fields: [String: Any] = [
                    "seed": runSeed, "nodes": scenario.nodes, "faults": scenario.faults.map(\.description),
                    "virtual_seconds": Double(report.virtualTime.nanoseconds) / 1e9, "wall_seconds": wall,
                    "ok": problems.isEmpty, "problems": problems, "command": scenario.commandLine,
                    "trace_hash": String(report.traceHash, radix: 16),
                ]
                if let recovered = report.recoveredAfterFaults {
                    fields["recovered_after_faults_s"] = Double(recovered.nanoseconds) / 1e9
                }
                if let deterministic { fields["deterministic"] = deterministic }
                Output.jsonLine(fields)
            } else {
                let recovered =
                    report.recoveredAfterFaults.map {
                        String(format: "recovered %.1f s after the faults", Double($0.nanoseconds) / 1e9)
                    } ?? "not recovered"
                Output.line(
                    "seed \(runSeed): \(problems.isEmpty ? "ok" : "FAILED"), \(scenario.nodes) nodes, "
                        + "\(scenario.faults.map(\.description).joined(separator: "; ")); \(recovered)"
                        + (deterministic == true ? "; deterministic" : ""))
            }
        }
        let wall = Date().timeIntervalSince(started)
        if json {
            Output.jsonLine([
                "runs": runs, "failed": failed.map(\.seed), "wall_seconds": wall, "virtual_seconds": virtualSeconds,
            ])
        } else {
            Output.line(
                String(
                    format: "%d runs, %d failed, %.0f virtual s in %.1f s wall", runs, failed.count, virtualSeconds,
                    wall))
            for failure in failed { Output.line("seed \(failure.seed):\n  \(failure.message)") }
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
