public import PaxosCore

/// The receiving half of snapshot transfer, as a value: whether a transfer's first chunk is
/// taken, which chunk comes next, when the snapshot is complete and handed to the core, and when
/// a transfer is abandoned. paxosd's `GroupNode` carries out the `SnapshotEffect`s (staging on
/// the worker, acknowledgements, the core step, the install job); time is plain milliseconds.
///
/// **Protocol.** Chunk 0 of a transfer starts staging; each chunk is checked and staged in
/// order (by the worker) and acknowledged once staged. When the last one is staged and the
/// stream checks out, the core is offered the snapshot (`.snapshotReceived`); if it answers
/// `.installSnapshot`, the install runs on the storage thread in order with the applies around
/// it, and consumes the staging file. One transfer is received at a time: a second sender is
/// refused with `snapshotAbort` and tries again later.
///
/// **Refusals.** A first chunk the core did not ask for is refused and counted as a refused
/// peer message (an honest peer never sends one, and taking it would replace the whole state
/// machine). One the core would take is still refused, quietly, while an install runs, while
/// this replica leads, when it has applied the snapshot's slot already, and while another peer's
/// transfer is being received. A later chunk must belong to the transfer being received and be
/// the next one of the same slot.
///
/// **Ending early.** A transfer not complete is abandoned (and its staging deleted, never
/// installed) after `timeoutMilliseconds` without a chunk (the sender is told), on a chunk out
/// of order (told), when the link to the sender goes down, and when the sender aborts it.
///
/// - Invariant: `installing != nil` only while `transfer` is complete and of that slot: a
///   complete transfer is never abandoned, and no first chunk is taken while an install runs.
public struct SnapshotReceiving: Sendable {
    /// This replica, for the reasons sent back to senders.
    public let me: ReplicaID
    /// A transfer that received no chunk for longer than this is abandoned.
    public let timeoutMilliseconds: UInt64
    /// The transfer being received, at most one.
    public private(set) var transfer: IncomingTransfer?
    /// The slot of a snapshot install queued on the storage thread and not yet done.
    public private(set) var installing: Slot?
    /// Transfers received whole and checked.
    public private(set) var receivedCount = 0
    /// Snapshots installed, and the slot of the last one.
    public private(set) var installedCount = 0
    public private(set) var lastInstalledSlot: Slot?
    /// Transfers that ended early, for any reason.
    public private(set) var abandonedCount = 0
    /// A deliberate bug for the simulator's self-tests (`ShellBug.snapshotOutOfOrder`); nil in
    /// production.
    public let plantedBug: ShellBug?

    public init(me: ReplicaID, timeoutMilliseconds: UInt64, plantedBug: ShellBug? = nil) {
        self.me = me
        self.timeoutMilliseconds = timeoutMilliseconds
        self.plantedBug = plantedBug
    }

    /// No transfer is being received: the timeout check has nothing to do.
    public var isIdle: Bool { transfer == nil }

    /// A chunk arrived from `peer`. The chunk's bytes stay with the caller, which stages them
    /// when told to (`beginStaging`, `stageChunk`).
    public mutating func chunkReceived(from peer: ReplicaID, transfer id: UInt64, slot: Slot, index: UInt32,
                                       view: SnapshotView, now: UInt64) -> [SnapshotEffect] {
        guard index > 0 else { return firstChunkReceived(from: peer, transfer: id, slot: slot, view: view, now: now) }
        guard var transfer, transfer.id == id, transfer.peer == peer, !transfer.complete else {
            return [.sendAbort(to: peer, transfer: id, reason: "no such transfer is being received")]
        }
        let inOrder = index == transfer.expected || plantedBug == .snapshotOutOfOrder
        guard inOrder, slot == transfer.slot else {
            return end(reason: "chunk \(index) of slot \(slot) arrived, chunk \(transfer.expected) of slot \(transfer.slot) was expected",
                       notifyPeer: true)
        }
        transfer.expected = index &+ 1
        transfer.progressAt = now
        self.transfer = transfer
        return [.stageChunk(from: peer, transfer: id, index: index)]
    }

