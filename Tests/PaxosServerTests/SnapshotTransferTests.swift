// Method: drive the snapshot-transfer shells (`SnapshotSending`, `SnapshotReceiving`) as
// paxosd's GroupNode does — worker results, peer frames, ticks and disconnects as method calls
// with plain millisecond times — and check the effects they return and the state they keep:
// the flow-control window, which late or foreign frames are ignored, which first chunks are
// refused and why, when a transfer is abandoned (and whether the peer is told), and how a
// complete snapshot reaches the core and is installed.
import PaxosCore
import PaxosShell
import Testing

@Suite("server: sending a snapshot")
struct SnapshotSendingTests {
    static let peer = ReplicaID(2)
    static let other = ReplicaID(3)
    static let slot = Slot(500)

    /// A transfer to `peer` whose export is open: the first read is under way.
    static func opened(window: Int = 2, id: UInt64 = 7, now: UInt64 = 0) -> SnapshotSending {
        var sending = SnapshotSending(windowChunks: window, timeoutMilliseconds: 10_000)
        #expect(sending.start(to: peer, id: id, connected: true, now: now) == [.openExport(to: peer, transfer: id)])
        #expect(sending.exportOpened(to: peer, transfer: id, slot: slot, now: now) == [
            .report(.sending(to: peer, transfer: id, slot: slot)), .readChunk(to: peer, transfer: id, index: 0),
        ])
        return sending
    }

    static func abandoned(_ reason: String, told: Bool, id: UInt64 = 7) -> [SnapshotEffect] {
        [.closeExport(transfer: id), .report(.sendAbandoned(to: peer, transfer: id, reason: reason))]
            + (told ? [.sendAbort(to: peer, transfer: id, reason: reason)] : [])
    }

    @Test("one transfer per peer: a second request while one runs is ignored; none starts without a connection")
    func onePerPeer() {
        var sending = Self.opened()
        #expect(sending.start(to: Self.peer, id: 8, connected: true, now: 5) == [])
        #expect(sending.transfers[Self.peer]?.id == 7)
        #expect(sending.start(to: Self.other, id: 9, connected: false, now: 5) == [.report(.notConnected(peer: Self.other))])
        #expect(sending.transfers[Self.other] == nil)
        #expect(sending.start(to: Self.other, id: 9, connected: true, now: 5) == [.openExport(to: Self.other, transfer: 9)])
    }

    @Test("flow control: at most `window` chunks unacknowledged, one read at a time, each ack lets one more out",
          arguments: [1, 2, 4])
    func window(_ window: Int) {
        var sending = Self.opened(window: window)
        // Read and send chunks without acks: each read leads to the next until the window is full.
        for index in 0..<UInt32(window) {
            let effects = sending.chunkRead(to: Self.peer, transfer: 7, index: index, last: false, connected: true, now: 1)
            let send = SnapshotEffect.sendChunk(to: Self.peer, transfer: 7, slot: Self.slot, index: index)
            let full = Int(index) + 1 == window
            #expect(effects == (full ? [send] : [send, .readChunk(to: Self.peer, transfer: 7, index: index + 1)]))
        }
        #expect(sending.transfers[Self.peer]?.canSend(windowChunks: window) == false)
        // A duplicate acknowledgement of an old chunk moves nothing but the clock.
        #expect(sending.ackReceived(from: Self.peer, transfer: 7, index: 0, now: 2)
            == [.readChunk(to: Self.peer, transfer: 7, index: UInt32(window))])
        #expect(sending.ackReceived(from: Self.peer, transfer: 7, index: 0, now: 3) == [], "a read is already under way")
    }

    @Test("acknowledgements of another transfer, or from another peer, are ignored; one of a chunk never sent ends the transfer")
    func acks() {
        var sending = Self.opened()
        _ = sending.chunkRead(to: Self.peer, transfer: 7, index: 0, last: false, connected: true, now: 1)
        let before = sending.transfers
        #expect(sending.ackReceived(from: Self.peer, transfer: 6, index: 0, now: 2) == [])
        #expect(sending.ackReceived(from: Self.other, transfer: 7, index: 0, now: 2) == [])
        #expect(sending.transfers == before)
        #expect(sending.ackReceived(from: Self.peer, transfer: 7, index: 1, now: 2)
            == Self.abandoned("acknowledgement of chunk 1, which was not sent", told: true))
        #expect(sending.transfers.isEmpty && sending.abandonedCount == 1)
        // A chunk read for the abandoned transfer arrives late: dropped, not sent.
        #expect(sending.chunkRead(to: Self.peer, transfer: 7, index: 1, last: false, connected: true, now: 3) == [])
    }

    @Test("the transfer is sent once the last chunk is acknowledged, and the export closed")
    func completes() {
        var sending = Self.opened()
        _ = sending.chunkRead(to: Self.peer, transfer: 7, index: 0, last: false, connected: true, now: 1)
        #expect(sending.chunkRead(to: Self.peer, transfer: 7, index: 1, last: true, connected: true, now: 1)
            == [.sendChunk(to: Self.peer, transfer: 7, slot: Self.slot, index: 1)], "nothing more to read after the last")
        #expect(sending.ackReceived(from: Self.peer, transfer: 7, index: 0, now: 2) == [])
        #expect(sending.sentCount == 0)
        #expect(sending.ackReceived(from: Self.peer, transfer: 7, index: 1, now: 3) == [
            .closeExport(transfer: 7), .report(.sent(to: Self.peer, transfer: 7, slot: Self.slot, chunks: 2)),
        ])
        #expect(sending.sentCount == 1 && sending.abandonedCount == 0 && sending.isIdle)
    }

    @Test("a transfer without progress for longer than the timeout is abandoned and the receiver told")
    func timeout() {
        var sending = Self.opened(now: 1_000)
        _ = sending.chunkRead(to: Self.peer, transfer: 7, index: 0, last: false, connected: true, now: 2_000)
        #expect(sending.timeouts(now: 12_000) == [], "exactly the timeout is not past it")
        #expect(sending.timeouts(now: 12_001) == Self.abandoned("no progress for 10000 ms", told: true))
        #expect(sending.isIdle && sending.abandonedCount == 1)
        #expect(sending.timeouts(now: 99_999) == [])
    }

    @Test("a lost connection ends the transfer without an abort, which could not get through")
    func disconnect() {
        var sending = Self.opened()
        #expect(sending.peerDisconnected(Self.other) == [])
        #expect(sending.peerDisconnected(Self.peer) == Self.abandoned("the connection to the receiver went down", told: false))
        var reading = Self.opened()
        #expect(reading.chunkRead(to: Self.peer, transfer: 7, index: 0, last: false, connected: false, now: 1)
            == Self.abandoned("the connection to the receiver is down", told: false))
    }

    @Test("a failed read tells the receiver; a failed or late export is closed")
    func workerFailures() {
        var sending = Self.opened()
        #expect(sending.chunkReadFailed(to: Self.peer, transfer: 7, error: "disk") ==
            [.report(.readFailed(to: Self.peer, error: "disk"))] + Self.abandoned("the sender could not read its state", told: true))
        var opening = SnapshotSending(windowChunks: 2, timeoutMilliseconds: 10_000)
        _ = opening.start(to: Self.peer, id: 7, connected: true, now: 0)
        #expect(opening.exportOpened(to: Self.peer, transfer: 6, slot: Self.slot, now: 1) == [.closeExport(transfer: 6)])
        #expect(opening.exportFailed(to: Self.peer, transfer: 7, error: "locked") ==
            [.report(.exportFailed(to: Self.peer, error: "locked"))] + Self.abandoned("the sender could not read its state", told: false))
    }

    @Test("the receiver's abort ends our transfer to it, unless it names another transfer")
    func receiverAborts() {
        var sending = Self.opened()
        #expect(sending.abortReceived(from: Self.peer, transfer: 6, reason: "old") == [])
        #expect(sending.abortReceived(from: Self.peer, transfer: 7, reason: "busy") ==
            [.report(.receiverEnded(peer: Self.peer, reason: "busy"))] + Self.abandoned("the receiver refused: busy", told: false))
    }

    @Test("abandon all: every transfer ends, in peer order, and no receiver is told")
    func abandonAll() {
        var sending = Self.opened()
        _ = sending.start(to: Self.other, id: 9, connected: true, now: 0)
        #expect(sending.abandonAll(reason: "failed") == [
            .closeExport(transfer: 7), .report(.sendAbandoned(to: Self.peer, transfer: 7, reason: "failed")),
            .closeExport(transfer: 9), .report(.sendAbandoned(to: Self.other, transfer: 9, reason: "failed")),
        ])
        #expect(sending.isIdle && sending.abandonedCount == 2)
    }
}

