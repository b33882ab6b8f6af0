// Method: drive one Replica by hand through the pre-prepare round (Raft's pre-vote, Ongaro's
// thesis §9.6), a leader's answer to rejects carrying a higher ballot, and check-quorum, and
// assert on its actions and status. Covers "no disruption by a partitioned node": a replica cut
// off from the others never raises its ballot; a peer says yes only while it hears no live
// leader; a ballot that never won a majority of promises does not depose a leader that a
// majority still accepts; a leader that hears no majority steps down by itself.
import PaxosCore
import Testing

@Suite("pre-prepare and check-quorum")
struct PreVoteTests {
    @Test("pre-prepare: a follower cut off from every peer never raises or persists its ballot", arguments: [1, 7, 42] as [UInt64])
    func partitionedFollowerKeepsItsBallot(seed: UInt64) {
        var replica = makeReplica(r3, durable: DurableState(promised: ballot(4, r1), entries: [], appliedThrough: .zero), seed: seed)
        var asked = 0
        for _ in 0..<500 {
            let actions = replica.step(.tick)
            #expect(actions.persists.isEmpty, "nothing is persisted while nobody answers")
            // Asking for chosen slots after a failed round is allowed: it raises nothing.
            for send in actions.sends where send.message.kind != "catch_up_request" {
                guard case .prePrepare(let b, _) = send.message else {
                    Issue.record("a cut-off follower sent \(send.message.kind)")
                    continue
                }
                #expect(b == ballot(5, r3), "the ballot it would use stays one above what it knows")
                asked += 1
            }
        }
        #expect(replica.promised == ballot(4, r1))
        #expect(replica.status.role == .follower)
        #expect(asked > 0, "it keeps asking, so it can run once a majority hears no leader")
    }

    /// Ticks since the follower last heard the leader, and whether it grants a pre-prepare then.
    @Test("pre-prepare: refused while a leader is heard within the election timeout, granted after", arguments: [
        (0, false), (5, false), (9, false), (10, true), (40, true),
    ] as [(Int, Bool)])
    func grantsOnlyWithoutLiveLeader(ticksSinceLeader: Int, granted: Bool) {
        var replica = makeReplica(r2)
        _ = replica.step(.tick)
        _ = replica.step(.message(from: r1, .heartbeat(ballot: ballot(1, r1), chosenThrough: .zero, readRound: 0)))
        for _ in 0..<ticksSinceLeader { _ = replica.step(.tick) }
        let promisedBefore = replica.promised
        let actions = replica.step(.message(from: r3, .prePrepare(ballot: ballot(2, r3), fromSlot: Slot(1))))
        #expect(actions.messages(to: r3) == [.prePromise(ballot: ballot(2, r3), granted: granted, promised: promisedBefore)])
        #expect(actions.persists.isEmpty, "a pre-prepare is answered without persisting anything")
        #expect(replica.promised == promisedBefore, "and without promising anything")
    }

    @Test("pre-prepare: a leader that hears a majority refuses; one that lost it grants", arguments: [true, false])
    func leaderGrantsOnlyWhenCutOff(hearsMajority: Bool) {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        for _ in 0..<15 {
            let actions = replica.step(.tick)
            guard hearsMajority else { continue }
            for case .heartbeat(let b, _, let round) in actions.messages(to: r2) {
                _ = replica.step(.message(from: r2, .heartbeatAck(ballot: b, readRound: round)))
            }
        }
        let actions = replica.step(.message(from: r3, .prePrepare(ballot: ballot(2, r3), fromSlot: Slot(1))))
        guard case .prePromise(_, let granted, _, _)? = actions.messages(to: r3).first else {
            Issue.record("no answer to a pre-prepare")
            return
        }
        #expect(granted == !hearsMajority)
    }

    @Test("pre-prepare: refused to a candidate whose phase 1 would need slots we compacted")
    func refusedBehindSnapshot() {
        let chosen = (1...4).map { LogEntry(slot: Slot(UInt64($0)), ballot: ballot(1, r1), command: .noop, chosen: true) }
        var replica = makeReplica(r2, durable: DurableState(promised: ballot(1, r1), entries: chosen, appliedThrough: Slot(4), snapshotThrough: Slot(3)))
        for _ in 0..<40 { _ = replica.step(.tick) }
        let behind = replica.step(.message(from: r3, .prePrepare(ballot: ballot(2, r3), fromSlot: Slot(2))))
        #expect(behind.messages(to: r3) == [.prePromise(ballot: ballot(2, r3), granted: false, promised: ballot(1, r1))])
        let ahead = replica.step(.message(from: r3, .prePrepare(ballot: ballot(2, r3), fromSlot: Slot(4))))
        #expect(ahead.messages(to: r3) == [.prePromise(ballot: ballot(2, r3), granted: true, promised: ballot(1, r1))])
    }

