// Method: drive one Replica by hand through membership changes (its peers are simulated by the
// test) and assert on its actions and its schedule of memberships. Covers "Paxos Made Simple"
// §3's α-window (a configure chosen in slot s governs from s + α), votes counted per slot by
// that slot's membership and by incarnation, phase 1 over every membership of the window, and
// the encoding and rules of a change (Membership.swift, Replica+Membership.swift).
import PaxosCore
import Testing

let r4 = ReplicaID(4), r5 = ReplicaID(5)
let α = Membership.activationDistance

func member(_ id: ReplicaID, _ incarnation: UInt64 = 1) -> Member { Member(id: id, incarnation: Incarnation(incarnation)) }

/// A replica of the bootstrap {1, 2, 3} that knows `next` was chosen in slot 1.
func replicaKnowing(_ next: Membership, id: ReplicaID = r1, _ tweak: (inout ReplicaConfiguration) -> Void = { _ in }) -> Replica {
    let chosen = LogEntry(slot: Slot(1), ballot: ballot(1, r1), command: .configure(next), chosen: true)
    return makeReplica(id, durable: DurableState(promised: ballot(1, r1), entries: [chosen]), tweak)
}

extension Replica {
    /// Plays `voters` as honest acceptors: answers every prepare with a promise (reporting what
    /// each accepted) and every accept with a vote, and reports our own writes durable, until
    /// nothing more is sent or `limit` rounds pass.
    mutating func voteAlong(_ voters: [ReplicaID], actions first: [Action], limit: Int = 400) -> [Action] {
        var all = first
        var pending = first
        var accepted: [ReplicaID: [Slot: LogEntry]] = [:]
        for _ in 0..<limit {
            var next: [Action] = []
            if let id = pending.lastPersistID { next += step(.persisted(upTo: id)) }
            for peer in voters {
                for message in pending.messages(to: peer) {
                    switch message {
                    case .prepare(let b, let from):
                        let entries = (accepted[peer] ?? [:]).values.filter { $0.slot >= from }.sorted { $0.slot < $1.slot }
                        next += step(.message(from: peer, .promise(ballot: b, entries: entries, compactedThrough: .zero)))
                    case .accept(let b, let entries, _):
                        for entry in entries { accepted[peer, default: [:]][entry.slot] = LogEntry(slot: entry.slot, ballot: b, command: entry.command, chosen: false) }
                        next += step(.message(from: peer, .accepted(ballot: b, slots: entries.map(\.slot))))
                    default: break
                    }
                }
            }
            if next.isEmpty { break }
            all += next
            pending = next
        }
        return all
    }
}

@Suite("membership")
struct MembershipTests {
    @Test("configure: a membership command survives encode and decode", arguments: [
        Membership.initial([r1, r2, r3]),
        Membership(epoch: 7, voters: [member(r1, 0xdead_beef), member(r4, 9)], learners: [member(r5, 42)]),
        Membership(epoch: 8, voters: [member(r1), member(r4, 9)], learners: [member(r5, 42)],
                   addresses: [r4: MemberAddress(host: "10.0.0.4", clientPort: 6379, peerPort: 7379, metricsPort: 9379),
                               r5: MemberAddress(host: "node-5.example", clientPort: 1, peerPort: 65535, metricsPort: 2)]),
    ])
    func configureRoundTrip(membership: Membership) throws {
        let command = Command.configure(membership)
        #expect(try Command.decode(command.encoded()) == command)
    }

    struct ChangeCase: Sendable, CustomStringConvertible {
        var change: MembershipChange
        var expected: Membership?
        var description: String { change.description }
    }

    static let base = Membership(epoch: 3, voters: [member(r1), member(r2)], learners: [member(r3, 5)])

