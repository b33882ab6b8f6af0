// Leader leases in the core (Replica+Lease.swift): what an acceptor refuses while it grants a
// lease, when a leader has a lease basis, and which reads skip their round. The shell's timing
// is tested in PaxosServerTests (LeaderLeaseTests); the whole in the simulator
// (LeaseSimulationTests).
import PaxosCore
import Testing

private let leaseTicks: UInt64 = 8

private func leasedReplica(_ id: ReplicaID, preferred: ReplicaID? = nil) -> Replica {
    makeReplica(id) {
        $0.leaseTicks = leaseTicks
        if let preferred {
            $0.preferredLeader = preferred
            $0.takeoverTicks = 20
        }
    }
}

private extension Replica {
    /// Ticks `count` times, dropping the actions.
    mutating func tick(_ count: UInt64) {
        for _ in 0..<count { _ = step(.tick) }
    }

    /// A follower past its restart refusal that promised r1's `b` in phase 1 and acknowledged a
    /// heartbeat of it. `preferred`: the replica whose prepares are never ignored as disruptive,
    /// so only the grant refuses them.
    static func grantingFollower(_ id: ReplicaID, to b: Ballot, preferred: ReplicaID? = nil) -> Replica {
        var replica = leasedReplica(id, preferred: preferred)
        replica.tick(leaseTicks)
        precondition(replica.promises(to: b.replica, on: .message(from: b.replica, .prepare(ballot: b, fromSlot: Slot(1)))))
        let acks = replica.step(.message(from: b.replica, .heartbeat(ballot: b, chosenThrough: .zero, readRound: 1)))
        precondition(acks.messages(to: b.replica).contains { if case .heartbeatAck = $0 { true } else { false } })
        return replica
    }

    /// Steps `input` and reports the persist it asked for as durable: whether a promise to
    /// `peer` left (a promise waits for its record, `Action`).
    mutating func promises(to peer: ReplicaID, on input: Input) -> Bool {
        var actions = step(input)
        if let id = actions.lastPersistID { actions += step(.persisted(upTo: id)) }
        return actions.messages(to: peer).contains { if case .promise = $0 { true } else { false } }
    }
}

private func heartbeatRounds(_ actions: [Action], to peer: ReplicaID) -> [UInt64] {
    actions.messages(to: peer).compactMap { if case .heartbeat(_, _, let round) = $0 { round } else { nil } }
}

@Suite("leases: the acceptor's grant")
struct LeaseGrantTests {
    @Test("an acknowledged heartbeat refuses another replica's prepare for the lease, and no longer")
    func grantRefusesOthers() {
        // r3 is the preferred replica here, whose prepares are never ignored as disruptive:
        // only the grant refuses them.
        var replica = Replica.grantingFollower(r2, to: ballot(1, r1), preferred: r3)
        var promised = false
        var ticks: UInt64 = 0
        // r3 keeps asking (a candidate retransmits); the answer comes only once the grant ran out.
        while !promised && ticks < 3 * leaseTicks {
            promised = replica.promises(to: r3, on: .message(from: r3, .prepare(ballot: ballot(2, r3), fromSlot: Slot(1))))
            if !promised { _ = replica.step(.tick); ticks += 1 }
        }
        #expect(promised)
        #expect(ticks == leaseTicks, "promised after \(ticks) ticks; the grant lasts \(leaseTicks)")
    }

    @Test("the holder's own higher ballot is promised during its grant")
    func holderMayRaise() {
        var replica = Replica.grantingFollower(r2, to: ballot(1, r1))
        let promised1 = replica.promises(to: r1, on: .message(from: r1, .prepare(ballot: ballot(3, r1), fromSlot: Slot(1))))
        #expect(promised1)
        #expect(replica.promised == ballot(3, r1))
    }

    @Test("a restarted acceptor refuses every prepare, and runs no election, for a whole lease")
    func restartRefusesEveryone() {
        var replica = leasedReplica(r2)
        #expect(replica.leaseGrant == LeaseGrant(ballot: nil, until: leaseTicks))
        for tick in 0..<leaseTicks {
            let promised = replica.promises(to: r1, on: .message(from: r1, .prepare(ballot: ballot(2, r1), fromSlot: Slot(1))))
            #expect(!promised, "promised \(tick) ticks after the restart")
            _ = replica.step(.tick)
        }
        let promised2 = replica.promises(to: r1, on: .message(from: r1, .prepare(ballot: ballot(2, r1), fromSlot: Slot(1))))
        #expect(promised2)
        // Without leases a fresh replica promises at once.
        var plain = makeReplica(r2)
        let promised3 = plain.promises(to: r1, on: .message(from: r1, .prepare(ballot: ballot(2, r1), fromSlot: Slot(1))))
        #expect(promised3)
    }

