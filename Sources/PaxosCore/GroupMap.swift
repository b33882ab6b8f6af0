/// How keys are spread over independent consensus groups, and which replica should lead each.
///
/// A node hosts `count` groups, each a complete Multi-Paxos instance with its own ballot, leader,
/// log and database. A key belongs to exactly one group, chosen by a stable hash, so every node
/// (and every restart of it) sends a key to the same group. The hash is CRC-32C of the key's
/// bytes (already shared by the wire and the disk format, fast, fixed by a public standard, so
/// the placement can never drift with a library upgrade), multiplied by 2^64/φ, keeping the high
/// 32 bits of the product. The multiplication matters: CRC is linear, so keys that differ only
/// in a few bits ("a" … "h") land on few distinct values of the CRC's low bits, and `crc mod 4`
/// put those eight keys in two groups; the product's high bits depend on every bit of the CRC.
/// Each group's database records this mapping by name, `crc32c-fibonacci` (PaxosStorage's
/// `GroupPlacement.hashName`), and the count; a node refuses to start with another count,
/// because changing it would move keys to groups that never saw their history.
///
/// - Invariant: `count >= 1`.
public struct GroupMap: Hashable, Sendable {
    /// Groups per node.
    public let count: UInt32

    /// The most groups a node hosts: each costs a storage thread and a database.
    public static let maxGroups: UInt32 = 64

    /// - Precondition: `1 <= count <= maxGroups`.
    public init(count: UInt32) {
        precondition(count >= 1 && count <= GroupMap.maxGroups, "group count \(count) outside 1...\(GroupMap.maxGroups)")
        self.count = count
    }

    /// The group `key` belongs to: `((CRC-32C(key) × 0x9E3779B97F4A7C15) >> 32) mod count`.
    public func group(of key: Bytes) -> GroupID {
        guard count > 1 else { return 0 }
        return GroupID(GroupMap.mix(CRC32C.checksum(key)) % count)
    }

    /// Fibonacci hashing of a 32-bit CRC: the high half of its product with 2^64/φ.
    static func mix(_ crc: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: (UInt64(crc) &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    /// The replica that should lead `group`, so leaders (and the write load with them) spread
    /// over the nodes: the group's index modulo the cluster size, over members in id order.
    /// One group has no preference, so whoever wins an election leads.
    public func preferredLeader(of group: GroupID, members: [ReplicaID]) -> ReplicaID? {
        guard count > 1, !members.isEmpty else { return nil }
        let sorted = members.sorted()
        return sorted[group.index % sorted.count]
    }
}