    @Test("change: applied to the newest membership, or refused with a reason", arguments: [
        ChangeCase(change: .addLearner(member(r4, 8)),
                   expected: Membership(epoch: 4, voters: [member(r1), member(r2)], learners: [member(r3, 5), member(r4, 8)])),
        ChangeCase(change: .addLearner(member(r2, 8)), expected: nil),
        ChangeCase(change: .promote(r3), expected: Membership(epoch: 4, voters: [member(r1), member(r2), member(r3, 5)])),
        ChangeCase(change: .promote(r1), expected: nil),
        ChangeCase(change: .promote(r4), expected: nil),
        ChangeCase(change: .remove(r2), expected: Membership(epoch: 4, voters: [member(r1)], learners: [member(r3, 5)])),
        ChangeCase(change: .remove(r3), expected: Membership(epoch: 4, voters: [member(r1), member(r2)])),
        ChangeCase(change: .remove(r4), expected: nil),
        ChangeCase(change: .replaceIncarnation(member(r2, 77)),
                   expected: Membership(epoch: 4, voters: [member(r1), member(r2, 77)], learners: [member(r3, 5)])),
        ChangeCase(change: .replaceIncarnation(member(r2)), expected: nil),
        ChangeCase(change: .replaceIncarnation(member(r3, 6)), expected: nil),
        ChangeCase(change: .addLearner(member(ReplicaID(0), 8)), expected: nil),
    ])
    func changeRules(_ test: ChangeCase) {
        do {
            let next = try test.change.applied(to: Self.base)
            #expect(next == test.expected, "\(test.change)")
        } catch {
            #expect(test.expected == nil, "\(test.change) refused: \(error)")
        }
    }

    @Test("change: the last voter cannot be removed")
    func lastVoterStays() {
        #expect(throws: MembershipError.self) { try MembershipChange.remove(r1).applied(to: .initial([r1])) }
    }

    @Test("schedule: a configure chosen in slot s governs from slot s + α, not before")
    func governsAfterAlpha() {
        let next = Membership(epoch: 2, voters: [member(r1), member(r4), member(r5)])
        let replica = replicaKnowing(next)
        #expect(replica.chosenThrough == Slot(1))
        #expect(replica.membership(at: Slot(α)) == .initial(threeMembers))
        #expect(replica.membership(at: Slot(1 + α)) == next)
        #expect(replica.membership(at: Slot(2 + α)) == nil, "beyond chosen + α the membership is not known yet")
        #expect(replica.status.membership == .initial(threeMembers))
        #expect(replica.status.latestMembership == next)
    }

    @Test("leader: a vote from the right replica with another incarnation does not count")
    func voteOfOtherIncarnationIgnored() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        let proposal = replica.step(.propose([put(9, 1, "a", "1")]))
        _ = replica.step(.persisted(upTo: proposal.lastPersistID!))
        let b = ballot(1, r1)
        let stranger = replica.step(.message(from: r2, .accepted(ballot: b, slots: [Slot(1)], incarnation: Incarnation(99))))
        #expect(stranger.applies.isEmpty, "a vote from an incarnation the membership does not list chose the slot")
        let listed = replica.step(.message(from: r2, .accepted(ballot: b, slots: [Slot(1)], incarnation: .initial)))
        #expect(listed.applies.map(\.slot) == [Slot(1)])
    }

    @Test("acceptor: a replica whose incarnation no membership lists answers no prepare, accept or heartbeat")
    func unlistedIncarnationDoesNotVote() {
        var replica = makeReplica(r2) { $0.incarnation = Incarnation(7) }
        #expect(!replica.status.isVoter)
        let b = ballot(1, r1)
        let prepare = replica.step(.message(from: r1, .prepare(ballot: b, fromSlot: Slot(1))))
        let accept = replica.step(.message(from: r1, .accept(ballot: b, entries: [AcceptEntry(slot: Slot(1), command: .noop)], chosenThrough: .zero)))
        let heartbeat = replica.step(.message(from: r1, .heartbeat(ballot: b, chosenThrough: .zero, readRound: 1)))
        let all = prepare + accept + heartbeat
        #expect(all.sends.isEmpty, "sent \(all.sends.map(\.message.kind))")
        #expect(all.persists.isEmpty, "an empty disk stored a promise or a vote it must not count")
    }

    @Test("phase 1: with two memberships in the window, a majority of each is needed")
    func phaseOneNeedsEveryMembership() {
        // Bootstrap {1, 2, 3} governs slots 2 ... α; {1, 4, 5} governs from 1 + α: both in the window.
        var replica = replicaKnowing(Membership(epoch: 2, voters: [member(r1), member(r4), member(r5)]))
        var actions: [Action] = []
        for _ in 0..<1000 where !actions.sends.contains(where: { $0.message.kind == "pre_prepare" }) { actions = replica.step(.tick) }
        guard case .prePrepare(let asked, _)? = actions.sends.first(where: { $0.message.kind == "pre_prepare" })?.message else {
            Issue.record("no pre-prepare")
            return
        }
        _ = replica.step(.message(from: r2, .prePromise(ballot: asked, granted: true, promised: .zero)))
        var prepare = replica.step(.message(from: r4, .prePromise(ballot: asked, granted: true, promised: .zero)))
        guard case .prepare(let b, _)? = prepare.sends.first?.message else {
            Issue.record("no prepare after a majority of both memberships said yes: \(prepare.sends.map(\.message.kind))")
            return
        }
        prepare += replica.step(.persisted(upTo: prepare.lastPersistID!))
        _ = replica.step(.message(from: r2, .promise(ballot: b, entries: [], compactedThrough: .zero)))
        _ = replica.step(.message(from: r3, .promise(ballot: b, entries: [], compactedThrough: .zero)))
        #expect(replica.status.role == .candidate, "a majority of the bootstrap alone made it leader")
        _ = replica.step(.message(from: r4, .promise(ballot: b, entries: [], compactedThrough: .zero)))
        #expect(replica.status.role == .leader)
    }

    @Test("leader: steps down once the membership that removes it governs the next slot")
    func removedLeaderStepsDown() {
        var replica = makeReplica(r1)
        var actions = replica.becomeLeaderForTest()
        actions = replica.step(.changeMembership(.remove(r1)))
        guard case .membershipChangeProposed(_, let next, let slot)? = actions.replies.first else {
            Issue.record("change not proposed: \(actions.replies)")
            return
        }
        #expect(next == Membership(epoch: 2, voters: [member(r2), member(r3)]))
        actions = replica.voteAlong([r2, r3], actions: actions)
        #expect(replica.chosenThrough.rawValue >= slot.rawValue + α - 1, "the leader did not fill the slots up to the activation")
        #expect(replica.status.role == .follower)
        #expect(!replica.status.isVoter)
        // It handed over: every remaining voter hears whom it named, in the ballot it led in.
        let handOvers = [r2, r3].flatMap { peer in
            actions.messages(to: peer).compactMap { message -> (ReplicaID, Ballot, ReplicaID)? in
                if case .handOver(let b, let successor) = message { (peer, b, successor) } else { nil }
            }
        }
        #expect(handOvers.map(\.0).sorted() == [r2, r3], "\(handOvers)")
        #expect(handOvers.allSatisfy { $0.1.replica == r1 && [r2, r3].contains($0.2) } && Set(handOvers.map(\.2)).count == 1, "\(handOvers)")
        let refused = replica.step(.changeMembership(.promote(r3)))
        guard case .membershipChangeRefused(_, .notLeader)? = refused.replies.first else {
            Issue.record("a replica that stepped down proposed a change: \(refused.replies)")
            return
        }
    }
}

