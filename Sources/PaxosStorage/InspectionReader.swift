import CSQLite
import Foundation
package import PaxosCore

/// A read-only view of one node's database, for `paxos-inspect`.
///
/// This is the tool's whole access to a database: opening, identifying, and reading rows as
/// values (`InspectionReader+Reads.swift`). What the tool does with them (checks, reports, exit
/// status) lives in PaxosInspectKit, so that SQLite and the format stay inside PaxosStorage.
///
/// ## Read-only, and safe next to a live node
/// The file is opened with `SQLITE_OPEN_READONLY` and nothing here writes, creates or
/// checkpoints. Which way it is opened depends on what lies next to it:
/// - **A `-shm` file exists, or the `-wal` file holds frames** (a running node, or one that was
///   killed): an ordinary WAL reader. It takes a read lock in the shared-memory index and sees
///   the last committed transaction; the node goes on writing meanwhile. SQLite may rebuild the
///   `-shm` index after a crash, or create it next to a `-wal` that has none (that file is a
///   cache, never data); the database and `-wal` files are not touched.
/// - **No `-wal` file, or an empty one and no `-shm`** (a node that shut down cleanly, or a
///   copy): opened as `immutable`, because an ordinary read-only open would create empty `-wal`
///   and `-shm` files and leave them behind. If a node starts on the file while we read, the
///   tool may report nonsense; it never harms the node.
///
/// Everything is read in one read transaction, so a summary or a verify sees one consistent
/// state even while the node commits. Keep a reader briefly: a live node cannot checkpoint its
/// WAL past the state an open reader sees.
///
/// ## Identification
/// `PRAGMA application_id` must be PaxosKV's and `PRAGMA user_version` this build's
/// `Schema.version`; anything else is an `InspectionError` that says which (see `Schema`). The
/// group the file holds is read from its `placement` row; a file without one is a single-group
/// database, as every database written before groups existed (nothing is created to say so).
///
/// - Invariant: not thread-safe; one thread uses a reader, and `close()` ends it.
package final class InspectionReader {
    /// How the connection was opened; see the type's documentation.
    package enum OpenMode: String, Hashable, Sendable {
        case wal
        case immutable
    }

    /// The database file, as named by the argument (`data/nodes/3` → `data/nodes/3/paxos.sqlite`).
    package let path: String
    package let meta: StoredMeta
    /// The group the file holds, from its `placement` row (`.single` without one).
    package let placement: GroupPlacement
    package let openMode: OpenMode
    let database: SQLiteDatabase

    private init(path: String, meta: StoredMeta, placement: GroupPlacement, openMode: OpenMode, database: SQLiteDatabase) {
        self.path = path
        self.meta = meta
        self.placement = placement
        self.openMode = openMode
        self.database = database
    }

    /// Opens the database file at `path`; with `group`, refuses (`.placement`) a file that holds
    /// another group.
    package static func openFile(_ path: String, group: GroupID? = nil) throws(InspectionError) -> InspectionReader {
        try checkHeader(path)
        let (database, mode) = try connect(path)
        do throws(InspectionError) {
            try run(database, path: path, mode: mode) { () throws(SQLiteError) in try database.execute("BEGIN DEFERRED") }
            try identify(database, path: path, mode: mode)
            let meta = try readMeta(database, path: path, mode: mode)
            let placement = try readPlacement(database, path: path, mode: mode)
            if let group, placement.group != group {
                throw InspectionError(.placement, path: path, reason: "it holds \(placement.holding), not group \(group) (--group \(group))")
            }
            return InspectionReader(path: path, meta: meta, placement: placement, openMode: mode, database: database)
        } catch {
            database.close()
            throw error
        }
    }

    /// Ends the read transaction and closes the file. Nothing may be called afterwards.
    package func close() {
        database.close()
    }

    /// Runs SQLite work, turning its errors into messages about this file.
    func sqlite<T>(_ body: () throws(SQLiteError) -> T) throws(InspectionError) -> T {
        try Self.run(database, path: path, mode: openMode, body)
    }
}

// MARK: opening

