import CoreMetrics
import Foundation
import Logging
import NIOCore
import PaxosCore
import PaxosStorage

/// The retention policy: keep the last `retainSlots` applied slots in the log, and at most
/// `retainBytes` of their keys and values, compact the rest.
///
/// Every `compactionIntervalMilliseconds` the node checks how far its applied slot is past its
/// snapshot slot. Past `retainSlots + compactionBatchSlots` it tells the core
/// `.compact(through: applied − retainSlots)` (the core forgets those entries and, from then on,
/// answers a peer that needs them with a snapshot) and asks the storage thread to delete the rows
/// and give the space back, in small background transactions between its group commits.
///
/// The policy counts slots, not peers: a peer less than `retainSlots` behind catches up by
/// commands, one further behind (down for a long time, or a new node) by a snapshot. Holding the
/// log for a lagging peer instead would let one dead node grow every other node's disk without
/// bound, which is what this issue is about.
extension GroupNode {
    func maybeCompact(now: NIODeadline) {
        guard now >= nextCompactionCheck else { return }
        nextCompactionCheck = now + .milliseconds(settings.compactionIntervalMilliseconds)
        metrics.databaseBytes.record(databaseBytes)
        metrics.snapshotSlot.record(Int64(replica.snapshotThrough.rawValue))
        let applied = replica.appliedThrough.rawValue
        let snapshot = replica.snapshotThrough.rawValue
        guard applied > snapshot, applied - snapshot > settings.retainSlots + settings.compactionBatchSlots else { return }
        compact(through: Slot(applied - settings.retainSlots))
    }

    /// The size half of the policy, checked after every applied batch: large values fill memory
    /// long before `retainSlots` is reached (the core holds the log above the snapshot).
    func maybeCompactBySize() {
        // Installs and slot-count compactions moved the snapshot point too.
        appliedBytes.compacted(through: replica.snapshotThrough)
        guard appliedBytes.retained > settings.retainBytes + settings.retainBytes / 4,
              let through = appliedBytes.compactionPoint(keeping: settings.retainBytes),
              through > replica.snapshotThrough, through <= replica.appliedThrough else { return }
        compact(through: through)
    }

    private func compact(through: Slot) {
        handle(.compact(through: through))
        storage.requestCompaction(through: through)
        appliedBytes.compacted(through: replica.snapshotThrough)
        logger.debug("compacting", metadata: ["paxos.slot": "\(through)", "paxos.applied": "\(replica.appliedThrough)"])
    }

    /// The storage thread finished a background compaction.
    func onCompacted(_ report: CompactionReport) {
        snapshotCounters.compactions += 1
        snapshotCounters.databaseBytes = report.diskBytes
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
