public import PaxosCore

/// What the snapshot-transfer shells (`SnapshotSending`, `SnapshotReceiving`) ask their
/// interpreter to do, in order.
///
/// The chunk bytes never pass through the shells: an effect that moves a chunk
/// (`sendChunk`, `beginStaging`, `stageChunk`) names the chunk of the input that returned it
/// (the chunk just read, or just received), and the interpreter MUST carry it out with that
/// chunk. The decisions depend only on the numbers; keeping the data out keeps the shells cheap
/// to copy and to compare in tests.
public enum SnapshotEffect: Hashable, Sendable {
    // MARK: sending

    /// Open an export of the applied state (one read transaction) for `transfer`; answer with
    /// `SnapshotSending.exportOpened` or `exportFailed`.
    case openExport(to: ReplicaID, transfer: UInt64)
    /// Read chunk `index` of the export; answer with `SnapshotSending.chunkRead` or
    /// `chunkReadFailed`.
    case readChunk(to: ReplicaID, transfer: UInt64, index: UInt32)
    /// Send the chunk just read, stamped with `transfer` and `slot`, and flush the link.
    case sendChunk(to: ReplicaID, transfer: UInt64, slot: Slot, index: UInt32)
    /// Close the export's read transaction, so the WAL can be checkpointed past it again.
    case closeExport(transfer: UInt64)

    // MARK: receiving

    /// Start a new staging (discarding any earlier one) with the chunk just received, index 0;
    /// answer with `SnapshotReceiving.chunkStaged`.
    case beginStaging(from: ReplicaID, transfer: UInt64)
    /// Stage the chunk just received; answer with `SnapshotReceiving.chunkStaged`.
    case stageChunk(from: ReplicaID, transfer: UInt64, index: UInt32)
    /// Acknowledge a staged chunk to its sender and flush the link.
    case sendAck(to: ReplicaID, transfer: UInt64, index: UInt32)
    /// Step the core with `.snapshotReceived(slot:memberships:)` (the memberships the staging
    /// returned), then call `SnapshotReceiving.offerAnswered()`.
    case offerToCore(slot: Slot)
    /// Delete the staging file: a half-staged or unwanted snapshot is never installed.
    case discardStaging

    // MARK: both

    /// Tell the peer a transfer is over (`snapshotAbort`), and flush the link.
    case sendAbort(to: ReplicaID, transfer: UInt64, reason: String)
    /// The core refused the transfer's first chunk: count and log it as any refused message.
    case countRefusal(PeerMessageRefusal)
    /// Something for the log and the metrics; changes nothing.
    case report(SnapshotEvent)
}

/// What happened to a transfer, for the interpreter's logs and metrics. The shells' counters
/// (`sentCount`, `abandonedCount`, …) already include it.
public enum SnapshotEvent: Hashable, Sendable {
    /// The core asked for a snapshot to a peer we have no connection to: nothing was started.
    case notConnected(peer: ReplicaID)
    /// The export is open at `slot`; chunks start flowing.
    case sending(to: ReplicaID, transfer: UInt64, slot: Slot)
    case exportFailed(to: ReplicaID, error: String)
    case readFailed(to: ReplicaID, error: String)
    /// Every chunk was acknowledged.
    case sent(to: ReplicaID, transfer: UInt64, slot: Slot?, chunks: UInt32)
    /// The receiver sent `snapshotAbort` for our current transfer to it.
    case receiverEnded(peer: ReplicaID, reason: String)
    /// An outgoing transfer ended before the end.
    case sendAbandoned(to: ReplicaID, transfer: UInt64, reason: String)

    /// A first chunk this node will not take now (the core would have).
    case refused(from: ReplicaID, reason: String)
    /// A new first chunk from the same sender replaces the transfer not yet finished.
    case replaced(from: ReplicaID, previous: UInt64)
    case receiving(from: ReplicaID, transfer: UInt64, slot: Slot)
    /// The staging rejected a chunk (bad CRC, bad records, …) and discarded itself.
    case stagingFailed(from: ReplicaID, error: String)
    /// Every chunk is staged and the stream checks out.
    case received(from: ReplicaID, transfer: UInt64, slot: Slot, chunks: UInt32)
    /// The core no longer wanted the complete snapshot (it moved past the slot, or leads).
    case notNeeded(slot: Slot)
    /// An incoming transfer ended before the end.
    case receiveAbandoned(from: ReplicaID, transfer: UInt64, reason: String)
}
