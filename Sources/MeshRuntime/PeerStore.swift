public import MeshCore
public import MeshMembership
import MeshWire

/// The peers a node knew, kept in SQLite (`<datadir>/peers.sqlite`) so that a restarted node rejoins through them
/// and not only through its seeds, and its bans survive restarts (`Specs/membership.md`, "Peer store").
///
/// Bounded: at most `capacity` records; saving more keeps the most recently seen. Records are stored as their signed
/// encoding and checked again when loaded, so a file edited by hand or damaged cannot inject a peer.
public final class PeerStore {
    /// The most records kept.
    public let capacity: Int
    private let database: SQLiteDatabase

    /// Opens (creating) the store at `path`.
    /// - Throws: `SQLiteError` when the file cannot be opened or is damaged.
    public init(path: String, capacity: Int = 1000) throws(SQLiteError) {
        precondition(capacity > 0, "a peer store holds at least one record")
        self.capacity = capacity
        database = try SQLiteDatabase(path: path)
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS peers (
                node_id BLOB PRIMARY KEY NOT NULL,
                record BLOB NOT NULL,
                last_seen INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS peers_by_last_seen ON peers (last_seen);
            CREATE TABLE IF NOT EXISTS bans (
                node_id BLOB PRIMARY KEY NOT NULL,
                until INTEGER NOT NULL
            ) WITHOUT ROWID;
            """)
    }

    /// Records `records` as seen at `now` (a newer record of a peer replaces its older one), then trims the store
    /// to `capacity`, dropping the peers seen longest ago. One transaction: a crash keeps the old contents or the
    /// new, never half.
    public func save(_ records: [PeerRecord], seenAt now: Instant) throws(SQLiteError) {
        try database.transaction { () throws(SQLiteError) in
            for record in records {
                try database.query(
                    """
                    INSERT INTO peers (node_id, record, last_seen) VALUES (?1, ?2, ?3)
                    ON CONFLICT (node_id) DO UPDATE SET record = excluded.record, last_seen = excluded.last_seen
                    """,
                    [.blob(record.nodeID.publicKey.bytes), .blob(record.encoded), .integer(now.nanosecondsSinceEpoch)])
            }
            try database.query(
                """
                DELETE FROM peers WHERE node_id NOT IN (
                    SELECT node_id FROM peers ORDER BY last_seen DESC, node_id LIMIT ?1)
                """, [.integer(Int64(capacity))])
        }
    }

    /// The stored records, most recently seen first; entries that no longer decode or verify are skipped and
    /// counted in `skipped`.
    public func load() throws(SQLiteError) -> (records: [PeerRecord], skipped: Int) {
        var records: [PeerRecord] = []
        var skipped = 0
        try database.query(
            "SELECT node_id, record FROM peers ORDER BY last_seen DESC, node_id LIMIT ?1",
            [
                .integer(Int64(capacity))
            ]
        ) { row in
            guard let record = try? PeerRecord(decoding: row.blob(1)), record.nodeID.publicKey.bytes == row.blob(0)
            else {
                skipped += 1
                return
            }
            records.append(record)
        }
        return (records, skipped)
    }

    /// Stores the bans in force (replacing the stored ones).
    public func saveBans(_ bans: [NodeID: Instant]) throws(SQLiteError) {
        try database.transaction { () throws(SQLiteError) in
            try database.execute("DELETE FROM bans")
            for (peer, until) in bans.sorted(by: { $0.key.text < $1.key.text }) {
                try database.query(
                    "INSERT INTO bans (node_id, until) VALUES (?1, ?2)",
                    [.blob(peer.publicKey.bytes), .integer(until.nanosecondsSinceEpoch)])
            }
        }
    }

    /// The stored bans that last beyond `now`.
    public func loadBans(now: Instant) throws(SQLiteError) -> [NodeID: Instant] {
        var bans: [NodeID: Instant] = [:]
        try database.query("SELECT node_id, until FROM bans WHERE until > ?1", [.integer(now.nanosecondsSinceEpoch)]) {
            row in
            guard let key = Bytes32(row.blob(0)) else { return }
            bans[NodeID(publicKey: key)] = Instant(nanosecondsSinceEpoch: row.integer(1))
        }
        return bans
    }
}
