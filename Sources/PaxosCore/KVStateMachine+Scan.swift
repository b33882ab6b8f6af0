/// SCAN and DBSIZE over the in-memory state (the simulator's, and the reference the SQLite
/// store is tested against): sorts the rows in scan order on every call, which suits tables of
/// the simulator's size.
///
/// Keys order as SQLite orders BLOBs (memcmp, then the shorter first), which is
/// `lexicographicallyPrecedes` on bytes.
extension MemoryKVRows {
    func scanPage(from position: UInt64, count: Int) -> ScanPage {
        let ordered = rows.map { key, row in (hash: ScanHash.of(key), key: key, isLive: row.isLive(at: clock)) }
            .sorted { $0.hash != $1.hash ? $0.hash < $1.hash : $0.key.lexicographicallyPrecedes($1.key) }
        return ScanPage.cut(ordered, from: position, count: count)
    }

    func keyCount() -> UInt64 { UInt64(rows.values.count { $0.isLive(at: clock) }) }
}

extension KVStateMachine {
    /// See `KVRowStore.scanPage`: rows expired at the state machine's clock are not listed.
    public func scanPage(from position: UInt64, count: Int) -> ScanPage { store.scanPage(from: position, count: count) }

    /// See `KVRowStore.keyCount`.
    public func keyCount() -> UInt64 { store.keyCount() }
}
