import CoreMetrics
import Foundation
import Logging
import NIOCore
import PaxosCore
import PaxosShell
import PaxosStorage

/// Compaction: the shell side of the retention policy, whose decisions `CompactionSchedule`
/// makes. A compaction tells the core `.compact(through:)` (it forgets those entries and, from
/// then on, answers a peer that needs them with a snapshot) and asks the storage thread to
/// delete the rows and give the space back, in small background transactions between its group
/// commits.
extension GroupNode {
    func maybeCompact(now: UInt64) {
        let (due, through) = compaction.tick(now: now, applied: replica.appliedThrough, snapshot: replica.snapshotThrough)
        guard due else { return }
        metrics.databaseBytes.record(databaseBytes)
        metrics.snapshotSlot.record(Int64(replica.snapshotThrough.rawValue))
        if let through { compact(through: through) }
    }

    /// The size half of the policy, checked after every applied batch.
    func maybeCompactBySize() {
        if let through = compaction.bySize(applied: replica.appliedThrough, snapshot: replica.snapshotThrough) {
            compact(through: through)
        }
    }

    private func compact(through: Slot) {
        handle(.compact(through: through))
        storage.requestCompaction(through: through)
        compaction.compacted(through: replica.snapshotThrough)
        logger.debug("compacting", metadata: ["paxos.slot": "\(through)", "paxos.applied": "\(replica.appliedThrough)"])
    }

    /// The storage thread finished a background compaction.
    func onCompacted(_ report: CompactionReport) {
        compactionsDone += 1
        metrics.compactions.increment()
        metrics.databaseBytes.record(report.diskBytes)
        logger.info("log compacted", metadata: [
            "paxos.snapshot": "\(report.snapshotSlot)", "compaction.rows": "\(report.deletedRows)",
            "compaction.transactions": "\(report.transactions)", "compaction.pages_released": "\(report.pagesReleased)",
            "storage.bytes": "\(report.diskBytes)",
        ])
    }

    /// The database, its WAL and shared-memory index, and a staged snapshot if any: what this
    /// node takes on disk. Three or four `stat` calls, cheap enough for INFO and the check above.
    var databaseBytes: Int64 {
        let path = databasePath
        return [path, path + "-wal", path + "-shm", worker.stagingPath].reduce(0) { total, file in
            // A file that is missing or cannot be examined counts as 0: the figure is reported only.
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
    }
}
