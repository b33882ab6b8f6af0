import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosShell
import PaxosStorage
import PaxosWire

/// Snapshot transfer: the interpreter of the shell side of the core's `.sendSnapshot` and
/// `.installSnapshot`. Every decision (which transfers run, the window, timeouts, refusals,
/// when a snapshot is complete) is made by `SnapshotSending` and `SnapshotReceiving` in
/// PaxosShell, where the protocol is described; this file reads the clock and the links, hands
/// them their inputs, and carries out the `SnapshotEffect`s: worker jobs, peer frames, the core
/// step of a complete snapshot, logs and metrics.
extension GroupNode {
    // MARK: sending

    func onSendSnapshot(to peer: ReplicaID) {
        perform(snapshotSending.start(to: peer, id: UInt64.random(in: 1...UInt64.max),
                                      connected: node.isConnected(to: peer), now: Self.nowMilliseconds))
    }

    private func onExportOpened(peer: ReplicaID, transfer id: UInt64, _ result: Result<SnapshotHeader, LogStoreError>) {
        switch result {
        case .success(let header):
            perform(snapshotSending.exportOpened(to: peer, transfer: id, slot: header.slot, now: Self.nowMilliseconds),
                    context: .exported(header))
        case .failure(let error):
            perform(snapshotSending.exportFailed(to: peer, transfer: id, error: "\(error)"))
        }
    }

    private func onChunkRead(peer: ReplicaID, transfer id: UInt64, _ result: Result<ExportedChunk?, LogStoreError>) {
        guard case .success(let read) = result, let chunk = read else {
            return perform(snapshotSending.chunkReadFailed(to: peer, transfer: id, error: "\(result)"))
        }
        perform(snapshotSending.chunkRead(to: peer, transfer: id, index: chunk.index, last: chunk.last,
                                          connected: node.isConnected(to: peer), now: Self.nowMilliseconds),
                context: .read(chunk))
    }

    func onSnapshotAck(from peer: ReplicaID, transfer id: UInt64, index: UInt32) {
        perform(snapshotSending.ackReceived(from: peer, transfer: id, index: index, now: Self.nowMilliseconds))
    }

    func onSnapshotAbort(from peer: ReplicaID, transfer id: UInt64, reason: String) {
        perform(snapshotSending.abortReceived(from: peer, transfer: id, reason: reason))
        perform(snapshotReceiving.abortReceived(from: peer, transfer: id, reason: reason))
    }

    // MARK: housekeeping

    /// Ends transfers that have not moved for the timeout. Runs on every tick; cheap when idle.
    func checkSnapshotTimeouts() {
        guard !snapshotSending.isIdle || !snapshotReceiving.isIdle else { return }
        let now = Self.nowMilliseconds
        perform(snapshotSending.timeouts(now: now))
        perform(snapshotReceiving.timeouts(now: now))
    }

    /// Our connection to `peer` went down: its acknowledgements or our chunks cannot get through.
    func onPeerDisconnected(_ peer: ReplicaID) {
        perform(snapshotSending.peerDisconnected(peer))
        perform(snapshotReceiving.peerDisconnected(peer))
    }

    /// Abandons every transfer (a simulated failure: everything in memory is gone).
    func abandonSnapshotTransfers(reason: String) {
        perform(snapshotSending.abandonAll(reason: reason))
        perform(snapshotReceiving.abandonAll(reason: reason))
    }

    // MARK: effects

    /// What the input that returned the effects had in hand: the chunk an effect moves, or
    /// details for the log that the shells do not need.
    enum SnapshotContext {
        case none
        case exported(SnapshotHeader)
        case read(ExportedChunk)
        case received(SnapshotChunk)
        case staged(StagedMemberships)
    }

