import CSQLite
import Foundation

/// A thin wrapper over one SQLite connection: open, run SQL, prepare statements, transactions.
///
/// Deliberately small (see the brief: GRDB was measured slower on this hot path and quietly
/// lowers `synchronous` in WAL mode). Every failure is an `SQLiteError` naming the SQL and
/// SQLite's own message.
///
/// Not thread-safe: one connection belongs to one thread (the node's storage thread, or a tool).
/// The connection is opened with `SQLITE_OPEN_NOMUTEX` for that reason.
final class SQLiteDatabase {
    /// The connection handle; nil once closed.
    private(set) var handle: OpaquePointer?
    let path: String
    /// Statements of fixed text (BEGIN IMMEDIATE, COMMIT, ROLLBACK, the synchronous PRAGMAs),
    /// prepared on first use: every group commit runs several, and `sqlite3_exec` would parse
    /// each one's text every time. Raw handles, not `SQLiteStatement`s, which would hold this
    /// object strongly; `close` finalizes them with the rest.
    private var fixedStatements: [String: OpaquePointer] = [:]

    enum Mode {
        /// Create the file if missing; read and write.
        case readWriteCreate
        /// Open an existing file for reading and writing; never create one.
        case readWrite
        /// Open an existing file for reading only. Safe next to a live writer thanks to WAL.
        case readOnly
        /// Open an existing file that no process is writing, for reading only, as SQLite's
        /// `immutable`: no locks, no `-wal` or `-shm` files created (a plain read-only open of
        /// a WAL database creates both and leaves them behind). Reading a file that a process
        /// does write this way may return garbage, never harm the writer.
        case immutable
    }

    init(path: String, mode: Mode) throws(SQLiteError) {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        var name = path
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .immutable:
            flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
            name = Self.immutableURI(path)
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, sql: "open \(path)")
        }
        handle = db
        // A busy database (a reader checkpointing, a tool next to a live node) waits a little
        // instead of failing at once.
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit { close() }

    /// `file:/absolute/path?immutable=1`, with every byte a URI reserves percent-encoded
    /// (SQLite decodes `%HH` in the path of a `file:` URI).
    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        for byte in absolute.utf8 {
            let reserved = byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "?")
                || byte == UInt8(ascii: "#")
            if reserved {
                encoded += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            } else {
                encoded.append(byte)
            }
        }
        return "file:" + String(decoding: encoded, as: UTF8.self) + "?immutable=1"
    }

    /// Closes the connection. Every statement prepared from it is finalized here, because
    /// `sqlite3_close_v2` only defers the close (and the WAL checkpoint that comes with it) while
    /// any is left; an `SQLiteStatement` MUST NOT be used afterwards.
    func close() {
        guard let handle else { return }
        while let statement = sqlite3_next_stmt(handle, nil) { sqlite3_finalize(statement) }
        fixedStatements = [:]
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    /// Runs one or more SQL statements that return no rows we need.
    func execute(_ sql: String) throws(SQLiteError) {
        guard let handle else { throw SQLiteError.closed(sql: sql) }
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// Runs one statement of fixed text that returns no rows (see `fixedStatements`).
    func executeFixed(_ sql: String) throws(SQLiteError) {
        guard let handle else { throw SQLiteError.closed(sql: sql) }
        let statement: OpaquePointer
        if let prepared = fixedStatements[sql] {
            statement = prepared
        } else {
            var prepared: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard rc == SQLITE_OK, let prepared else {
                throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
            }
            fixedStatements[sql] = prepared
            statement = prepared
        }
        let rc = sqlite3_step(statement)
        // The error, if any, is read before the reset; the reset leaves the statement ready
        // (a COMMIT left un-reset would keep its statement active).
        let error = rc == SQLITE_DONE || rc == SQLITE_ROW ? nil : lastError(sql: sql)
        sqlite3_reset(statement)
        if let error { throw error }
    }

    func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        guard let handle else { throw SQLiteError.closed(sql: sql) }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
        return SQLiteStatement(statement, sql: sql, database: self)
    }

    /// The single integer a PRAGMA or query returns (e.g. `PRAGMA user_version`).
    func scalarInt(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    /// The single text a PRAGMA or query returns (e.g. `PRAGMA journal_mode`).
    func scalarText(_ sql: String) throws(SQLiteError) -> String? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.text(0)
    }

    /// Runs `body` in one `BEGIN IMMEDIATE … COMMIT` transaction, rolling back if it throws.
    /// IMMEDIATE takes the write lock up front, so a transaction never fails half-way for lack
    /// of it.
    func transaction<T>(_ body: () throws(LogStoreError) -> T) throws(LogStoreError) -> T {
        do { try executeFixed("BEGIN IMMEDIATE") } catch { throw LogStoreError.sqlite(path: path, error) }
        let result: T
        do {
            result = try body()
        } catch {
            // The rollback can only fail if the connection is gone; the original error is the
            // one worth reporting either way.
            do { try executeFixed("ROLLBACK") } catch {}
            throw error
        }
        do { try executeFixed("COMMIT") } catch {
            do { try executeFixed("ROLLBACK") } catch {}
            throw LogStoreError.sqlite(path: path, error)
        }
        return result
    }

    var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    func lastError(sql: String) -> SQLiteError {
        guard let handle else { return .closed(sql: sql) }
        return SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

/// A failure reported by SQLite: its result code, its message and the SQL that failed.
public struct SQLiteError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var sql: String

    public init(code: Int32, message: String, sql: String) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    static func closed(sql: String) -> SQLiteError {
        SQLiteError(code: SQLITE_MISUSE, message: "the database connection is closed", sql: sql)
    }

    public var description: String {
        let shortSQL = sql.count > 120 ? String(sql.prefix(117)) + "..." : sql
        return "SQLite error \(code) (\(message)) in: \(shortSQL)" + (hint.map { " — \($0)" } ?? "")
    }

    /// SQLite found the file damaged (a bad page, a header that is not SQLite's).
    public var isDamage: Bool { [SQLITE_CORRUPT, SQLITE_NOTADB].contains(code & 0xFF) }

    /// What the operator should know about the failures a disk causes: SQLite's own messages
    /// ("database or disk is full", "disk I/O error") do not say which, or what to do.
    public var hint: String? {
        switch code & 0xFF {
        case SQLITE_FULL: "the disk is full (ENOSPC): free space on it, then restart the node"
        case SQLITE_READONLY: "the database or its directory is read-only: make it writable, then restart the node"
        case SQLITE_IOERR: "the operating system reported an I/O error (see its log; the disk may be failing or full)"
        case SQLITE_CORRUPT, SQLITE_NOTADB: "the file is damaged: replace this node's disk (paxosctl member replace)"
        default: nil
        }
    }
}