    @Test("an acceptor granting another leader does not promise itself")
    func grantBlocksOwnElection() {
        var replica = Replica.grantingFollower(r2, to: ballot(1, r1))
        // The pre-prepare majority says yes (r1 fell silent, say), but our own grant to r1 still runs.
        var prepared = false
        var ticksToPrepare: UInt64 = 0
        for tick in 1...UInt64(40) where !prepared {
            let actions = replica.stepGrantingPrePrepare(.tick)
            if actions.sends.contains(where: { if case .prepare = $0.message { true } else { false } }) {
                prepared = true
                ticksToPrepare = tick
            }
        }
        #expect(prepared)
        #expect(ticksToPrepare >= leaseTicks, "prepared \(ticksToPrepare) ticks after granting a lease of \(leaseTicks)")
    }

    @Test("a restarted acceptor refuses pre-prepares for a whole lease")
    func restartRefusesPrePrepare() {
        // A restarted acceptor heard no leader, so hearing one does not refuse for it: its
        // restart grant does (the leader it acknowledged before the crash may hold a lease).
        var replica = leasedReplica(r2)
        func granted(_ actions: [Action]) -> Bool {
            actions.messages(to: r3).contains { if case .prePromise(_, true, _, _) = $0 { true } else { false } }
        }
        #expect(!granted(replica.step(.message(from: r3, .prePrepare(ballot: ballot(2, r3), fromSlot: Slot(1))))))
        replica.tick(leaseTicks)
        #expect(granted(replica.step(.message(from: r3, .prePrepare(ballot: ballot(2, r3), fromSlot: Slot(1))))))
    }

    @Test("a hand-over of the granted ballot voids the grant; one of an older ballot does not")
    func handOverDropsGrant() {
        var replica = Replica.grantingFollower(r2, to: ballot(4, r1))
        _ = replica.step(.message(from: r1, .handOver(ballot: ballot(3, r1), successor: r3)))
        #expect(replica.leaseGrant?.ballot == ballot(4, r1), "a late hand-over of r1's earlier leadership voided the grant")
        _ = replica.step(.message(from: r1, .handOver(ballot: ballot(4, r1), successor: r3)))
        #expect(replica.leaseGrant == nil)
        let promised4 = replica.promises(to: r3, on: .message(from: r3, .prepare(ballot: ballot(5, r3), fromSlot: Slot(1))))
        #expect(promised4)
    }

    @Test("hostile: another peer cannot void the grant with the holder's ballot, nor take it with a heartbeat of it")
    func forgedMessagesKeepGrant() {
        var replica = Replica.grantingFollower(r2, to: ballot(4, r1))
        // r3 sends r1's ballot: refused as not its own, and the grant to r1 stays.
        let handOver = replica.step(.message(from: r3, .handOver(ballot: ballot(4, r1), successor: r3)))
        #expect(handOver.contains(.countRefusal(PeerMessageRefusal(peer: r3, kind: "hand_over", reason: .ballotNotOwnedBySender))))
        #expect(replica.leaseGrant?.ballot == ballot(4, r1))
        let heartbeat = replica.step(.message(from: r3, .heartbeat(ballot: ballot(9, r1), chosenThrough: .zero, readRound: 1)))
        #expect(heartbeat.sends.isEmpty)
        #expect(replica.leaseGrant?.ballot == ballot(4, r1))
    }

    @Test("configuration: a lease must exceed the heartbeat interval and fit in the election timeout")
    func validation() {
        for (ticks, valid) in [(UInt64(0), true), (2, false), (3, true), (10, true), (11, false)] {
            var configuration = configuration(r1)
            configuration.leaseTicks = ticks
            #expect((try? configuration.validate()) != nil || !valid, "\(ticks) ticks should be valid")
            #expect((try? configuration.validate()) == nil || valid, "\(ticks) ticks should be refused")
        }
    }
}

@Suite("leases: the leader")
struct LeaseLeaderTests {
    /// r1 leading in 1.1 with leases, its first round confirmed by r2.
    static func leasedLeader(preferred: ReplicaID? = nil) -> Replica {
        var replica = leasedReplica(r1, preferred: preferred)
        _ = replica.becomeLeaderForTest()
        #expect(replica.role == .leader)
        // The first read round starts within a heartbeat interval.
        var round: UInt64 = 0
        for _ in 0..<4 where round == 0 { round = heartbeatRounds(replica.step(.tick), to: r2).max() ?? 0 }
        _ = replica.step(.message(from: r2, .heartbeatAck(ballot: ballot(1, r1), readRound: round)))
        #expect(replica.leaseBasis == LeaseBasis(ballot: ballot(1, r1), round: round))
        return replica
    }

    @Test("no lease basis until a majority acknowledged a round; then that round")
    func basisAfterRound() {
        var replica = leasedReplica(r1)
        _ = replica.becomeLeaderForTest()
        #expect(replica.leaseBasis == nil)
        var round: UInt64 = 0
        for _ in 0..<4 {
            if let sent = heartbeatRounds(replica.step(.tick), to: r2).max() { round = sent }
        }
        #expect(round > 0, "a leader with leases starts read rounds on its own")
        #expect(replica.leaseBasis == nil)
        _ = replica.step(.message(from: r3, .heartbeatAck(ballot: ballot(1, r1), readRound: round)))
        #expect(replica.leaseBasis == LeaseBasis(ballot: ballot(1, r1), round: round))
    }