    @Test("pre-prepare: phase 1 starts only with a majority of yes, above every promise reported")
    func electionNeedsMajorityOfYes() {
        var replica = makeReplica(r1)
        var asked: Ballot?
        for _ in 0..<40 where asked == nil {
            for case .prePrepare(let b, _) in replica.step(.tick).messages(to: r2) { asked = b }
        }
        guard let asked else { Issue.record("no pre-prepare within 40 ticks"); return }
        let refused = replica.step(.message(from: r2, .prePromise(ballot: asked, granted: false, promised: ballot(7, r2))))
        #expect(refused.sends.isEmpty && refused.persists.isEmpty, "a no (with ourselves, one of three) is no majority")
        let granted = replica.step(.message(from: r3, .prePromise(ballot: asked, granted: true, promised: .zero)))
        #expect(granted.persists.first?.promised == ballot(8, r1), "phase 1 goes above the promise the refusal reported")
        #expect(granted.messages(to: r2) == [.prepare(ballot: ballot(8, r1), fromSlot: Slot(1))])
        #expect(replica.status.role == .candidate)
    }

    @Test("pre-prepare: a stale answer, or one after a leader was heard, starts nothing")
    func staleAnswersIgnored() {
        var replica = makeReplica(r1)
        var asked: Ballot?
        for _ in 0..<40 where asked == nil {
            for case .prePrepare(let b, _) in replica.step(.tick).messages(to: r2) { asked = b }
        }
        guard let asked else { Issue.record("no pre-prepare within 40 ticks"); return }
        let old = replica.step(.message(from: r2, .prePromise(ballot: ballot(asked.round - 1, r1), granted: true, promised: .zero)))
        #expect(old.persists.isEmpty)
        _ = replica.step(.message(from: r3, .heartbeat(ballot: ballot(1, r3), chosenThrough: .zero, readRound: 0)))
        let late = replica.step(.message(from: r2, .prePromise(ballot: asked, granted: true, promised: .zero)))
        #expect(late.persists.isEmpty && replica.status.role == .follower, "a live leader ended the round")
    }

    @Test("leader: keeps leading through a reject from an acceptor whose ballot won no majority")
    func ignoresRejectFromNonWinner() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        let rejected = replica.step(.message(from: r3, .reject(ballot: ballot(1, r1), promised: ballot(9, r3))))
        #expect(replica.status.role == .leader)
        #expect(rejected.replies.isEmpty && rejected.persists.isEmpty)
        // r2 and we still make a majority: a proposal is chosen without r3.
        let proposal = replica.step(.propose([put(1, 1, "a", "1")]))
        _ = replica.step(.persisted(upTo: proposal.lastPersistID!))
        let accepted = replica.step(.message(from: r2, .accepted(ballot: ballot(1, r1), slots: [Slot(1)])))
        #expect(accepted.applies.map(\.slot) == [Slot(1)])
    }

    @Test("leader: raises its own ballot over a minority that promised higher once an election timeout passed")
    func raisesBallotOverRejecters() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        _ = replica.step(.message(from: r3, .reject(ballot: ballot(1, r1), promised: ballot(9, r3))))
        var prepare: Message?
        for _ in 0..<25 where prepare == nil {
            let actions = replica.step(.tick)
            for case .heartbeat(let b, _, let round) in actions.messages(to: r2) {
                _ = replica.step(.message(from: r2, .heartbeatAck(ballot: b, readRound: round)))
            }
            prepare = actions.messages(to: r3).first { if case .prepare = $0 { true } else { false } }
        }
        #expect(prepare == .prepare(ballot: ballot(10, r1), fromSlot: Slot(1)), "phase 1 again, above the rejecting ballot")
        #expect(replica.status.role == .candidate)
    }

    @Test("leader: the planted bug steps down on any reject with a higher ballot")
    func plantedBugStepsDown() {
        var replica = makeReplica(r1) { $0._plantedBug = .stepDownOnAnyReject }
        _ = replica.becomeLeaderForTest()
        _ = replica.step(.message(from: r3, .reject(ballot: ballot(1, r1), promised: ballot(9, r3))))
        #expect(replica.status.role == .follower)
    }

    /// Which peers acknowledge the leader's heartbeats, and whether it still leads after three
    /// election timeouts (check-quorum runs once per election timeout).
    @Test("check-quorum: a leader that hears no majority within an election timeout steps down by itself", arguments: [
        ([], false), ([r2], true), ([r3], true), ([r2, r3], true),
    ] as [([ReplicaID], Bool)])
    func checkQuorum(acking: [ReplicaID], leads: Bool) {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        for _ in 0..<30 {
            let actions = replica.step(.tick)
            for peer in acking {
                for case .heartbeat(let b, _, let round) in actions.messages(to: peer) {
                    _ = replica.step(.message(from: peer, .heartbeatAck(ballot: b, readRound: round)))
                }
            }
        }
        #expect((replica.status.role == .leader) == leads)
    }
}
