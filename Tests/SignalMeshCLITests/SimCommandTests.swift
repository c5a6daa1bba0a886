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
        // The same seed on another invocation gives the same trace, on one thread and on two.
        for threads in ["1", "2"] {
            let again = try CLIProcess.run([
                "sim", "--nodes", "12", "--seeds", "2", "--duration", "15", "--seed", "5", "--loss", "0.01", "--json",
                "--threads", threads,
            ])
            let second = try #require(
                try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
            #expect(second["trace_hash"] as? String == report["trace_hash"] as? String)
            #expect(second["threads"] as? Int == Int(threads))
        }
        let refused = try CLIProcess.run(["sim", "--nodes", "12", "--threads", "0"])
        #expect(refused.status == 64 && refused.stderr.contains("--threads must be from 1 to 64, not 0"))
    }

    @Test("a scenario file with faults runs, writes its report and chart, and prints the line that reproduces it")
    func scenarioFileReportAndChart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("scenario.json")
        try Data(
            """
            {"nodes": 16, "seeds": 2, "seed": 9, "duration": 40, "latency": "normal:20,5", "loss": 0.01,
             "faults": ["partition halves@10+10", "crash 5@12", "restart 5@25"], "settle": 400}
            """.utf8
        ).write(to: file)
        let report = directory.appendingPathComponent("report.json").path
        let chart = directory.appendingPathComponent("chart.svg").path
        let result = try CLIProcess.run([
            "sim", "--scenario", file.path, "--seeds", "3", "--join-over", "2", "--report", report, "--chart", chart,
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("fault: partition halves@10+10"))
        #expect(result.stdout.contains("invariants held"))
        let fields = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        // The flag overrides the file.
        #expect(fields["seeds"] as? Int == 3)
        let command = try #require(fields["command"] as? String)
        #expect(command.contains("--seeds 3") && command.contains("--partition 'halves@10+10'"))
        #expect(command.contains("--join-over 2"))
        #expect((fields["drops"] as? [String: Int])?["partition"].map { $0 > 0 } == true)
        #expect((fields["series"] as? [Any])?.isEmpty == false)
        #expect(fields["recovered_after_faults_s"] is Double)
        let svg = try String(contentsOfFile: chart, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("</svg>"))
    }

    @Test("a bad scenario file is refused naming the problem")
    func badScenarioFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        for (text, problem) in [
            ("[1]", "not a JSON object"), ("{\"nodez\": 3}", "unknown key 'nodez'"),
            ("{\"nodes\": \"ten\"}", "'nodes' must be a number"), ("{\"faults\": [\"melt 3@5\"]}", "unknown fault"),
        ] {
            try Data(text.utf8).write(to: file)
            let result = try CLIProcess.run(["sim", "--scenario", file.path])
            #expect(result.status == 64, "\(text)")
            #expect(result.stderr.contains(problem), "\(text): \(result.stderr)")
        }
    }

    @Test("sim swarm runs random fault scenarios and lists none failed")
    func swarm() throws {
        let result = try CLIProcess.run(["sim", "swarm", "--runs", "2", "--max-nodes", "14", "--seed", "40", "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        #expect(summary["runs"] as? Int == 2)
        #expect((summary["failed"] as? [Any])?.isEmpty == true)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["deterministic"] as? Bool == true)
        #expect((first["command"] as? String)?.hasPrefix("signalmesh sim --seed 40") == true)
    }

    @Test(arguments: [
        ["--nodes", "0"], ["--seeds", "5", "--nodes", "3"], ["--latency", "x"], ["--latency", "9-1"], ["--loss", "2"],
        ["--fault", "crash 200@5"], ["--partition", "split:1@5"], ["--regions", "mars"], ["--mtu", "10"],
        ["--latency", "normal:5"], ["--bandwidth", "10"], ["--join-over", "0"],
    ])
    func badArgumentsAreUsageErrors(arguments: [String]) throws {
        let result = try CLIProcess.run(["sim"] + arguments)
        #expect(result.status == 64, "\(result.stderr)")
    }
}
