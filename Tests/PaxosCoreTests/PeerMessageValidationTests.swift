// Method: feed one replica peer messages that an honest peer never sends — ballots and slots
// beyond Ballot.maxRound / Slot.max, ballots the sender may not use, catch-up replies nobody
// asked for, snapshots nobody asked for — and assert the step does nothing but emit one
// `.countRefusal` naming the reason, and that the replica still works afterwards (a later
// election must not overflow). The simulator never sends these messages unless run with
// --corrupt-messages, so each needs its own test. Paxos itself (Lamport, "Paxos Made Simple")
// assumes non-Byzantine agents; these checks keep a buggy or old peer inside that assumption.
// Covers ARCHITECTURE.md "Peer messages are checked against protocol state".
import PaxosCore
import Testing

@Suite("peer message validation")
struct PeerMessageValidationTests {
    static let huge = UInt64.max
    static let aboveMax = Ballot.maxRound + 1
    static let command = Command.batch([put(1, 1, "k", "v")])

    /// One message replica 2 must refuse, from `sender`.
    struct Refused: Sendable, CustomTestStringConvertible {
        var name: String
        var sender: ReplicaID
        var message: Message
        var reason: RefusalReason
        var testDescription: String { name }
    }

    static let refused: [Refused] = [
        // Ballot rounds above the maximum, in every message that carries one.
        Refused(name: "prepare at round 2^64-1", sender: r1, message: .prepare(ballot: ballot(huge, r1), fromSlot: Slot(1)), reason: .ballotOutOfRange),
        Refused(name: "accept at round 2^64-1", sender: r1, message: .accept(ballot: ballot(huge, r1), entries: [AcceptEntry(slot: Slot(1), command: command)], chosenThrough: Slot(1)), reason: .ballotOutOfRange),
        Refused(name: "accept at maxRound+1", sender: r1, message: .accept(ballot: ballot(aboveMax, r1), entries: [], chosenThrough: .zero), reason: .ballotOutOfRange),
        Refused(name: "heartbeat at round 2^64-1", sender: r1, message: .heartbeat(ballot: ballot(huge, r1), chosenThrough: .zero, readRound: 1), reason: .ballotOutOfRange),
        Refused(name: "promise at round 2^64-1", sender: r1, message: .promise(ballot: ballot(huge, r2), entries: [], compactedThrough: .zero), reason: .ballotOutOfRange),
        Refused(name: "accepted at round 2^64-1", sender: r1, message: .accepted(ballot: ballot(huge, r2), slots: [Slot(1)]), reason: .ballotOutOfRange),
        Refused(name: "heartbeat ack at round 2^64-1", sender: r1, message: .heartbeatAck(ballot: ballot(huge, r2), readRound: 1), reason: .ballotOutOfRange),
        Refused(name: "reject naming a promise at round 2^64-1", sender: r1, message: .reject(ballot: ballot(1, r2), promised: ballot(huge, r1)), reason: .ballotOutOfRange),
        Refused(name: "reject of a ballot at round 2^64-1", sender: r1, message: .reject(ballot: ballot(huge, r2), promised: ballot(2, r1)), reason: .ballotOutOfRange),
        Refused(name: "promise entry accepted at round 2^64-1", sender: r1, message: .promise(ballot: ballot(2, r2), entries: [LogEntry(slot: Slot(1), ballot: ballot(huge, r3), command: command, chosen: false)], compactedThrough: .zero), reason: .inconsistentBallots),
        // Ballots the sender may not use.
        Refused(name: "prepare in another replica's ballot", sender: r3, message: .prepare(ballot: ballot(5, r1), fromSlot: Slot(1)), reason: .ballotNotOwnedBySender),
        Refused(name: "accept in another replica's ballot", sender: r3, message: .accept(ballot: ballot(5, r1), entries: [AcceptEntry(slot: Slot(1), command: command)], chosenThrough: Slot(1)), reason: .ballotNotOwnedBySender),
        Refused(name: "heartbeat in another replica's ballot", sender: r3, message: .heartbeat(ballot: ballot(5, r1), chosenThrough: Slot(1), readRound: 0), reason: .ballotNotOwnedBySender),
        Refused(name: "accept in ballot of replica 0", sender: r3, message: .accept(ballot: ballot(5, ReplicaID(0)), entries: [], chosenThrough: .zero), reason: .ballotNotOwnedBySender),
        Refused(name: "promise for a ballot not ours", sender: r1, message: .promise(ballot: ballot(5, r3), entries: [], compactedThrough: .zero), reason: .ballotNotOurs),
        Refused(name: "accepted for a ballot not ours", sender: r1, message: .accepted(ballot: ballot(5, r3), slots: [Slot(1)]), reason: .ballotNotOurs),
        Refused(name: "heartbeat ack for a ballot not ours", sender: r1, message: .heartbeatAck(ballot: ballot(5, r3), readRound: 1), reason: .ballotNotOurs),
        Refused(name: "reject of a ballot not ours", sender: r1, message: .reject(ballot: ballot(5, r3), promised: ballot(6, r1)), reason: .ballotNotOurs),
        Refused(name: "reject naming a promise to reserved replica 0", sender: r1, message: .reject(ballot: ballot(1, r2), promised: ballot(6, ReplicaID(0))), reason: .inconsistentBallots),
        Refused(name: "promise entry accepted above the promise", sender: r1, message: .promise(ballot: ballot(2, r2), entries: [LogEntry(slot: Slot(1), ballot: ballot(3, r3), command: command, chosen: false)], compactedThrough: .zero), reason: .inconsistentBallots),
        // Slots above the maximum (or zero where a slot is meant).
        Refused(name: "accept for slot 2^64-1", sender: r1, message: .accept(ballot: ballot(1, r1), entries: [AcceptEntry(slot: Slot(huge), command: command)], chosenThrough: .zero), reason: .slotOutOfRange),
        Refused(name: "accept for slot Slot.max+1", sender: r1, message: .accept(ballot: ballot(1, r1), entries: [AcceptEntry(slot: Slot.max.next, command: command)], chosenThrough: .zero), reason: .slotOutOfRange),
        Refused(name: "accept for slot 0", sender: r1, message: .accept(ballot: ballot(1, r1), entries: [AcceptEntry(slot: .zero, command: command)], chosenThrough: .zero), reason: .slotOutOfRange),
        Refused(name: "accept with chosen frontier 2^64-1", sender: r1, message: .accept(ballot: ballot(1, r1), entries: [], chosenThrough: Slot(huge)), reason: .slotOutOfRange),
        Refused(name: "heartbeat with chosen frontier 2^64-1", sender: r1, message: .heartbeat(ballot: ballot(1, r1), chosenThrough: Slot(huge), readRound: 0), reason: .slotOutOfRange),
        Refused(name: "prepare from slot 2^64-1", sender: r1, message: .prepare(ballot: ballot(1, r1), fromSlot: Slot(huge)), reason: .slotOutOfRange),
        Refused(name: "accepted for slot 2^64-1", sender: r1, message: .accepted(ballot: ballot(1, r2), slots: [Slot(huge)]), reason: .slotOutOfRange),
        Refused(name: "promise compacted through 2^64-1", sender: r1, message: .promise(ballot: ballot(1, r2), entries: [], compactedThrough: Slot(huge)), reason: .slotOutOfRange),
        Refused(name: "promise entry at slot 2^64-1", sender: r1, message: .promise(ballot: ballot(1, r2), entries: [LogEntry(slot: Slot(huge), ballot: .zero, command: command, chosen: true)], compactedThrough: .zero), reason: .slotOutOfRange),
        Refused(name: "catch-up request through 2^64-1", sender: r1, message: .catchUpRequest(from: Slot(1), through: Slot(huge)), reason: .slotOutOfRange),
        Refused(name: "catch-up request from 2^64-1", sender: r1, message: .catchUpRequest(from: Slot(huge), through: Slot(huge)), reason: .slotOutOfRange),
        // The pre-prepare round: the same ranges and ownership as prepare and its answers.
        Refused(name: "pre-prepare at round 2^64-1", sender: r1, message: .prePrepare(ballot: ballot(huge, r1), fromSlot: Slot(1)), reason: .ballotOutOfRange),
        Refused(name: "pre-prepare in another replica's ballot", sender: r3, message: .prePrepare(ballot: ballot(5, r1), fromSlot: Slot(1)), reason: .ballotNotOwnedBySender),
        Refused(name: "pre-prepare from slot 2^64-1", sender: r1, message: .prePrepare(ballot: ballot(1, r1), fromSlot: Slot(huge)), reason: .slotOutOfRange),
        Refused(name: "pre-prepare from slot 0", sender: r1, message: .prePrepare(ballot: ballot(1, r1), fromSlot: .zero), reason: .slotOutOfRange),
        Refused(name: "pre-promise of a ballot at round 2^64-1", sender: r1, message: .prePromise(ballot: ballot(huge, r2), granted: true, promised: .zero), reason: .ballotOutOfRange),
        Refused(name: "pre-promise naming a promise at round 2^64-1", sender: r1, message: .prePromise(ballot: ballot(1, r2), granted: true, promised: ballot(huge, r1)), reason: .ballotOutOfRange),
        Refused(name: "pre-promise for a ballot not ours", sender: r1, message: .prePromise(ballot: ballot(5, r3), granted: true, promised: .zero), reason: .ballotNotOurs),
        Refused(name: "pre-promise naming a promise to reserved replica 0", sender: r1, message: .prePromise(ballot: ballot(1, r2), granted: false, promised: ballot(6, ReplicaID(0))), reason: .inconsistentBallots),
        // A hand-over speaks in the leaving leader's own ballot, like its accepts.
        Refused(name: "hand-over at round 2^64-1", sender: r1, message: .handOver(ballot: ballot(huge, r1), successor: r2), reason: .ballotOutOfRange),
        Refused(name: "hand-over in another replica's ballot", sender: r3, message: .handOver(ballot: ballot(5, r1), successor: r3), reason: .ballotNotOwnedBySender),
        Refused(name: "hand-over from a non-member", sender: ReplicaID(9), message: .handOver(ballot: ballot(1, ReplicaID(9)), successor: r2), reason: .notAMember),
        // Answers nobody asked for.
        Refused(name: "catch-up reply with no request outstanding", sender: r3, message: .catchUpReply(entries: [ChosenEntry(slot: Slot(1), command: command)]), reason: .catchUpNotAsked),
        // Not a peer at all.
        Refused(name: "accept from a non-member", sender: ReplicaID(9), message: .accept(ballot: ballot(1, ReplicaID(9)), entries: [], chosenThrough: .zero), reason: .notAMember),
    ]

