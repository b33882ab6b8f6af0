public import PaxosCore

/// The sending half of snapshot transfer, as a value: which transfers to peers run, when the
/// next chunk is read and sent, and when a transfer is over. The core decides *that* a peer
/// needs a snapshot (`.sendSnapshot(to:)`); this decides everything after, and paxosd's
/// `GroupNode` carries out the `SnapshotEffect`s (worker jobs, peer frames, logs). Time is plain
/// milliseconds passed with each input, so table tests drive it without a clock or a socket.
///
/// **Protocol.** The export (one read transaction on the worker, so the snapshot is the applied
/// state at one slot) is streamed in chunks over our link to the peer, at most `windowChunks`
/// unacknowledged and one read ahead, so a slow receiver holds up its own transfer only and a
/// transfer's memory is bounded by the window. A request while a transfer to that peer runs is
/// ignored: the core asks again every couple of seconds while the peer keeps asking.
///
/// **Ending early.** A transfer is abandoned when it makes no progress for
/// `timeoutMilliseconds` (the receiver is told), when the link to the peer goes down (it is
/// not: it cannot hear), when a chunk cannot be read (told), on an acknowledgement of a chunk
/// never sent (told), and when the receiver aborts it. Every end closes the export, whose read
/// transaction would otherwise keep the WAL from being checkpointed.
///
/// - Invariant: at most one transfer per peer, and `transfers[peer].peer == peer`.
public struct SnapshotSending: Sendable {
    /// Chunks sent and not yet acknowledged, at most.
    public let windowChunks: Int
    /// A transfer that has not moved for longer than this is abandoned.
    public let timeoutMilliseconds: UInt64
    /// Transfers in progress, by receiver.
    public private(set) var transfers: [ReplicaID: OutgoingTransfer] = [:]
    /// Transfers whose every chunk the receiver acknowledged.
    public private(set) var sentCount = 0
    /// Transfers that ended early, for any reason.
    public private(set) var abandonedCount = 0

