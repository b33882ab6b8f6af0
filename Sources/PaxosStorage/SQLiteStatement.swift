import CSQLite

/// A prepared statement, reused across calls: `reset()`, bind, `step()` until it returns false.
///
/// Parameters are 1-based as in SQLite; columns are 0-based. Unsigned protocol numbers (slots,
/// rounds, client ids) are stored as their 64-bit pattern, so `UInt64.max` round-trips.
final class SQLiteStatement {
    private let statement: OpaquePointer
    let sql: String
    /// Kept so the connection outlives its statements.
    private let database: SQLiteDatabase

    init(_ statement: OpaquePointer, sql: String, database: SQLiteDatabase) {
        self.statement = statement
        self.sql = sql
        self.database = database
    }

    /// A closed connection has already finalized its statements (`SQLiteDatabase.close`).
    deinit { if database.handle != nil { sqlite3_finalize(statement) } }

    /// Clears bindings and rewinds, so the statement can run again.
    func reset() {
        precondition(database.handle != nil, "statement used after its database was closed: \(sql)")
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    func bind(_ index: Int32, _ value: Int64) throws(SQLiteError) {
        try check(sqlite3_bind_int64(statement, index, value))
    }

    func bind(_ index: Int32, _ value: UInt64) throws(SQLiteError) {
        try bind(index, Int64(bitPattern: value))
    }

    func bind(_ index: Int32, _ bytes: [UInt8]) throws(SQLiteError) {
        // An empty Swift array may have no storage, and a nil pointer would bind NULL: bind an
        // explicit empty blob instead. SQLITE_TRANSIENT makes SQLite copy the bytes now.
        guard !bytes.isEmpty else { return try check(sqlite3_bind_zeroblob(statement, index, 0)) }
        let rc = bytes.withUnsafeBytes { buffer in
            sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(buffer.count), sqliteTransient)
        }
        try check(rc)
    }

    func bind(_ index: Int32, _ text: String) throws(SQLiteError) {
        try check(sqlite3_bind_text(statement, index, text, -1, sqliteTransient))
    }

    func bindNull(_ index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_null(statement, index))
    }

    /// Runs one step. - Returns: true when a row is available, false when done.
    @discardableResult
    func step() throws(SQLiteError) -> Bool {
        precondition(database.handle != nil, "statement used after its database was closed: \(sql)")
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.lastError(sql: sql)
            sqlite3_reset(statement)
            throw error
        }
    }

    /// Resets, binds through `binder`, and steps to completion: for writes.
    func run(_ binder: (SQLiteStatement) throws(SQLiteError) -> Void = { _ in }) throws(SQLiteError) {
        reset()
        try binder(self)
        while try step() {}
        sqlite3_reset(statement)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    func uint64(_ column: Int32) -> UInt64 { UInt64(bitPattern: int64(column)) }
    func columnType(_ column: Int32) -> Int32 { sqlite3_column_type(statement, column) }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: pointer)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    var changes: Int { Int(sqlite3_changes(sqlite3_db_handle(statement))) }

    private func check(_ rc: Int32) throws(SQLiteError) {
        guard rc == SQLITE_OK else { throw database.lastError(sql: sql) }
    }
}

/// SQLite's "copy the value now" destructor sentinel, which Swift cannot import as a macro.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
