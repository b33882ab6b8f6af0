/// Where a SCAN stands, as the unsigned decimal integer Redis clients carry between calls
/// (redis-py parses it with `int`, redis-cli with `strtoull`, so it must fit 64 bits).
///
/// Rows are visited group by group, and within a group in the order of `ScanHash` of their
/// keys (then by key, ties kept whole in one page), so the cursor is the group in the top 8 bits
/// and the next hash to visit in the low 56. Cursor 0 starts a scan and a reply of 0 ends it.
/// A key present from the first call to the last keeps its hash and positions only grow, so it
/// is returned exactly once; the cursor is stateless, so any node and any leader can continue it.
public struct ScanCursor: Hashable, Sendable {
    public var group: GroupID
    /// The smallest `ScanHash` not yet visited in `group`.
    public var position: UInt64

    public static let positionBits = 56
    public static let positionLimit: UInt64 = 1 << 56

    public static let start = ScanCursor(group: 0, position: 0)

    /// - Precondition: `position < positionLimit`, `group < 256`.
    public init(group: GroupID, position: UInt64) {
        precondition(position < Self.positionLimit && group.rawValue < 256, "cursor out of range")
        self.group = group
        self.position = position
    }

    /// A cursor a client sent: nil when it names a group the node does not have (a cursor of
    /// another cluster, or made up); the caller answers Redis's `ERR invalid cursor`.
    public init?(rawValue: UInt64, groups: UInt32) {
        let group = rawValue >> UInt64(Self.positionBits)
        guard group < UInt64(groups) else { return nil }
        self.init(group: GroupID(UInt32(group)), position: rawValue & (Self.positionLimit - 1))
    }

    public var rawValue: UInt64 { UInt64(group.rawValue) << UInt64(Self.positionBits) | position }

    /// The cursor after a page that ended at hash `last` in this group, or after the group's
    /// last page; nil when the whole keyspace has been visited (the client gets 0).
    public func advanced(pastHash last: UInt64?, groups: UInt32) -> ScanCursor? {
        if let last, last + 1 < Self.positionLimit { return ScanCursor(group: group, position: last + 1) }
        let next = group.rawValue + 1
        return next < groups ? ScanCursor(group: GroupID(next), position: 0) : nil
    }
}

/// The scan order of a key: FNV-1a-64 of its bytes, top 56 bits. Fixed forever: it is stored
/// with every row (`kv.scan_hash`), and cursors in clients' hands refer to it.
public enum ScanHash {
    public static func of(_ key: Bytes) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash >> 8
    }
}
