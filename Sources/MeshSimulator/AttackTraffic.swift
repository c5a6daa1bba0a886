public import MeshCore

/// Adversaries among the simulated nodes (`signalmesh sim --attackers`): a fraction of them, besides running their
/// node cores as usual, push gossip frames to all their neighbours at a rate — invalid signal records (garbage that
/// fails its signature check), or duplicates (the valid records they received, pushed again and again) — which the
/// honest nodes should graylist while still delivering every honest signal; or, as sybils, try to eclipse the nodes
/// that join (`Kind.eclipse`), which should keep honest neighbours.
public struct AttackTraffic: Sendable, Equatable {
    /// What the attackers send.
    public enum Kind: String, Sendable, CaseIterable {
        /// Records that do not verify, published under the attacker's own id.
        case invalid
        /// The last valid records the attacker received, pushed again.
        case duplicate
        /// Sybils trying to eclipse joining nodes: all in two address groups, each round asking a node that started
        /// in the last 20 s, with high priority, to take it as a neighbour, and filling another's passive view with
        /// sybil records (a SHUFFLE). Needs no `--signals`.
        case eclipse
    }

    /// The share of the nodes that attack (the last ones: never seeds, never the signal publishers), 0 to 0.5.
    public var fraction: Double
    /// What they send.
    public var kind: Kind
    /// Frames each attacker sends each neighbour per second.
    public var rate: Double
    /// When the attack starts, from the simulation's start.
    public var start: Duration

    /// An attack by `fraction` of the nodes.
    public init(fraction: Double, kind: Kind, rate: Double = 20, start: Duration = .seconds(10)) {
        self.fraction = fraction
        self.kind = kind
        self.rate = rate
        self.start = start
    }

    /// `P%:KIND[@R/s][+Ss]`: P percent of the nodes sending KIND (invalid, duplicate) frames, R per second to each
    /// neighbour (default 20), from S seconds (default 10).
    public init?(text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0].hasSuffix("%"), let percent = Double(parts[0].dropLast()),
            percent > 0, percent <= 50
        else { return nil }
        var rest = Substring(parts[1])
        var start = Duration.seconds(10)
        if let plus = rest.firstIndex(of: "+") {
            guard rest[rest.index(after: plus)...].hasSuffix("s"),
                let seconds = Double(rest[rest.index(after: plus)...].dropLast()), seconds >= 0, seconds <= 86_400
            else { return nil }
            start = .nanoseconds(Int64(seconds * 1e9))
            rest = rest[..<plus]
        }
        var rate = 20.0
        if let at = rest.firstIndex(of: "@") {
            guard rest[rest.index(after: at)...].hasSuffix("/s"),
                let value = Double(rest[rest.index(after: at)...].dropLast(2)), value > 0, value <= 1000
            else { return nil }
            rate = value
            rest = rest[..<at]
        }
        guard let kind = Kind(rawValue: String(rest)) else { return nil }
        self.init(fraction: percent / 100, kind: kind, rate: rate, start: start)
    }

    /// The text form (`10%:invalid@20/s+10s`).
    public var text: String {
        func number(_ value: Double) -> String { value == value.rounded() ? "\(Int(value))" : "\(value)" }
        return
            "\(number(fraction * 100))%:\(kind.rawValue)@\(number(rate))/s+\(number(Double(start.nanoseconds) / 1e9))s"
    }

    /// How many of `nodes` attack, given `reserved` (seeds and publishers) that never do.
    func count(of nodes: Int, reserved: Int) -> Int {
        max(0, min(Int((Double(nodes) * fraction).rounded()), nodes - reserved))
    }
}
