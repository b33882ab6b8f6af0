import Foundation
public import PaxosCore

/// What the node's shell needs from durable storage. `SQLiteLogStore` is the implementation;
/// the protocol states the contract the core's `Action` relies on.
public protocol LogStore: AnyObject {
    /// The state a replica may be rebuilt from: only what was made durable.
    func loadDurableState() throws(LogStoreError) -> DurableState
    /// Makes the records durable, in order, in one transaction; returns only once they are.
    func persist(_ records: [PersistRecord]) throws(LogStoreError)
    /// Applies a chosen command (kv, sessions, chosen flag, the membership a `configure`
    /// chooses and the applied slot move together).
    func apply(slot: Slot, command: Command) throws(LogStoreError) -> [(request: ClientRequest, result: OperationResult)]
    /// The applied value of a key.
    func get(key: Bytes) throws(LogStoreError) -> Bytes?
}

/// The acceptor state, log, KV table, client sessions and memberships of one consensus group of a node in
/// one SQLite database (a node of one group has exactly one); the format is described on
/// `Schema`, the group on `GroupPlacement`.
///
/// Group commit: `transaction(_:)` lets the storage thread write every record and apply every
/// slot it has gathered in one transaction, so one fsync covers them all. `persist` and
/// `apply` open their own transaction when called outside one.
///
/// - Invariant: `appliedThrough <= chosenThrough` (as stored in `meta`).
/// - Invariant: not thread-safe; one thread owns a store.
public final class SQLiteLogStore: LogStore {
    public enum Synchronous: String, Sendable {
        /// Every commit is fsynced: an acknowledged write survives a power loss.
        case full
        /// Commits are fsynced at checkpoints only: survives a process crash, not a power loss.
        case normal
    }

    public struct Options: Sendable {
        public var synchronous: Synchronous = .full
        /// `ClientSession.expirySlots`; tests shorten it to exercise session expiry. Part of
        /// the apply rule: every replica of a cluster must use the same value.
        public var sessionExpirySlots: UInt64 = ClientSession.expirySlots
        /// `ClientSession.maxRememberedReplyBytes` outside tests (part of the apply rule).
        public var maxRememberedReplyBytes: Int = ClientSession.maxRememberedReplyBytes
        /// How often, at most, the durable marks beside the database are rewritten after a
        /// synced commit (`DurableMarks`); 0 writes them after every synced commit (tests).
        public var marksIntervalMilliseconds = 1_000
        /// `PRAGMA quick_check` at open for databases (main file and WAL) up to this size; larger
        /// ones, and every one when 0, are opened unchecked (`SchemaSetup.quickCheck`).
        public var integrityCheckMaxBytes: Int64 = Int64.max
        public init() {}
    }

    public let path: String
    public let clusterID: String
    public let replicaID: ReplicaID
    /// The group this database holds; the file records it (`.single` records nothing).
    public let placement: GroupPlacement
    let database: SQLiteDatabase
    let statements: Statements

    /// Cached copies of `meta`, updated only after the transaction that changes them commits.
    public private(set) var appliedThrough: Slot
    public private(set) var chosenThrough: Slot
    public private(set) var promised: Ballot
    /// The log is compacted through this slot (`meta.snapshot_slot`).
    /// - Invariant: `snapshotSlot <= appliedThrough`.
    public private(set) var snapshotSlot: Slot
    /// The state machine's clock (`meta.log_clock`): the largest time of a timed batch applied.
    public private(set) var logClock: LeaderTime
    /// `logClock` as the open transaction leaves it, published when it commits.
    var stagedClock: LeaderTime
    /// The clock as the applies so far left it: inside a transaction, its own (not yet
    /// committed; results of applies leave before the commit as well), else `logClock`.
    public var openClock: LeaderTime { database.isInTransaction ? stagedClock : logClock }
    /// Whether `kv` may hold a row with a deadline. False only once `nextDeadline()` found none,
    /// until a write stores one, a snapshot is installed, or a transaction rolls back (which
    /// may bring rows back). While false, an apply skips the sweep's and `nextDeadline`'s index
    /// probes: a store without TTLs pays nothing per slot for them.
    var mayHoldDeadlines = true
    /// The first slot `kv_changes` records (`meta.changes_from`; never changes once open).
    public let changesFrom: Slot
    /// This database's incarnation (`meta.incarnation`): the identity its acceptor votes as.
    public let incarnation: Incarnation
    /// The cluster's UUID once genesis is recorded on this node (`recordGenesis`), else nil.
    public internal(set) var clusterUUID: String?
    /// The apply rule's parameters (`OperationExecutor`); equal on every replica.
    let rules: KVRules
    /// Values staged by the open transaction, published when it commits.
    var staged: (applied: Slot, chosen: Slot, promised: Ballot, snapshot: Slot)
    /// Writes `DurableMarks` after synced commits; see there.
    var marks: MarksRecorder
    /// The `synchronous` mode this store was opened with (and SQLite confirmed).
    let synchronous: Synchronous