    @Test("validation: a message an honest peer never sends is refused, counted, and changes nothing", arguments: refused)
    func refusesAndCountsOnly(_ refused: Refused) {
        var replica = makeReplica(r2)
        let before = replica.status
        let actions = replica.step(.message(from: refused.sender, refused.message))
        #expect(actions == [.countRefusal(PeerMessageRefusal(peer: refused.sender, kind: refused.message.kind, reason: refused.reason))])
        #expect(replica.status == before)
        #expect(replica.entry(at: Slot(1)) == nil)
        #expect(replica.invariantViolations().isEmpty)
        // The next election still finds a ballot above everything seen: nothing was stored.
        let election = replica.tickUntilElection()
        #expect(election.sends.contains { $0.message == .prepare(ballot: ballot(1, r2), fromSlot: Slot(1)) })
    }

    @Test("validation: a candidate refuses a reject naming a promise at round 2^64-1 and campaigns again without overflow")
    func candidateSurvivesHugeReject() {
        var replica = makeReplica(r1)
        let first = replica.tickUntilElection()
        guard case .prepare(let own, _)? = first.sends.first?.message else {
            Issue.record("no prepare")
            return
        }
        let actions = replica.step(.message(from: r2, .reject(ballot: own, promised: ballot(.max, r2))))
        #expect(actions.contains(.countRefusal(PeerMessageRefusal(peer: r2, kind: "reject", reason: .ballotOutOfRange))))
        #expect(replica.role == .candidate)
        var again: [Action] = []
        for _ in 0..<200 where again.isEmpty {
            // A failed candidate asks again (pre-prepare) before raising; peers say yes here.
            let step = replica.stepGrantingPrePrepare(.tick)
            // Retransmissions repeat `own`; the next election uses a new ballot.
            if step.sends.contains(where: { if case .prepare(let b, _) = $0.message { b != own } else { false } }) { again = step }
        }
        #expect(again.sends.contains { $0.message == .prepare(ballot: ballot(own.round + 1, r1), fromSlot: Slot(1)) })
    }

