// Method: drive one replica by hand through compaction and snapshot catch-up and assert on the
// actions it emits. Covers DESIGN.md §2 "Catch-up" (a peer that needs compacted slots receives a
// snapshot) and the phase 1 rule that makes compaction safe: a candidate never proposes no-ops
// over slots an acceptor compacted. The simulator checks the same rules under faults, and its
// planted bug `.ignoreCompaction` shows the phase 1 rule is needed.
import PaxosCore
import Testing

@Suite("compaction")
struct CompactionTests {
    let b = ballot(1, r1)

    /// A follower that applied slots 1...n.
    func follower(applied n: UInt64, snapshot: UInt64 = 0) -> Replica {
        let entries = (1...n).map { LogEntry(slot: Slot($0), ballot: b, command: .batch([put(1, $0, "k", "v\($0)")]), chosen: true) }
        return makeReplica(r2, durable: DurableState(promised: b, entries: entries, appliedThrough: Slot(n), snapshotThrough: Slot(snapshot)))
    }

    @Test("compaction: forgets applied entries only, up to the applied slot")
    func compactsAppliedOnly() {
        var replica = follower(applied: 10)
        _ = replica.step(.message(from: r1, .accept(ballot: b, entries: [AcceptEntry(slot: Slot(11), command: .noop)], chosenThrough: Slot(10))))
        let actions = replica.step(.compact(through: Slot(50)))
        #expect(actions.isEmpty, "compaction is the shell's storage work; the core emits nothing")
        #expect(replica.snapshotThrough == Slot(10), "clamped to the applied slot")
        #expect(replica.entry(at: Slot(10)) == nil)
        #expect(replica.entry(at: Slot(11)) != nil, "an accepted, unapplied entry stays")
        #expect(replica.invariantViolations().isEmpty)
    }

    @Test("compaction: a restart keeps nothing at or below the stored snapshot slot")
    func restartsAboveSnapshot() {
        let replica = follower(applied: 10, snapshot: 6)
        #expect(replica.snapshotThrough == Slot(6))
        #expect(replica.entry(at: Slot(6)) == nil)
        #expect(replica.entry(at: Slot(7))?.chosen == true)
        #expect(replica.invariantViolations().isEmpty)
    }

    @Test("compaction: a catch-up request for compacted slots is answered with a snapshot, at most once per retry interval")
    func offersSnapshot() {
        var replica = follower(applied: 10)
        _ = replica.step(.compact(through: Slot(8)))
        let first = replica.step(.message(from: r3, .catchUpRequest(from: Slot(3), through: Slot(10))))
        #expect(first == [.sendSnapshot(to: r3)])
        let again = replica.step(.message(from: r3, .catchUpRequest(from: Slot(3), through: Slot(10))))
        #expect(again.isEmpty, "a transfer is already on its way")
        let above = replica.step(.message(from: r3, .catchUpRequest(from: Slot(9), through: Slot(10))))
        #expect(above.messages(to: r3).count == 1, "slots above the snapshot are still served as commands")
    }

    @Test("compaction: a received snapshot is installed, then the log above it is caught up")
    func installsSnapshot() {
        var replica = makeReplica(r3)
        _ = replica.step(.message(from: r1, .heartbeat(ballot: b, chosenThrough: Slot(20), readRound: 0)))
        let actions = replica.step(.snapshotReceived(slot: Slot(15)))
        #expect(actions.contains(.installSnapshot(slot: Slot(15))))
        #expect(replica.appliedThrough == Slot(15))
        #expect(replica.snapshotThrough == Slot(15))
        #expect(replica.invariantViolations().isEmpty)
        // Slots above the snapshot come as commands and apply after it.
        let reply = replica.step(.message(from: r1, .catchUpReply(entries: [ChosenEntry(slot: Slot(16), command: .noop)])))
        #expect(reply.applies.map(\.slot) == [Slot(16)])
        // A stale snapshot (at or below what is applied) is ignored.
        #expect(replica.step(.snapshotReceived(slot: Slot(12))).isEmpty)
    }

    @Test("compaction: a candidate stands down when a promise says the acceptor compacted slots its phase 1 needs")
    func candidateStandsDown() {
        var replica = makeReplica(r1)
        var actions = replica.tickUntilElection()
        guard let prepare = actions.sends.first, case .prepare(let ballot, let fromSlot) = prepare.message else {
            Issue.record("no prepare")
            return
        }
        #expect(fromSlot == Slot(1))
        actions = replica.step(.persisted(upTo: actions.lastPersistID!))
        actions = replica.step(.message(from: r2, .promise(ballot: ballot, entries: [], compactedThrough: Slot(40))))
        #expect(replica.status.role == .follower, "with our own promise that was a majority, but slots 1…40 are unknown to us")
        #expect(actions.sends.allSatisfy { if case .accept = $0.message { false } else { true } }, "no no-op is proposed")
        #expect(actions.messages(to: r2).contains { if case .catchUpRequest = $0 { true } else { false } })
    }

    @Test("compaction: a promise whose compacted slots are below phase 1 does not stop the election")
    func compactedBelowIsFine() {
        var replica = makeReplica(r1)
        var actions = replica.tickUntilElection()
        guard let prepare = actions.sends.first, case .prepare(let ballot, _) = prepare.message else {
            Issue.record("no prepare")
            return
        }
        actions = replica.step(.persisted(upTo: actions.lastPersistID!))
        _ = replica.step(.message(from: r2, .promise(ballot: ballot, entries: [], compactedThrough: .zero)))
        #expect(replica.status.role == .leader)
    }
}
