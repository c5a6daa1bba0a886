import MeshCore
import Testing

@testable import MeshSimulator

/// Adversaries among simulated nodes: honest nodes graylist them and still deliver every honest signal.
@Suite("Attacks")
struct AttackTests {
    @Test(
        "10% of nodes flooding invalid or duplicate frames are graylisted; every honest signal still arrives",
        arguments: [AttackTraffic.Kind.invalid, .duplicate])
    func attackersAreGraylisted(kind: AttackTraffic.Kind) throws {
        var scenario = Scenario(nodes: 40, seeds: 2, seed: 3, duration: .seconds(35))
        scenario.network.latency = try NetworkModel.Latency(parsing: "20-150")
        scenario.signals = SignalTraffic(publishers: 4, interval: .seconds(1), start: .seconds(10))
        scenario.attack = AttackTraffic(fraction: 0.1, kind: kind, rate: 30, start: .seconds(8))
        let report = scenario.run()
        #expect(report.violations.isEmpty, "\(report.failureMessage)")
        #expect(report.attack.attackers == 4)
        #expect(report.attack.framesSent > 1000)
        #expect(report.attack.links > 0)
        #expect(report.attack.graylistedLinks == report.attack.links, "\(report.attack)")
        #expect(report.attack.honestGraylisted == 0, "\(report.attack)")
        #expect(
            report.signalDeliveries == report.signalDeliveriesExpected,
            "\(report.signalDeliveries) of \(report.signalDeliveriesExpected)")
        #expect(scenario.commandLine.contains("--attackers 10%:\(kind.rawValue)@30/s+8s"))
    }

    @Test func attackTextsAreReadAndRefused() {
        #expect(AttackTraffic(text: "10%:invalid") == AttackTraffic(fraction: 0.1, kind: .invalid))
        #expect(
            AttackTraffic(text: "5%:duplicate@50/s+20s")
                == AttackTraffic(fraction: 0.05, kind: .duplicate, rate: 50, start: .seconds(20)))
        #expect(AttackTraffic(text: "2.5%:invalid@0.5/s")?.text == "2.5%:invalid@0.5/s+10s")
        #expect(AttackTraffic(text: "20%:eclipse+0s") == AttackTraffic(fraction: 0.2, kind: .eclipse, start: .zero))
        for bad in ["", "10%", "10:invalid", "0%:invalid", "51%:invalid", "10%:melt", "10%:invalid@5", "10%:invalid+x"]
        {
            #expect(AttackTraffic(text: bad) == nil, "\(bad)")
        }
        // Never more attackers than nodes left after the seeds and publishers.
        #expect(AttackTraffic(fraction: 0.5, kind: .invalid).count(of: 10, reserved: 8) == 2)
    }
}
