import CSQLite
import Foundation
import PaxosCore

/// Opening a database: pragmas, creating the schema in a new file, migrating one of an older
/// version (`Migrations`), and refusing files that are not PaxosKV's, are of an unknown version
/// or belong to another node or group placement.
struct SchemaSetup {
    let database: SQLiteDatabase
    let path: String

    /// - Returns: the meta row, and whether the database was created now (the file was empty).
    func openOrCreate(clusterID: String, replicaID: ReplicaID, placement: GroupPlacement,
                      synchronous: SQLiteLogStore.Synchronous) throws(LogStoreError) -> (meta: StoredMeta, created: Bool) {
        let version = try identify(migrating: true)
        let isNew = try isEmpty()
        if isNew {
            // Only possible before the first table exists; the page header records it.
            try sqlite { () throws(SQLiteError) in try database.execute("PRAGMA auto_vacuum = INCREMENTAL") }
        }
        try configure(synchronous: synchronous)
        if isNew {
            try create(clusterID: clusterID, replicaID: replicaID, placement: placement)
        } else {
            if version < Schema.version { try Migrations.migrate(database, path: path, from: version) }
            try convertToIncrementalVacuum()
        }
        let meta = try readMeta()
        guard meta.clusterID == clusterID else {
            throw .foreign(path: path, reason: "it was written for cluster '\(meta.clusterID)', this node is in cluster '\(clusterID)'")
        }
        guard meta.replicaID == replicaID else {
            throw .foreign(path: path, reason: "it was written by replica \(meta.replicaID), this is replica \(replicaID)")
        }
        // Read back even in a file just created: what was written is checked like any other file.
        if let refusal = try readPlacement().refusal(toOpenAs: placement) {
            throw .foreign(path: path, reason: refusal)
        }
        return (meta, isNew)
    }

    /// Checks the file is SQLite, is PaxosKV's (or empty) and has the current version, or with
    /// `migrating` a version `Migrations` brings up to it.
    /// - Returns: the file's version (0 for a new, empty file).
    @discardableResult
    func identify(migrating: Bool = false) throws(LogStoreError) -> Int64 {
        let applicationID: Int64
        let userVersion: Int64
        do {
            applicationID = try database.scalarInt("PRAGMA application_id") ?? 0
            userVersion = try database.scalarInt("PRAGMA user_version") ?? 0
        } catch {
            if error.code & 0xFF == SQLITE_NOTADB {
                throw .notPaxosDatabase(path: path, reason: "the file is not an SQLite database (or its header is damaged)")
            }
            throw .sqlite(path: path, error)
        }
        if applicationID == 0 && userVersion == 0 {
            // A new file, or an SQLite file someone else made: tell them apart by its tables.
            if try !isEmpty() {
                throw .notPaxosDatabase(path: path, reason: "it is an SQLite database without PaxosKV's application id")
            }
            return 0
        }
        guard applicationID == Schema.applicationID else {
            throw .notPaxosDatabase(path: path, reason: "its application id is \(applicationID), not PaxosKV's \(Schema.applicationID)")
        }
        let known = migrating ? Schema.oldestMigratable...Schema.version : Schema.version...Schema.version
        guard known.contains(userVersion) else {
            throw .unsupportedSchema(path: path, found: userVersion, supported: Schema.version)
        }
        return userVersion
    }

    /// SQLite's `PRAGMA quick_check` (every page and b-tree is well formed, without the index
    /// cross-checks of `integrity_check`), when the database and its WAL together are at most
    /// `maxBytes`: a damaged page is then a refusal at start, naming the file, instead of a node
    /// that serves until it first reads that page. It reads the whole file once: see
    /// ARCHITECTURE.md ("Integrity at open") for its cost.
    func quickCheck(maxBytes: Int64) throws(LogStoreError) {
        guard maxBytes > 0 else { return }
        let size = (Self.fileSize(path) ?? 0) + (Self.fileSize(path + "-wal") ?? 0)
        guard size <= maxBytes else { return }
        let problems: [String]
        do {
            let statement = try database.prepare("PRAGMA quick_check(3)")
            var rows: [String] = []
            while try statement.step() { rows.append(statement.text(0)) }
            problems = rows
        } catch {
            // Damage bad enough that the check itself stops on it is its finding too.
            guard error.isDamage else { throw .sqlite(path: path, error) }
            problems = [error.message]
        }
        guard problems != ["ok"] else { return }
        throw .corrupt(path: path, slot: nil, reason: "SQLite's quick check at open found the file damaged ("
            + problems.joined(separator: "; ") + "); refusing to start on it: replace this node's disk "
            + "(paxosctl member replace, see README)")
    }

    private static func fileSize(_ path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }

