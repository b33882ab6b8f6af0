import PaxosCore
import PaxosStorage

/// A background compaction in progress on the storage thread: compaction steps until no row at
/// or below the target is left, then space-reclaiming steps until the free list is within its
/// reserve.
struct CompactionRun {
    var target: Slot?
    var report = CompactionReport(snapshotSlot: .zero, deletedRows: 0, transactions: 0, pagesReleased: 0, diskBytes: 0)
    var deleting = true

    mutating func start(through slot: Slot) {
        target = slot
        report = CompactionReport(snapshotSlot: .zero, deletedRows: 0, transactions: 0, pagesReleased: 0, diskBytes: 0)
        deleting = true
    }

    /// Runs one step; returns the report once the run is finished.
    mutating func step(_ store: SQLiteLogStore) throws(LogStoreError) -> CompactionReport? {
        guard let target else { return nil }
        report.transactions += 1
        if deleting {
            let step = try store.compact(through: target)
            report.deletedRows += step.deletedRows
            report.snapshotSlot = step.snapshotSlot
            deleting = !step.finished
            return nil
        }
        let released = try store.reclaimFreePages()
        report.pagesReleased += released
        guard released == 0 else { return nil }
        self.target = nil
        report.diskBytes = store.diskBytes
        return report
    }
}