    @Test("validation: a prepare at exactly the maximum round is taken, and the next election waits instead of trapping")
    func ballotsExhausted() {
        var replica = makeReplica(r2)
        let top = ballot(Ballot.maxRound, r1)
        #expect(top.isInRange && !top.hasSuccessor)
        let promised = replica.step(.message(from: r1, .prepare(ballot: top, fromSlot: Slot(1))))
        #expect(promised.persists.first?.promised == top)
        // Without a higher ballot there is nothing to campaign with; ticking past every timeout
        // must neither trap nor send a prepare.
        var prepares = 0
        for _ in 0..<500 {
            prepares += replica.step(.tick).sends.filter { if case .prepare = $0.message { true } else { false } }.count
        }
        #expect(prepares == 0)
        #expect(replica.promised == top)
    }

    // MARK: Catch-up replies

    /// Replica 2 hears from leader 1 that slots 1–3 are chosen and asks it for them.
    static func followerAskingLeader() -> Replica {
        var replica = makeReplica(r2)
        let actions = replica.step(.message(from: r1, .heartbeat(ballot: ballot(1, r1), chosenThrough: Slot(3), readRound: 0)))
        #expect(actions.messages(to: r1) == [.heartbeatAck(ballot: ballot(1, r1), readRound: 0), .catchUpRequest(from: Slot(1), through: Slot(3))])
        return replica
    }

