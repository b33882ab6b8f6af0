import Foundation
public import PaxosCore

/// What one compaction step did.
public struct CompactionStep: Hashable, Sendable {
    /// Log rows deleted by this step.
    public var deletedRows: Int
    /// The snapshot slot after this step (the requested slot, clamped to the applied slot).
    public var snapshotSlot: Slot
    /// True when no log row at or below `snapshotSlot` is left: further steps would do nothing.
    public var finished: Bool
}

/// Log compaction (of `log` and `kv_changes`) and giving disk space back.
///
/// Compaction is a series of small steps, each its own transaction, so the node's storage thread
/// can run its group commits between them: a step holds the write lock for the time it takes to
/// delete `maxRows` rows, never for the whole backlog. The steps commit without an fsync
/// (`transactionWithoutSync`): a power loss that takes one away leaves more log than needed,
/// never less, and the next synced commit covers it. Only applied slots are compacted: the kv
/// and sessions tables at the applied slot stand for them (they are the snapshot a peer that
/// needs those slots receives).
extension SQLiteLogStore {
    /// The default bound on rows deleted per transaction.
    public static let compactionRowsPerStep = 500

    /// Raises the snapshot slot to `through` (clamped to the applied slot; never lowered) and
    /// deletes at most `maxRows` log rows at or below it, lowest first, in one transaction.
    /// Call again until `finished`.
    ///
    /// - Precondition: not inside a `transaction {}` of the caller (a step is its own commit).
    public func compact(through requested: Slot, maxRows: Int = compactionRowsPerStep) throws(LogStoreError) -> CompactionStep {
        guard maxRows > 0 else { throw .invalidArgument("compaction needs a positive row bound, got \(maxRows)") }
        guard !database.isInTransaction else { throw .invalidArgument("compaction runs in its own transactions") }
        return try transactionWithoutSync { () throws(LogStoreError) -> CompactionStep in
            let through = max(staged.snapshot, min(requested, staged.applied))
            try sqlite { () throws(SQLiteError) in
                if through > staged.snapshot {
                    try statements.setSnapshotSlot.run { (statement) throws(SQLiteError) in
                        try statement.bind(1, through.rawValue)
                    }
                }
                try statements.deleteLogPrefix.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, through.rawValue)
                    try statement.bind(2, Int64(maxRows))
                }
            }
            let deleted = statements.deleteLogPrefix.changes
            // The watch's changes go with the log: a watch from at or below the snapshot slot is
            // answered "compacted" whether or not its rows are gone yet (`changes(from:…)`).
            try sqlite { () throws(SQLiteError) in
                try statements.deleteChangesPrefix.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, through.rawValue)
                    try statement.bind(2, Int64(maxRows))
                }
            }
            let deletedChanges = statements.deleteChangesPrefix.changes
            staged.snapshot = through
            return CompactionStep(deletedRows: deleted, snapshotSlot: through, finished: deleted < maxRows && deletedChanges < maxRows)
        }
    }

    /// Returns free pages beyond a reserve to the file system (`PRAGMA incremental_vacuum`),
    /// at most `maxPages` in this call, in one transaction.
    ///
    /// The reserve is a quarter of the file's pages: the log is written at its end and deleted
    /// from its start, so the pages the next compaction frees are reused by the writes after it.
    /// Releasing them all would only make SQLite grow the file again. With the reserve, the file
    /// stays within about 4/3 of its live pages.
    /// - Returns: the number of pages released (0 when the free list is within the reserve, or
    ///   the database was created without incremental auto-vacuum).
    @discardableResult
    public func reclaimFreePages(maxPages: Int = 1_024) throws(LogStoreError) -> Int {
        guard !database.isInTransaction else { throw .invalidArgument("space is reclaimed in its own transactions") }
        let (pages, free) = try spaceStatistics()
        let excess = min(maxPages, free - pages / 4)
        guard excess > 0 else { return 0 }
        try transactionWithoutSync { () throws(LogStoreError) in
            try sqlite { () throws(SQLiteError) in try database.execute("PRAGMA incremental_vacuum(\(excess))") }
        }
        return free - (try spaceStatistics()).free
    }

    /// The database's size in pages and how many of them are free.
    public func spaceStatistics() throws(LogStoreError) -> (pages: Int, free: Int) {
        try sqlite { () throws(SQLiteError) in
            (Int(try database.scalarInt("PRAGMA page_count") ?? 0), Int(try database.scalarInt("PRAGMA freelist_count") ?? 0))
        }
    }

    /// Bytes on disk: the database file, its WAL and its shared-memory index. A file that cannot
    /// be examined counts as 0: the figure is only reported, never acted on.
    public var diskBytes: Int64 {
        [path, path + "-wal", path + "-shm"].reduce(0) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
    }
}
