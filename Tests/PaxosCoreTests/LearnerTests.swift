// Method: feed a follower chosen-frontier notices and catch-up replies by hand and assert on
// what it marks chosen, what it asks for and what it applies. Covers DESIGN.md §2 "Learning"
// and "Catch-up".
import PaxosCore
import Testing

@Suite("learner")
struct LearnerTests {
    let b = ballot(1, r1)

    @Test("learner: marks a slot chosen only when its accepted ballot equals the notice's ballot")
    func marksChosenOnMatchingBallot() {
        var replica = makeReplica(r2)
        let command = Command.batch([put(1, 1, "k", "v")])
        _ = replica.step(.message(from: r1, .accept(ballot: b, entries: [AcceptEntry(slot: Slot(1), command: command)], chosenThrough: .zero)))
        let actions = replica.step(.message(from: r1, .heartbeat(ballot: b, chosenThrough: Slot(1), readRound: 0)))
        #expect(actions.applies.map(\.slot) == [Slot(1)])
        #expect(actions.applies.first?.command == command)
        #expect(replica.entry(at: Slot(1))?.chosen == true)
    }

    @Test("learner: asks for the chosen command when it accepted the slot in another ballot")
    func asksWhenBallotDiffers() {
        let stale = LogEntry(slot: Slot(1), ballot: ballot(0, r3), command: .noop, chosen: false)
        var replica = makeReplica(r2, durable: DurableState(promised: ballot(0, r3), entries: [stale]))
        let actions = replica.step(.message(from: r1, .heartbeat(ballot: b, chosenThrough: Slot(1), readRound: 0)))
        #expect(actions.applies.isEmpty)
        #expect(actions.messages(to: r1).contains(.catchUpRequest(from: Slot(1), through: Slot(1))))
        let reply = replica.step(.message(from: r1, .catchUpReply(entries: [ChosenEntry(slot: Slot(1), command: .batch([put(1, 1, "k", "v")]))])))
        #expect(reply.applies.map(\.slot) == [Slot(1)])
        #expect(reply.applies.first?.command == .batch([put(1, 1, "k", "v")]))
    }

    @Test("learner: applies chosen slots strictly in slot order, waiting for gaps")
    func appliesInOrder() {
        var replica = makeReplica(r2)
        let two = ChosenEntry(slot: Slot(2), command: .noop)
        let one = ChosenEntry(slot: Slot(1), command: .batch([put(1, 1, "k", "v")]))
        // Catch-up replies are taken only for a request made: hear of slots 1–2 from r3 first.
        let heard = replica.step(.message(from: r3, .heartbeat(ballot: ballot(1, r3), chosenThrough: Slot(2), readRound: 0)))
        #expect(heard.messages(to: r3).contains(.catchUpRequest(from: Slot(1), through: Slot(2))))
        let first = replica.step(.message(from: r3, .catchUpReply(entries: [two])))
        #expect(first.applies.isEmpty, "slot 2 waits for slot 1")
        let second = replica.step(.message(from: r3, .catchUpReply(entries: [one])))
        #expect(second.applies.map(\.slot) == [Slot(1), Slot(2)])
        #expect(replica.appliedThrough == Slot(2))
    }

    @Test("learner: answers catch-up requests with the chosen commands it holds")
    func servesCatchUp() {
        let chosen = (1...3).map { LogEntry(slot: Slot(UInt64($0)), ballot: b, command: .noop, chosen: true) }
        var replica = makeReplica(r3, durable: DurableState(promised: b, entries: chosen, appliedThrough: .zero))
        let actions = replica.step(.message(from: r2, .catchUpRequest(from: Slot(2), through: Slot(9))))
        #expect(actions.messages(to: r2) == [.catchUpReply(entries: [ChosenEntry(slot: Slot(2), command: .noop), ChosenEntry(slot: Slot(3), command: .noop)])])
    }

    @Test("learner: one catch-up request is answered by a window of replies, each within the message limit")
    func catchUpWindow() {
        let chosen = (1...20).map { LogEntry(slot: Slot(UInt64($0)), ballot: b, command: .noop, chosen: true) }
        var replica = makeReplica(r3, durable: DurableState(promised: b, entries: chosen, appliedThrough: .zero)) { $0.maxEntriesPerMessage = 3 }
        let replies = replica.step(.message(from: r2, .catchUpRequest(from: Slot(2), through: Slot(30)))).messages(to: r2)
        let slots = replies.map { message -> [UInt64] in
            guard case .catchUpReply(let entries) = message else { return [] }
            return entries.map(\.slot.rawValue)
        }
        // 19 chosen slots from 2, three per message, at most `catchUpRepliesPerRequest` messages.
        #expect(Replica.catchUpRepliesPerRequest >= 7)
        #expect(slots == stride(from: 2, through: 20, by: 3).map { Array(UInt64($0)...UInt64(min($0 + 2, 20))) })
    }

    @Test("learner: asks for a window, and asks again only once all of it is in")
    func asksAgainWhenWindowIsIn() {
        var replica = makeReplica(r2) { $0.maxEntriesPerMessage = 2 }
        let window = UInt64(2 * Replica.catchUpRepliesPerRequest)
        let heard = replica.step(.message(from: r1, .heartbeat(ballot: b, chosenThrough: Slot(100), readRound: 0)))
        #expect(heard.messages(to: r1).contains(.catchUpRequest(from: Slot(1), through: Slot(window))))
        var asked: [Message] = []
        for first in stride(from: UInt64(1), through: window, by: 2) {
            let entries = [ChosenEntry(slot: Slot(first), command: .noop), ChosenEntry(slot: Slot(first + 1), command: .noop)]
            asked += replica.step(.message(from: r1, .catchUpReply(entries: entries))).messages(to: r1).filter {
                if case .catchUpRequest = $0 { true } else { false }
            }
        }
        #expect(replica.appliedThrough == Slot(window))
        #expect(asked == [.catchUpRequest(from: Slot(window + 1), through: Slot(2 * window))], "one request, after the last reply of the window")
    }

