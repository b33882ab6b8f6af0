import PaxosCore

/// Bringing a database written by an older release up to `Schema.version`, when a node opens it.
///
/// Each step is one transaction that changes the tables and raises both version numbers
/// (`PRAGMA user_version`, which lives in the file header, and `meta.schema_version`) together,
/// so a crash leaves the file wholly at the old version or wholly at the new one, and the next
/// open simply migrates again. Only a node migrates: `paxos-inspect`, backups and snapshot
/// exports never write to a file, and refuse one that is not at the current version.
///
/// The steps (see `Schema`, "Versions and migrations"):
/// - 1 → 2: `meta.incarnation` (1: `Incarnation.initial`, the incarnation the replica of every
///   version 1 database has been voting as, so its promises and votes keep counting),
///   `meta.cluster_uuid` (unset) and the empty `memberships` table.
/// - 2 → 3: `kv.checksum` and `sessions.checksum`, computed for every existing row
///   (`StateRowChecksum`, the version 3 `kv` checksum).
/// - 3 → 4: `kv.position` (0), `kv.expire_at` (NULL), `sessions.reply` (NULL: session
///   checksums are unchanged), and every `kv` checksum recomputed as
///   version 4 after checking the version 3 one (a damaged row stays detectably damaged).
/// - 4 → 5: `meta.log_clock` (0), the `kv_expiry` index, and `kv.scan_hash` (`ScanHash.of(key)`
///   for every row) with the index `kv_scan`.
/// - 5 → 6: the empty `kv_changes` table and `meta.changes_from` (the slot after the applied one).
enum Migrations {
    /// Migrates the database from `version` to `Schema.version`, one step at a time.
    /// - Precondition: `Schema.oldestMigratable ≤ version < Schema.version` (`SchemaSetup.identify`
    ///   refuses anything else before this runs); no transaction is open.
    static func migrate(_ database: SQLiteDatabase, path: String, from version: Int64) throws(LogStoreError) {
        precondition(version >= Schema.oldestMigratable && version < Schema.version, "no migration from version \(version)")
        var current = version
        while current < Schema.version {
            try database.transaction { () throws(LogStoreError) in
                try step(database, path: path, from: current)
                try setVersion(database, path: path, current + 1)
            }
            current += 1
        }
    }

    private static func step(_ database: SQLiteDatabase, path: String, from version: Int64) throws(LogStoreError) {
        switch version {
        case 1:
            try run(path) { () throws(SQLiteError) in
                // ADD COLUMN … NOT NULL needs a default; every existing row takes it.
                try database.execute("""
                    ALTER TABLE meta ADD COLUMN incarnation INTEGER NOT NULL DEFAULT \(Incarnation.initial.rawValue);
                    ALTER TABLE meta ADD COLUMN cluster_uuid TEXT;
                    """)
                try database.execute(Schema.createMemberships)
            }
        case 2:
            try run(path) { () throws(SQLiteError) in
                try database.execute("""
                    ALTER TABLE kv ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE sessions ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
                    """)
                try checksumExistingRows(database)
            }
        case 3:
            try run(path) { () throws(SQLiteError) in
                try database.execute("""
                    ALTER TABLE kv ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE kv ADD COLUMN expire_at INTEGER;
                    ALTER TABLE sessions ADD COLUMN reply BLOB;
                    """)
                try rechecksumKeysAsVersion4(database)
            }
        case 4:
            try run(path) { () throws(SQLiteError) in
                try database.execute("ALTER TABLE meta ADD COLUMN log_clock INTEGER NOT NULL DEFAULT 0;")
                try database.execute(Schema.createExpiryIndex)
                try database.execute("ALTER TABLE kv ADD COLUMN scan_hash INTEGER NOT NULL DEFAULT 0")
                try rewriteKeyColumn(database, column: "scan_hash", reading: "key") { (statement) in
                    Int64(ScanHash.of(statement.blob(1)))
                }
                try database.execute("CREATE INDEX kv_scan ON kv (scan_hash)")
            }
        case 5:
            try run(path) { () throws(SQLiteError) in
                try database.execute("""
                    ALTER TABLE meta ADD COLUMN changes_from INTEGER NOT NULL DEFAULT 0;
                    UPDATE meta SET changes_from = applied_through + 1;
                    """)
                try database.execute(Schema.createChanges)
            }
        default:
            preconditionFailure("no migration step from version \(version)")
        }
    }