    @Test("validation: a catch-up reply from a peer that was not asked is refused while another is outstanding")
    func catchUpFromPeerNotAsked() {
        var replica = Self.followerAskingLeader()
        let forged = replica.step(.message(from: r3, .catchUpReply(entries: [ChosenEntry(slot: Slot(1), command: .noop)])))
        #expect(forged == [.countRefusal(PeerMessageRefusal(peer: r3, kind: "catch_up_reply", reason: .catchUpNotAsked))])
        #expect(replica.entry(at: Slot(1)) == nil)
        let real = replica.step(.message(from: r1, .catchUpReply(entries: [ChosenEntry(slot: Slot(1), command: Self.command)])))
        #expect(real.applies.map(\.command) == [Self.command])
    }

    @Test("validation: a catch-up reply for slots outside the range asked is refused whole")
    func catchUpOutsideRange() {
        var replica = Self.followerAskingLeader()
        let beyond = replica.step(.message(from: r1, .catchUpReply(entries: [
            ChosenEntry(slot: Slot(1), command: .noop), ChosenEntry(slot: Slot(4), command: .noop),
        ])))
        #expect(beyond == [.countRefusal(PeerMessageRefusal(peer: r1, kind: "catch_up_reply", reason: .catchUpOutsideRequest))])
        #expect(replica.entry(at: Slot(1)) == nil && replica.entry(at: Slot(4)) == nil)
    }

    @Test("validation: once the slots asked for are known, a repeated reply is dropped without applying")
    func catchUpAfterAnswer() {
        var replica = Self.followerAskingLeader()
        let all = (1...3).map { ChosenEntry(slot: Slot(UInt64($0)), command: .noop) }
        #expect(replica.step(.message(from: r1, .catchUpReply(entries: all))).applies.count == 3)
        // A duplicate is honest (the network duplicates): no refusal, and nothing happens.
        #expect(replica.step(.message(from: r1, .catchUpReply(entries: all))).isEmpty)
    }

    @Test("validation: a forged catch-up reply cannot make a follower vote for the leader's command without storing it")
    func forgedCatchUpThenRealAccept() {
        var replica = makeReplica(r2)
        let forged = replica.step(.message(from: r3, .catchUpReply(entries: [ChosenEntry(slot: Slot(1), command: .noop)])))
        #expect(forged.applies.isEmpty)
        let accept = replica.step(.message(from: r1, .accept(ballot: ballot(1, r1), entries: [AcceptEntry(slot: Slot(1), command: Self.command)], chosenThrough: .zero)))
        #expect(accept.persists.flatMap(\.entries) == [LogEntry(slot: Slot(1), ballot: ballot(1, r1), command: Self.command, chosen: false)])
    }

