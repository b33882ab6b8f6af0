import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosStorage
import PaxosWire

/// Receiving a snapshot: staging its chunks, handing it to the core, installing it. See
/// `Node+Snapshots.swift` for the whole protocol.
extension GroupNode {
    func onSnapshotChunk(from peer: ReplicaID, _ chunk: SnapshotChunk) {
        if chunk.index == 0 {
            if let refusal = replica.reasonToRefuseSnapshot(from: peer, slot: chunk.slot) {
                // Not asked for (or out of range): an honest peer never sends it, and taking it
                // would replace the whole state machine.
                countRefusal(PeerMessageRefusal(peer: peer, kind: "snapshot_chunk", reason: refusal))
                send(.snapshotAbort(group: group, transfer: chunk.transfer, reason: "replica \(settings.id) did not ask replica \(peer) for a snapshot of slot \(chunk.slot) (\(refusal.rawValue))"), to: peer)
                return flushLinks()
            }
            if let reason = reasonToRefuseSnapshot(from: peer, chunk) {
                logger.debug("refusing a snapshot", metadata: ["peer.id": "\(peer)", "reason": "\(reason)"])
                send(.snapshotAbort(group: group, transfer: chunk.transfer, reason: reason), to: peer)
                return flushLinks()
            }
            if let previous = incoming {
                logger.info("a new snapshot transfer replaces an unfinished one", metadata: [
                    "peer.id": "\(peer)", "snapshot.transfer": "\(previous.id)",
                ])
            }
            logger.info("receiving a snapshot", metadata: [
                "peer.id": "\(peer)", "snapshot.transfer": "\(chunk.transfer)", "paxos.slot": "\(chunk.slot)",
            ])
            incoming = IncomingTransfer(id: chunk.transfer, peer: peer, slot: chunk.slot, expected: 1, progressAt: .now())
            worker.beginStaging(chunk) { [self] result in loop.execute { [self] in onChunkStaged(from: peer, chunk, result) } }
            return
        }
        guard var transfer = incoming, transfer.id == chunk.transfer, transfer.peer == peer, !transfer.complete else {
            send(.snapshotAbort(group: group, transfer: chunk.transfer, reason: "no such transfer is being received"), to: peer)
            return flushLinks()
        }
        guard chunk.index == transfer.expected, chunk.slot == transfer.slot else {
            return endIncoming(reason: "chunk \(chunk.index) of slot \(chunk.slot) arrived, chunk \(transfer.expected) of slot \(transfer.slot) was expected",
                               notifyPeer: true)
        }
        transfer.expected += 1
        transfer.progressAt = .now()
        incoming = transfer
        worker.stage(chunk) { [self] result in loop.execute { [self] in onChunkStaged(from: peer, chunk, result) } }
    }

    /// Why a new transfer that the core would take cannot be received now, or nil if it can.
    private func reasonToRefuseSnapshot(from peer: ReplicaID, _ chunk: SnapshotChunk) -> String? {
        if let slot = installingSnapshot { return "replica \(settings.id) is installing the snapshot of slot \(slot)" }
        if replica.role == .leader { return "replica \(settings.id) leads; a leader never installs a snapshot" }
        if chunk.slot <= replica.appliedThrough {
            return "replica \(settings.id) has applied slot \(replica.appliedThrough), at or above the snapshot's \(chunk.slot)"
        }
        if let transfer = incoming, transfer.peer != peer {
            return "replica \(settings.id) is receiving a snapshot from replica \(transfer.peer)"
        }
        return nil
    }

