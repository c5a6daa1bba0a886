public import MeshCore

/// What a scenario's run showed: convergence, recovery after its faults, traffic, drops, datagram delays and the
/// invariants that did not hold, with the trace hash that identifies the run.
public struct Report: Sendable {
    /// Percentiles of a set of values.
    public struct Summary: Sendable, Equatable {
        /// How many values.
        public var count = 0
        /// Their mean.
        public var mean = 0.0
        /// The median.
        public var p50 = 0.0
        /// The 90th percentile.
        public var p90 = 0.0
        /// The 99th percentile.
        public var p99 = 0.0
        /// The largest.
        public var max = 0.0

        init(_ values: [Double]) {
            guard !values.isEmpty else { return }
            let sorted = values.sorted()
            func at(_ p: Double) -> Double { sorted[Swift.min(sorted.count - 1, Int(p * Double(sorted.count)))] }
            count = sorted.count
            mean = sorted.reduce(0, +) / Double(sorted.count)
            p50 = at(0.5)
            p90 = at(0.9)
            p99 = at(0.99)
            max = sorted.last!
        }

        init() {}
    }

    /// The scenario that ran.
    public let scenario: Scenario
    /// Virtual time until the overlay was first connected with every node at its minimum of neighbours.
    public var convergedAfter: Duration?
    /// Virtual time from the end of the last fault until the overlay had converged again (nil without faults, or
    /// when it had not by the end).
    public var recoveredAfterFaults: Duration?
    /// The overlay once a second.
    public var series: [Simulation.OverlaySnapshot] = []
    /// Events processed.
    public private(set) var events = 0
    /// Datagrams delivered and duplicated by the network.
    public private(set) var datagramsDelivered = 0
    /// See `datagramsDelivered`.
    public private(set) var datagramsDuplicated = 0
    /// Datagrams dropped, by reason.
    public private(set) var drops: [String: Int] = [:]
    /// Noise handshakes completed.
    public private(set) var handshakes = 0
    /// Nodes at the end (churn adds some) and how many were up.
    public private(set) var nodesAtEnd = 0
    /// See `nodesAtEnd`.
    public private(set) var liveAtEnd = 0
    /// Bytes each node sent over the run.
    public private(set) var bytesPerNode = Summary()
    /// One-way datagram delays in milliseconds (queueing included), from the simulation's sample.
    public private(set) var delayMilliseconds = Summary()
    /// The sorted delay sample (ms), for a CDF.
    public private(set) var delayCDF: [Double] = []
    /// The invariants that did not hold, with what was wrong.
    public private(set) var violations: [(invariant: String, problem: String)] = []
    /// With `Scenario.attack`: the attackers, the links honest nodes had to them at the end, how many of those were
    /// graylisted, and the frames the attackers pushed.
    public private(set) var attack = (attackers: 0, links: 0, graylistedLinks: 0, framesSent: 0, honestGraylisted: 0)
    /// With an eclipse attack: `Simulation.eclipseFigures` at the end.
    public private(set) var eclipse:
        (
            targets: Int, eclipsed: [Int], meanSybilShare: Double, maxSybilShare: Double, fewestHonestNeighbours: Int,
            honestComponents: Int
        ) = (0, [], 0, 0, 0, 0)
    /// Signal records published (with `Scenario.signals`), the deliveries they should have had (nodes up at each
    /// publication, its publisher and attackers aside) and had, each delivery's latency from publication (ms), and
    /// the copies of records each node received beyond the first, per record.
    public private(set) var signalsPublished = 0
    /// See `signalsPublished`.
    public private(set) var signalDeliveriesExpected = 0
    /// See `signalsPublished`.
    public private(set) var signalDeliveries = 0
    /// See `signalsPublished`.
    public private(set) var signalLatencyMilliseconds = Summary()
    /// For the deliveries of the first signals (`Simulation.shortestPathSignals`): the shortest-path latency to each
    /// node over the overlay at publication (links at their mean delay), in ms, and the same deliveries' latency.
    public private(set) var shortestPathMilliseconds = Summary()
    /// See `shortestPathMilliseconds`.
    public private(set) var sampledLatencyMilliseconds = Summary()
    /// See `signalsPublished`.
    public private(set) var duplicatesPerNodePerSignal = 0.0
    /// The records some node owed them never received (`Simulation.undeliveredSignals`): how many, the deliveries
    /// missing, and the first ten by publication time with the nodes that missed them.
    public private(set) var undelivered:
        (
            records: Int, deliveries: Int,
            sample: [(publishedAt: Duration, publisher: Int, sequence: UInt64, missed: Int, nodes: [Int])]
        ) = (0, 0, [])
    /// The run's trace hash.
    public private(set) var traceHash: UInt64 = 0
    /// Virtual time at the end.
    public private(set) var virtualTime = Duration.zero

