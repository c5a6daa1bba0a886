import MeshCore
import MeshMembership
import MeshSimulator
import Testing

/// The simulator's first slice: real node cores on a virtual clock, seeded, with lossy links.
@Suite struct SimulationTests {
    @Test("60 nodes joining through 3 seeds over 5–25 ms links converge to one connected overlay")
    func convergence() {
        let simulation = Simulation(seed: 7, nodes: 60, seeds: 3)
        simulation.start()
        let took = simulation.run(until: { $0.isConverged() }, limit: .seconds(120))
        #expect(took != nil, "not converged within 120 virtual seconds")
        #expect(simulation.datagramsDelivered > 0)
    }

    @Test("a formed overlay opens no new sessions: shuffles are answered along their walks")
    func quietOverlayOpensNoSessions() {
        let simulation = Simulation(seed: 5, nodes: 60, seeds: 3)
        simulation.start()
        #expect(simulation.run(until: { $0.isConverged() }, limit: .seconds(60)) != nil)
        simulation.run(for: .seconds(20))
        let before = simulation.handshakesCompleted
        // Six shuffles per node: answered over a new session each, as HyParView does, that would be ~360 handshakes.
        simulation.run(for: .seconds(60))
        let opened = simulation.handshakesCompleted - before
        let completed = simulation.nodes.map(\.core.membership.shufflesCompleted).reduce(0, +)
        #expect(completed >= 60 * 4, "\(completed) shuffles answered")
        #expect(opened <= 6, "\(opened) handshakes in a quiet minute")
        #expect(simulation.isConverged())
    }

    @Test("formation is reported second by second: components shrink to one, nodes reach their minimum")
    func overlaySnapshots() {
        let simulation = Simulation(seed: 9, nodes: 40, seeds: 2)
        let empty = simulation.overlay()
        #expect(empty.live == 40 && empty.components == 40 && empty.belowMinimum == 40 && empty.meanDegree == 0)
        simulation.start()
        #expect(simulation.run(until: { $0.isConverged() }, limit: .seconds(60)) != nil)
        let formed = simulation.overlay()
        #expect(formed.components == 1 && formed.largestComponent == 40 && formed.belowMinimum == 0)
        #expect(formed.meanDegree >= Double(MembershipSettings().lowWatermark))
        #expect(formed.time > .zero)
        simulation.crash(7)
        #expect(simulation.overlay().live == 39)
    }

    @Test("the same seed gives the same trace; another seed another")
    func determinism() {
        func scenario(_ seed: UInt64) -> Simulation {
            let simulation = Simulation(
                seed: seed, nodes: 20, seeds: 2,
                network: NetworkModel(
                    latency: .uniform(.milliseconds(5), .milliseconds(40)), loss: 0.02, duplication: 0.01))
            simulation.start()
            simulation.run(for: .seconds(20))
            return simulation
        }
        let check = Simulation.checkDeterminism { scenario(11) }
        #expect(check.equal, "seed 11 ran twice: \(check.first) vs \(check.second)")
        #expect(scenario(12).traceHash != check.first)
        let a = scenario(11)
        let b = scenario(11)
        for node in a.nodes.indices { #expect(a.neighbours(of: node) == b.neighbours(of: node)) }
    }

    @Test("with 5% loss and duplication the overlay still converges, and crashed nodes are replaced")
    func lossAndCrashes() {
        let simulation = Simulation(
            seed: 3, nodes: 40, seeds: 2,
            network: NetworkModel(
                latency: .uniform(.milliseconds(10), .milliseconds(50)), loss: 0.05, duplication: 0.05))
        simulation.start()
        #expect(simulation.run(until: { $0.isConverged() }, limit: .seconds(180)) != nil)
        #expect(simulation.datagramsLost > 0 && simulation.datagramsDuplicated > 0)
        for node in [10, 20, 30] { simulation.crash(node) }
        // Probes find the crashed nodes (suspicion 5 s), their neighbours refill from their passive views.
        let healed = simulation.run(
            until: { sim in
                sim.isConverged()
                    && sim.nodes.indices.allSatisfy { node in
                        !sim.nodes[node].up || sim.neighbours(of: node).allSatisfy { ![10, 20, 30].contains($0) }
                    }
            }, limit: .seconds(120))
        #expect(healed != nil, "the overlay did not drop the crashed nodes and reconnect")
    }
}
