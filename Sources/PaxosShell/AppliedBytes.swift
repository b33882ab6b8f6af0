public import PaxosCore

/// How many key and value bytes the applied slots above the snapshot hold, so the log the core
/// keeps in memory can be compacted by size as well as by slot count: 10,000 retained slots of
/// 1 MiB values are 10 GiB of memory.
///
/// A running total, and the total after each applied slot that carried any payload; the bytes of
/// the slots in `(s, applied]` are the total minus the mark at or below `s`. Slots apply in
/// order, so marks are appended in slot order and dropped from the front when compacted.
///
/// - Invariant: `marks` slots strictly increase, their totals never decrease, and every mark's
///   total ≤ `total`.
public struct AppliedBytes: Sendable {
    /// The marks from `head` on are live; the dropped prefix is cut off now and then.
    private var marks: [(slot: Slot, total: Int64)] = []
    private var head = 0
    public private(set) var total: Int64 = 0
    /// The total as of the compaction point (the mark at or below it, dropped).
    private var compactedTotal: Int64 = 0

    public init() {}

    public mutating func applied(slot: Slot, bytes: Int) {
        guard bytes > 0 else { return }
        total += Int64(bytes)
        marks.append((slot, total))
    }

    /// Bytes applied above the last compaction point.
    public var retained: Int64 { total - compactedTotal }

    /// The lowest slot through which compacting leaves at most `budget` bytes above it.
    public func compactionPoint(keeping budget: Int64) -> Slot? {
        // The first mark whose total leaves at most the budget above it.
        guard retained > budget, let mark = marks[head...].first(where: { total - $0.total <= budget }) else { return nil }
        return mark.slot
    }

    /// Forgets the marks at or below `slot`: the log is compacted through it.
    public mutating func compacted(through slot: Slot) {
        while head < marks.count, marks[head].slot <= slot {
            compactedTotal = marks[head].total
            head += 1
        }
        if head > 1_024, head * 2 > marks.count {
            marks.removeFirst(head)
            head = 0
        }
    }
}
