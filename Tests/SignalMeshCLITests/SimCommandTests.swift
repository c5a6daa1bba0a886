import Foundation
import Testing

/// `signalmesh sim`: the simulator from the command line.
@Suite struct SimCommandTests {
    @Test func aSmallRunConvergesAndReplaysItsTrace() throws {
        let result = try CLIProcess.run([
            "sim", "--nodes", "12", "--seeds", "2", "--duration", "15", "--seed", "5", "--loss", "0.01",
            "--check-determinism", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["deterministic"] as? Bool == true)
        #expect((report["converged_after_s"] as? Double).map { $0 < 15 } == true)
        #expect((report["events"] as? Int ?? 0) > 0)
        // The same seed on another invocation gives the same trace.
        let again = try CLIProcess.run([
            "sim", "--nodes", "12", "--seeds", "2", "--duration", "15", "--seed", "5", "--loss", "0.01", "--json",
        ])
        let second = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(second["trace_hash"] as? String == report["trace_hash"] as? String)
    }

    @Test(arguments: [
        ["--nodes", "0"], ["--seeds", "5", "--nodes", "3"], ["--latency", "x"], ["--latency", "9-1"], ["--loss", "2"],
    ])
    func badArgumentsAreUsageErrors(arguments: [String]) throws {
        let result = try CLIProcess.run(["sim"] + arguments)
        #expect(result.status == 64, "\(result.stderr)")
    }
}