    public init(windowChunks: Int, timeoutMilliseconds: UInt64) {
        self.windowChunks = windowChunks
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// No transfer runs: the timeout check has nothing to do.
    public var isIdle: Bool { transfers.isEmpty }

    /// The core asked to send a snapshot to `peer`.
    /// - Parameter id: names the new transfer on the wire; MUST be drawn afresh for every call
    ///   (at random), so a late frame of an earlier transfer never matches a new one.
    public mutating func start(to peer: ReplicaID, id: UInt64, connected: Bool, now: UInt64) -> [SnapshotEffect] {
        guard transfers[peer] == nil else { return [] }
        guard connected else { return [.report(.notConnected(peer: peer))] }
        transfers[peer] = OutgoingTransfer(id: id, peer: peer, progressAt: now)
        return [.openExport(to: peer, transfer: id)]
    }

    /// The export for `transfer` is open at `slot`.
    public mutating func exportOpened(to peer: ReplicaID, transfer id: UInt64, slot: Slot, now: UInt64) -> [SnapshotEffect] {
        guard var transfer = transfers[peer], transfer.id == id else { return [.closeExport(transfer: id)] }
        transfer.slot = slot
        transfer.progressAt = now
        transfers[peer] = transfer
        return [.report(.sending(to: peer, transfer: id, slot: slot))] + pump(to: peer)
    }

    /// The export for `transfer` could not be opened.
    public mutating func exportFailed(to peer: ReplicaID, transfer id: UInt64, error: String) -> [SnapshotEffect] {
        guard transfers[peer]?.id == id else { return [.closeExport(transfer: id)] }
        return [.report(.exportFailed(to: peer, error: error))]
            + end(peer, reason: "the sender could not read its state", notifyPeer: false)
    }

    /// The worker read chunk `index` of `transfer`'s export.
    /// - Parameter connected: whether a link to `peer` exists now.
    public mutating func chunkRead(to peer: ReplicaID, transfer id: UInt64, index: UInt32, last: Bool,
                                   connected: Bool, now: UInt64) -> [SnapshotEffect] {
        guard var transfer = transfers[peer], transfer.id == id, let slot = transfer.slot else { return [] }
        guard connected else {
            return end(peer, reason: "the connection to the receiver is down", notifyPeer: false)
        }
        transfer.sent += 1
        transfer.reading = false
        transfer.lastSent = last
        transfer.progressAt = now
        transfers[peer] = transfer
        return [.sendChunk(to: peer, transfer: id, slot: slot, index: index)] + pump(to: peer)
    }

    /// The worker could not read the next chunk of `transfer`'s export.
    public mutating func chunkReadFailed(to peer: ReplicaID, transfer id: UInt64, error: String) -> [SnapshotEffect] {
        guard let transfer = transfers[peer], transfer.id == id, transfer.slot != nil else { return [] }
        return [.report(.readFailed(to: peer, error: error))]
            + end(peer, reason: "the sender could not read its state", notifyPeer: true)
    }

    /// The receiver acknowledged chunk `index` of `transfer`. An acknowledgement of an earlier
    /// transfer (or of none) is ignored: it is late, not wrong.
    public mutating func ackReceived(from peer: ReplicaID, transfer id: UInt64, index: UInt32, now: UInt64) -> [SnapshotEffect] {
        guard var transfer = transfers[peer], transfer.id == id else { return [] }
        guard Int64(index) < Int64(transfer.sent) else {
            return end(peer, reason: "acknowledgement of chunk \(index), which was not sent", notifyPeer: true)
        }
        transfer.acked = max(transfer.acked, Int64(index))
        transfer.progressAt = now
        transfers[peer] = transfer
        guard transfer.isDone else { return pump(to: peer) }
        transfers[peer] = nil
        sentCount += 1
        return [.closeExport(transfer: id),
                .report(.sent(to: peer, transfer: id, slot: transfer.slot, chunks: transfer.sent))]
    }

    /// The receiver sent `snapshotAbort` for `transfer`.
    public mutating func abortReceived(from peer: ReplicaID, transfer id: UInt64, reason: String) -> [SnapshotEffect] {
        guard transfers[peer]?.id == id else { return [] }
        return [.report(.receiverEnded(peer: peer, reason: reason))]
            + end(peer, reason: "the receiver refused: \(reason)", notifyPeer: false)
    }

    /// Abandons the transfers that have not moved for longer than the timeout.
    public mutating func timeouts(now: UInt64) -> [SnapshotEffect] {
        var effects: [SnapshotEffect] = []
        for peer in transfers.keys.sorted() {
            guard let transfer = transfers[peer], now > transfer.progressAt,
                  now - transfer.progressAt > timeoutMilliseconds else { continue }
            effects += end(peer, reason: "no progress for \(timeoutMilliseconds) ms", notifyPeer: true)
        }
        return effects
    }

    /// Our connection to `peer` went down: its acknowledgements and our chunks cannot get
    /// through, and neither could an abort.
    public mutating func peerDisconnected(_ peer: ReplicaID) -> [SnapshotEffect] {
        end(peer, reason: "the connection to the receiver went down", notifyPeer: false)
    }

    /// Abandons every transfer without telling the receivers (a simulated failure: everything
    /// in memory is gone, and a crashed node sends nothing).
    public mutating func abandonAll(reason: String) -> [SnapshotEffect] {
        transfers.keys.sorted().flatMap { end($0, reason: reason, notifyPeer: false) }
    }

    /// Reads the next chunk if the window allows.
    mutating func pump(to peer: ReplicaID) -> [SnapshotEffect] {
        guard var transfer = transfers[peer], transfer.canSend(windowChunks: windowChunks) else { return [] }
        transfer.reading = true
        transfers[peer] = transfer
        return [.readChunk(to: peer, transfer: transfer.id, index: transfer.sent)]
    }

    /// Abandons the transfer to `peer`, if any.
    mutating func end(_ peer: ReplicaID, reason: String, notifyPeer: Bool) -> [SnapshotEffect] {
        guard let transfer = transfers.removeValue(forKey: peer) else { return [] }
        abandonedCount += 1
        var effects: [SnapshotEffect] = [
            .closeExport(transfer: transfer.id),
            .report(.sendAbandoned(to: peer, transfer: transfer.id, reason: reason)),
        ]
        if notifyPeer { effects.append(.sendAbort(to: peer, transfer: transfer.id, reason: reason)) }
        return effects
    }
}

/// A snapshot this node is streaming to a peer.
///
/// - Invariant: `-1 <= acked < sent` once a chunk is sent (`acked == -1` before the first
///   acknowledgement), and `sent - acked - 1 <= windowChunks`.
public struct OutgoingTransfer: Hashable, Sendable {
    public let id: UInt64
    public let peer: ReplicaID
    /// The applied slot the snapshot stands at, once the export's read transaction is open.
    public internal(set) var slot: Slot?
    /// Chunks sent so far (the index of the next one).
    public internal(set) var sent: UInt32 = 0
    /// The highest chunk index the receiver acknowledged, -1 before the first.
    public internal(set) var acked: Int64 = -1
    /// A chunk is being read on the worker.
    public internal(set) var reading = false
    /// The last chunk has been sent.
    public internal(set) var lastSent = false
    /// When the transfer last moved (opened, a chunk read or acknowledged), in milliseconds.
    public internal(set) var progressAt: UInt64

    /// Another chunk may be read and sent: the export is open, no read is under way, the last
    /// chunk is not yet out, and fewer than `windowChunks` are unacknowledged.
    public func canSend(windowChunks: Int) -> Bool {
        slot != nil && !reading && !lastSent && Int64(sent) - acked - 1 < Int64(windowChunks)
    }

    /// Every chunk, the last included, has been acknowledged.
    public var isDone: Bool { lastSent && acked == Int64(sent) - 1 }
}