@Suite("leader recovery")
struct RecoveryAboveChosenTests {
    /// Found by the reconfiguration soak (`paxos-sim --seed 5 --reconfigure --disk-loss` before
    /// the fix): recovery ignored slots the candidate knew chosen, so a chosen slot above a hole
    /// ended up at or above the leader's next slot and the leader proposed into it (a trap).
    @Test("leader: a slot known chosen above a hole is never proposed into")
    func chosenAboveHoleIsSkipped() {
        let chosen = LogEntry(slot: Slot(3), ballot: ballot(1, r2), command: .batch([put(8, 1, "k", "v")]), chosen: true)
        var replica = makeReplica(r1, durable: DurableState(promised: ballot(1, r2), entries: [chosen])) { $0.maxBatchRequests = 1 }
        var actions = replica.becomeLeaderForTest()
        actions += replica.step(.propose([put(9, 1, "a", "1"), put(9, 2, "a", "2"), put(9, 3, "a", "3")]))
        #expect(replica.status.role == .leader)
        let proposed = actions.messages(to: r2).flatMap { message -> [Slot] in
            if case .accept(_, let entries, _) = message { entries.map(\.slot) } else { [] }
        }
        #expect(!proposed.contains(Slot(3)), "proposed into chosen slot 3: \(proposed)")
        #expect(Set(proposed).isSuperset(of: [Slot(1), Slot(2), Slot(4), Slot(5), Slot(6)]))
    }
}