    private func onChunkStaged(from peer: ReplicaID, _ chunk: SnapshotChunk,
                               _ result: Result<StagedMemberships?, SnapshotStagingError>) {
        guard var transfer = incoming, transfer.id == chunk.transfer else { return }
        let staged: StagedMemberships?
        switch result {
        case .success(let done):
            staged = done
        case .failure(let error):
            // The staging is already discarded; the sender may start over.
            incoming = nil
            snapshotCounters.aborted += 1
            metrics.snapshotTransfersAborted.increment()
            logger.warning("snapshot chunk refused", metadata: ["peer.id": "\(peer)", "error": "\(error)"])
            send(.snapshotAbort(group: group, transfer: chunk.transfer, reason: "\(error)"), to: peer)
            return flushLinks()
        }
        send(.snapshotAck(group: group, transfer: chunk.transfer, index: chunk.index), to: peer)
        flushLinks()
        transfer.progressAt = .now()
        guard let staged else {
            incoming = transfer
            return
        }
        transfer.complete = true
        incoming = transfer
        snapshotCounters.received += 1
        metrics.snapshotsReceived.increment()
        logger.info("snapshot received", metadata: [
            "peer.id": "\(peer)", "snapshot.transfer": "\(transfer.id)", "paxos.slot": "\(transfer.slot)",
            "snapshot.chunks": "\(transfer.expected)",
        ])
        // The memberships chosen through the snapshot's slot: the core's schedule must be rebuilt
        // from exactly those, as a restart would rebuild it from the installed tables.
        handle(.snapshotReceived(slot: transfer.slot, memberships: staged.memberships))
        if installingSnapshot == nil {
            // The core did not want it (it moved past the slot meanwhile, or now leads).
            logger.info("snapshot not needed any more; discarded", metadata: ["paxos.slot": "\(transfer.slot)"])
            incoming = nil
            worker.discardStaging()
        }
    }

    /// The storage job for the core's `.installSnapshot(slot:)`.
    ///
    /// The core asks only right after `.snapshotReceived(slot:)`, which this node feeds only for a
    /// complete staged snapshot of that slot; anything else is a bug in this shell, and since the
    /// core has already moved its applied slot, the node cannot go on (fail-stop, as for storage).
    func installJob(slot: Slot) -> StorageJob {
        guard let transfer = incoming, transfer.complete, transfer.slot == slot, installingSnapshot == nil else {
            logger.critical("the core asked to install a snapshot that is not staged", metadata: ["paxos.slot": "\(slot)"])
            fatalError("paxosd \(settings.id): installSnapshot(slot: \(slot)) without a complete staged snapshot of that slot")
        }
        installingSnapshot = slot
        return .installSnapshot(slot: slot, stagingPath: worker.stagingPath)
    }

    /// The storage thread installed the snapshot of `slot`.
    func onSnapshotInstalled(slot: Slot) {
        installingSnapshot = nil
        if incoming?.slot == slot { incoming = nil }
        snapshotCounters.installed += 1
        snapshotCounters.lastInstalledSlot = slot
        metrics.snapshotsInstalled.increment()
        metrics.applied.record(Int64(slot.rawValue))
        logger.notice("installed a snapshot", metadata: ["paxos.slot": "\(slot)"])
    }

    func onSnapshotAbort(from peer: ReplicaID, transfer id: UInt64, reason: String) {
        if outgoing[peer]?.id == id {
            logger.info("the receiver ended a snapshot transfer", metadata: ["peer.id": "\(peer)", "reason": "\(reason)"])
            endOutgoing(peer, reason: "the receiver refused: \(reason)", notifyPeer: false)
        }
        if let transfer = incoming, transfer.id == id, transfer.peer == peer, !transfer.complete {
            endIncoming(reason: "the sender ended it: \(reason)", notifyPeer: false)
        }
    }

    /// Abandons the transfer being received and deletes what was staged.
    func endIncoming(reason: String, notifyPeer: Bool) {
        guard let transfer = incoming, !transfer.complete else { return }
        incoming = nil
        worker.discardStaging()
        snapshotCounters.aborted += 1
        metrics.snapshotTransfersAborted.increment()
        logger.warning("snapshot reception abandoned", metadata: [
            "peer.id": "\(transfer.peer)", "snapshot.transfer": "\(transfer.id)", "reason": "\(reason)",
        ])
        if notifyPeer {
            send(.snapshotAbort(group: group, transfer: transfer.id, reason: reason), to: transfer.peer)
            flushLinks()
        }
    }
}
