import Foundation
import MeshCore
import MeshCrypto
import MeshMembership
import Testing

@testable import MeshRuntime

@Suite("Peer store (SQLite)")
struct PeerStoreTests {
    static func record(_ n: Int, seq: UInt64 = 1) -> PeerRecord {
        let key = try! Ed25519PrivateKey(seed: [UInt8](repeating: UInt8(n), count: 32))
        return PeerRecord(
            key: key, seq: seq, issuedAt: Instant(nanosecondsSinceEpoch: 1),
            addresses: [.ipv4(0x0A00_0000 | UInt32(n), port: 47000)])
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("peers-\(UUID().uuidString).sqlite").path
    }

    @Test("records survive closing and reopening, most recently seen first, newer records replacing older")
    func roundTrip() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try PeerStore(path: path)
            try store.save([Self.record(1), Self.record(2)], seenAt: Instant(nanosecondsSinceEpoch: 10))
            try store.save([Self.record(2, seq: 5)], seenAt: Instant(nanosecondsSinceEpoch: 20))
        }
        let reopened = try PeerStore(path: path)
        let (records, skipped) = try reopened.load()
        #expect(records == [Self.record(2, seq: 5), Self.record(1)])
        #expect(skipped == 0)
    }

    @Test("the store keeps at most its capacity, dropping the peers seen longest ago")
    func bounded() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try PeerStore(path: path, capacity: 3)
        for n in 1...6 { try store.save([Self.record(n)], seenAt: Instant(nanosecondsSinceEpoch: Int64(n))) }
        #expect(try store.load().records.map(\.nodeID) == [6, 5, 4].map { Self.record($0).nodeID })
    }

    @Test("a row whose record was altered on disk is skipped, not loaded")
    func tamperedRowIsSkipped() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try PeerStore(path: path)
        try store.save([Self.record(1), Self.record(2)], seenAt: Instant(nanosecondsSinceEpoch: 1))
        let database = try SQLiteDatabase(path: path)
        // Point record 2's row at record 1's id: the id no longer matches the signed record.
        try database.query(
            "UPDATE peers SET node_id = ?1 || X'00' WHERE node_id = ?2",
            [
                .blob(Array(Self.record(1).nodeID.publicKey.bytes.prefix(31))),
                .blob(Self.record(2).nodeID.publicKey.bytes),
            ])
        let (records, skipped) = try store.load()
        #expect(records == [Self.record(1)])
        #expect(skipped == 1)
    }

    @Test("bans are stored and only those still in force come back")
    func bans() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try PeerStore(path: path)
        let (a, b) = (Self.record(1).nodeID, Self.record(2).nodeID)
        try store.saveBans([a: Instant(nanosecondsSinceEpoch: 100), b: Instant(nanosecondsSinceEpoch: 10)])
        #expect(try store.loadBans(now: Instant(nanosecondsSinceEpoch: 50)) == [a: Instant(nanosecondsSinceEpoch: 100)])
    }

    @Test("a file that is not a database is refused with a clear error")
    func damagedFile() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
        do {
            _ = try PeerStore(path: path)
            Issue.record("opened a damaged file")
        } catch {
            #expect(error.description.contains("not a database") || error.description.contains("damaged"), "\(error)")
        }
    }
}