@Suite("server: receiving a snapshot")
struct SnapshotReceivingTests {
    static let me = ReplicaID(1)
    static let peer = ReplicaID(2)
    static let other = ReplicaID(3)
    static let slot = Slot(500)
    static let follower = SnapshotView(coreRefusal: nil, isLeader: false, appliedThrough: Slot(100))

    /// Receiving transfer 7 of `slot` from `peer`: chunk 0 taken, chunk 1 expected.
    static func receiving(now: UInt64 = 0) -> SnapshotReceiving {
        var receiving = SnapshotReceiving(me: me, timeoutMilliseconds: 10_000)
        #expect(receiving.chunkReceived(from: peer, transfer: 7, slot: slot, index: 0, view: follower, now: now) == [
            .report(.receiving(from: peer, transfer: 7, slot: slot)), .beginStaging(from: peer, transfer: 7),
        ])
        return receiving
    }

    /// Receiving transfer 7 with every chunk (0, 1) staged and the snapshot offered to the core.
    static func complete() -> SnapshotReceiving {
        var receiving = receiving()
        _ = receiving.chunkReceived(from: peer, transfer: 7, slot: slot, index: 1, view: follower, now: 1)
        _ = receiving.chunkStaged(from: peer, transfer: 7, index: 0, .staged, now: 2)
        #expect(receiving.chunkStaged(from: peer, transfer: 7, index: 1, .complete, now: 3) == [
            .sendAck(to: peer, transfer: 7, index: 1),
            .report(.received(from: peer, transfer: 7, slot: slot, chunks: 2)), .offerToCore(slot: slot),
        ])
        return receiving
    }

    static func abandoned(_ reason: String, told: Bool) -> [SnapshotEffect] {
        [.discardStaging, .report(.receiveAbandoned(from: peer, transfer: 7, reason: reason))]
            + (told ? [.sendAbort(to: peer, transfer: 7, reason: reason)] : [])
    }

    enum Refusal: String, CaseIterable, Sendable {
        case coreDidNotAsk, leads, staleSlot, installing, anotherSender
    }

    @Test("a first chunk is refused, with an abort saying why, when the core did not ask or the node cannot take it now",
          arguments: Refusal.allCases)
    func refusesFirstChunk(_ refusal: Refusal) {
        var receiving = SnapshotReceiving(me: Self.me, timeoutMilliseconds: 10_000)
        var view = Self.follower
        var from = Self.peer
        let expected: [SnapshotEffect]
        func quiet(_ reason: String) -> [SnapshotEffect] {
            [.report(.refused(from: from, reason: reason)), .sendAbort(to: from, transfer: 9, reason: reason)]
        }
        switch refusal {
        case .coreDidNotAsk:
            view.coreRefusal = .snapshotNotAsked
            expected = [
                .countRefusal(PeerMessageRefusal(peer: from, kind: "snapshot_chunk", reason: .snapshotNotAsked)),
                .sendAbort(to: from, transfer: 9, reason: "replica 1 did not ask replica 2 for a snapshot of slot 500 (snapshot_not_asked)"),
            ]
        case .leads:
            view.isLeader = true
            expected = quiet("replica 1 leads; a leader never installs a snapshot")
        case .staleSlot:
            view.appliedThrough = Self.slot
            expected = quiet("replica 1 has applied slot 500, at or above the snapshot's 500")
        case .installing:
            receiving = Self.complete()
            let accepted = receiving.installRequested(slot: Self.slot)
            #expect(accepted)
            expected = quiet("replica 1 is installing the snapshot of slot 500")
        case .anotherSender:
            receiving = Self.receiving()
            from = Self.other
            expected = quiet("replica 1 is receiving a snapshot from replica 2")
        }
        let before = receiving.transfer
        #expect(receiving.chunkReceived(from: from, transfer: 9, slot: Self.slot, index: 0, view: view, now: 5) == expected)
        #expect(receiving.transfer == before, "a refusal leaves the transfer being received alone")
        #expect(receiving.abandonedCount == 0)
    }

    @Test("a later chunk of no transfer being received is answered with an abort and changes nothing",
          arguments: [(UInt64(6), ReplicaID(2)), (UInt64(7), ReplicaID(3))])
    func unknownTransfer(_ id: UInt64, _ from: ReplicaID) {
        var receiving = Self.receiving()
        #expect(receiving.chunkReceived(from: from, transfer: id, slot: Self.slot, index: 1, view: Self.follower, now: 1)
            == [.sendAbort(to: from, transfer: id, reason: "no such transfer is being received")])
        #expect(receiving.transfer?.expected == 1)
    }

    @Test("chunks are taken in order only: a gap, a repeat or another slot abandons the transfer and tells the sender",
          arguments: [(UInt32(3), UInt64(500)), (UInt32(1), UInt64(500)), (UInt32(2), UInt64(501))])
    func outOfOrder(_ index: UInt32, _ slot: UInt64) {
        var receiving = Self.receiving()
        #expect(receiving.chunkReceived(from: Self.peer, transfer: 7, slot: Self.slot, index: 1, view: Self.follower, now: 1)
            == [.stageChunk(from: Self.peer, transfer: 7, index: 1)])
        #expect(receiving.transfer?.expected == 2)
        #expect(receiving.chunkReceived(from: Self.peer, transfer: 7, slot: Slot(slot), index: index, view: Self.follower, now: 2)
            == Self.abandoned("chunk \(index) of slot \(slot) arrived, chunk 2 of slot 500 was expected", told: true))
        #expect(receiving.transfer == nil && receiving.abandonedCount == 1)
    }

    @Test("planted snapshot-out-of-order: a chunk past a gap is staged, and the count goes on from it")
    func plantedOutOfOrder() {
        var receiving = SnapshotReceiving(me: Self.me, timeoutMilliseconds: 10_000, plantedBug: .snapshotOutOfOrder)
        _ = receiving.chunkReceived(from: Self.peer, transfer: 7, slot: Self.slot, index: 0, view: Self.follower, now: 0)
        #expect(receiving.chunkReceived(from: Self.peer, transfer: 7, slot: Self.slot, index: 2, view: Self.follower, now: 1)
            == [.stageChunk(from: Self.peer, transfer: 7, index: 2)])
        #expect(receiving.transfer?.expected == 3 && receiving.abandonedCount == 0)
    }

    @Test("the same sender starting over replaces its unfinished transfer")
    func sameSenderRestarts() {
        var receiving = Self.receiving()
        #expect(receiving.chunkReceived(from: Self.peer, transfer: 8, slot: Slot(600), index: 0, view: Self.follower, now: 1) == [
            .report(.replaced(from: Self.peer, previous: 7)), .report(.receiving(from: Self.peer, transfer: 8, slot: Slot(600))),
            .beginStaging(from: Self.peer, transfer: 8),
        ])
        #expect(receiving.transfer?.id == 8 && receiving.abandonedCount == 0)
    }

    @Test("completion: the last staged chunk offers the snapshot to the core; the install it asks for is counted")
    func completionInstalls() {
        var receiving = Self.complete()
        #expect(receiving.receivedCount == 1)
        let otherSlot = receiving.installRequested(slot: Slot(499))
        #expect(!otherSlot, "no staged snapshot of that slot")
        let accepted = receiving.installRequested(slot: Self.slot)
        #expect(accepted)
        let twice = receiving.installRequested(slot: Self.slot)
        #expect(!twice, "one install at a time")
        #expect(receiving.offerAnswered() == [], "the core took it: the staging stays for the install")
        #expect(receiving.timeouts(now: 1_000_000) == [], "a complete transfer never times out")
        #expect(receiving.peerDisconnected(Self.peer) == [])
        #expect(receiving.abandonAll(reason: "failed") == [])
        receiving.installed(slot: Self.slot)
        #expect(receiving.transfer == nil && receiving.installing == nil)
        #expect(receiving.installedCount == 1 && receiving.lastInstalledSlot == Self.slot && receiving.abandonedCount == 0)
    }

    @Test("completion the core no longer wants is discarded")
    func completionDeclined() {
        var receiving = Self.complete()
        #expect(receiving.offerAnswered() == [.report(.notNeeded(slot: Self.slot)), .discardStaging])
        #expect(receiving.isIdle && receiving.installedCount == 0)
        let late = receiving.installRequested(slot: Self.slot)
        #expect(!late, "the staging is gone")
    }

    @Test("a chunk the staging refuses ends the transfer and tells the sender the staging's reason")
    func stagingFails() {
        var receiving = Self.receiving()
        #expect(receiving.chunkStaged(from: Self.peer, transfer: 7, index: 0, .failed("bad crc"), now: 1) == [
            .report(.stagingFailed(from: Self.peer, error: "bad crc")), .sendAbort(to: Self.peer, transfer: 7, reason: "bad crc"),
        ])
        #expect(receiving.isIdle && receiving.abandonedCount == 1)
        #expect(receiving.chunkStaged(from: Self.peer, transfer: 7, index: 1, .staged, now: 2) == [], "late results are dropped")
    }

    @Test("no chunk for longer than the timeout abandons the transfer and tells the sender; staging counts as progress")
    func timeout() {
        var receiving = Self.receiving(now: 1_000)
        _ = receiving.chunkStaged(from: Self.peer, transfer: 7, index: 0, .staged, now: 4_000)
        #expect(receiving.timeouts(now: 14_000) == [])
        #expect(receiving.timeouts(now: 14_001) == Self.abandoned("no chunk for 10000 ms", told: true))
        #expect(receiving.isIdle && receiving.abandonedCount == 1)
    }

    @Test("the sender's disconnect or abort ends the transfer quietly; another peer's does not")
    func senderGoes() {
        var receiving = Self.receiving()
        #expect(receiving.peerDisconnected(Self.other) == [])
        #expect(receiving.abortReceived(from: Self.other, transfer: 7, reason: "x") == [])
        #expect(receiving.abortReceived(from: Self.peer, transfer: 6, reason: "x") == [])
        #expect(receiving.peerDisconnected(Self.peer) == Self.abandoned("the connection to the sender went down", told: false))
        var aborted = Self.receiving()
        #expect(aborted.abortReceived(from: Self.peer, transfer: 7, reason: "timeout")
            == Self.abandoned("the sender ended it: timeout", told: false))
    }

    @Test("abandon all drops an unfinished transfer without telling the sender")
    func abandonAll() {
        var receiving = Self.receiving()
        #expect(receiving.abandonAll(reason: "failed") == Self.abandoned("failed", told: false))
        #expect(receiving.isIdle && receiving.abandonedCount == 1)
        #expect(receiving.abandonAll(reason: "failed") == [])
    }
}