    /// Carries out the shells' effects in order.
    func perform(_ effects: [SnapshotEffect], context: SnapshotContext = .none) {
        for effect in effects {
            switch effect {
            case .openExport(let peer, let id):
                worker.openExport(transfer: id) { [self] result in
                    loop.execute { [self] in onExportOpened(peer: peer, transfer: id, result) }
                }
            case .readChunk(let peer, let id, _):
                worker.readChunk(transfer: id) { [self] result in
                    loop.execute { [self] in onChunkRead(peer: peer, transfer: id, result) }
                }
            case .sendChunk(let peer, let id, let slot, let index):
                guard case .read(let chunk) = context, chunk.index == index else {
                    preconditionFailure("sendChunk of chunk \(index) without that chunk in hand")
                }
                send(.snapshotChunk(group: group, SnapshotChunk(transfer: id, slot: slot, index: chunk.index, data: chunk.data,
                                                             last: chunk.last, crc: chunk.crc)), to: peer)
                flushLinks()
            case .closeExport(let id):
                worker.closeExport(transfer: id)
            case .beginStaging, .stageChunk, .sendAck, .offerToCore, .discardStaging:
                performReceiving(effect, context: context)
            case .sendAbort(let peer, let id, let reason):
                send(.snapshotAbort(group: group, transfer: id, reason: reason), to: peer)
                flushLinks()
            case .countRefusal(let refusal):
                countRefusal(refusal)
            case .report(let event):
                report(event, context: context)
            }
        }
    }

    /// Logs a failed transfer at most once per 10 s per kind, with how many went unlogged: a
    /// peer that keeps asking for a snapshot it cannot take (a full disk, say) is offered a new
    /// transfer every `snapshotRetryTicks` (2 s), and each failure would otherwise be logged on
    /// both sides for as long as that lasts. Aborted transfers are all counted in
    /// `paxos_snapshot_transfers_aborted_total` regardless.
    func logSnapshotFailure(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
        let (log, suppressed) = snapshotFailureLogs[message, default: LogThrottle()].shouldLog(now: .now())
        guard log else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    /// Logs and counts what a shell reports.
    private func report(_ event: SnapshotEvent, context: SnapshotContext) {
        switch event {
        case .notConnected(let peer):
            logger.debug("not sending a snapshot: no connection", metadata: ["peer.id": "\(peer)"])
        case .sending(let peer, let id, let slot):
            var metadata: Logger.Metadata = ["peer.id": "\(peer)", "snapshot.transfer": "\(id)", "paxos.slot": "\(slot)"]
            if case .exported(let header) = context {
                metadata["snapshot.keys"] = "\(header.keyCount)"
                metadata["snapshot.sessions"] = "\(header.sessionCount)"
            }
            logger.info("sending a snapshot", metadata: metadata)
        case .exportFailed(let peer, let error):
            logSnapshotFailure(.error, "cannot export a snapshot", ["peer.id": "\(peer)", "error": "\(error)"])
        case .readFailed(let peer, let error):
            logSnapshotFailure(.error, "cannot read the next snapshot chunk", ["peer.id": "\(peer)", "error": "\(error)"])
        case .sent(let peer, let id, let slot, let chunks):
            metrics.snapshotsSent.increment()
            logger.info("snapshot sent", metadata: [
                "peer.id": "\(peer)", "snapshot.transfer": "\(id)", "paxos.slot": "\(slot.map { "\($0)" } ?? "?")",
                "snapshot.chunks": "\(chunks)",
            ])
        case .receiverEnded(let peer, let reason):
            logSnapshotFailure(.info, "the receiver ended a snapshot transfer", ["peer.id": "\(peer)", "reason": "\(reason)"])
        case .sendAbandoned(let peer, let id, let reason):
            metrics.snapshotTransfersAborted.increment()
            logSnapshotFailure(.warning, "snapshot transfer abandoned", [
                "peer.id": "\(peer)", "snapshot.transfer": "\(id)", "reason": "\(reason)",
            ])
        case .refused, .replaced, .receiving, .stagingFailed, .received, .notNeeded, .receiveAbandoned:
            reportReceiving(event)
        }
    }
}