    mutating func firstChunkReceived(from peer: ReplicaID, transfer id: UInt64, slot: Slot,
                                     view: SnapshotView, now: UInt64) -> [SnapshotEffect] {
        if let refusal = view.coreRefusal {
            return [
                .countRefusal(PeerMessageRefusal(peer: peer, kind: "snapshot_chunk", reason: refusal)),
                .sendAbort(to: peer, transfer: id,
                           reason: "replica \(me) did not ask replica \(peer) for a snapshot of slot \(slot) (\(refusal.rawValue))"),
            ]
        }
        if let reason = reasonToRefuse(from: peer, slot: slot, view: view) {
            return [.report(.refused(from: peer, reason: reason)), .sendAbort(to: peer, transfer: id, reason: reason)]
        }
        var effects: [SnapshotEffect] = []
        if let previous = transfer { effects.append(.report(.replaced(from: peer, previous: previous.id))) }
        effects.append(.report(.receiving(from: peer, transfer: id, slot: slot)))
        transfer = IncomingTransfer(id: id, peer: peer, slot: slot, expected: 1, progressAt: now)
        effects.append(.beginStaging(from: peer, transfer: id))
        return effects
    }

    /// Why a new transfer that the core would take cannot be received now, or nil if it can.
    func reasonToRefuse(from peer: ReplicaID, slot: Slot, view: SnapshotView) -> String? {
        if let installing { return "replica \(me) is installing the snapshot of slot \(installing)" }
        if view.isLeader { return "replica \(me) leads; a leader never installs a snapshot" }
        if slot <= view.appliedThrough {
            return "replica \(me) has applied slot \(view.appliedThrough), at or above the snapshot's \(slot)"
        }
        if let transfer, transfer.peer != peer {
            return "replica \(me) is receiving a snapshot from replica \(transfer.peer)"
        }
        return nil
    }

    /// The worker staged chunk `index` of `transfer` (or refused it).
    public mutating func chunkStaged(from peer: ReplicaID, transfer id: UInt64, index: UInt32, _ outcome: StagingOutcome,
                                     now: UInt64) -> [SnapshotEffect] {
        guard var transfer, transfer.id == id else { return [] }
        let complete: Bool
        switch outcome {
        case .failed(let error):
            // The staging is already discarded; the sender may start over.
            self.transfer = nil
            abandonedCount += 1
            return [.report(.stagingFailed(from: peer, error: error)), .sendAbort(to: peer, transfer: id, reason: error)]
        case .staged:
            complete = false
        case .complete:
            complete = true
        }
        transfer.progressAt = now
        transfer.complete = complete
        self.transfer = transfer
        var effects: [SnapshotEffect] = [.sendAck(to: peer, transfer: id, index: index)]
        guard complete else { return effects }
        receivedCount += 1
        effects.append(.report(.received(from: peer, transfer: id, slot: transfer.slot, chunks: transfer.expected)))
        effects.append(.offerToCore(slot: transfer.slot))
        return effects
    }

    /// The core has been offered the complete snapshot (`offerToCore`) and answered: if it did
    /// not ask to install it (`installRequested`), the staging is discarded.
    public mutating func offerAnswered() -> [SnapshotEffect] {
        guard installing == nil, let transfer, transfer.complete else { return [] }
        self.transfer = nil
        return [.report(.notNeeded(slot: transfer.slot)), .discardStaging]
    }

    /// The core asked to install the snapshot of `slot`. False when no complete staged snapshot
    /// of that slot waits, or an install already runs: the core asks only right after an offer,
    /// so that is a bug in the caller, and the caller MUST stop (the core has already moved).
    public mutating func installRequested(slot: Slot) -> Bool {
        guard let transfer, transfer.complete, transfer.slot == slot, installing == nil else { return false }
        installing = slot
        return true
    }

