internal import CSQLite

/// Why a SQLite operation failed: SQLite's own message, and what the code was doing.
public struct SQLiteError: Error, Equatable, CustomStringConvertible {
    /// SQLite's result code.
    public var code: Int32
    /// SQLite's message and the operation that failed.
    public var message: String

    /// The message.
    public var description: String { message }
}

/// A SQLite database file, opened by one thread (the loop's). Hand-written over the C API rather than taken from a
/// package: the packages available here wrap SQLite for Apple platforms or pull in far more than the few statements a
/// store runs; this is prepare, bind, step and a transaction.
public final class SQLiteDatabase {
    private var handle: OpaquePointer?

    /// Opens (creating) the database at `path` in WAL mode with full durability for commits, in SQLite's defensive
    /// mode (no writes to its own schema through SQL).
    public init(path: String) throws(SQLiteError) {
        var database: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &database, flags, nil)
        guard status == SQLITE_OK, let database else {
            let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(database)
            throw SQLiteError(code: status, message: "cannot open \(path): \(message)")
        }
        handle = database
        _ = csqlite_db_config_defensive(database, 1)
        sqlite3_busy_timeout(database, 1000)
        do {
            try execute("PRAGMA journal_mode = WAL")
            try execute("PRAGMA synchronous = FULL")
            // A damaged file is found here rather than by a later query.
            try query("PRAGMA quick_check") { row throws(SQLiteError) in
                let result = row.text(0)
                guard result == "ok" else {
                    throw SQLiteError(code: SQLITE_CORRUPT, message: "\(path) is damaged: \(result)")
                }
            }
        } catch {
            sqlite3_close(database)
            handle = nil
            throw error
        }
    }

    deinit {
        sqlite3_close(handle)
    }

    /// Runs statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "error \(status)"
            sqlite3_free(message)
            throw SQLiteError(code: status, message: "\(text) (in: \(sql.prefix(60)))")
        }
    }

    /// A value to bind to a statement's parameter.
    public enum Value {
        case integer(Int64)
        case blob([UInt8])
        case text(String)
        case null
    }

    /// One result row, valid only inside the `query` callback.
    public struct Row {
        fileprivate let statement: OpaquePointer

        /// Column `index` as an integer.
        public func integer(_ index: Int32) -> Int64 { sqlite3_column_int64(statement, index) }

        /// Column `index` as bytes.
        public func blob(_ index: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: count))
        }

        /// Column `index` as text.
        public func text(_ index: Int32) -> String {
            guard let pointer = sqlite3_column_text(statement, index) else { return "" }
            return String(cString: pointer)
        }
    }

    /// Runs one statement with `values` bound to its parameters, calling `row` for each result row.
    public func query(
        _ sql: String, _ values: [Value] = [], row: (Row) throws(SQLiteError) -> Void = { _ in }
    ) throws(SQLiteError) {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw failure("prepare", sql)
        }
        defer { sqlite3_finalize(statement) }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .integer(let number): status = sqlite3_bind_int64(statement, index, number)
            case .blob(let bytes):
                status = bytes.withUnsafeBytes {
                    csqlite_bind_blob_transient(statement, index, $0.baseAddress, Int32($0.count))
                }
            case .text(let text): status = csqlite_bind_text_transient(statement, index, text, -1)
            case .null: status = sqlite3_bind_null(statement, index)
            }
            guard status == SQLITE_OK else { throw failure("bind", sql) }
        }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure("step", sql) }
            try row(Row(statement: statement))
        }
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction(_ body: () throws(SQLiteError) -> Void) throws(SQLiteError) {
        try execute("BEGIN IMMEDIATE")
        do {
            try body()
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func failure(_ what: String, _ sql: String) -> SQLiteError {
        SQLiteError(
            code: sqlite3_errcode(handle),
            message: "\(what) failed: \(String(cString: sqlite3_errmsg(handle))) (in: \(sql.prefix(60)))")
    }
}
