/// The replicated state as `OperationExecutor` sees it, inside one apply: rows by key and
/// sessions by client.
///
/// `KVStateMachine` implements it over dictionaries (`Failure == Never`), `SQLiteLogStore` over
/// its `kv` and `sessions` tables inside the apply transaction. A store only reads and writes
/// what it is told; it MUST NOT decide anything (which request executes, what a write does,
/// which revision it gets): that is the executor's, so every store decides alike.
public protocol KVRowStore {
    associatedtype Failure: Error
    /// The key's row, checked against its checksum where the store keeps one; nil if absent.
    func row(_ key: Bytes) throws(Failure) -> KVRow?
    /// Stores `row` as the key's row, replacing any (a blind upsert: the hot path reads nothing).
    mutating func write(_ key: Bytes, _ row: KVRow) throws(Failure)
    /// Deletes the key's row. - Returns: whether there was one. Operations that need the old
    /// row read it first with `row(_:)`, which checks it.
    mutating func remove(_ key: Bytes) throws(Failure) -> Bool
    /// The client's stored session, live or not (`ClientSession.decide` judges that).
    func session(_ client: ClientID) throws(Failure) -> ClientSession?
    mutating func write(_ session: ClientSession, for client: ClientID) throws(Failure)
    /// Deletes every session last written below `slot`.
    mutating func pruneSessions(before slot: Slot) throws(Failure)
}
