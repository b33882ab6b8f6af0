import NIOCore
import PaxosCore

/// A snapshot this node is streaming to a peer.
///
/// Flow control: at most `window` chunks are sent and not yet acknowledged, and one chunk is
/// read ahead at a time, so a slow receiver holds up its own transfer only, and the memory a
/// transfer takes is bounded by `window` chunks.
/// - Invariant: `acked < sent`, or `acked == sent - 1` once everything sent is acknowledged
///   (with `acked == -1` before the first acknowledgement).
struct OutgoingTransfer {
    let id: UInt64
    let peer: ReplicaID
    /// The applied slot the snapshot stands at, once the export's read transaction is open.
    var slot: Slot?
    /// Chunks sent so far (the index of the next one).
    var sent: UInt32 = 0
    /// The highest chunk index the receiver acknowledged, -1 before the first.
    var acked: Int64 = -1
    /// A chunk is being read on the worker.
    var reading = false
    /// The last chunk has been sent.
    var lastSent = false
    /// When the transfer last moved (opened, a chunk read or acknowledged).
    var progressAt: NIODeadline

    /// Another chunk may be read and sent.
    func canSend(window: Int) -> Bool {
        slot != nil && !reading && !lastSent && Int64(sent) - acked - 1 < Int64(window)
    }

    /// Every chunk, the last included, has been acknowledged.
    var isDone: Bool { lastSent && acked == Int64(sent) - 1 }
}

/// A snapshot this node is receiving from a peer into its staging file.
struct IncomingTransfer {
    let id: UInt64
    let peer: ReplicaID
    let slot: Slot
    /// The next chunk index expected from the peer.
    var expected: UInt32 = 0
    /// Every chunk is staged and the stream checked: ready for the core.
    var complete = false
    /// When the last chunk arrived or was staged.
    var progressAt: NIODeadline
}

/// What this node has done with snapshots and compaction, for INFO and the log.
struct SnapshotCounters {
    var sent = 0
    var received = 0
    var installed = 0
    var aborted = 0
    var compactions = 0
    var lastInstalledSlot: Slot?
    /// Bytes of the database, WAL and shared-memory files after the last compaction.
    var databaseBytes: Int64 = 0
}