    /// Computes `checksum` for every `kv` and `sessions` row (version 3), walking each table by
    /// rowid in batches so that no statement reads a table while another updates it.
    private static func checksumExistingRows(_ database: SQLiteDatabase) throws(SQLiteError) {
        try rewriteKeyChecksums(database, columns: "key, value, slot") { (statement) in
            StateRowChecksum.kvVersion3(key: statement.blob(1), value: statement.blob(2), slot: Slot(statement.uint64(3)))
        }
        // Sessions are keyed by client id, which is their rowid.
        let readSessions = try database.prepare("SELECT client_id, last_sequence, last_result, slot FROM sessions")
        var sessions: [(client: UInt64, checksum: Int64)] = []
        while try readSessions.step() {
            sessions.append((readSessions.uint64(0), StateRowChecksum.session(
                client: ClientID(readSessions.uint64(0)), sequence: readSessions.uint64(1),
                result: readSessions.int64(2), slot: Slot(readSessions.uint64(3)))))
        }
        readSessions.reset()
        let updateSession = try database.prepare("UPDATE sessions SET checksum = ? WHERE client_id = ?")
        for row in sessions {
            try updateSession.run { (statement) throws(SQLiteError) in
                try statement.bind(1, row.checksum)
                try statement.bind(2, row.client)
            }
        }
    }

    /// Replaces every `kv` checksum (version 3) by the version 4 one of the migrated row:
    /// position 0, no deadline. A row whose version 3 checksum does not check gets the complement
    /// of its version 4 checksum, which never checks either.
    private static func rechecksumKeysAsVersion4(_ database: SQLiteDatabase) throws(SQLiteError) {
        try rewriteKeyChecksums(database, columns: "key, value, slot, checksum") { (statement) in
            let (key, value, slot) = (statement.blob(1), statement.blob(2), Slot(statement.uint64(3)))
            // Slots are checked on read, not here: a row with a slot no revision can name is left
            // for the reader to report, with a checksum that does not check.
            guard let revision = Revision(checking: slot, position: 0) else { return ~statement.int64(4) }
            let version4 = StateRowChecksum.kv(key: key, row: KVRow(value: value, revision: revision, deadline: nil))
            let intact = statement.int64(4) == StateRowChecksum.kvVersion3(key: key, value: value, slot: slot)
            return intact ? version4 : Int64(UInt32(truncatingIfNeeded: ~version4))
        }
    }

    /// Sets `kv.checksum` of every row to `checksum(row)`, where the row is the current one of a
    /// statement selecting `rowid, <columns>`; walks the table by rowid in batches so that no
    /// statement reads the table while another updates it.
    private static func rewriteKeyChecksums(_ database: SQLiteDatabase, columns: String,
                                            _ checksum: (SQLiteStatement) -> Int64) throws(SQLiteError) {
        try rewriteKeyColumn(database, column: "checksum", reading: columns, checksum)
    }

    /// Sets `kv.<column>` of every row to `value(row)`, as `rewriteKeyChecksums` does.
    private static func rewriteKeyColumn(_ database: SQLiteDatabase, column: String, reading columns: String,
                                         _ value: (SQLiteStatement) -> Int64) throws(SQLiteError) {
        let checksum = value
        let batchRows: Int64 = 1_000
        let readKeys = try database.prepare("SELECT rowid, \(columns) FROM kv WHERE rowid > ? ORDER BY rowid LIMIT ?")
        let updateKey = try database.prepare("UPDATE kv SET \(column) = ? WHERE rowid = ?")
        var after: Int64 = Int64.min
        while true {
            var batch: [(rowid: Int64, checksum: Int64)] = []
            readKeys.reset()
            try readKeys.bind(1, after)
            try readKeys.bind(2, batchRows)
            while try readKeys.step() { batch.append((readKeys.int64(0), checksum(readKeys))) }
            readKeys.reset()
            guard let last = batch.last else { break }
            for row in batch {
                try updateKey.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, row.checksum)
                    try statement.bind(2, row.rowid)
                }
            }
            after = last.rowid
        }
    }

    private static func setVersion(_ database: SQLiteDatabase, path: String, _ version: Int64) throws(LogStoreError) {
        try run(path) { () throws(SQLiteError) in
            try database.execute("PRAGMA user_version = \(version)")
            let update = try database.prepare("UPDATE meta SET schema_version = ? WHERE singleton = 1")
            try update.run { (statement) throws(SQLiteError) in try statement.bind(1, version) }
        }
    }

    private static func run<T>(_ path: String, _ body: () throws(SQLiteError) -> T) throws(LogStoreError) -> T {
        do { return try body() } catch { throw .sqlite(path: path, error) }
    }
}
