import MeshCore
import MeshMembership
import Testing

@testable import MeshSimulator

/// Sybils trying to eclipse nodes as they join (`signalmesh sim --attackers P%:eclipse`): with the membership's
/// address-group limits no honest node is cut off from the honest ones, and sybils hold at most their groups' share
/// of any view; without the limits the same attack takes whole views.
@Suite("Eclipse attempts")
struct EclipseTests {
    static func scenario(defended: Bool) -> Scenario {
        var scenario = Scenario(nodes: 120, seeds: 3, seed: 11, duration: .seconds(40))
        scenario.joinWindow = .seconds(20)
        scenario.attack = AttackTraffic(fraction: 0.25, kind: .eclipse, rate: 20, start: .zero)
        scenario.invariants = Invariant.membership + [.notEclipsed]
        if !defended {
            scenario.membership.maxActivePerGroup = nil
            scenario.membership.maxPassivePerGroup = nil
        }
        return scenario
    }

    @Test("30 sybils in two address groups aiming at the joining nodes: none eclipsed, sybils at most 4 per view")
    func defended() {
        let scenario = Self.scenario(defended: true)
        let report = scenario.run()
        #expect(report.violations.isEmpty, "\(report.failureMessage)")
        #expect(report.attack.attackers == 30)
        #expect(report.eclipse.targets >= 80, "\(report.eclipse)")
        #expect(report.eclipse.eclipsed.isEmpty && report.eclipse.honestComponents == 1, "\(report.eclipse)")
        // Two groups, two neighbours each: at most four sybils in a view, which keeps filling with others while a
        // group holds two; every honest node has at least two honest neighbours.
        #expect(report.eclipse.maxSybilShare <= 0.67, "\(report.eclipse)")
        #expect(report.eclipse.fewestHonestNeighbours >= 2, "\(report.eclipse)")
        #expect(scenario.commandLine.contains("--attackers 25%:eclipse@20/s+0s"))
    }

    @Test("without the address-group limits the same sybils take most of the joining nodes' views")
    func undefended() {
        let report = Self.scenario(defended: false).run()
        #expect(report.eclipse.meanSybilShare > 0.7, "\(report.eclipse)")
        #expect(!report.eclipse.eclipsed.isEmpty, "\(report.eclipse)")
        #expect(report.violations.contains { $0.invariant == "no node eclipsed" })
    }
}
