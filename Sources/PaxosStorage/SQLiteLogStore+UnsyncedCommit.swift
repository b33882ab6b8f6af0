import CSQLite

/// Commits that do not wait for an fsync, for batches of learner work only.
///
/// Applying a chosen command (and marking slots chosen) needs no fsync: the command is already
/// durable on a majority of acceptors, so if a power loss takes the commit away the node simply
/// applies the slot again after its restart, with the same result (exactly-once sessions move
/// in the same transaction). Under `synchronous=FULL` paxosd therefore commits a batch that
/// holds no `PersistRecord.requiresSync` record with `synchronous=NORMAL`: the WAL frames are
/// written but not fsynced. The next synced commit fsyncs the WAL and so covers them, and WAL
/// recovery only ever loses a suffix of commits, never one in the middle. A process crash
/// (kill -9) loses nothing either way; only a power loss can undo an unsynced commit.
extension SQLiteLogStore {
    /// Runs `body` in one transaction like `transaction(_:)`, committed without an fsync when
    /// the store runs `synchronous=FULL` (under `NORMAL` nothing is fsynced at commit anyway).
    public func transactionWithoutSync<T>(_ body: () throws(LogStoreError) -> T) throws(LogStoreError) -> T {
        // The mode the store was opened with (`SchemaSetup.configure` checked SQLite took it).
        guard synchronous == .full else { return try transaction(body) }
        try sqlite { () throws(SQLiteError) in try database.executeFixed("PRAGMA synchronous=NORMAL") }
        let result: Result<T, LogStoreError>
        // Not durable when it returns: no durable marks may be taken after it (`DurableMarks`).
        marks.commitsAreSynced = false
        do { result = .success(try transaction(body)) } catch { result = .failure(error) }
        marks.commitsAreSynced = true
        // Back to FULL before anything else commits; if that fails the store must not go on
        // committing acceptor state without fsyncs, so the error wins over the body's result.
        try sqlite { () throws(SQLiteError) in try database.executeFixed("PRAGMA synchronous=FULL") }
        return try result.get()
    }
}
