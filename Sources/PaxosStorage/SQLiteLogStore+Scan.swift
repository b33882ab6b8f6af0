public import PaxosCore

/// SCAN, KEYS and DBSIZE over the applied `kv` table, in scan order (`kv_scan` index on
/// `scan_hash`, then the key), agreeing row for row with `ScanPage.cut` over the same rows.
///
/// Scans read keys only, not values, so they check no row checksum: a damaged key would be
/// listed as it is stored, and reading it fails as corruption (`paxos-inspect verify` finds it).
extension SQLiteLogStore {
    /// The page of at most `count` rows (then every row sharing the last one's hash) at or after
    /// `position`; rows whose deadline is at or before `liveAt` are visited, not returned.
    /// - Precondition: `count ≥ 1`, `position < ScanCursor.positionLimit`.
    public func scanPage(from position: UInt64, count: Int, liveAt: LeaderTime? = nil) throws(LogStoreError) -> ScanPage {
        precondition(count >= 1 && position < ScanCursor.positionLimit, "scan page of \(count) rows at \(position)")
        return try sqlite { () throws(SQLiteError) -> ScanPage in
            var keys: [Bytes] = []
            var last: (hash: UInt64, key: Bytes)?
            var visited = 0
            func visit(_ statement: SQLiteStatement) {
                let key = statement.blob(0)
                let hash = statement.uint64(1)
                let expired = !statement.isNull(2) && liveAt.map { statement.uint64(2) <= $0.rawValue } == true
                if !expired { keys.append(key) }
                last = (hash, key)
                visited += 1
            }
            let page = try database.prepare(
                "SELECT key, scan_hash, expire_at FROM kv WHERE scan_hash >= ? ORDER BY scan_hash, key LIMIT ?")
            try page.bind(1, Int64(position))
            try page.bind(2, Int64(count))
            while try page.step() { visit(page) }
            page.reset()
            guard let end = last else { return ScanPage(keys: [], lastHash: nil, isGroupDone: true) }
            guard visited == count else { return ScanPage(keys: keys, lastHash: end.hash, isGroupDone: true) }
            // The rest of the last hash's rows: the next page starts at the next hash.
            let ties = try database.prepare("SELECT key, scan_hash, expire_at FROM kv WHERE scan_hash = ? AND key > ? ORDER BY key")
            try ties.bind(1, Int64(end.hash))
            try ties.bind(2, end.key)
            while try ties.step() { visit(ties) }
            ties.reset()
            let more = try database.prepare("SELECT 1 FROM kv WHERE scan_hash > ? LIMIT 1")
            try more.bind(1, Int64(end.hash))
            let isGroupDone = try !more.step()
            more.reset()
            return ScanPage(keys: keys, lastHash: end.hash, isGroupDone: isGroupDone)
        }
    }

    /// DBSIZE: the rows of `kv`, less those whose deadline is at or before `liveAt`.
    public func keyCount(liveAt: LeaderTime? = nil) throws(LogStoreError) -> UInt64 {
        try sqlite { () throws(SQLiteError) -> UInt64 in
            let all = try database.scalarInt("SELECT count(*) FROM kv") ?? 0
            guard let liveAt, let bound = Int64(exactly: liveAt.rawValue) else { return UInt64(all) }
            let statement = try database.prepare("SELECT count(*) FROM kv WHERE expire_at IS NOT NULL AND expire_at <= ?")
            try statement.bind(1, bound)
            _ = try statement.step()
            let expired = statement.int64(0)
            statement.reset()
            return UInt64(all - expired)
        }
    }
}
