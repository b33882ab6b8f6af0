/// The replicated state as `OperationExecutor` sees it, inside one apply: rows by key and
/// sessions by client.
///
/// `KVStateMachine` implements it over dictionaries (`Failure == Never`), `SQLiteLogStore` over
/// its `kv` and `sessions` tables inside the apply transaction. A store only reads and writes
/// what it is told; it MUST NOT decide anything (which request executes, what a write does,
/// which revision it gets): that is the executor's, so every store decides alike.
///
/// Expiry is the one rule a store applies itself, because every read of a row needs it: a row
/// whose deadline is at or before `clock` is absent (`KVRow.isLive(at:)`), for `row` and for
/// `remove`'s answer, while it still sits in the table until a sweep removes it.
public protocol KVRowStore {
    associatedtype Failure: Error
    /// The key's row, checked against its checksum where the store keeps one; nil if absent
    /// or expired at `clock`.
    func row(_ key: Bytes) throws(Failure) -> KVRow?
    /// Stores `row` as the key's row, replacing any (a blind upsert: the hot path reads nothing).
    mutating func write(_ key: Bytes, _ row: KVRow) throws(Failure)
    /// Deletes the key's row. - Returns: whether there was one live at `clock`. Operations
    /// that need the old row read it first with `row(_:)`, which checks it.
    mutating func remove(_ key: Bytes) throws(Failure) -> Bool
    /// The client's stored session, live or not (`ClientSession.decide` judges that).
    func session(_ client: ClientID) throws(Failure) -> ClientSession?
    mutating func write(_ session: ClientSession, for client: ClientID) throws(Failure)
    /// Deletes every session last written below `slot`.
    mutating func pruneSessions(before slot: Slot) throws(Failure)
    /// The state machine's clock: the largest `Command.time` applied so far (0 before any).
    var clock: LeaderTime { get }
    /// Raises the clock (`meta.log_clock`). - Precondition: `time > clock`.
    mutating func advanceClock(to time: LeaderTime) throws(Failure)
    /// Sets the clock back: only the planted bug `StateMachineBug.clockNotMonotonic` asks, and
    /// only the simulator's in-memory store obliges (every other store traps).
    mutating func _plantedRewindClock(to time: LeaderTime) throws(Failure)
    /// Up to `limit` keys whose deadline is at or before `time`, in (deadline, key) order with
    /// keys compared as bytes (SQLite's BLOB order), so every store sweeps the same rows.
    func expiredKeys(through time: LeaderTime, limit: Int) throws(Failure) -> [Bytes]
    /// SCAN: the page of at most `count` rows (then every row sharing the last one's hash) at or
    /// after `position` in scan order (`ScanPage`); rows expired at `clock` are visited, not listed.
    func scanPage(from position: UInt64, count: Int) throws(Failure) -> ScanPage
    /// DBSIZE: the rows live at `clock`.
    func keyCount() throws(Failure) -> UInt64
}

extension KVRowStore {
    public mutating func _plantedRewindClock(to time: LeaderTime) throws(Failure) {
        preconditionFailure("store: only the simulator's in-memory store plants a clock that goes back (to \(time.rawValue))")
    }
}