    private init(path: String, clusterID: String, replicaID: ReplicaID, placement: GroupPlacement,
                 database: SQLiteDatabase, meta: StoredMeta, options: Options) throws(LogStoreError) {
        self.path = path
        self.rules = KVRules(sessionExpirySlots: options.sessionExpirySlots, maxRememberedReplyBytes: options.maxRememberedReplyBytes)
        self.clusterID = clusterID
        self.replicaID = replicaID
        self.placement = placement
        self.database = database
        synchronous = options.synchronous
        do { statements = try Statements(database) } catch { throw .sqlite(path: path, error) }
        appliedThrough = meta.appliedThrough
        chosenThrough = meta.chosenThrough
        promised = meta.promised
        snapshotSlot = meta.snapshotSlot
        logClock = meta.logClock
        stagedClock = meta.logClock
        incarnation = meta.incarnation
        changesFrom = meta.changesFrom
        clusterUUID = meta.clusterUUID
        staged = (meta.appliedThrough, meta.chosenThrough, meta.promised, meta.snapshotSlot)
        marks = MarksRecorder(path: DurableMarks.path(forDatabase: path), options: options)
    }

    /// Opens (creating if needed) the database of group `placement` of replica `replicaID` in
    /// cluster `clusterID`. A new database records the placement (a single group records
    /// nothing, as before groups existed). Refuses a file that is not PaxosKV's, has an unknown
    /// schema version, or belongs to another cluster or replica (`.notPaxosDatabase`,
    /// `.unsupportedSchema`, `.foreign`), and, as `.foreign`, one that holds another group or
    /// was written by a node running another number of groups: that count decides which group
    /// each key lives in.
    public static func open(path: String, clusterID: String, replicaID: ReplicaID,
                            placement: GroupPlacement = .single,
                            options: Options = Options()) throws(LogStoreError) -> SQLiteLogStore {
        guard !path.isEmpty else { throw .invalidArgument("the database path is empty") }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .invalidArgument("cannot create the data directory \(directory): \(error.localizedDescription)")
            }
        }
        try refuseTinyFile(path)
        // A snapshot staged before a restart is incomplete or already installed: either way
        // the transfer starts over.
        SnapshotStaging.removeFiles(at: SnapshotStaging.path(forDatabase: path))
        let database: SQLiteDatabase
        do { database = try SQLiteDatabase(path: path, mode: .readWriteCreate) } catch { throw .sqlite(path: path, error) }
        let setup = SchemaSetup(database: database, path: path)
        let meta: StoredMeta
        let created: Bool
        do {
            (meta, created) = try setup.openOrCreate(clusterID: clusterID, replicaID: replicaID, placement: placement,
                                                     synchronous: options.synchronous)
            try setup.quickCheck(maxBytes: options.integrityCheckMaxBytes)
        } catch {
            database.close()
            throw error
        }
        let store = try SQLiteLogStore(path: path, clusterID: clusterID, replicaID: replicaID, placement: placement,
                                       database: database, meta: meta, options: options)
        do { try store.refuseLostWrites(created: created) } catch {
            store.close(recordingMarks: false)
            // The database this open created holds nothing; left behind it would be taken for
            // this replica's database at the next start, and the refusal would not repeat.
            if created { SnapshotStaging.removeFiles(at: path) }
            throw error
        }
        return store
    }

    /// SQLite takes a one-byte file for an empty database and would write over it. No SQLite
    /// file is shorter than its smallest page (512 bytes) unless it is empty (new, or a WAL
    /// database never checkpointed), so anything in between is someone else's file.
    private static func refuseTinyFile(_ path: String) throws(LogStoreError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let size: Int
        do { size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 } catch {
            throw .invalidArgument("cannot read the attributes of \(path): \(error.localizedDescription)")
        }
        guard size == 0 || size >= 512 else {
            throw .notPaxosDatabase(path: path, reason: "it is \(size) bytes long, shorter than any SQLite database")
        }
    }

    /// Closes the database. Nothing may be called afterwards.
    public func close() {
        close(recordingMarks: true)
    }

    /// Closes the database; with `recordingMarks`, records the durable marks once SQLite has
    /// checkpointed the WAL into the main file (`DurableMarks`).
    func close(recordingMarks: Bool) {
        let current = recordingMarks ? currentMarksIfReadable() : nil
        statements.finalize()
        database.close()
        if let current { marks.recordAtClose(current, walPath: path + "-wal") }
    }

    /// Runs `body` in one transaction; every `persist` and `apply` inside shares its commit.
    /// The cached meta values move only once the commit succeeded.
    public func transaction<T>(_ body: () throws(LogStoreError) -> T) throws(LogStoreError) -> T {
        staged = (appliedThrough, chosenThrough, promised, snapshotSlot)
        stagedClock = logClock
        let result: T
        do {
            result = try database.transaction(body)
        } catch {
            mayHoldDeadlines = true
            throw error
        }
        (appliedThrough, chosenThrough, promised, snapshotSlot) = staged
        logClock = stagedClock
        if marks.isDue { try recordMarks() }
        return result
    }

    /// Runs `body` in the open transaction, or in a new one.
    func inTransaction<T>(_ body: () throws(LogStoreError) -> T) throws(LogStoreError) -> T {
        if database.isInTransaction { return try body() }
        return try transaction(body)
    }

    func sqlite<T>(_ body: () throws(SQLiteError) -> T) throws(LogStoreError) -> T {
        do { return try body() } catch { throw .sqlite(path: path, error) }
    }
}
