/// Unix milliseconds as a leader's wall clock read them.
///
/// Only ever compared with other `LeaderTime`s. Key deadlines (`KVRow.deadline`) are in this
/// unit; nothing sets one yet (TTLs come with timed batches, docs/design/coordination-api.md §3),
/// but the stores already carry the column so the row format does not change again.
/// - Invariant: `rawValue <= UInt64(Int64.max)` wherever it is stored (SQLite integers are signed).
public struct LeaderTime: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: LeaderTime, rhs: LeaderTime) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "@\(rawValue)" }
}