    @Test("a leased read is served without a round; without a basis it waits for one")
    func leasedReadSkipsRound() {
        var replica = Self.leasedLeader()
        #expect(replica.leaseBasis != nil)
        let leased = replica.step(.read(ReadID(1), leased: true))
        #expect(leased.replies == [.readReady(ReadID(1))])
        #expect(heartbeatRounds(leased, to: r2).isEmpty, "a leased read started a round")
        // The same read not leased waits for a new round.
        let plain = replica.step(.read(ReadID(2)))
        #expect(plain.replies.isEmpty)
        #expect(!heartbeatRounds(plain, to: r2).isEmpty)
        // No leases configured: `leased` is ignored.
        var unleased = makeReplica(r1)
        _ = unleased.becomeLeaderForTest()
        #expect(unleased.step(.read(ReadID(3), leased: true)).replies.isEmpty)
    }

    @Test("a leader with leases starts a round every heartbeat interval, even while accepts go out")
    func renewsUnderLoad() {
        var replica = Self.leasedLeader()
        var rounds: Set<UInt64> = []
        for tick in 0..<20 {
            _ = replica.step(.propose([put(1, UInt64(tick + 1), "k", "v")]))
            let actions = replica.step(.tick)
            for round in heartbeatRounds(actions, to: r2) {
                rounds.insert(round)
                _ = replica.step(.message(from: r2, .heartbeatAck(ballot: ballot(1, r1), readRound: round)))
            }
        }
        #expect(rounds.count >= 9, "rounds started in 20 ticks with a heartbeat interval of 2: \(rounds.sorted())")
    }

    @Test("stepping down ends the basis")
    func basisEndsOnStepDown() {
        // A leader cut off from the others (nothing heard for two election timeouts) promises
        // the next candidate: it is a follower, and its basis is gone with its leadership.
        var replica = Self.leasedLeader()
        #expect(replica.leaseBasis != nil)
        replica.tick(25)
        _ = replica.step(.message(from: r2, .prepare(ballot: ballot(2, r2), fromSlot: Slot(1))))
        #expect(replica.role != .leader)
        #expect(replica.leaseBasis == nil)
    }

    @Test("a chosen membership change ends the basis until a round started after it is acknowledged")
    func basisEndsOnMembershipChange() {
        var replica = Self.leasedLeader()
        let basis = replica.leaseBasis
        #expect(basis != nil)
        var actions = replica.step(.changeMembership(.remove(r3)))
        guard let slot = actions.replies.compactMap({ reply -> Slot? in
            if case .membershipChangeProposed(_, _, let slot) = reply { slot } else { nil }
        }).first else {
            Issue.record("the change was not proposed: \(actions.replies)")
            return
        }
        actions = replica.step(.persisted(upTo: actions.lastPersistID!))
        actions += replica.step(.message(from: r2, .accepted(ballot: ballot(1, r1), slots: [slot])))
        #expect(replica.chosenThrough >= slot)
        #expect(replica.leaseBasis == nil, "the lease outlived the membership change")
        // An acknowledgement of a round started before the change does not bring it back.
        _ = replica.step(.message(from: r2, .heartbeatAck(ballot: ballot(1, r1), readRound: basis!.round)))
        #expect(replica.leaseBasis == nil)
        var later: UInt64 = 0
        for _ in 0..<4 { if let round = heartbeatRounds(replica.step(.tick), to: r2).max() { later = round } }
        _ = replica.step(.message(from: r2, .heartbeatAck(ballot: ballot(1, r1), readRound: later)))
        #expect(replica.leaseBasis == LeaseBasis(ballot: ballot(1, r1), round: later))
    }

    @Test("the preferred replica gets the lead by a hand-over, not a prepare")
    func handsOverToPreferred() {
        var replica = Self.leasedLeader(preferred: r2)
        var handedOver: [Action] = []
        for _ in 0..<60 where handedOver.isEmpty {
            let actions = replica.step(.tick)
            for round in heartbeatRounds(actions, to: r2) {
                _ = replica.step(.message(from: r2, .heartbeatAck(ballot: ballot(1, r1), readRound: round)))
            }
            if actions.messages(to: r2).contains(where: { if case .handOver = $0 { true } else { false } }) { handedOver = actions }
        }
        #expect(handedOver.messages(to: r2).contains(.handOver(ballot: ballot(1, r1), successor: r2)))
        #expect(handedOver.messages(to: r3).contains(.handOver(ballot: ballot(1, r1), successor: r2)))
        #expect(replica.role == .follower)
        #expect(replica.leaseBasis == nil)
        // The preferred follower, granting r1, runs at once on the hand-over.
        var preferred = Replica.grantingFollower(r2, to: ballot(1, r1))
        let election = preferred.step(.message(from: r1, .handOver(ballot: ballot(1, r1), successor: r2)))
        #expect(election.sends.contains { if case .prepare = $0.message { true } else { false } })
    }
}
