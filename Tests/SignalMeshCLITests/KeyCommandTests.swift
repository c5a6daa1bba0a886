import Foundation
import MeshCore
import MeshCrypto
import Testing

/// `signalmesh keygen`, `id` and `version`, run as real processes.
@Suite struct KeyCommandTests {
    @Test func keygenThenIDRoundTrip() throws {
        let temporary = try TemporaryDirectory()
        let datadir = temporary.path + "/node"
        let keygen = try CLIProcess.run(["keygen", "--datadir", datadir])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let printed = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = try NodeID(text: printed)

        let byDirectory = try CLIProcess.run(["id", "--datadir", datadir])
        #expect(byDirectory.status == 0)
        #expect(byDirectory.stdout == printed + "\n")
        let byPath = try CLIProcess.run(["id", datadir + "/node.key"])
        #expect(byPath.stdout == printed + "\n")
        let byDirectoryArgument = try CLIProcess.run(["id", datadir])
        #expect(byDirectoryArgument.stdout == printed + "\n")

        let contents = try [UInt8](Data(contentsOf: URL(fileURLWithPath: datadir + "/node.key")))
        #expect(try NodeKeyFile.decode(contents).nodeID == id)
    }

    @Test func keyFileAndNewDirectoryAreOwnerOnly() throws {
        let temporary = try TemporaryDirectory()
        let datadir = temporary.path + "/a/b"
        #expect(try CLIProcess.run(["keygen", "--datadir", datadir]).status == 0)
        let keyMode = try FileManager.default.attributesOfItem(atPath: datadir + "/node.key")[.posixPermissions] as? Int
        let directoryMode = try FileManager.default.attributesOfItem(atPath: datadir)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        #expect(directoryMode == 0o700)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: datadir)
        #expect(leftovers == ["node.key"])
    }

    @Test func keygenRefusesToOverwriteWithoutForce() throws {
        let temporary = try TemporaryDirectory()
        let first = try CLIProcess.run(["keygen", "--datadir", temporary.path])
        let second = try CLIProcess.run(["keygen", "--datadir", temporary.path])
        #expect(second.status == 64)
        #expect(second.stderr.contains("already exists; pass --force"))
        #expect(try CLIProcess.run(["id", temporary.path]).stdout == first.stdout)

        let forced = try CLIProcess.run(["keygen", "--datadir", temporary.path, "--force"])
        #expect(forced.status == 0)
        #expect(forced.stdout != first.stdout)
        #expect(try CLIProcess.run(["id", temporary.path]).stdout == forced.stdout)
    }

    @Test(arguments: [0o640, 0o604, 0o644, 0o660])
    func keyReadableByGroupOrOthersIsRefusedWith77(mode: Int) throws {
        let temporary = try TemporaryDirectory()
        #expect(try CLIProcess.run(["keygen", "--datadir", temporary.path]).status == 0)
        let keyFile = temporary.path + "/node.key"
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: keyFile)
        let result = try CLIProcess.run(["id", keyFile])
        #expect(result.status == 77)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("can be read by group or others"))
        #expect(result.stderr.contains("chmod 600"))
    }

    @Test func damagedKeyFileIsRefusedWith65() throws {
        let temporary = try TemporaryDirectory()
        #expect(try CLIProcess.run(["keygen", "--datadir", temporary.path]).status == 0)
        let keyFile = temporary.path + "/node.key"
        var text = try String(contentsOfFile: keyFile, encoding: .utf8)
        // Change one hex digit of the seed: the stored node id no longer matches.
        let range = text.range(of: "ed25519-seed ")!
        let digit = text.index(range.upperBound, offsetBy: 5)
        text.replaceSubrange(digit...digit, with: text[digit] == "0" ? "1" : "0")
        try text.write(toFile: keyFile, atomically: false, encoding: .utf8)
        let result = try CLIProcess.run(["id", keyFile])
        #expect(result.status == 65)
        #expect(result.stderr.contains("damaged"))
    }

    @Test func missingKeyIsReportedWith66() throws {
        let temporary = try TemporaryDirectory()
        let result = try CLIProcess.run(["id", "--datadir", temporary.path])
        #expect(result.status == 66)
        #expect(result.stderr.contains("signalmesh keygen"))
    }

    @Test func usageErrorsExitWith64() throws {
        #expect(try CLIProcess.run(["id", "--bogus"]).status == 64)
        #expect(try CLIProcess.run(["id", "a", "--datadir", "b"]).status == 64)
        #expect(try CLIProcess.run(["keygen", "--datadir", ""]).status == 64)
        #expect(try CLIProcess.run(["no-such-command"]).status == 64)
    }

    @Test func defaultDataDirectoryIsUnderHome() throws {
        let temporary = try TemporaryDirectory()
        let environment = ["HOME": temporary.path, "PATH": "/usr/bin:/bin"]
        let keygen = try CLIProcess.run(["keygen"], environment: environment)
        #expect(keygen.status == 0)
        #expect(FileManager.default.fileExists(atPath: temporary.path + "/.signalmesh/main/node.key"))
        #expect(try CLIProcess.run(["id"], environment: environment).stdout == keygen.stdout)
    }

    @Test func jsonOutputsForScripts() throws {
        let temporary = try TemporaryDirectory()
        let keygen = try CLIProcess.run(["keygen", "--datadir", temporary.path, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(keygen.stdout.utf8)) as? [String: String]
        #expect(object?["key_file"] == temporary.path + "/node.key")
        let id = try CLIProcess.run(["id", temporary.path, "--json"])
        let idObject = try JSONSerialization.jsonObject(with: Data(id.stdout.utf8)) as? [String: String]
        #expect(idObject?["node_id"] == object?["node_id"])
    }

    @Test func versionNamesProtocolAndLibraries() throws {
        let result = try CLIProcess.run(["version"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("signalmesh "))
        #expect(result.stdout.contains("wire protocol version 1"))
        #expect(result.stdout.contains("libsodium 1."))
        #expect(result.stdout.contains("OpenSSL 3."))
        let json = try CLIProcess.run(["version", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(object?["wire_version"] == "1")
    }
}
