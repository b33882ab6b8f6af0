public import PaxosCore

/// The resumable watch's reads of `kv_changes` (`CHANGES`, docs/design/watch-resp3-introspection.md §2).
///
/// Revisions are the same on every node (slot·2¹⁶ + the position of the request that made the
/// change), so a watcher may ask any node, and move between nodes, with the `next` revision of
/// its last answer: it neither misses nor repeats a change. A node answers only what it has
/// applied; one that is behind answers nothing new yet.
extension SQLiteLogStore {
    /// The most `kv_changes` rows one read visits, so one call is bounded whatever its prefix.
    public static let changesRowsPerRead = 4_096

    /// The changes `query` asks for, from this node's applied slots (inside a transaction, as the
    /// applies before it in that transaction leave them).
    public func changes(_ query: ChangesQuery) throws(LogStoreError) -> ChangesAnswer {
        let inTransaction = database.isInTransaction
        let applied = inTransaction ? staged.applied : appliedThrough
        let snapshot = inTransaction ? staged.snapshot : snapshotSlot
        let end = ChangesAnswer.firstRevision(of: applied.next)
        guard let from = query.from else { return .page(changes: [], next: end) }
        // The first slot whose changes this node still has: above the snapshot, and not
        // before it began recording them (a database migrated from schema 5).
        let first = max(snapshot.next, changesFrom, Slot(1))
        if first > Slot(1), from < ChangesAnswer.firstRevision(of: first) {
            return .compacted(resumeFrom: ChangesAnswer.firstRevision(of: first))
        }
        guard from < end else { return .page(changes: [], next: from) }
        let fromSlot = Slot(from >> 16)
        // Without a prefix every row after the first holds at least one wanted change, so
        // maxChanges + 1 rows are enough; with one, any row may hold none.
        let limit = query.prefix == nil ? min(Self.changesRowsPerRead, query.maxChanges + 1) : Self.changesRowsPerRead
        // The rows first (the statement is reset before anything is decoded), then the checks.
        let rows = try sqlite { () throws(SQLiteError) -> [StoredChangesRow] in
            let statement = statements.selectChanges
            statement.reset()
            defer { statement.reset() }
            try statement.bind(1, fromSlot.rawValue)
            try statement.bind(2, applied.rawValue)
            try statement.bind(3, Int64(limit))
            var rows: [StoredChangesRow] = []
            while try statement.step() { rows.append(StoredChangesRow(statement)) }
            return rows
        }
        var changes: [KVChange] = []
        var lastSlot: Slot?
        for row in rows {
            let decoded: [KVChange]
            switch row.verified() {
            case .success(let changes): decoded = changes
            case .failure(let problem): throw .corrupt(path: path, slot: row.slot, reason: problem.description)
            }
            changes += decoded.filter { $0.revision.rawValue >= from && query.matches($0.event.key) }
            lastSlot = row.slot
            if changes.count >= query.maxChanges { break }
        }
        // Stopped early (enough changes, or the row bound): resume after the last slot read.
        if let lastSlot, changes.count >= query.maxChanges || rows.count == limit {
            return .page(changes: changes, next: ChangesAnswer.firstRevision(of: lastSlot.next))
        }
        return .page(changes: changes, next: end)
    }
}
