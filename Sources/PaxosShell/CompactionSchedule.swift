public import PaxosCore

/// When to compact the log: the retention policy as a value, driven by plain-number time and
/// the replica's applied and snapshot slots, so it is tested without a node.
///
/// Two rules. **By count**, checked every `intervalMilliseconds`: once the applied slot is more
/// than `retainSlots + batchSlots` past the snapshot, compact through `applied − retainSlots`
/// (in batches, so each compaction deletes a worthwhile number of rows). **By size**, checked
/// after every applied batch: once the applied slots above the snapshot carry more than 1.25 ×
/// `retainBytes` of keys and values, compact through the lowest slot that leaves at most
/// `retainBytes` above it, because large values fill the memory the core's log takes long
/// before `retainSlots` is reached.
///
/// The policy counts slots and bytes, not peers: a peer less than `retainSlots` behind catches
/// up by commands, one further behind by a snapshot. Holding the log for a lagging peer instead
/// would let one dead node grow every other node's disk without bound.
public struct CompactionSchedule: Sendable {
    public let retainSlots: UInt64
    public let batchSlots: UInt64
    public let retainBytes: Int64
    public let intervalMilliseconds: UInt64
    var nextCheck: UInt64
    /// Payload of the applied slots above the compaction point.
    public private(set) var appliedBytes = AppliedBytes()

    public init(retainSlots: UInt64, batchSlots: UInt64, retainBytes: Int64, intervalMilliseconds: UInt64, now: UInt64) {
        self.retainSlots = retainSlots
        self.batchSlots = batchSlots
        self.retainBytes = retainBytes
        self.intervalMilliseconds = intervalMilliseconds
        self.nextCheck = now
    }

    /// The periodic check. `due` is false between checks; `through` is where to compact, if anywhere.
    public mutating func tick(now: UInt64, applied: Slot, snapshot: Slot) -> (due: Bool, through: Slot?) {
        guard now >= nextCheck else { return (false, nil) }
        nextCheck = now + intervalMilliseconds
        guard applied > snapshot, applied.rawValue - snapshot.rawValue > retainSlots + batchSlots else { return (true, nil) }
        return (true, Slot(applied.rawValue - retainSlots))
    }

    /// A batch of `bytes` of keys and values applied in `slot`.
    public mutating func applied(slot: Slot, bytes: Int) {
        appliedBytes.applied(slot: slot, bytes: bytes)
    }

    /// The size rule, after an applied batch: where to compact, if anywhere.
    public mutating func bySize(applied: Slot, snapshot: Slot) -> Slot? {
        // Installs and count compactions moved the snapshot point too.
        appliedBytes.compacted(through: snapshot)
        guard appliedBytes.retained > retainBytes + retainBytes / 4,
              let through = appliedBytes.compactionPoint(keeping: retainBytes),
              through > snapshot, through <= applied else { return nil }
        return through
    }

    /// The log is compacted through `snapshot`.
    public mutating func compacted(through snapshot: Slot) {
        appliedBytes.compacted(through: snapshot)
    }
}