    init(scenario: Scenario) {
        self.scenario = scenario
    }

    mutating func finish(_ simulation: Simulation) {
        events = simulation.eventsProcessed
        datagramsDelivered = simulation.datagramsDelivered
        datagramsDuplicated = simulation.datagramsDuplicated
        drops = simulation.drops
        handshakes = simulation.handshakesCompleted
        nodesAtEnd = simulation.nodes.count
        liveAtEnd = simulation.nodes.filter(\.up).count
        bytesPerNode = Summary(simulation.nodes.map { Double($0.bytesSent) })
        delayCDF = simulation.delaySample.map { Double($0.nanoseconds) / 1e6 }.sorted()
        delayMilliseconds = Summary(delayCDF)
        attack = simulation.attackFigures
        if scenario.attack?.kind == .eclipse { eclipse = simulation.eclipseFigures }
        let figures = simulation.signalFigures
        signalsPublished = figures.published
        signalDeliveriesExpected = figures.expected
        signalDeliveries = figures.delivered
        duplicatesPerNodePerSignal = figures.duplicatesPerNodePerMessage
        undelivered = simulation.undeliveredSignals(limit: 10)
        signalLatencyMilliseconds = Summary(simulation.signalLatencySample.map { Double($0.nanoseconds) / 1e6 })
        shortestPathMilliseconds = Summary(simulation.pathSample.map { Double($0.shortest.nanoseconds) / 1e6 })
        sampledLatencyMilliseconds = Summary(simulation.pathSample.map { Double($0.latency.nanoseconds) / 1e6 })
        traceHash = simulation.traceHash
        virtualTime = simulation.now - simulation.startedAt
        violations = scenario.invariants.compactMap { invariant in
            invariant.check(simulation).map { (invariant.name, $0) }
        }
    }

    /// For a failed run: each violation, the seed, and the command that reproduces the run.
    public var failureMessage: String {
        let lines = violations.map { "invariant '\($0.invariant)' failed: \($0.problem)" }
        return (lines + ["seed \(scenario.seed); reproduce with: \(scenario.commandLine)"]).joined(separator: "\n")
    }

    // MARK: Chart

