// Method: feed AppliedBytes the payload of applied slots, as GroupNode does after each applied
// batch, and check the size half of the compaction policy: how much the log holds above the
// compaction point, and the slot through which compacting leaves at most the budget.
import PaxosCore
import PaxosShell
import Testing

@Suite("server: log retention by size")
struct AppliedBytesTests {
    @Test("applied bytes: the compaction point leaves at most the budget above it, and compaction forgets what it passed")
    func compactionPoint() {
        var ledger = AppliedBytes()
        // Slots 1…10 carry 1, 2, …, 10 bytes; slot 11 carries nothing (a no-op).
        for slot in 1...10 { ledger.applied(slot: Slot(UInt64(slot)), bytes: slot) }
        ledger.applied(slot: Slot(11), bytes: 0)
        #expect(ledger.retained == 55)
        #expect(ledger.compactionPoint(keeping: 55) == nil, "within the budget: nothing to compact")
        // Slots 8…10 hold 27 bytes ≤ 30; slots 7…10 would hold 34.
        #expect(ledger.compactionPoint(keeping: 30) == Slot(7))
        #expect(ledger.compactionPoint(keeping: 10) == Slot(9))
        #expect(ledger.compactionPoint(keeping: 0) == Slot(10))
        ledger.compacted(through: Slot(7))
        #expect(ledger.retained == 27)
        #expect(ledger.compactionPoint(keeping: 30) == nil)
        // Compacting through a slot between marks keeps the marks above it.
        ledger.applied(slot: Slot(12), bytes: 100)
        ledger.compacted(through: Slot(11))
        #expect(ledger.retained == 100)
        #expect(ledger.compactionPoint(keeping: 99) == Slot(12))
    }

    @Test("applied bytes: a long run of large values stays bounded by repeated compactions")
    func longRun() {
        var ledger = AppliedBytes()
        let budget: Int64 = 16 << 20
        var most: Int64 = 0
        for slot in 1...20_000 as ClosedRange<UInt64> {
            ledger.applied(slot: Slot(slot), bytes: 1 << 20)
            if ledger.retained > budget + budget / 4, let through = ledger.compactionPoint(keeping: budget) {
                ledger.compacted(through: through)
            }
            most = max(most, ledger.retained)
        }
        #expect(most <= budget + budget / 4 + (1 << 20))
        #expect(ledger.total == 20_000 << 20)
    }
}