    @Test("learner: while a window is on its way, a moving frontier asks for nothing more; the next request reaches it")
    func oneWindowInFlight() {
        var replica = makeReplica(r2) { $0.maxEntriesPerMessage = 2 }
        let window = UInt64(2 * Replica.catchUpRepliesPerRequest)
        _ = replica.step(.message(from: r1, .heartbeat(ballot: b, chosenThrough: Slot(100), readRound: 0)))
        // The leader commits on under load: every heartbeat moves the frontier.
        var asked: [Message] = []
        for frontier in 101...110 {
            asked += replica.step(.message(from: r1, .heartbeat(ballot: b, chosenThrough: Slot(UInt64(frontier)), readRound: 0)))
                .messages(to: r1).filter { if case .catchUpRequest = $0 { true } else { false } }
        }
        #expect(asked.isEmpty, "asked again while the first window was on its way: \(asked)")
        for first in stride(from: UInt64(1), through: window, by: 2) {
            let entries = [ChosenEntry(slot: Slot(first), command: .noop), ChosenEntry(slot: Slot(first + 1), command: .noop)]
            asked += replica.step(.message(from: r1, .catchUpReply(entries: entries))).messages(to: r1).filter {
                if case .catchUpRequest = $0 { true } else { false }
            }
        }
        #expect(asked == [.catchUpRequest(from: Slot(window + 1), through: Slot(2 * window))])
    }

    @Test("learner: catch-up retries walk over the leader it hears even when no membership it holds names it")
    func retriesReachLeaderOutsideMemberships() {
        // r2 is a learner of {r1, r3} (it votes nowhere), as after installing an old snapshot from
        // a replica removed since; the leader r4 is named by no membership it holds.
        let r4 = ReplicaID(4)
        var replica = Replica(configuration: configuration(r2, members: [r1, r3]), durable: .empty,
                              random: SeededGenerator(seed: 7), logger: quietLogger)
        _ = replica.step(.message(from: r4, .heartbeat(ballot: ballot(1, r4), chosenThrough: Slot(5), readRound: 0)))
        var askedOf: Set<ReplicaID> = []
        for _ in 0..<40 {
            for send in replica.step(.tick).sends { if case .catchUpRequest = send.message { askedOf.insert(send.to) } }
        }
        #expect(askedOf.contains(r4), "asked only \(askedOf)")
    }
}

@Suite("reads")
struct ReadTests {
    @Test("reads: a read is served only after a majority acknowledges a round started after it arrived")
    func readNeedsFreshRound() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        let b = ballot(1, r1)
        let actions = replica.step(.read(ReadID(1)))
        #expect(actions.replies.isEmpty)
        let heartbeats = actions.messages(to: r2).compactMap { message -> UInt64? in
            if case .heartbeat(_, _, let round) = message { round } else { nil }
        }
        #expect(heartbeats.count == 1)
        let round = heartbeats[0]
        // An acknowledgement of an older round does not count.
        #expect(replica.step(.message(from: r2, .heartbeatAck(ballot: b, readRound: round - 1))).replies.isEmpty)
        #expect(replica.step(.message(from: r2, .heartbeatAck(ballot: b, readRound: round))).replies == [.readReady(ReadID(1))])
    }

    @Test("reads: a new leader serves no read until the slots it recovered are applied")
    func newLeaderWaitsForRecovered() {
        var replica = makeReplica(r1)
        let reported = [LogEntry(slot: Slot(1), ballot: ballot(0, r2), command: .noop, chosen: false)]
        let election = replica.becomeLeaderForTest(entries: reported)
        let b = ballot(1, r1)
        _ = replica.step(.read(ReadID(7)))
        var actions = replica.step(.message(from: r2, .heartbeatAck(ballot: b, readRound: 1)))
        #expect(actions.replies.isEmpty, "slot 1 was recovered but is not chosen yet")
        actions = replica.step(.persisted(upTo: election.lastPersistID!))
        actions += replica.step(.message(from: r2, .accepted(ballot: b, slots: [Slot(1)])))
        #expect(actions.applies.map(\.slot) == [Slot(1)])
        #expect(actions.replies == [.readReady(ReadID(7))])
    }

    @Test("reads: a follower refuses reads and writes, naming the leader it knows")
    func followerRedirects() {
        var replica = makeReplica(r2)
        _ = replica.step(.message(from: r1, .heartbeat(ballot: ballot(1, r1), chosenThrough: .zero, readRound: 0)))
        #expect(replica.step(.read(ReadID(3))).replies == [.readRejected(ReadID(3), .notLeader(leader: r1))])
        let request = put(1, 1, "k", "v")
        #expect(replica.step(.propose([request])).replies == [.proposalRejected(request, .notLeader(leader: r1))])
    }
}

extension PersistID {
    static func + (lhs: PersistID, rhs: UInt64) -> PersistID { PersistID(lhs.rawValue + rhs) }
}
