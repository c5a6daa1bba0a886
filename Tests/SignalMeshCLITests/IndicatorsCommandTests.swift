import Foundation
import Testing

/// `signalmesh indicators`: the catalog and computing indicators over a CSV file of real bars.
@Suite struct IndicatorsCommandTests {
    static let input = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MeshIndicatorsTests/Golden/input/MSFT.csv").path

    @Test func listShowsEveryIndicatorWithItsDefaults() throws {
        let result = try CLIProcess.run(["indicators", "list"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains(
                "MACD(fastperiod=12, slowperiod=26, signalperiod=9) -> macd, macdsignal, macdhist; lookback 33"))
        let json = try CLIProcess.run(["indicators", "list", "--json"])
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count >= 46)
        let rsi = try lines.compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { $0["name"] as? String == "RSI" }
        #expect(rsi?["lookback"] as? Int == 14)
    }

    @Test func computeAlignsOutputsWithTheRowsAndMatchesTALib() throws {
        let result = try CLIProcess.run([
            "indicators", "compute", "--data", Self.input, "--indicator", "MACD(12,26,9)", "--indicator", "RSI(14)",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        #expect(
            rows.first?.map(String.init) == [
                "date", "MACD_12_26_9.macd", "MACD_12_26_9.macdsignal", "MACD_12_26_9.macdhist", "RSI_14",
            ])
        #expect(rows.count == 501)
        // The warm-up is empty; then TA-Lib's values, printed so that they read back to the same bits.
        #expect(rows[32 + 1][1].isEmpty && !rows[32 + 1][4].isEmpty && !rows[33 + 1][1].isEmpty)
        let golden = try String(
            contentsOfFile: Self.input.replacingOccurrences(of: "input/MSFT.csv", with: "MSFT/RSI_14.csv"),
            encoding: .utf8
        ).split(separator: "\n")
        for row in 15..<500 {
            #expect(Double(rows[row + 1][4])!.bitPattern == Double(golden[row + 1])!.bitPattern, "row \(row)")
        }
        let json = try CLIProcess.run([
            "indicators", "compute", "--data", Self.input, "--indicator", "SMA(10)", "--format", "json",
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["rows"] as? Int == 500)
        let values = try #require((object["values"] as? [String: Any])?["SMA_10"] as? [Any])
        #expect(values.prefix(9).allSatisfy { $0 is NSNull })
    }

    @Test func badInputGetsAClearErrorAndItsExitCode() throws {
        let unknown = try CLIProcess.run(["indicators", "compute", "--data", Self.input, "--indicator", "FOO"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("no indicator named 'FOO'"))
        let missing = try CLIProcess.run(["indicators", "compute", "--data", "/nonexistent.csv", "--indicator", "RSI"])
        #expect(missing.status == 66)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.csv")
        try Data("date,open,high,low,close\n2020-01-01,1,2,0.5,1.5\n2020-01-02,1,2,0.5,oops\n".utf8).write(to: file)
        let refused = try CLIProcess.run(["indicators", "compute", "--data", file.path, "--indicator", "SMA(2)"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("line 3: close 'oops' is not a number"))
        let skipped = try CLIProcess.run([
            "indicators", "compute", "--data", file.path, "--indicator", "SMA(2)", "--on-error", "skip",
        ])
        #expect(skipped.status == 0)
        #expect(skipped.stderr.contains("skipped \(file.path) line 3"))
        #expect(skipped.stdout.split(separator: "\n").count == 2)
    }
}