    // MARK: Chosen frontier

    @Test("validation: an accept's chosen frontier marks only the slots accepted in its ballot; the rest are asked for")
    func chosenFrontierBeyondAccepted() {
        var replica = makeReplica(r2)
        let entries = [AcceptEntry(slot: Slot(1), command: Self.command), AcceptEntry(slot: Slot(2), command: .noop)]
        let actions = replica.step(.message(from: r1, .accept(ballot: ballot(1, r1), entries: entries, chosenThrough: Slot(1_000_000))))
        #expect(actions.applies.map(\.slot) == [Slot(1), Slot(2)])
        #expect(replica.chosenThrough == Slot(2))
        // One request asks for a window of replies of `maxEntriesPerMessage` (128) commands.
        let window = UInt64(Replica.catchUpRepliesPerRequest * 128)
        #expect(actions.messages(to: r1).contains(.catchUpRequest(from: Slot(3), through: Slot(3 + window - 1))))
    }

    @Test("validation: a heartbeat in a higher ballot does not mark a slot accepted in a lower one chosen")
    func heartbeatOtherBallot() {
        var replica = makeReplica(r2)
        _ = replica.step(.message(from: r1, .accept(ballot: ballot(1, r1), entries: [AcceptEntry(slot: Slot(1), command: Self.command)], chosenThrough: .zero)))
        let actions = replica.step(.message(from: r3, .heartbeat(ballot: ballot(2, r3), chosenThrough: Slot(1), readRound: 0)))
        #expect(actions.applies.isEmpty)
        #expect(replica.entry(at: Slot(1))?.chosen == false)
        #expect(actions.messages(to: r3).contains(.catchUpRequest(from: Slot(1), through: Slot(1))))
    }

    // MARK: Snapshots

    @Test("validation: a snapshot is taken only from a peer recently asked for catch-up")
    func snapshotOnlyWhenAsked() {
        var fresh = makeReplica(r2)
        #expect(fresh.reasonToRefuseSnapshot(from: r1, slot: Slot(50)) == .snapshotNotAsked, "nobody was asked")
        _ = fresh.step(.message(from: r1, .heartbeat(ballot: ballot(1, r1), chosenThrough: Slot(60), readRound: 0)))
        #expect(fresh.reasonToRefuseSnapshot(from: r1, slot: Slot(50)) == nil)
        #expect(fresh.reasonToRefuseSnapshot(from: r3, slot: Slot(50)) == .snapshotNotAsked, "replica 3 was not asked")
        // One that no longer takes us forward is honest: not refused here, ignored by the core.
        #expect(fresh.reasonToRefuseSnapshot(from: r1, slot: .zero) == nil)
        #expect(fresh.step(.snapshotReceived(slot: .zero)).isEmpty)
        #expect(fresh.reasonToRefuseSnapshot(from: r1, slot: Slot(.max)) == .slotOutOfRange)
        #expect(fresh.reasonToRefuseSnapshot(from: ReplicaID(9), slot: Slot(50)) == .notAMember)
    }

    // MARK: Stored state

    @Test("validation: durable state beyond the bounds is refused at start with an explanation", arguments: [
        DurableState(promised: ballot(.max, r1)),
        DurableState(promised: ballot(1, r1), entries: [LogEntry(slot: Slot(1), ballot: ballot(Ballot.maxRound + 1, r1), command: .noop, chosen: false)]),
        DurableState(promised: ballot(1, r1), entries: [LogEntry(slot: Slot(.max), ballot: ballot(1, r1), command: .noop, chosen: false)]),
        DurableState(appliedThrough: Slot(.max), snapshotThrough: .zero),
    ])
    func durableStateOutOfRange(_ state: DurableState) {
        #expect(throws: DurableStateError.self) { try state.validate() }
        do { try state.validate() } catch {
            #expect(error.description.contains("above the maximum"))
            #expect(error.description.contains("paxosd --restore"))
        }
    }

    @Test("validation: durable state at the bounds is accepted")
    func durableStateAtBounds() throws {
        try DurableState(promised: ballot(Ballot.maxRound, r1),
                         entries: [LogEntry(slot: Slot.max, ballot: ballot(Ballot.maxRound, r1), command: .noop, chosen: false)]).validate()
    }
}