    private func configure(synchronous: SQLiteLogStore.Synchronous) throws(LogStoreError) {
        let mode = try sqlite { () throws(SQLiteError) in try database.scalarText("PRAGMA journal_mode=WAL") }
        guard mode?.lowercased() == "wal" else {
            throw .sqlite(path: path, SQLiteError(code: SQLITE_ERROR, message: "journal_mode is \(mode ?? "unknown"), WAL is required", sql: "PRAGMA journal_mode=WAL"))
        }
        let wanted: Int64 = synchronous == .full ? 2 : 1
        try sqlite { () throws(SQLiteError) in
            try database.execute("PRAGMA synchronous=\(synchronous == .full ? "FULL" : "NORMAL")")
        }
        let actual = try sqlite { () throws(SQLiteError) in try database.scalarInt("PRAGMA synchronous") }
        guard actual == wanted else {
            throw .sqlite(path: path, SQLiteError(code: SQLITE_ERROR, message: "synchronous is \(actual ?? -1), wanted \(wanted)", sql: "PRAGMA synchronous"))
        }
        // A large transaction (a snapshot install) grows the WAL to its size; without a limit the
        // file keeps that size after the checkpoint.
        try sqlite { () throws(SQLiteError) in
            _ = try database.scalarInt("PRAGMA journal_size_limit = \(Schema.journalSizeLimitBytes)")
        }
    }

    /// A database created before compaction existed has `auto_vacuum=NONE`, and its file can never
    /// shrink. Converting takes one `VACUUM` (a rewrite of the whole file, needing about its size
    /// in free disk space), once; afterwards `PRAGMA auto_vacuum` reads 2.
    private func convertToIncrementalVacuum() throws(LogStoreError) {
        try sqlite { () throws(SQLiteError) in
            guard try database.scalarInt("PRAGMA auto_vacuum") == 0 else { return }
            try database.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try database.execute("VACUUM")
        }
    }

    private func isEmpty() throws(LogStoreError) -> Bool {
        try sqlite { () throws(SQLiteError) in
            try database.scalarInt("SELECT count(*) FROM sqlite_master") == 0
        }
    }

    private func create(clusterID: String, replicaID: ReplicaID, placement: GroupPlacement) throws(LogStoreError) {
        try database.transaction { () throws(LogStoreError) in
            try sqlite { () throws(SQLiteError) in
                try database.execute(Schema.createStatements)
                try database.execute("PRAGMA application_id = \(Schema.applicationID)")
                try database.execute("PRAGMA user_version = \(Schema.version)")
                let insert = try database.prepare("""
                    INSERT INTO meta (singleton, schema_version, cluster_id, replica_id, promised_round,
                        promised_replica, chosen_through, applied_through, snapshot_slot, incarnation, cluster_uuid)
                    VALUES (1, ?, ?, ?, 0, 0, 0, 0, 0, ?, NULL)
                    """)
                try insert.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, Schema.version)
                    try statement.bind(2, clusterID)
                    try statement.bind(3, Int64(replicaID.rawValue))
                    try statement.bind(4, Self.newIncarnation().rawValue)
                }
                // One group records nothing, so its file is exactly what it was before groups.
                if !placement.isSingle { try StoredPlacement.insert(placement, into: database) }
            }
        }
    }

    /// A random incarnation for a new database: never 0 (no incarnation) nor 1
    /// (`Incarnation.initial`, which every database migrated from version 1 holds), so a new disk
    /// is never mistaken for an old one. From the system's random source, not a seeded one: two
    /// disks of one replica id MUST NOT draw the same value.
    static func newIncarnation() -> Incarnation {
        var generator = SystemRandomNumberGenerator()
        while true {
            let value = generator.next()
            if value > Incarnation.initial.rawValue { return Incarnation(value) }
        }
    }

    /// The group placement the file records: `.single` without a placement row.
    func readPlacement() throws(LogStoreError) -> GroupPlacement {
        guard let stored = try sqlite({ () throws(SQLiteError) in try StoredPlacement.select(from: database) }) else {
            return .single
        }
        guard stored.mapsKeysAsThisBuild else {
            throw .foreign(path: path, reason: "it maps keys to groups by '\(stored.hash)', this build by \(GroupPlacement.knownHashNames): "
                + "keys would be looked for in groups that never saw their history; use the PaxosKV release that wrote it")
        }
        guard let placement = stored.placement else {
            throw .corrupt(path: path, slot: nil, reason: "its placement row names group \(stored.group) of \(stored.groupCount), "
                + "which no node runs (1…\(GroupMap.maxGroups) groups, the group below the count)")
        }
        return placement
    }

    func readMeta() throws(LogStoreError) -> StoredMeta {
        let row = try sqlite { () throws(SQLiteError) in try StoredMeta.select(from: database) }
        guard let row else { throw .corrupt(path: path, slot: nil, reason: "the meta row is missing") }
        guard row.schemaVersion == Schema.version else {
            throw .unsupportedSchema(path: path, found: row.schemaVersion, supported: Schema.version)
        }
        guard row.incarnation.rawValue != 0 else {
            throw .corrupt(path: path, slot: nil, reason: "meta.incarnation is 0, which no database is given")
        }
        guard row.appliedThrough <= row.chosenThrough else {
            throw .corrupt(path: path, slot: row.appliedThrough,
                           reason: "applied slot \(row.appliedThrough) is above the chosen frontier \(row.chosenThrough)")
        }
        return row
    }

    private func sqlite<T>(_ body: () throws(SQLiteError) -> T) throws(LogStoreError) -> T {
        do { return try body() } catch { throw .sqlite(path: path, error) }
    }
}
