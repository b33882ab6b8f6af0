import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosStorage
import PaxosWire

/// Snapshot transfer: the shell side of the core's `.sendSnapshot` and `.installSnapshot`.
///
/// **Sending.** `.sendSnapshot(to:)` opens an export (one read transaction on the worker, so the
/// snapshot is the applied state at one slot) and streams it to the peer in chunks over our link
/// to it, at most `snapshotWindowChunks` unacknowledged. A request while a transfer to that peer
/// runs is ignored (the core asks again every couple of seconds while the peer keeps asking).
///
/// **Receiving.** Chunk 0 of a transfer starts staging (into the staging file, on the worker);
/// each chunk is checked and staged in order and acknowledged once staged. When the last one is
/// staged and the stream checks out, the core hears `.snapshotReceived(slot:)`; if it answers
/// `.installSnapshot`, the install runs on the storage thread in order with the applies around
/// it, and the staging file is consumed. One transfer is received at a time: a second sender is
/// refused with `snapshotAbort` and tries again later.
///
/// **Ending early.** Either side abandons a transfer that makes no progress for
/// `snapshotTimeoutMilliseconds`, when the link to the peer goes down, or on a bad chunk, and
/// tells the other side with `snapshotAbort`; a half-staged snapshot is deleted, never installed.
extension GroupNode {
    // MARK: sending

    func onSendSnapshot(to peer: ReplicaID) {
        guard outgoing[peer] == nil else { return }
        guard node.isConnected(to: peer) else {
            logger.debug("not sending a snapshot: no connection", metadata: ["peer.id": "\(peer)"])
            return
        }
        let id = UInt64.random(in: 1...UInt64.max)
        outgoing[peer] = OutgoingTransfer(id: id, peer: peer, progressAt: .now())
        worker.openExport(transfer: id) { [self] result in
            loop.execute { [self] in onExportOpened(peer: peer, transfer: id, result) }
        }
    }

    private func onExportOpened(peer: ReplicaID, transfer id: UInt64, _ result: Result<SnapshotHeader, LogStoreError>) {
        guard var transfer = outgoing[peer], transfer.id == id else {
            worker.closeExport(transfer: id)
            return
        }
        switch result {
        case .success(let header):
            transfer.slot = header.slot
            transfer.progressAt = .now()
            outgoing[peer] = transfer
            logger.info("sending a snapshot", metadata: [
                "peer.id": "\(peer)", "snapshot.transfer": "\(id)", "paxos.slot": "\(header.slot)",
                "snapshot.keys": "\(header.keyCount)", "snapshot.sessions": "\(header.sessionCount)",
            ])
            pumpSnapshot(to: peer)
        case .failure(let error):
            logger.error("cannot export a snapshot", metadata: ["peer.id": "\(peer)", "error": "\(error)"])
            endOutgoing(peer, reason: "the sender could not read its state", notifyPeer: false)
        }
    }

    /// Reads and sends the next chunk if the window allows.
    private func pumpSnapshot(to peer: ReplicaID) {
        guard var transfer = outgoing[peer], transfer.canSend(window: settings.snapshotWindowChunks) else { return }
        transfer.reading = true
        outgoing[peer] = transfer
        let id = transfer.id
        worker.readChunk(transfer: id) { [self] result in
            loop.execute { [self] in onChunkRead(peer: peer, transfer: id, result) }
        }
    }

    private func onChunkRead(peer: ReplicaID, transfer id: UInt64, _ result: Result<ExportedChunk?, LogStoreError>) {
        guard var transfer = outgoing[peer], transfer.id == id, let slot = transfer.slot else { return }
        guard case .success(let read) = result, let chunk = read else {
            logger.error("cannot read the next snapshot chunk", metadata: ["peer.id": "\(peer)", "error": "\(result)"])
            return endOutgoing(peer, reason: "the sender could not read its state", notifyPeer: true)
        }
        guard node.isConnected(to: peer) else {
            return endOutgoing(peer, reason: "the connection to the receiver is down", notifyPeer: false)
        }
        send(.snapshotChunk(group: group, SnapshotChunk(transfer: id, slot: slot, index: chunk.index, data: chunk.data,
                                                     last: chunk.last, crc: chunk.crc)), to: peer)
        flushLinks()
        transfer.sent += 1
        transfer.reading = false
        transfer.lastSent = chunk.last
        transfer.progressAt = .now()
        outgoing[peer] = transfer
        pumpSnapshot(to: peer)
    }

    func onSnapshotAck(from peer: ReplicaID, transfer id: UInt64, index: UInt32) {
        guard var transfer = outgoing[peer], transfer.id == id else { return }
        guard Int64(index) < Int64(transfer.sent) else {
            return endOutgoing(peer, reason: "acknowledgement of chunk \(index), which was not sent", notifyPeer: true)
        }
        transfer.acked = max(transfer.acked, Int64(index))
        transfer.progressAt = .now()
        guard transfer.isDone else {
            outgoing[peer] = transfer
            return pumpSnapshot(to: peer)
        }
        outgoing[peer] = nil
        worker.closeExport(transfer: id)
        snapshotCounters.sent += 1
        metrics.snapshotsSent.increment()
        logger.info("snapshot sent", metadata: [
            "peer.id": "\(peer)", "snapshot.transfer": "\(id)", "paxos.slot": "\(transfer.slot.map { "\($0)" } ?? "?")",
            "snapshot.chunks": "\(transfer.sent)",
        ])
    }

    /// Abandons the transfer to `peer`, if any.
    func endOutgoing(_ peer: ReplicaID, reason: String, notifyPeer: Bool) {
        guard let transfer = outgoing.removeValue(forKey: peer) else { return }
        worker.closeExport(transfer: transfer.id)
        snapshotCounters.aborted += 1
        metrics.snapshotTransfersAborted.increment()
        logger.warning("snapshot transfer abandoned", metadata: [
            "peer.id": "\(peer)", "snapshot.transfer": "\(transfer.id)", "reason": "\(reason)",
        ])
        if notifyPeer {
            send(.snapshotAbort(group: group, transfer: transfer.id, reason: reason), to: peer)
            flushLinks()
        }
    }

    // MARK: housekeeping

    /// Ends transfers that have not moved for the timeout. Runs on every tick; cheap when idle.
    func checkSnapshotTimeouts() {
        guard !outgoing.isEmpty || incoming != nil else { return }
        let limit = NIODeadline.now() - .milliseconds(settings.snapshotTimeoutMilliseconds)
        for (peer, transfer) in outgoing where transfer.progressAt < limit {
            endOutgoing(peer, reason: "no progress for \(settings.snapshotTimeoutMilliseconds) ms", notifyPeer: true)
        }
        if let transfer = incoming, !transfer.complete, transfer.progressAt < limit {
            endIncoming(reason: "no chunk for \(settings.snapshotTimeoutMilliseconds) ms", notifyPeer: true)
        }
    }

    /// Our connection to `peer` went down: its acknowledgements or our chunks cannot get through.
    func onPeerDisconnected(_ peer: ReplicaID) {
        endOutgoing(peer, reason: "the connection to the receiver went down", notifyPeer: false)
        if let transfer = incoming, transfer.peer == peer, !transfer.complete {
            endIncoming(reason: "the connection to the sender went down", notifyPeer: false)
        }
    }

    /// Abandons every transfer (a simulated failure: everything in memory is gone).
    func abandonSnapshotTransfers(reason: String) {
        for peer in outgoing.keys.sorted() { endOutgoing(peer, reason: reason, notifyPeer: false) }
        if let transfer = incoming, !transfer.complete { endIncoming(reason: reason, notifyPeer: false) }
    }
}
