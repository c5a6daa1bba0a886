import MeshCore

/// A property a run must have, checked on a simulation; later issues add theirs (every signal delivered, no order
/// overfilled, every ledger verifies).
public struct Invariant: Sendable {
    /// A short name for reports.
    public let name: String
    /// Nil when the property holds; otherwise what is wrong.
    public let check: @Sendable (Simulation) -> String?

    /// An invariant from its name and check.
    public init(name: String, check: @escaping @Sendable (Simulation) -> String?) {
        self.name = name
        self.check = check
    }

    /// The live nodes' active views form one connected graph, each node with at least `minimum` live neighbours
    /// (by default the membership low watermark). Meant for after partitions have healed and the overlay settled.
    public static func overlayConnected(minimum: Int? = nil) -> Invariant {
        Invariant(name: "overlay connected") { simulation in
            let snapshot = simulation.overlay(minimum: minimum)
            if snapshot.components <= 1 && snapshot.belowMinimum == 0 { return nil }
            return "\(snapshot.components) components (largest \(snapshot.largestComponent) of \(snapshot.live) live "
                + "nodes), \(snapshot.belowMinimum) nodes short of neighbours"
        }
    }

    /// No two sessions anywhere were made with the same keys: every session's sending key, across all nodes and
    /// incarnations, is different (compared by SHA-256 digest; each endpoint keeps its last 4096).
    public static let noSessionKeyReuse = Invariant(name: "no session key reused") { simulation in
        var seen: [Bytes32: Int] = [:]
        for (index, node) in simulation.nodes.enumerated() {
            for digest in node.earlierSessionKeyDigests + node.core.endpoint.sessionKeyDigests {
                if let other = seen.updateValue(index, forKey: digest) {
                    return other == index
                        ? "node \(index) made two sessions with the same sending key"
                        : "nodes \(other) and \(index) made sessions with the same sending key"
                }
            }
        }
        return nil
    }

    /// Every live honest node (seeds aside) has an honest neighbour, and the links between live honest nodes form one
    /// connected graph: sybils (`AttackTraffic.Kind.eclipse`) cut no one off.
    public static let notEclipsed = Invariant(name: "no node eclipsed") { simulation in
        let figures = simulation.eclipseFigures
        if figures.eclipsed.isEmpty && figures.honestComponents <= 1 { return nil }
        let listed = figures.eclipsed.prefix(10).map(String.init).joined(separator: ",")
        return "\(figures.eclipsed.count) honest nodes with no honest neighbour (\(listed)), the honest links in "
            + "\(figures.honestComponents) pieces"
    }

    /// The invariants every membership scenario checks at its end.
    public static let membership: [Invariant] = [.overlayConnected(), .noSessionKeyReuse]
}
