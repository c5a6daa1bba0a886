import Foundation
import MeshCore
import Testing

/// `signalmesh bootstrap make|sign|verify`, run as real processes.
@Suite struct BootstrapCommandTests {
    /// A directory with a signer key, a seed key, and a signed list naming the seed.
    struct Signed {
        let directory: TemporaryDirectory
        let signer: String
        let seed: String
        var list: String { directory.path + "/seeds.json" }
    }

    func makeSigned() throws -> Signed {
        let directory = try TemporaryDirectory()
        let signer = try CLIProcess.run(["keygen", "--datadir", directory.path + "/signer"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let seed = try CLIProcess.run(["keygen", "--datadir", directory.path + "/seed"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let make = try CLIProcess.run([
            "bootstrap", "make", "--network", "devnet", "--seed", "\(seed)@127.0.0.1:47001,[::1]:47001",
            "--operator", "Test operator", "--contact", "ops@example.org", "-o", directory.path + "/seeds.json",
        ])
        #expect(make.status == 0, "\(make.stderr)")
        let sign = try CLIProcess.run([
            "bootstrap", "sign", directory.path + "/seeds.json", "--datadir", directory.path + "/signer",
        ])
        #expect(sign.status == 0, "\(sign.stderr)")
        #expect(sign.stdout == signer + "\n")
        return Signed(directory: directory, signer: signer, seed: seed)
    }

    @Test func makeSignVerifyRoundTrip() throws {
        let signed = try makeSigned()
        let verify = try CLIProcess.run(["bootstrap", "verify", signed.list, "--signer", signed.signer, "--json"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(object?["network"] as? String == "devnet")
        #expect(object?["seq"] as? Int == 1)
        #expect(object?["trusted_signers"] as? [String] == [signed.signer])
        let seeds = object?["seeds"] as? [[String: Any]]
        #expect(seeds?.first?["peer_id"] as? String == signed.seed)
        #expect(seeds?.first?["addrs"] as? [String] == ["127.0.0.1:47001", "[::1]:47001"])
    }

    @Test func verifyRefusesAnUntrustedSignerAndAChangedList() throws {
        let signed = try makeSigned()
        let untrusted = try CLIProcess.run(["bootstrap", "verify", signed.list, "--signer", signed.seed])
        #expect(untrusted.status == 65)
        #expect(untrusted.stderr.contains("not trusted here"))

        var text = try String(contentsOfFile: signed.list, encoding: .utf8)
        text = text.replacingOccurrences(of: "127.0.0.1:47001", with: "127.0.0.1:47002")
        try text.write(toFile: signed.list, atomically: true, encoding: .utf8)
        let tampered = try CLIProcess.run(["bootstrap", "verify", signed.list, "--signer", signed.signer])
        #expect(tampered.status == 65)
        #expect(tampered.stderr.contains("does not match the seed list"))
    }

    @Test func nextVersionRaisesSeqAndKeepsSeeds() throws {
        let signed = try makeSigned()
        let next = signed.directory.path + "/next.json"
        let make = try CLIProcess.run([
            "bootstrap", "make", "--from", signed.list, "--seed", "\(signed.signer)@192.0.2.1:47001",
            "--operator", "Second", "-o", next,
        ])
        #expect(make.status == 0, "\(make.stderr)")
        #expect(
            try CLIProcess.run(["bootstrap", "sign", next, "--datadir", signed.directory.path + "/signer"]).status == 0)
        let verify = try CLIProcess.run(["bootstrap", "verify", next, "--signer", signed.signer, "--min-seq", "2"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("seq 2, 2 seed(s)"))
        let old = try CLIProcess.run(["bootstrap", "verify", signed.list, "--signer", signed.signer, "--min-seq", "2"])
        #expect(old.status == 65)
        #expect(old.stderr.contains("below --min-seq 2"))
    }

    @Test func badInputGetsClearErrors() throws {
        let signed = try makeSigned()
        let noSeed = try CLIProcess.run(["bootstrap", "make", "--network", "devnet"])
        #expect(noSeed.status == 64)
        #expect(noSeed.stderr.contains("needs at least one --seed"))
        let badAddress = try CLIProcess.run([
            "bootstrap", "make", "--network", "devnet", "--seed", "\(signed.seed)@127.0.0.1", "--operator", "x",
        ])
        #expect(badAddress.status == 64)
        #expect(badAddress.stderr.contains("the address '127.0.0.1' is wrong"))
        let garbage = signed.directory.path + "/garbage.json"
        try "{\"format\": 1}".write(toFile: garbage, atomically: true, encoding: .utf8)
        let sign = try CLIProcess.run(["bootstrap", "sign", garbage, "--datadir", signed.directory.path + "/signer"])
        #expect(sign.status == 65)
        #expect(sign.stderr.contains("format is not a string"))
        #expect(!FileManager.default.fileExists(atPath: garbage + ".sig"))
        let missing = try CLIProcess.run([
            "bootstrap", "verify", signed.directory.path + "/none.json", "--signer", signed.signer,
        ])
        #expect(missing.status == 66)
    }
}
