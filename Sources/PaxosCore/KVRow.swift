/// One key's applied state: its value, the revision of the write that set it and, once TTLs
/// exist, its deadline.
public struct KVRow: Hashable, Sendable {
    public var value: Bytes
    /// The mod revision: which write set this row (`Revision`).
    public var revision: Revision
    /// When the key expires; nil: never. Nothing sets a deadline yet.
    public var deadline: LeaderTime?

    public init(value: Bytes, revision: Revision, deadline: LeaderTime? = nil) {
        self.value = value
        self.revision = revision
        self.deadline = deadline
    }

    /// Whether the row exists for a command applied at `time`: a deadline at or before it has passed.
    public func isLive(at time: LeaderTime) -> Bool { deadline.map { time < $0 } ?? true }
}
