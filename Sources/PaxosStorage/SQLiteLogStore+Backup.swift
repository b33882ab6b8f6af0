import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import PaxosCore

/// What a backup holds, as read back from the file written.
public struct BackupSummary: Hashable, Sendable {
    public var path: String
    /// The applied slot the backup's kv and sessions tables stand at.
    public var appliedThrough: Slot
    /// The group the backup holds: a backup is of one group's database, and restores only as
    /// that group of a node running the same number of groups.
    public var placement: GroupPlacement
    public var bytes: Int64
}

/// Consistent backups of a node's database, and bringing a node of a new cluster up from one.
extension SQLiteLogStore {
    /// Writes a standalone copy of the database at `databasePath` to `destination` with
    /// `VACUUM INTO`, through a connection of its own: the copy is one read transaction, so it
    /// is consistent (kv, sessions and the applied slot belong together) while the node goes on
    /// writing, and the node's storage thread is not held up while it is written.
    ///
    /// The destination is created first with `O_CREAT | O_EXCL` (mode 0600; `O_EXCL` also refuses
    /// a symlink), so two backups racing for one name cannot both win and nothing that exists is
    /// ever written over; `VACUUM INTO` accepts the empty file. A `-journal`, `-wal` or `-shm`
    /// file already next to it is refused too: SQLite could take a stale journal for the new
    /// file's own. On failure only what this backup created is removed: the destination and any
    /// of those companions that did not exist when it began.
    ///
    /// - Throws: `invalidArgument` if `destination` or a companion exists, or cannot be created;
    ///   `.sqlite` if the copy fails.
    public static func backup(databasePath: String, to destination: String) throws(LogStoreError) -> BackupSummary {
        guard !destination.isEmpty else { throw .invalidArgument("the backup path is empty") }
        let companions = ["-journal", "-wal", "-shm"].map { destination + $0 }
        if let existing = companions.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw .invalidArgument("\(existing) exists; a backup is never written next to another database's journal")
        }
        if let failure = createExclusively(destination) {
            if failure == EEXIST { throw .invalidArgument("\(destination) already exists; a backup never overwrites a file") }
            throw .invalidArgument("cannot create \(destination): \(String(cString: strerror(failure)))")
        }
        func removeCreated() {
            unlink(destination)
            for companion in companions { unlink(companion) }
        }
        let summary: BackupSummary
        do {
            summary = try copy(databasePath: databasePath, to: destination)
        } catch {
            removeCreated()
            throw error
        }
        return summary
    }

    /// `VACUUM INTO` an empty `destination` this backup created, then reads the copy back.
    private static func copy(databasePath: String, to destination: String) throws(LogStoreError) -> BackupSummary {
        // Read-write without create: a read-only connection cannot open a WAL database whose
        // -shm file is gone (a node that closed). Nothing is written through it.
        let database: SQLiteDatabase
        do { database = try SQLiteDatabase(path: databasePath, mode: .readWrite) } catch { throw .sqlite(path: databasePath, error) }
        defer { database.close() }
        try SchemaSetup(database: database, path: databasePath).identify()
        do {
            let statement = try database.prepare("VACUUM INTO ?")
            try statement.run { (statement) throws(SQLiteError) in try statement.bind(1, destination) }
        } catch {
            throw .sqlite(path: destination, error)
        }
        let (meta, placement): (StoredMeta, GroupPlacement)
        do { (meta, placement) = try readBackup(destination) } catch {
            // A damaged row of the copy is the node's own: name its database, not the copy.
            if case .corrupt(_, let slot, let reason) = error { throw .corrupt(path: databasePath, slot: slot, reason: reason) }
            throw error
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? NSNumber)?.int64Value
        return BackupSummary(path: destination, appliedThrough: meta.appliedThrough, placement: placement, bytes: size ?? 0)
    }

    /// Creates the database of group `placement` of replica `replicaID` in cluster `clusterID`
    /// at `databasePath` from a backup of that group: the kv and sessions tables are the
    /// backup's, applied, chosen and snapshot slot are all the backup's applied slot, the log is
    /// empty and nothing is promised; the placement the backup records stays. The restored file
    /// is a new database: it draws a new incarnation (it holds none of the promises and votes of
    /// the backed-up acceptor) and records no cluster UUID and no membership, which the new
    /// cluster's genesis records; a backup written by an older release is migrated first. Every node of a
    /// new cluster restored from the same file therefore starts from the same state, as if each
    /// had installed the same snapshot.
    ///
    /// - Throws: `invalidArgument` if a database already exists at `databasePath` (restoring is
    ///   for a node that has none) or the backup is missing; the errors of `open` for a file that
    ///   is not a PaxosKV database of this version; `.foreign` for a backup of another group, or
    ///   of a node running another number of groups (its keys belong to other groups here);
    ///   `.corrupt` if SQLite's quick check fails. Nothing is left at `databasePath` then.
    @discardableResult
    public static func restore(backup: String, to databasePath: String, clusterID: String,
                               replicaID: ReplicaID, placement: GroupPlacement = .single) throws(LogStoreError) -> BackupSummary {
        guard !FileManager.default.fileExists(atPath: databasePath) else {
            throw .invalidArgument("\(databasePath) already exists; restore only creates the database of a node that has none")
        }
        guard FileManager.default.fileExists(atPath: backup) else { throw .invalidArgument("the backup \(backup) does not exist") }
        let staging = databasePath + ".restoring"
        SnapshotStaging.removeFiles(at: staging)
        do {
            let directory = (databasePath as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            try FileManager.default.copyItem(atPath: backup, toPath: staging)
        } catch {
            throw .invalidArgument("cannot copy \(backup) to \(staging): \(error.localizedDescription)")
        }
        do {
            let applied = try rewriteForRestore(staging, backup: backup, clusterID: clusterID, replicaID: replicaID,
                                                placement: placement)
            try FileManager.default.moveItem(atPath: staging, toPath: databasePath)
            return BackupSummary(path: databasePath, appliedThrough: applied, placement: placement,
                                 bytes: (try FileManager.default.attributesOfItem(atPath: databasePath)[.size] as? NSNumber)?.int64Value ?? 0)
        } catch let error as LogStoreError {
            SnapshotStaging.removeFiles(at: staging)
            throw error
        } catch {
            SnapshotStaging.removeFiles(at: staging)
            throw .invalidArgument("cannot move the restored database into \(databasePath): \(error.localizedDescription)")
        }
    }

    /// Makes the copy at `path` of `backup` the database of group `placement` of a fresh
    /// replica; returns its applied slot.
    private static func rewriteForRestore(_ path: String, backup: String, clusterID: String, replicaID: ReplicaID,
                                          placement: GroupPlacement) throws(LogStoreError) -> Slot {
        let database: SQLiteDatabase
        do { database = try SQLiteDatabase(path: path, mode: .readWrite) } catch { throw .sqlite(path: path, error) }
        defer { database.close() }
        let setup = SchemaSetup(database: database, path: path)
        let version = try setup.identify(migrating: true)
        let check = try run(path) { () throws(SQLiteError) in try database.scalarText("PRAGMA quick_check") }
        guard check == "ok" else { throw .corrupt(path: path, slot: nil, reason: "SQLite's quick check says: \(check ?? "nothing")") }
        // A backup written by an older release: the copy is migrated like a node's own file.
        if version < Schema.version { try Migrations.migrate(database, path: path, from: version) }
        try verifyStateTables(database, path: backup)
        let meta = try setup.readMeta()
        // The refusal names the backup the operator gave, not the scratch copy.
        if let refusal = try setup.readPlacement().refusal(toRestoreAs: placement) {
            throw .foreign(path: backup, reason: refusal)
        }
        try run(path) { () throws(SQLiteError) in
            // A rollback journal while we rewrite, so the finished file stands alone (no -wal).
            _ = try database.scalarText("PRAGMA journal_mode = DELETE")
            try database.execute("BEGIN IMMEDIATE")
            let update = try database.prepare("""
                UPDATE meta SET cluster_id = ?, replica_id = ?, promised_round = 0, promised_replica = 0,
                    chosen_through = applied_through, snapshot_slot = applied_through,
                    incarnation = ?, cluster_uuid = NULL WHERE singleton = 1
                """)
            try update.run { (statement) throws(SQLiteError) in
                try statement.bind(1, clusterID)
                try statement.bind(2, Int64(replicaID.rawValue))
                try statement.bind(3, SchemaSetup.newIncarnation().rawValue)
            }
            try database.execute("DELETE FROM log; DELETE FROM memberships; COMMIT")
            // Gives back the log's pages, and turns on incremental auto-vacuum if the source
            // database predates it.
            try database.execute("PRAGMA auto_vacuum = INCREMENTAL; VACUUM")
        }
        return meta.appliedThrough
    }

    /// The meta row and placement of a backup file nothing else has open.
    private static func readBackup(_ path: String) throws(LogStoreError) -> (StoredMeta, GroupPlacement) {
        let database: SQLiteDatabase
        do { database = try SQLiteDatabase(path: path, mode: .immutable) } catch { throw .sqlite(path: path, error) }
        defer { database.close() }
        guard let meta = try run(path, { () throws(SQLiteError) in try StoredMeta.select(from: database) }) else {
            throw .corrupt(path: path, slot: nil, reason: "the backup has no meta row")
        }
        // The copy is checked row by row, so a damaged row of the node fails the backup
        // instead of being carried into every node restored from it.
        try verifyStateTables(database, path: path)
        return (meta, try SchemaSetup(database: database, path: path).readPlacement())
    }

    static func run<T>(_ path: String, _ body: () throws(SQLiteError) -> T) throws(LogStoreError) -> T {
        do { return try body() } catch { throw .sqlite(path: path, error) }
    }
}

/// Creates an empty file at `path`, mode 0600, failing if anything (a symlink included) is
/// there; returns errno on failure.
private func createExclusively(_ path: String) -> Int32? {
    #if canImport(Glibc)
    let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    #else
    let descriptor = Darwin.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    #endif
    guard descriptor >= 0 else { return errno }
    _ = close(descriptor)
    return nil
}
