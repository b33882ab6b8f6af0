import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosShell
import PaxosStorage
import PaxosWire

/// Receiving a snapshot: the interpreter of `SnapshotReceiving` (staging chunks on the worker,
/// acknowledging them, offering the complete snapshot to the core, installing it). See
/// `GroupNode+Snapshots.swift` and `SnapshotReceiving` for the protocol.
extension GroupNode {
    func onSnapshotChunk(from peer: ReplicaID, _ chunk: SnapshotChunk) {
        // The core's verdict matters only for a transfer's first chunk; later ones belong to a
        // transfer it already allowed.
        let view = SnapshotView(coreRefusal: chunk.index == 0 ? replica.reasonToRefuseSnapshot(from: peer, slot: chunk.slot) : nil,
                                isLeader: replica.role == .leader, appliedThrough: replica.appliedThrough)
        perform(snapshotReceiving.chunkReceived(from: peer, transfer: chunk.transfer, slot: chunk.slot, index: chunk.index,
                                                view: view, now: Self.nowMilliseconds),
                context: .received(chunk))
    }

    private func onChunkStaged(from peer: ReplicaID, _ chunk: SnapshotChunk,
                               _ result: Result<StagedMemberships?, SnapshotStagingError>) {
        let outcome: StagingOutcome
        var context = SnapshotContext.none
        switch result {
        case .success(nil):
            outcome = .staged
        case .success(let staged?):
            outcome = .complete
            context = .staged(staged)
        case .failure(let error):
            outcome = .failed("\(error)")
        }
        perform(snapshotReceiving.chunkStaged(from: peer, transfer: chunk.transfer, index: chunk.index, outcome,
                                              now: Self.nowMilliseconds),
                context: context)
    }

    /// The storage job for the core's `.installSnapshot(slot:)`.
    ///
    /// The core asks only right after `.snapshotReceived(slot:)`, which this node feeds only for a
    /// complete staged snapshot of that slot; anything else is a bug in this shell, and since the
    /// core has already moved its applied slot, the node cannot go on (fail-stop, as for storage).
    func installJob(slot: Slot) -> StorageJob {
        guard snapshotReceiving.installRequested(slot: slot) else {
            logger.critical("the core asked to install a snapshot that is not staged", metadata: ["paxos.slot": "\(slot)"])
            fatalError("paxosd \(settings.id): installSnapshot(slot: \(slot)) without a complete staged snapshot of that slot")
        }
        return .installSnapshot(slot: slot, stagingPath: worker.stagingPath)
    }

    /// The storage thread installed the snapshot of `slot`.
    func onSnapshotInstalled(slot: Slot) {
        snapshotReceiving.installed(slot: slot)
        metrics.snapshotsInstalled.increment()
        metrics.applied.record(Int64(slot.rawValue))
        logger.notice("installed a snapshot", metadata: ["paxos.slot": "\(slot)"])
    }

    /// The receiving effects of `perform(_:context:)`.
    func performReceiving(_ effect: SnapshotEffect, context: SnapshotContext) {
        switch effect {
        case .beginStaging(let peer, let id), .stageChunk(let peer, let id, _):
            guard case .received(let chunk) = context, chunk.transfer == id else {
                preconditionFailure("staging for transfer \(id) without its chunk in hand")
            }
            let done: @Sendable (Result<StagedMemberships?, SnapshotStagingError>) -> Void = { [self] result in
                loop.execute { [self] in onChunkStaged(from: peer, chunk, result) }
            }
            if case .beginStaging = effect { worker.beginStaging(chunk, done: done) } else { worker.stage(chunk, done: done) }
        case .sendAck(let peer, let id, let index):
            send(.snapshotAck(group: group, transfer: id, index: index), to: peer)
            flushLinks()
        case .offerToCore(let slot):
            guard case .staged(let staged) = context else {
                preconditionFailure("offering the snapshot of slot \(slot) without its staged memberships")
            }
            // The memberships chosen through the snapshot's slot: the core's schedule must be
            // rebuilt from exactly those, as a restart would rebuild it from the installed tables.
            handle(.snapshotReceived(slot: slot, memberships: staged.memberships))
            perform(snapshotReceiving.offerAnswered())
        case .discardStaging:
            worker.discardStaging()
        default:
            preconditionFailure("\(effect) is not a receiving effect")
        }
    }

    /// Logs and counts what `SnapshotReceiving` reports.
    func reportReceiving(_ event: SnapshotEvent) {
        switch event {
        case .refused(let peer, let reason):
            logger.debug("refusing a snapshot", metadata: ["peer.id": "\(peer)", "reason": "\(reason)"])
        case .replaced(let peer, let previous):
            logger.info("a new snapshot transfer replaces an unfinished one", metadata: [
                "peer.id": "\(peer)", "snapshot.transfer": "\(previous)",
            ])
        case .receiving(let peer, let id, let slot):
            logger.info("receiving a snapshot", metadata: [
                "peer.id": "\(peer)", "snapshot.transfer": "\(id)", "paxos.slot": "\(slot)",
            ])
        case .stagingFailed(let peer, let error):
            metrics.snapshotTransfersAborted.increment()
            logSnapshotFailure(.warning, "snapshot chunk refused", ["peer.id": "\(peer)", "error": "\(error)"])
        case .received(let peer, let id, let slot, let chunks):
            metrics.snapshotsReceived.increment()
            logger.info("snapshot received", metadata: [
                "peer.id": "\(peer)", "snapshot.transfer": "\(id)", "paxos.slot": "\(slot)", "snapshot.chunks": "\(chunks)",
            ])
        case .notNeeded(let slot):
            logger.info("snapshot not needed any more; discarded", metadata: ["paxos.slot": "\(slot)"])
        case .receiveAbandoned(let peer, let id, let reason):
            metrics.snapshotTransfersAborted.increment()
            logSnapshotFailure(.warning, "snapshot reception abandoned", [
                "peer.id": "\(peer)", "snapshot.transfer": "\(id)", "reason": "\(reason)",
            ])
        default:
            preconditionFailure("\(event) is not a receiving event")
        }
    }
}
