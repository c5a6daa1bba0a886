import Foundation
import Glibc
import MeshCore
import MeshCrypto
import Testing

/// `signalmesh listen` and `signalmesh ping` as two real processes on 127.0.0.1, each bounded: every child is killed
/// after 20 s whatever happens.
@Suite(.serialized) struct ListenPingTests {
    @Test func pingGetsThreePongsFromAListenerThatThenExitsCleanlyOnSIGTERM() throws {
        let temporary = try TemporaryDirectory()
        let datadir = temporary.path + "/listener"
        #expect(try CLIProcess.run(["keygen", "--datadir", datadir]).status == 0)
        let listener = try CLIChild(["listen", "--listen", "127.0.0.1:0", "--datadir", datadir])
        defer { listener.kill() }
        let (id, address) = try Self.parseListening(try #require(listener.nextLine(within: 10), "no listening line"))
        #expect(address.isLoopback && address.port != 0)

        // The ping has no key in its data directory, so it runs with a temporary identity.
        let ping = try CLIChild([
            "ping", "\(id.text)@\(address)", "--count", "3", "--interval", "0.2", "--json",
            "--datadir", temporary.path + "/pinger",
        ])
        defer { ping.kill() }
        #expect(ping.exitStatus(within: 15) == 0, "ping: \(ping.standardError)")
        let events = ping.remainingLines(within: 5).compactMap(Self.parseJSON)
        #expect(events.map { $0["event"] as? String } == ["handshake", "pong", "pong", "pong", "summary"])
        let rtts = events.filter { $0["event"] as? String == "pong" }.compactMap { $0["rtt_ms"] as? Double }
        #expect(rtts.count == 3 && rtts.allSatisfy { $0 > 0 })
        let summary = try #require(events.last)
        #expect(summary["sent"] as? Int == 3 && summary["received"] as? Int == 3)
        #expect(ping.standardError.contains("temporary identity"))

        listener.send(SIGTERM)
        #expect(listener.exitStatus(within: 10) == 0, "listener: \(listener.standardError)")
        let log = listener.remainingLines(within: 5)
        #expect(log.first?.hasPrefix("session up: ") == true, "\(log)")
        #expect(log.contains { $0.hasPrefix("session down: ") && $0.contains("closed by the peer") }, "\(log)")
        #expect(log.last?.hasPrefix("SIGTERM: closing") == true, "\(log)")
    }

    @Test func listenWithJSONPrintsTheBoundAddressAndExitsCleanlyOnSIGINT() throws {
        let temporary = try TemporaryDirectory()
        #expect(try CLIProcess.run(["keygen", "--datadir", temporary.path]).status == 0)
        let expected = try CLIProcess.run(["id", temporary.path]).stdout.trimmingCharacters(in: .newlines)
        let listener = try CLIChild(["listen", "--listen", "127.0.0.1:0", "--datadir", temporary.path, "--json"])
        defer { listener.kill() }
        let first = try #require(Self.parseJSON(listener.nextLine(within: 10) ?? ""), "no JSON listening line")
        #expect(first["event"] as? String == "listening")
        #expect(first["node_id"] as? String == expected)
        let addresses = try #require(first["addresses"] as? [String])
        #expect(addresses.count == 1 && addresses[0].hasPrefix("127.0.0.1:") && !addresses[0].hasSuffix(":0"))
        listener.send(SIGINT)
        #expect(listener.exitStatus(within: 10) == 0, "listener: \(listener.standardError)")
    }

    @Test func pingWithNobodyListeningExitsWith1WithinItsTimeout() throws {
        let temporary = try TemporaryDirectory()
        let port = try Self.unusedUDPPort()
        let target = "\(Self.someNodeID.text)@127.0.0.1:\(port)"
        let started = Date()
        let ping = try CLIChild(["ping", target, "--timeout", "2", "--datadir", temporary.path])
        defer { ping.kill() }
        let status = ping.exitStatus(within: 15)
        let elapsed = Date().timeIntervalSince(started)
        #expect(status == 1)
        #expect(elapsed >= 1.9 && elapsed < 10, "took \(elapsed) s")
        #expect(
            ping.standardError.contains("no handshake with \(Self.someNodeID.text) at 127.0.0.1:\(port) within 2 s"))
    }

    @Test(arguments: [
        ("\(ListenPingTests.mistypedNodeID)@127.0.0.1:9000", "the node id's checksum does not match"),
        ("not-a-node-id@127.0.0.1:9000", "a node id starts with 'sm1'"),
        ("\(ListenPingTests.someNodeID.text)@localhost:9000", "the address after '@' is wrong"),
        ("\(ListenPingTests.someNodeID.text)@127.0.0.1", "has no port"),
        (ListenPingTests.someNodeID.text, "is not <node-id>@<host:port>"),
    ])
    func badPingTargetIsAUsageError(target: String, message: String) throws {
        let temporary = try TemporaryDirectory()
        let result = try CLIProcess.run(["ping", target, "--timeout", "1", "--datadir", temporary.path])
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: [
        (["--listen", "127.0.0.1"], "has no port"),
        (["--listen", "127.0.0.256:0"], "is not an IPv4 or IPv6 address"),
        (["--listen", "127.0.0.1:0", "--listen", "127.0.0.2:0"], "at most one IPv4 and one IPv6 address"),
    ])
    func badListenAddressIsAUsageError(arguments: [String], message: String) throws {
        let temporary = try TemporaryDirectory()
        #expect(try CLIProcess.run(["keygen", "--datadir", temporary.path]).status == 0)
        let result = try CLIProcess.run(["listen", "--datadir", temporary.path] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func listenRefusesAKeyOthersCanReadWith77() throws {
        let temporary = try TemporaryDirectory()
        #expect(try CLIProcess.run(["keygen", "--datadir", temporary.path]).status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: temporary.path + "/node.key")
        let result = try CLIProcess.run(["listen", "--listen", "127.0.0.1:0", "--datadir", temporary.path])
        #expect(result.status == 77)
        #expect(result.stderr.contains("can be read by group or others"))
    }

    // MARK: Helpers

    /// A valid node id nobody runs.
    static let someNodeID = Ed25519PrivateKey().nodeID

    /// `someNodeID` with one character changed, as a typo would.
    static var mistypedNodeID: String {
        var characters = Array(someNodeID.text)
        characters[20] = characters[20] == "q" ? "p" : "q"
        return String(characters)
    }

    /// `listening as <node-id> on <address>` → the id and the address.
    static func parseListening(_ line: String) throws -> (NodeID, SocketAddress) {
        let words = line.split(separator: " ").map(String.init)
        guard words.count == 5, words[0] == "listening", words[1] == "as", words[3] == "on" else {
            throw CLITestFailure("not a listening line: \(line)")
        }
        return (try NodeID(text: words[2]), try SocketAddress(text: words[4]))
    }

    static func parseJSON(_ line: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    /// A UDP port on 127.0.0.1 that was free a moment ago (bound, read, released).
    static func unusedUDPPort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw CLITestFailure("socket: \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw CLITestFailure("bind: \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}

struct CLITestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