extension InspectionReader {
    /// Tells an SQLite file from any other before SQLite sees it (SQLite would otherwise answer
    /// an empty file with an empty database). `paxos-inspect` also uses it to tell a file that is
    /// no database at all (`.notSQLite`, or `.notPaxosKV` for an empty file) from one that is.
    /// - Throws: `.unreadable`, `.notPaxosKV` (empty, no `-wal` beside it), `.notSQLite`.
    package static func checkHeader(_ path: String) throws(InspectionError) {
        let header: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            // Closing a descriptor we only read from cannot lose anything; nothing to report.
            defer { try? handle.close() }
            header = Array(try handle.read(upToCount: 16) ?? Data())
        } catch {
            throw InspectionError(.unreadable, path: path, reason: "cannot read the file: \(error.localizedDescription)")
        }
        if header.isEmpty {
            // A WAL database that was never checkpointed has an empty main file and all of its
            // pages in the -wal file; anything else that is empty is no database at all.
            guard (fileSize(path + "-wal") ?? 0) > 0 else {
                throw InspectionError(.notPaxosKV, path: path, reason: "not a PaxosKV database: the file is empty")
            }
            return
        }
        guard header == Array("SQLite format 3\0".utf8) else {
            throw InspectionError(.notSQLite, path: path, reason: "not a PaxosKV database: it is not an SQLite file")
        }
    }

    /// Opens the connection in the mode the files next to the database call for.
    static func connect(_ path: String) throws(InspectionError) -> (SQLiteDatabase, OpenMode) {
        let walBytes = fileSize(path + "-wal")
        let hasShm = fileSize(path + "-shm") != nil
        let mode: OpenMode = !hasShm && (walBytes ?? 0) == 0 ? .immutable : .wal
        do {
            return (try SQLiteDatabase(path: path, mode: mode == .immutable ? .immutable : .readOnly), mode)
        } catch {
            throw classify(error, path: path, mode: mode)
        }
    }

    /// The size of a file, or nil when it does not exist. A file that cannot be examined is
    /// treated as absent: these sizes only inform a listing and the choice of open mode, and a
    /// wrong guess there makes the open fail with SQLite's own message.
    static func fileSize(_ path: String) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return (attributes[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Checks the PRAGMAs and tables that make a file a PaxosKV database of our version.
    static func identify(_ database: SQLiteDatabase, path: String, mode: OpenMode) throws(InspectionError) {
        let (applicationID, userVersion, tables) = try run(database, path: path, mode: mode) { () throws(SQLiteError) in
            let applicationID = try database.scalarInt("PRAGMA application_id") ?? 0
            let userVersion = try database.scalarInt("PRAGMA user_version") ?? 0
            let statement = try database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            var tables: Set<String> = []
            while try statement.step() { tables.insert(statement.text(0)) }
            return (applicationID, userVersion, tables)
        }
        guard applicationID == Schema.applicationID else {
            let reason = applicationID == 0 && userVersion == 0 && tables.isEmpty
                ? "it is an empty SQLite database"
                : "it is an SQLite database with application id 0x\(String(applicationID, radix: 16, uppercase: true)), "
                    + "not PaxosKV's 0x\(String(Schema.applicationID, radix: 16, uppercase: true))"
            throw InspectionError(.notPaxosKV, path: path, reason: "not a PaxosKV database: \(reason)")
        }
        guard userVersion == Schema.version else { throw unsupported(path: path, found: userVersion) }
        for table in Schema.tables where !tables.contains(table) {
            throw InspectionError(.damaged, path: path, reason: "the PaxosKV table '\(table)' is missing")
        }
    }

    static func unsupported(path: String, found: Int64) -> InspectionError {
        let reason = found > Schema.version
            ? "it has schema version \(found), but this build reads version \(Schema.version): it was written by newer PaxosKV software"
            : found >= Schema.oldestMigratable
            ? "it has schema version \(found), written by an older PaxosKV release: start the node once with this build "
                + "to migrate it to version \(Schema.version), or inspect it with the release that wrote it"
            : "it has schema version \(found), which no PaxosKV release wrote (this build reads version \(Schema.version))"
        return InspectionError(.unsupportedSchema, path: path, reason: reason)
    }

    static func readMeta(_ database: SQLiteDatabase, path: String, mode: OpenMode) throws(InspectionError) -> StoredMeta {
        let meta = try run(database, path: path, mode: mode) { () throws(SQLiteError) in try StoredMeta.select(from: database) }
        guard let meta else { throw InspectionError(.damaged, path: path, reason: "the meta row is missing") }
        guard meta.schemaVersion == Schema.version else {
            if meta.schemaVersion > Schema.version { throw unsupported(path: path, found: meta.schemaVersion) }
            throw InspectionError(.damaged, path: path,
                                  reason: "meta.schema_version is \(meta.schemaVersion) but PRAGMA user_version is \(Schema.version)")
        }
        return meta
    }

    /// The `placement` row, read as the node reads it (`StoredPlacement`); a row that names no
    /// placement makes the file unusable here as it does for the node.
    static func readPlacement(_ database: SQLiteDatabase, path: String, mode: OpenMode) throws(InspectionError) -> GroupPlacement {
        let stored = try run(database, path: path, mode: mode) { () throws(SQLiteError) in try StoredPlacement.select(from: database) }
        guard let stored else { return .single }
        guard stored.mapsKeysAsThisBuild else {
            throw InspectionError(.unsupportedSchema, path: path, reason: "it maps keys to groups by '\(stored.hash)', which this build "
                + "does not know (it knows \(GroupPlacement.knownHashNames)): it was written by other PaxosKV software")
        }
        guard let placement = stored.placement else {
            throw InspectionError(.damaged, path: path, reason: "its placement row names group \(stored.group) of \(stored.groupCount), "
                + "which no node runs")
        }
        return placement
    }

    static func run<T>(_ database: SQLiteDatabase, path: String, mode: OpenMode,
                       _ body: () throws(SQLiteError) -> T) throws(InspectionError) -> T {
        do { return try body() } catch { throw classify(error, path: path, mode: mode) }
    }

    /// Turns an SQLite failure into a message an operator can act on.
    static func classify(_ error: SQLiteError, path: String, mode: OpenMode) -> InspectionError {
        let detail = "SQLite error \(error.code): \(error.message)"
        switch error.code & 0xFF {
        case SQLITE_NOTADB:
            return InspectionError(.notSQLite, path: path, reason: "not a PaxosKV database: it is not an SQLite file (\(detail))")
        case SQLITE_CORRUPT:
            return InspectionError(.damaged, path: path, reason: "SQLite reports the file damaged (\(detail))")
        case SQLITE_CANTOPEN, SQLITE_READONLY:
            guard mode == .wal else { return InspectionError(.unreadable, path: path, reason: "cannot open the file read-only (\(detail))") }
            return InspectionError(.unreadable, path: path, reason: "cannot open the WAL database read-only (\(detail)); "
                + "a reader needs the -shm file next to it, or a directory it may create it in: "
                + "run as the node's user, or inspect a copy of the node directory")
        case SQLITE_BUSY, SQLITE_LOCKED:
            return InspectionError(.unreadable, path: path, reason: "the database stayed locked (\(detail)); try again")
        default:
            return InspectionError(.unreadable, path: path, reason: "cannot read the database (\(detail))")
        }
    }
}
