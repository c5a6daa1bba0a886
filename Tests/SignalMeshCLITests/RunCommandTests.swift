import Foundation
import MeshCore
import Testing

/// `signalmesh run`: real node processes on 127.0.0.1 joining through a signed seed list.
@Suite struct RunCommandTests {
    /// A signer, a seed node directory, and a signed seed list naming the seed at `seedAddress`.
    struct Setup {
        let directory: TemporaryDirectory
        let signer: String
        let seedAddress: String
        var list: String { directory.path + "/seeds.json" }

        func datadir(_ name: String) -> String { directory.path + "/" + name }

        func arguments(_ name: String, listen: String) -> [String] {
            [
                "run", "--datadir", datadir(name), "--network", "devnet", "--listen", listen, "--seeds", list,
                "--seed-signer", signer, "--json",
            ]
        }
    }

    func setUp() throws -> Setup {
        let directory = try TemporaryDirectory()
        func keygen(_ name: String) throws -> String {
            try CLIProcess.run(["keygen", "--datadir", directory.path + "/" + name])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let signer = try keygen("signer")
        let seed = try keygen("seed")
        // A free UDP port for the seed, which the list must name before the seed starts.
        let seedAddress = "127.0.0.1:\(freeUDPPort())"
        let list = directory.path + "/seeds.json"
        let make = try CLIProcess.run([
            "bootstrap", "make", "--network", "devnet", "--seed", "\(seed)@\(seedAddress)", "--operator", "test",
            "-o", list,
        ])
        #expect(make.status == 0, "\(make.stderr)")
        #expect(try CLIProcess.run(["bootstrap", "sign", list, "--datadir", directory.path + "/signer"]).status == 0)
        return Setup(directory: directory, signer: signer, seedAddress: seedAddress)
    }

    /// The JSON object of a line, or nil.
    func object(_ line: String?) -> [String: Any]? {
        line.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Reads lines until one is a `neighbor_up` event (or `seconds` pass); returns the peer it names.
    func waitForNeighbor(_ child: CLIChild, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let line = child.nextLine(within: deadline.timeIntervalSinceNow) else { return nil }
            if let event = object(line), event["event"] as? String == "neighbor_up" { return event["peer"] as? String }
        }
        return nil
    }

    @Test func threeNodesJoinThroughASeedAndStopCleanly() throws {
        let setup = try setUp()
        let seed = try CLIChild(setup.arguments("seed", listen: setup.seedAddress) + ["--seed-profile"])
        let listening = object(seed.nextLine(within: 10))
        #expect(listening?["event"] as? String == "listening", "\(seed.standardError)")
        let others = try ["b", "c"].map { try CLIChild(setup.arguments($0, listen: "127.0.0.1:0")) }
        for child in others {
            #expect(object(child.nextLine(within: 10))?["event"] as? String == "listening")
            #expect(waitForNeighbor(child, seconds: 15) != nil, "\(child.standardError)")
        }
        #expect(waitForNeighbor(seed, seconds: 15) != nil)
        // A joiner lists the seed as a neighbour as soon as it sends JOIN; the seed's signed record (which the peer
        // store keeps) arrives a moment later with its NEIGHBOR. Let the overlay settle before stopping.
        Thread.sleep(forTimeInterval: 2)
        for child in [seed] + others { child.send(SIGTERM) }
        for child in [seed] + others {
            #expect(child.exitStatus(within: 10) == 0, "\(child.standardError)")
        }
        // The accepted seed list is remembered for the next start.
        let state = try String(contentsOfFile: setup.datadir("b") + "/seedlist.accepted", encoding: .utf8)
        #expect(state.hasPrefix("seq 1\n"))

        // Restarted without any seed list, node b rejoins through the peers its store kept.
        let seedAgain = try CLIChild(setup.arguments("seed", listen: setup.seedAddress) + ["--seed-profile"])
        #expect(object(seedAgain.nextLine(within: 10))?["event"] as? String == "listening")
        let alone = try CLIChild([
            "run", "--datadir", setup.datadir("b"), "--network", "devnet", "--listen", "127.0.0.1:0", "--json",
        ])
        #expect(object(alone.nextLine(within: 10))?["seeds"] as? Int == 0)
        let found = waitForNeighbor(alone, seconds: 15)
        #expect(found != nil, "\(alone.standardError)")
        for child in [seedAgain, alone] { child.send(SIGTERM) }
        for child in [seedAgain, alone] { #expect(child.exitStatus(within: 10) == 0, "\(child.standardError)") }
    }

    @Test func aSecondNodeOnTheSameDataDirectoryExitsWith73() throws {
        let setup = try setUp()
        let first = try CLIChild(setup.arguments("b", listen: "127.0.0.1:0"))
        #expect(object(first.nextLine(within: 10))?["event"] as? String == "listening")
        let second = try CLIProcess.run(setup.arguments("b", listen: "127.0.0.1:0"))
        #expect(second.status == 73)
        #expect(second.stderr.contains("in use by another signalmesh node"))
        first.send(SIGTERM)
        #expect(first.exitStatus(within: 10) == 0)
    }

    @Test func aTamperedSeedListOrAMissingSignerIsRefused() throws {
        let setup = try setUp()
        var text = try String(contentsOfFile: setup.list, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"test\"", with: "\"evil\"")
        try text.write(toFile: setup.list, atomically: true, encoding: .utf8)
        let tampered = try CLIProcess.run(setup.arguments("b", listen: "127.0.0.1:0"))
        #expect(tampered.status == 65)
        #expect(tampered.stderr.contains("does not match the seed list"))
        let noSigner = try CLIProcess.run([
            "run", "--datadir", setup.datadir("c"), "--network", "devnet", "--seeds", setup.list,
        ])
        #expect(noSigner.status == 64)
        #expect(noSigner.stderr.contains("--seed-signer"))
    }
}

/// `signalmesh devnet`: real node processes started, followed and stopped by one command.
@Suite struct DevnetCommandTests {
    @Test func fourNodesConnectAndStopWithinTheDuration() throws {
        let directory = try TemporaryDirectory()
        let devnet = try CLIProcess.run([
            "devnet", "--nodes", "4", "--duration", "8", "--dir", directory.path, "--json",
        ])
        #expect(devnet.status == 0, "\(devnet.stderr)")
        let lines = devnet.stdout.split(separator: "\n").map(String.init)
        let summary = lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(summary?["event"] as? String == "summary")
        #expect((summary?["connected_after_ms"] as? Int).map { $0 > 0 && $0 < 8000 } == true, "\(devnet.stdout)")
        #expect(lines.contains { $0.contains("\"neighbor_up\"") })
        // Every node's data directory was used and released.
        for index in 0..<4 {
            #expect(FileManager.default.fileExists(atPath: directory.path + "/node\(index)/LOCK"))
        }
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let tooMany = try CLIProcess.run(["devnet", "--nodes", "1000"])
        #expect(tooMany.status == 64)
        #expect(tooMany.stderr.contains("--nodes must be from 2 to 64"))
    }
}
