// Method: drive one Replica through election and phase 2 by hand (its peers are simulated by
// the test) and assert on the actions. Covers Paxos Made Simple §3 (the distinguished proposer,
// phase 1 once for all slots, no-op fill of holes) and the batching, pipelining and
// retransmission rules of DESIGN.md §2.
import PaxosCore
import Testing

@Suite("leader")
struct LeaderTests {
    @Test("election: a follower runs phase 1 after its timeout, above every ballot seen, from its first unchosen slot")
    func electionStartsPhaseOne() {
        let chosen = [LogEntry(slot: Slot(1), ballot: ballot(2, r3), command: .noop, chosen: true)]
        var replica = makeReplica(r1, durable: DurableState(promised: ballot(2, r3), entries: chosen, appliedThrough: .zero))
        let actions = replica.tickUntilElection()
        #expect(actions.persists.first?.promised == ballot(3, r1))
        #expect(actions.messages(to: r2) == [.prepare(ballot: ballot(3, r1), fromSlot: Slot(2))])
        #expect(actions.messages(to: r3) == [.prepare(ballot: ballot(3, r1), fromSlot: Slot(2))])
    }

    @Test("leader: recovers the highest-ballot value for each slot and fills holes with no-ops")
    func recoveryPicksHighestBallot() {
        var replica = makeReplica(r1)
        let low = Command.batch([put(1, 1, "k", "low")])
        let high = Command.batch([put(1, 2, "k", "high")])
        let reported = [
            LogEntry(slot: Slot(1), ballot: ballot(0, r2), command: low, chosen: false),
            LogEntry(slot: Slot(3), ballot: ballot(0, r2), command: low, chosen: false),
        ]
        var actions = replica.tickUntilElection()
        guard case .prepare(let b, _) = actions.sends[0].message else { Issue.record("no prepare"); return }
        // Replica 3 reports a higher ballot for slot 1; together with replica 2 that is a majority.
        let reportedHigher = [LogEntry(slot: Slot(1), ballot: ballot(0, r3), command: high, chosen: false)]
        actions = replica.step(.message(from: r2, .promise(ballot: b, entries: reported, compactedThrough: .zero)))
        actions += replica.step(.message(from: r3, .promise(ballot: b, entries: reportedHigher, compactedThrough: .zero)))
        #expect(replica.status.role == .leader)
        let accepts = actions.messages(to: r2).compactMap { message -> [AcceptEntry]? in
            if case .accept(_, let entries, _) = message { entries } else { nil }
        }.flatMap { $0 }
        #expect(accepts == [
            AcceptEntry(slot: Slot(1), command: high),
            AcceptEntry(slot: Slot(2), command: .noop),
            AcceptEntry(slot: Slot(3), command: low),
        ])
    }

    @Test("leader: runs phase 2 only for new slots once elected")
    func phaseTwoOnly() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        let actions = replica.step(.propose([put(9, 1, "a", "1")]))
        #expect(!actions.sends.contains { if case .prepare = $0.message { true } else { false } })
        #expect(actions.messages(to: r2) == [.accept(ballot: ballot(1, r1), entries: [AcceptEntry(slot: Slot(1), command: .batch([put(9, 1, "a", "1")]))], chosenThrough: .zero)])
    }

    @Test("leader: a slot is chosen once a majority including itself has durably accepted it")
    func choosingNeedsMajorityWithSelf() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        let proposal = replica.step(.propose([put(9, 1, "a", "1")]))
        let b = ballot(1, r1)
        // A peer's vote alone is not a majority while our own vote is not durable.
        var actions = replica.step(.message(from: r2, .accepted(ballot: b, slots: [Slot(1)])))
        #expect(actions.applies.isEmpty)
        #expect(replica.chosenThrough == .zero)
        actions = replica.step(.persisted(upTo: proposal.lastPersistID!))
        #expect(actions.applies.map(\.slot) == [Slot(1)])
        #expect(replica.chosenThrough == Slot(1))
    }

    @Test("leader: batches waiting requests into one slot and bounds the in-flight window", arguments: [1, 2, 4])
    func batchingAndWindow(window: Int) {
        var replica = makeReplica(r1) { $0.maxInflightSlots = window; $0.maxBatchRequests = 3 }
        _ = replica.becomeLeaderForTest()
        let requests = (1...20).map { put(UInt64($0), 1, "k\($0)", "v") }
        let actions = replica.step(.propose(requests))
        let entries = actions.messages(to: r2).flatMap { message -> [AcceptEntry] in
            if case .accept(_, let entries, _) = message { entries } else { [] }
        }
        #expect(entries.count == window, "at most \(window) slots in flight")
        #expect(entries.allSatisfy { $0.command.requests.count == 3 })
        #expect(replica.status.pendingRequests == 20 - 3 * window)
        // Many slots travel in one accept message.
        #expect(actions.messages(to: r2).count == 1)
    }

    @Test("leader: steps down once a majority rejects with a higher ballot, and refuses queued requests")
    func stepsDownOnReject() {
        var replica = makeReplica(r1) { $0.maxInflightSlots = 1; $0.maxBatchRequests = 1 }
        _ = replica.becomeLeaderForTest()
        _ = replica.step(.propose([put(1, 1, "a", "1"), put(2, 1, "b", "2")]))
        // One reject leaves us and r3, a majority that can still accept our ballot (PreVoteTests);
        // the second leaves us alone.
        let first = replica.step(.message(from: r2, .reject(ballot: ballot(1, r1), promised: ballot(4, r3))))
        #expect(replica.status.role == .leader && first.replies.isEmpty)
        let actions = replica.step(.message(from: r3, .reject(ballot: ballot(1, r1), promised: ballot(4, r3))))
        #expect(replica.status.role == .follower)
        #expect(actions.replies == [.proposalRejected(put(2, 1, "b", "2"), .notLeader(leader: nil))],
                "only the request still waiting for a slot is refused; the proposed one may yet be chosen")
        let next = replica.tickUntilElection()
        #expect(next.persists.first?.promised == ballot(5, r1), "the next election starts above the rejecting ballot")
    }

    @Test("leader: retransmits accepts that a peer has not acknowledged")
    func retransmitsAccepts() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        let proposal = replica.step(.propose([put(1, 1, "a", "1")]))
        // Only our own vote is in: the slot is not chosen, so the accept must go out again.
        _ = replica.step(.persisted(upTo: proposal.lastPersistID!))
        var resent: [Message] = []
        for _ in 0..<4 { resent += replica.step(.tick).messages(to: r3) }
        #expect(resent.contains { if case .accept(_, let entries, _) = $0 { entries.map(\.slot) == [Slot(1)] } else { false } },
                "the accept is resent to the replica that never answered")
    }

    @Test("leader: steps down when no majority answered for an election timeout")
    func stepsDownWhenCutOff() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        for _ in 0..<25 { _ = replica.step(.tick) }
        #expect(replica.status.role != .leader)
    }

    @Test("election: failed elections back off, growing the timeout")
    func electionBackoff() {
        var replica = makeReplica(r1) { $0.electionBackoffMax = 8 }
        var gaps: [Int] = []
        var ticks = 0
        for _ in 0..<5 {
            var waited = 0
            // A new election persists a new promise; prepare retransmissions do not.
            // Peers grant each pre-prepare (nobody leads) but never promise: every election fails.
            repeat { waited += 1; ticks += 1 } while !replica.stepGrantingPrePrepare(.tick).persists.contains { $0.promised != nil }
            gaps.append(waited)
        }
        // Base timeouts are drawn from [10, 20); later ones are multiplied by 2, 4, 8.
        #expect(gaps[0] < 20)
        #expect(gaps[3] >= 40, "after three failed elections the timeout is at least 4 × the base: \(gaps)")
        #expect(gaps[4] >= 80)
    }
}
