public import PaxosCore

extension SQLiteLogStore {
    /// The answer to a read of some keys from the applied state, every row verified, by the
    /// rule the in-memory state machine uses too (`ReadQuery.answer(from:)`).
    public func answer(_ query: ReadQuery) throws(LogStoreError) -> ReadAnswer {
        try query.answer(from: SQLiteKVRows(store: self))
    }

    /// `query` as of the leader's `readTime` (`ReadQuery.read(from:at:)`): `.expiryDue` when a
    /// key read is past its deadline by that time but not yet by the log's clock.
    public func read(_ query: ReadQuery, at readTime: LeaderTime?) throws(LogStoreError) -> ReadResult {
        try query.read(from: SQLiteKVRows(store: self), at: readTime)
    }
}
