/// One page of a SCAN in one group: the keys at or after a position in scan order
/// (`ScanHash`, then key), and where the next page starts.
///
/// A page holds `count` rows, and then every further row with the same hash as its last one:
/// the next page starts at the next hash, so rows that share a hash must never be split. Rows
/// past their deadline are visited (they move the position) but not returned; so are rows that
/// a MATCH filters out, afterwards, as Redis does. A page may therefore be empty and the scan
/// not done.
public struct ScanPage: Hashable, Sendable {
    /// The live keys visited, in scan order.
    public var keys: [Bytes]
    /// The hash of the last row visited; nil when no row is at or after the position.
    public var lastHash: UInt64?
    /// Whether no row of the group follows the last one visited.
    public var isGroupDone: Bool

    public init(keys: [Bytes], lastHash: UInt64?, isGroupDone: Bool) {
        self.keys = keys
        self.lastHash = lastHash
        self.isGroupDone = isGroupDone
    }

    /// The cursor for the page after this one, in `cursor`'s group; nil at the end of the keyspace.
    public func next(after cursor: ScanCursor, groups: UInt32) -> ScanCursor? {
        cursor.advanced(pastHash: isGroupDone ? nil : lastHash, groups: groups)
    }

    /// The page starting at `position` of rows already in scan order (the in-memory store's
    /// way; SQLite's is `SQLiteLogStore.scanPage`, which must agree with it).
    /// - Precondition: `rows` is sorted by (hash, key), `count ≥ 1`.
    public static func cut(_ rows: [(hash: UInt64, key: Bytes, isLive: Bool)], from position: UInt64, count: Int) -> ScanPage {
        precondition(count >= 1, "a page of no rows")
        var index = rows.partitioningIndex { $0.hash >= position }
        var keys: [Bytes] = []
        var visited = 0
        var lastHash: UInt64?
        while index < rows.count, visited < count || rows[index].hash == lastHash {
            let row = rows[index]
            if row.isLive { keys.append(row.key) }
            lastHash = row.hash
            visited += 1
            index += 1
        }
        return ScanPage(keys: keys, lastHash: lastHash, isGroupDone: index == rows.count)
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, which must be false for a prefix and
    /// true for the rest (a binary search).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