@Suite("membership: answers naming removed replicas")
struct RemovedBallotOwnerTests {
    /// Found by the reconfiguration soak (`paxos-sim --seed 17 --reconfigure --disk-loss` before
    /// the fix): an acceptor had promised a ballot of replica 4, which was removed since; every
    /// pre-promise and reject naming that promise was refused as inconsistent, so no candidate
    /// could raise its ballot above it and the cluster never elected a leader again.
    @Test("pre-prepare: a pre-promise naming a promise to a replica removed since is taken in")
    func prePromiseNamingRemovedReplica() {
        // Replica 5 of {1, 3, 5} (chosen in slot 1, current from 1 + α once slots are chosen).
        var replica = replicaKnowing(Membership(epoch: 2, voters: [member(r1), member(r3), member(r5)]), id: r5)
        var actions: [Action] = []
        for _ in 0..<1000 where !actions.sends.contains(where: { $0.message.kind == "pre_prepare" }) { actions = replica.step(.tick) }
        guard case .prePrepare(let asked, _)? = actions.sends.first(where: { $0.message.kind == "pre_prepare" })?.message else {
            Issue.record("no pre-prepare")
            return
        }
        let answer = replica.step(.message(from: r1, .prePromise(ballot: asked, granted: true, promised: ballot(9, r4))))
        #expect(!answer.contains { if case .countRefusal = $0 { true } else { false } }, "\(answer)")
        let reject = replica.step(.message(from: r1, .reject(ballot: asked, promised: ballot(9, r4))))
        #expect(!reject.contains { if case .countRefusal = $0 { true } else { false } }, "\(reject)")
    }
}

@Suite("membership: stale configures")
struct StaleConfigureTests {
    /// Found by the reconfiguration soak (`paxos-sim --seed 1070 --reconfigure --disk-loss`):
    /// leader 2 proposed "add learner 4" in slot 2 (accepted by itself only), leader 3 then
    /// proposed "remove 3" in slot 1, and a later leader recovered slot 2: both computed from
    /// epoch 1, so the second undid the removal.
    @Test("schedule: a configure computed from an older membership than the newest chosen changes nothing")
    func staleConfigureIgnored() {
        let first = Membership(epoch: 2, voters: [member(r1), member(r2)])
        let stale = Membership(epoch: 2, voters: [member(r1), member(r2), member(r3)], learners: [member(r4, 9)])
        let entries = [
            LogEntry(slot: Slot(1), ballot: ballot(1, r3), command: .configure(first), chosen: true),
            LogEntry(slot: Slot(2), ballot: ballot(1, r3), command: .configure(stale), chosen: true),
        ]
        let replica = makeReplica(r1, durable: DurableState(promised: ballot(1, r3), entries: entries))
        #expect(replica.chosenThrough == Slot(2))
        #expect(replica.status.latestMembership == first)
        #expect(replica.membership(at: Slot(2 + α)) == first)
    }

    @Test("genesis: configures learned before a new node's genesis record is durable are kept after it")
    func adoptingGenesisKeepsLearnedMemberships() {
        // Node 2's disk was replaced (incarnation 77); while its genesis record was being
        // written it learned slot 1, which re-admits it. Found by the process test
        // "add, promote, remove and replace under load": the node adopted genesis at slot 128
        // and then called every later configure stale, so it never voted again.
        let genesis = Membership(epoch: 1, voters: [member(r1), member(r2), member(r3)])
        let readmit = Membership(epoch: 2, voters: [member(r1), member(r2, 77), member(r3)])
        var replica = replicaKnowing(readmit, id: r2) { $0.incarnation = Incarnation(77) }
        #expect(replica.memberships.count == 2)
        _ = replica.step(.adoptGenesis([ScheduledMembership(fromSlot: Slot(1), membership: genesis)]))
        #expect(replica.memberships == [ScheduledMembership(fromSlot: Slot(1), membership: genesis),
                                        ScheduledMembership(fromSlot: Slot(1 + α), membership: readmit)])
        // It votes again: the re-admitting membership governs slots of its window.
        #expect(replica.status.membership == genesis)
        #expect(replica.status.isVoter)

        // The next change is the successor of the one learned before genesis, not stale.
        let next = Membership(epoch: 3, voters: [member(r1), member(r2, 77)])
        let entry = ChosenEntry(slot: Slot(2), command: .configure(next))
        _ = replica.step(.message(from: r1, .heartbeat(ballot: ballot(1, r1), chosenThrough: Slot(2), readRound: 0)))
        _ = replica.step(.message(from: r1, .catchUpReply(entries: [entry])))
        #expect(replica.chosenThrough == Slot(2))
        #expect(replica.status.latestMembership == next)
        #expect(replica.membership(at: Slot(2 + α)) == next)
    }

    @Test("address: an added member's address is carried by every later membership and dropped with the member")
    func addressesFollowTheMembers() throws {
        let address = MemberAddress(host: "10.0.0.4", clientPort: 6379, peerPort: 7379, metricsPort: 9379)
        let base = Membership.initial([r1, r2, r3])
        let added = try MembershipChange.addLearner(member(r4, 8), address: address).applied(to: base)
        #expect(added.addresses == [r4: address])
        #expect("\(MembershipChange.addLearner(member(r4, 8), address: address))" == "add learner 4/8 at 10.0.0.4:6379/7379/9379")
        let promoted = try MembershipChange.promote(r4).applied(to: added)
        #expect(promoted.addresses == [r4: address])
        let replaced = try MembershipChange.replaceIncarnation(member(r4, 9)).applied(to: promoted)
        #expect(replaced.addresses == [r4: address])
        let removed = try MembershipChange.remove(r4).applied(to: replaced)
        #expect(removed.addresses.isEmpty)
        // Without an address the encoding is the one from before addresses existed (tag 2).
        #expect(Command.configure(removed).encoded().first == 2)
        #expect(Command.configure(added).encoded().first == 3)
    }

    @Test("address: a bad address is refused, by the change and by the decoder", arguments: [
        MemberAddress(host: "", clientPort: 1, peerPort: 2, metricsPort: 3),
        MemberAddress(host: "a host", clientPort: 1, peerPort: 2, metricsPort: 3),
        MemberAddress(host: "h", clientPort: 0, peerPort: 2, metricsPort: 3),
        MemberAddress(host: "h", clientPort: 2, peerPort: 2, metricsPort: 3),
        MemberAddress(host: String(repeating: "h", count: 256), clientPort: 1, peerPort: 2, metricsPort: 3),
    ])
    func badAddressesAreRefused(address: MemberAddress) {
        #expect(throws: MembershipError.self) {
            try MembershipChange.addLearner(member(r4, 8), address: address).applied(to: Membership.initial([r1, r2, r3]))
        }
        // Encoded by hand (the encoder trusts what validation let through): the decoder refuses it.
        let bad = Membership(epoch: 2, voters: [member(r1)], learners: [member(r4, 8)], addresses: [r4: address])
        #expect(throws: DecodingError.self) { try Command.decode(Command.configure(bad).encoded()) }
        // An address for an id that is not a member is refused too.
        let stray = Membership(epoch: 2, voters: [member(r1)], addresses: [r4: MemberAddress(host: "h", clientPort: 1, peerPort: 2, metricsPort: 3)])
        #expect(throws: DecodingError.self) { try Command.decode(Command.configure(stray).encoded()) }
    }
}

