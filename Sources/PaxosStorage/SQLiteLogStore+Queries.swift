public import PaxosCore

extension SQLiteLogStore {
    /// The answer to a read of some keys from the applied state, every row verified, by the
    /// rule the in-memory state machine uses too (`ReadQuery.answer(from:)`).
    public func answer(_ query: ReadQuery) throws(LogStoreError) -> ReadAnswer {
        try query.answer(from: SQLiteKVRows(store: self))
    }
}