    /// An SVG with two panels: the overlay over time (nodes short of neighbours, components; partitions shaded)
    /// and the CDF of datagram delays. Hand-written: two line plots do not justify a plotting dependency.
    public var svg: String {
        let width = 960.0
        let height = 380.0
        let panel = (width: 400.0, height: 260.0)
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="20" y="24" font-size="15">\(escape(title))</text>

            """
        func axes(
            _ x: Double, _ y: Double, _ title: String, _ xLabel: String, _ yLabel: String, xMax: Double, yMax: Double
        ) {
            out += "<g transform=\"translate(\(x),\(y))\">\n"
            out += "<text x=\"0\" y=\"-12\" font-size=\"13\">\(escape(title))</text>\n"
            out +=
                "<line x1=\"0\" y1=\"\(panel.height)\" x2=\"\(panel.width)\" y2=\"\(panel.height)\" stroke=\"black\"/>\n"
            out += "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"\(panel.height)\" stroke=\"black\"/>\n"
            for tick in 0...4 {
                let fraction = Double(tick) / 4
                let tx = fraction * panel.width
                let ty = panel.height - fraction * panel.height
                out +=
                    "<text x=\"\(tx)\" y=\"\(panel.height + 16)\" text-anchor=\"middle\">\(label(fraction * xMax))</text>\n"
                out += "<text x=\"-6\" y=\"\(ty + 4)\" text-anchor=\"end\">\(label(fraction * yMax))</text>\n"
                out += "<line x1=\"0\" y1=\"\(ty)\" x2=\"\(panel.width)\" y2=\"\(ty)\" stroke=\"#eee\"/>\n"
            }
            out +=
                "<text x=\"\(panel.width / 2)\" y=\"\(panel.height + 34)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
            out +=
                "<text x=\"-40\" y=\"\(panel.height / 2)\" transform=\"rotate(-90 -40 \(panel.height / 2))\" "
                + "text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        }
        func polyline(_ points: [(Double, Double)], color: String) {
            guard !points.isEmpty else { return }
            let text = points.map { "\(round2($0.0)),\(round2($0.1))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(text)\"/>\n"
        }
        // Panel 1: the overlay over time.
        let tMax = Swift.max(1, series.last.map { Double($0.time.nanoseconds) / 1e9 } ?? 1)
        let yMax = Swift.max(1, Double(series.map { Swift.max($0.belowMinimum, $0.components) }.max() ?? 1))
        axes(70, 60, "Overlay over time", "virtual time (s)", "nodes / components", xMax: tMax, yMax: yMax)
        for fault in scenario.faults {
            guard case .partition(_, let duration) = fault.fault else { continue }
            let start = Double(fault.at.nanoseconds) / 1e9
            let end = duration.map { start + Double($0.nanoseconds) / 1e9 } ?? tMax
            let x0 = Swift.min(1, start / tMax) * panel.width
            let x1 = Swift.min(1, end / tMax) * panel.width
            out +=
                "<rect x=\"\(round2(x0))\" y=\"0\" width=\"\(round2(Swift.max(0, x1 - x0)))\" "
                + "height=\"\(panel.height)\" fill=\"#f6d5d5\"/>\n"
        }
        func point(_ snapshot: Simulation.OverlaySnapshot, _ value: Int) -> (Double, Double) {
            (
                Double(snapshot.time.nanoseconds) / 1e9 / tMax * panel.width,
                panel.height - Double(value) / yMax * panel.height
            )
        }
        polyline(series.map { point($0, $0.belowMinimum) }, color: "#c0392b")
        polyline(series.map { point($0, $0.components) }, color: "#2c6fbb")
        out += "<text x=\"\(panel.width - 150)\" y=\"16\" fill=\"#c0392b\">nodes short of neighbours</text>\n"
        out += "<text x=\"\(panel.width - 150)\" y=\"32\" fill=\"#2c6fbb\">components</text>\n"
        if scenario.faults.contains(where: { if case .partition = $0.fault { true } else { false } }) {
            out += "<text x=\"\(panel.width - 150)\" y=\"48\" fill=\"#b08080\">shaded: partitioned</text>\n"
        }
        out += "</g>\n"
        // Panel 2: the delay CDF.
        let dMax = Swift.max(1, delayCDF.last ?? 1)
        axes(540, 60, "Datagram delay CDF", "one-way delay (ms)", "fraction of datagrams", xMax: dMax, yMax: 1)
        let step = Swift.max(1, delayCDF.count / 400)
        var points: [(Double, Double)] = []
        for index in stride(from: 0, to: delayCDF.count, by: step) {
            points.append(
                (
                    delayCDF[index] / dMax * panel.width,
                    panel.height - Double(index + 1) / Double(delayCDF.count) * panel.height
                ))
        }
        if let last = delayCDF.last { points.append((last / dMax * panel.width, 0)) }
        polyline(points, color: "#2c6fbb")
        out += "</g>\n</svg>\n"
        return out
    }

    private var title: String {
        var text = "signalmesh sim: \(scenario.nodes) nodes, seed \(scenario.seed)"
        if let convergedAfter { text += ", converged after \(Scenario.seconds(convergedAfter)) s" }
        if let recoveredAfterFaults {
            text += ", recovered \(Scenario.seconds(recoveredAfterFaults)) s after the faults"
        }
        return text
    }

    private func label(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? String(Int64(value.rounded())) : String(round2(value))
    }

    private func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    private func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }
}