@Suite("membership: hand-over")
struct HandOverTests {
    /// Replica `id` of the membership {1, 2, 3} → {2, 3} (chosen in slot 1), following leader 1.
    static func follower(_ id: ReplicaID) -> Replica {
        var replica = replicaKnowing(Membership(epoch: 2, voters: [member(r2), member(r3)]), id: id)
        _ = replica.step(.message(from: r1, .heartbeat(ballot: ballot(1, r1), chosenThrough: Slot(1), readRound: 0)))
        return replica
    }

    @Test("hand-over: the named successor runs phase 1 at once; another follower stops waiting for the old leader")
    func successorRunsAtOnce() {
        var successor = Self.follower(r2)
        let actions = successor.step(.message(from: r1, .handOver(ballot: ballot(1, r1), successor: r2)))
        #expect(successor.status.role == .candidate)
        guard case .prepare(let b, _)? = actions.messages(to: r3).first else {
            Issue.record("no prepare to replica 3: \(actions)")
            return
        }
        #expect(b > ballot(1, r1))

        // Replica 3 would ignore that prepare while it hears leader 1 ...
        var other = Self.follower(r3)
        #expect(other.step(.message(from: r2, .prepare(ballot: b, fromSlot: Slot(2)))).isEmpty)
        // ... but not once leader 1 handed over.
        other = Self.follower(r3)
        _ = other.step(.message(from: r1, .handOver(ballot: ballot(1, r1), successor: r2)))
        #expect(other.status.role == .follower)
        #expect(other.status.leader == nil)
        let answer = other.step(.message(from: r2, .prepare(ballot: b, fromSlot: Slot(2))))
        #expect(answer.persists.count == 1, "the promise is persisted before it is sent: \(answer)")
    }

    @Test("hand-over: one from a replica we do not follow, or for another ballot, changes nothing")
    func strayHandOverIsIgnored() {
        var replica = Self.follower(r2)
        _ = replica.step(.message(from: r3, .handOver(ballot: ballot(1, r3), successor: r2)))
        #expect(replica.status.role == .follower)
        #expect(replica.status.leader == r1)
        _ = replica.step(.message(from: r1, .handOver(ballot: ballot(0, r1), successor: r2)))
        #expect(replica.status.role == .follower)
        #expect(replica.status.leader == r1)
    }
}

