// Method: drive the retention policy (`CompactionSchedule`) with plain times and slots, as
// GroupNode does on each tick and after each applied batch, and check when it compacts and how far.
import PaxosCore
import PaxosShell
import Testing

@Suite("server: when the log is compacted")
struct CompactionScheduleTests {
    static func schedule() -> CompactionSchedule {
        CompactionSchedule(retainSlots: 1_000, batchSlots: 100, retainBytes: 1_000, intervalMilliseconds: 3_000, now: 10)
    }

    @Test("by count: checked once per interval, compacting to retainSlots below applied once a batch is worth it",
          arguments: [
              // (applied, snapshot, expected compaction point)
              (1_100, 0, nil), (1_101, 0, 101), (5_000, 3_900, nil), (5_000, 3_000, 4_000), (10, 20, nil),
          ] as [(UInt64, UInt64, UInt64?)])
    func byCount(_ applied: UInt64, _ snapshot: UInt64, _ expected: UInt64?) {
        var schedule = Self.schedule()
        let first = schedule.tick(now: 10, applied: Slot(applied), snapshot: Slot(snapshot))
        #expect(first.due)
        #expect(first.through == expected.map { Slot($0) })
        let early = schedule.tick(now: 3_009, applied: Slot(applied), snapshot: Slot(snapshot))
        #expect(!early.due && early.through == nil, "not due again before the interval")
        #expect(schedule.tick(now: 3_010, applied: Slot(applied), snapshot: Slot(snapshot)).due)
    }

    @Test("by size: large values compact early, to the slot that leaves at most retainBytes above it")
    func bySize() {
        var schedule = Self.schedule()
        for slot in 1...12 as ClosedRange<UInt64> { schedule.applied(slot: Slot(slot), bytes: 100) }
        #expect(schedule.bySize(applied: Slot(12), snapshot: .zero) == nil, "1,200 bytes ≤ 1.25 × 1,000")
        schedule.applied(slot: Slot(13), bytes: 100)
        // 1,300 bytes > 1,250: compact through slot 3, leaving slots 4…13 = 1,000 bytes.
        #expect(schedule.bySize(applied: Slot(13), snapshot: .zero) == Slot(3))
        schedule.compacted(through: Slot(3))
        #expect(schedule.appliedBytes.retained == 1_000)
        #expect(schedule.bySize(applied: Slot(13), snapshot: Slot(3)) == nil)
        // A snapshot installed past everything: nothing above it, nothing to do.
        #expect(schedule.bySize(applied: Slot(20), snapshot: Slot(20)) == nil)
        #expect(schedule.appliedBytes.retained == 0)
    }
}
