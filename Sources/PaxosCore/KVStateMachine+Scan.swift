/// SCAN and DBSIZE over the in-memory state (the simulator's, and the reference the SQLite
/// store is tested against): sorts the rows in scan order on every call, which suits tables of
/// the simulator's size.
///
/// Keys order as SQLite orders BLOBs (memcmp, then the shorter first), which is
/// `lexicographicallyPrecedes` on bytes.
extension KVStateMachine {
    /// See `SQLiteLogStore.scanPage`.
    public func scanPage(from position: UInt64, count: Int, liveAt: LeaderTime? = nil) -> ScanPage {
        let ordered = rows.map { key, row in
            (hash: ScanHash.of(key), key: key, isLive: liveAt.map { time in row.deadline.map { time < $0 } ?? true } ?? true)
        }.sorted { $0.hash != $1.hash ? $0.hash < $1.hash : $0.key.lexicographicallyPrecedes($1.key) }
        return ScanPage.cut(ordered, from: position, count: count)
    }

    /// See `SQLiteLogStore.keyCount`.
    public func keyCount(liveAt: LeaderTime? = nil) -> UInt64 {
        UInt64(rows.values.filter { row in liveAt.map { time in row.deadline.map { time < $0 } ?? true } ?? true }.count)
    }
}
