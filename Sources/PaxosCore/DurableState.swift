/// What a replica finds on disk when it starts: the state it may build itself from.
///
/// The core MUST NOT be given state that was never reported durable, or the durability
/// contract of `Action` means nothing.
public struct DurableState: Hashable, Sendable {
    /// The acceptor's promise, covering every slot.
    public var promised: Ballot
    /// Accepted and chosen entries, in any order.
    public var entries: [LogEntry]
    /// The last slot applied to the state machine (which the shell restores itself).
    public var appliedThrough: Slot
    /// The log is compacted through this slot: rows at or below it are gone and the state
    /// machine (a snapshot) stands for them. Entries at or below it are ignored.
    /// - Invariant: `snapshotThrough <= appliedThrough`.
    public var snapshotThrough: Slot

    public init(promised: Ballot = .zero, entries: [LogEntry] = [], appliedThrough: Slot = .zero, snapshotThrough: Slot = .zero) {
        self.promised = promised
        self.entries = entries
        self.appliedThrough = appliedThrough
        self.snapshotThrough = snapshotThrough
    }

    /// A replica that has never run.
    public static let empty = DurableState()
}