    /// The storage thread installed the snapshot of `slot`.
    public mutating func installed(slot: Slot) {
        installing = nil
        if transfer?.slot == slot { transfer = nil }
        installedCount += 1
        lastInstalledSlot = slot
    }

    /// The sender sent `snapshotAbort` for `transfer`.
    public mutating func abortReceived(from peer: ReplicaID, transfer id: UInt64, reason: String) -> [SnapshotEffect] {
        guard let transfer, transfer.id == id, transfer.peer == peer, !transfer.complete else { return [] }
        return end(reason: "the sender ended it: \(reason)", notifyPeer: false)
    }

    /// Abandons the transfer if no chunk arrived or was staged for longer than the timeout.
    public mutating func timeouts(now: UInt64) -> [SnapshotEffect] {
        guard let transfer, !transfer.complete, now > transfer.progressAt,
              now - transfer.progressAt > timeoutMilliseconds else { return [] }
        return end(reason: "no chunk for \(timeoutMilliseconds) ms", notifyPeer: true)
    }

    /// Our connection to `peer` went down: its chunks cannot arrive, nor can an abort reach it.
    public mutating func peerDisconnected(_ peer: ReplicaID) -> [SnapshotEffect] {
        guard let transfer, transfer.peer == peer, !transfer.complete else { return [] }
        return end(reason: "the connection to the sender went down", notifyPeer: false)
    }

    /// Abandons the transfer being received without telling the sender (a simulated failure).
    public mutating func abandonAll(reason: String) -> [SnapshotEffect] {
        end(reason: reason, notifyPeer: false)
    }

    /// Abandons the transfer being received, unless it is complete, and deletes what was staged.
    mutating func end(reason: String, notifyPeer: Bool) -> [SnapshotEffect] {
        guard let transfer, !transfer.complete else { return [] }
        self.transfer = nil
        abandonedCount += 1
        var effects: [SnapshotEffect] = [
            .discardStaging, .report(.receiveAbandoned(from: transfer.peer, transfer: transfer.id, reason: reason)),
        ]
        if notifyPeer { effects.append(.sendAbort(to: transfer.peer, transfer: transfer.id, reason: reason)) }
        return effects
    }
}

/// What the worker made of a chunk it was asked to stage.
public enum StagingOutcome: Hashable, Sendable {
    /// Staged; more chunks are due.
    case staged
    /// Staged, it was the last, and the whole stream checks out.
    case complete
    /// Refused (bad index, CRC or records); the staging discarded itself.
    case failed(String)
}

/// What receiving needs to know of the core at a chunk's arrival, read by the caller from its
/// `Replica`, so the shell holds no reference to it.
public struct SnapshotView: Hashable, Sendable {
    /// The core's verdict on a first chunk (`Replica.reasonToRefuseSnapshot(from:slot:)`): nil
    /// when it asked this peer for a snapshot of that slot. Read only for chunk 0.
    public var coreRefusal: RefusalReason?
    /// The replica leads (`Replica.role == .leader`); a leader never installs a snapshot.
    public var isLeader: Bool
    public var appliedThrough: Slot

    public init(coreRefusal: RefusalReason?, isLeader: Bool, appliedThrough: Slot) {
        self.coreRefusal = coreRefusal
        self.isLeader = isLeader
        self.appliedThrough = appliedThrough
    }
}

/// A snapshot this node is receiving from a peer into its staging file.
///
/// - Invariant: `expected >= 1` (chunk 0 started it).
public struct IncomingTransfer: Hashable, Sendable {
    public let id: UInt64
    public let peer: ReplicaID
    public let slot: Slot
    /// The next chunk index expected from the peer.
    public internal(set) var expected: UInt32
    /// Every chunk is staged and the stream checked: ready for the core.
    public internal(set) var complete = false
    /// When the last chunk arrived or was staged, in milliseconds.
    public internal(set) var progressAt: UInt64
}
