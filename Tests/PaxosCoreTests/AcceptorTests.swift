// Method: drive a single Replica's acceptor role with hand-built messages and assert on the
// returned actions. Covers Paxos Made Simple §2.2-2.3 (phase 1b/2b) with the Multi-Paxos rule
// that one promise covers every slot, and the persist-before-send contract of `Action`.
import PaxosCore
import Testing

@Suite("acceptor")
struct AcceptorTests {
    @Test("acceptor: promises a higher ballot only after the promise is durable")
    func promiseWaitsForDurability() {
        var replica = makeReplica(r2)
        let first = replica.step(.message(from: r1, .prepare(ballot: ballot(1, r1), fromSlot: Slot(1))))
        #expect(first.persists.count == 1)
        #expect(first.persists[0].promised == ballot(1, r1))
        #expect(first.sends.isEmpty, "a promise must not leave before it is durable")
        let second = replica.step(.persisted(upTo: first.lastPersistID!))
        #expect(second.messages(to: r1) == [.promise(ballot: ballot(1, r1), entries: [], compactedThrough: .zero)])
    }

    @Test("acceptor: rejects a prepare below its promised ballot")
    func rejectsLowPrepare() {
        var replica = makeReplica(r2, durable: DurableState(promised: ballot(5, r3)))
        let actions = replica.step(.message(from: r1, .prepare(ballot: ballot(4, r1), fromSlot: Slot(1))))
        #expect(actions.messages(to: r1) == [.reject(ballot: ballot(4, r1), promised: ballot(5, r3))])
        #expect(actions.persists.isEmpty)
        #expect(replica.promised == ballot(5, r3))
    }

    @Test("acceptor: rejects an accept below its promised ballot")
    func rejectsLowAccept() {
        var replica = makeReplica(r2, durable: DurableState(promised: ballot(5, r3)))
        let entry = AcceptEntry(slot: Slot(1), command: .noop)
        let actions = replica.step(.message(from: r1, .accept(ballot: ballot(4, r1), entries: [entry], chosenThrough: .zero)))
        #expect(actions.messages(to: r1) == [.reject(ballot: ballot(4, r1), promised: ballot(5, r3))])
        #expect(replica.entry(at: Slot(1)) == nil)
    }

    @Test("acceptor: a promise reports every accepted entry at or above the requested slot")
    func promiseReportsAcceptedEntries() {
        let old = [
            LogEntry(slot: Slot(1), ballot: ballot(1, r1), command: .noop, chosen: false),
            LogEntry(slot: Slot(2), ballot: ballot(2, r3), command: .batch([put(1, 1, "a", "x")]), chosen: false),
            LogEntry(slot: Slot(3), ballot: ballot(1, r1), command: .noop, chosen: false),
        ]
        var replica = makeReplica(r2, durable: DurableState(promised: ballot(2, r3), entries: old))
        var actions = replica.step(.message(from: r1, .prepare(ballot: ballot(3, r1), fromSlot: Slot(2))))
        actions += replica.step(.persisted(upTo: actions.lastPersistID!))
        // Besides the promise, a catch-up request: the candidate knows slot 1 chosen, we do not.
        #expect(actions.messages(to: r1).filter { $0.kind != "catch_up_request" }
                == [.promise(ballot: ballot(3, r1), entries: Array(old[1...]), compactedThrough: .zero)])
    }

    @Test("acceptor: votes for accepted slots only after they are durable, and raises its promise")
    func voteWaitsForDurability() {
        var replica = makeReplica(r2)
        let entries = [AcceptEntry(slot: Slot(1), command: .noop), AcceptEntry(slot: Slot(2), command: .batch([put(1, 1, "k", "v")]))]
        let first = replica.step(.message(from: r1, .accept(ballot: ballot(1, r1), entries: entries, chosenThrough: .zero)))
        #expect(first.sends.isEmpty, "a vote must not leave before it is durable")
        #expect(first.persists.count == 1)
        #expect(first.persists[0].promised == ballot(1, r1))
        #expect(first.persists[0].entries.map(\.slot) == [Slot(1), Slot(2)])
        #expect(replica.promised == ballot(1, r1))
        let second = replica.step(.persisted(upTo: first.lastPersistID!))
        #expect(second.messages(to: r1) == [.accepted(ballot: ballot(1, r1), slots: [Slot(1), Slot(2)])])
    }

    @Test("acceptor: a replica rebuilt from durable state keeps its promise and accepted entries")
    func restartKeepsState() {
        let entries = [LogEntry(slot: Slot(4), ballot: ballot(3, r1), command: .noop, chosen: false)]
        var replica = makeReplica(r2, durable: DurableState(promised: ballot(3, r1), entries: entries, appliedThrough: Slot(3)))
        #expect(replica.promised == ballot(3, r1))
        #expect(replica.appliedThrough == Slot(3))
        #expect(replica.entry(at: Slot(4)) == entries[0])
        let actions = replica.step(.message(from: r3, .prepare(ballot: ballot(2, r3), fromSlot: Slot(4))))
        #expect(actions.messages(to: r3) == [.reject(ballot: ballot(2, r3), promised: ballot(3, r1))])
    }

    @Test("acceptor: ignores prepares while it hears from a live leader")
    func leaderStickiness() {
        var replica = makeReplica(r2)
        _ = replica.step(.message(from: r1, .heartbeat(ballot: ballot(1, r1), chosenThrough: .zero, readRound: 0)))
        let actions = replica.step(.message(from: r3, .prepare(ballot: ballot(2, r3), fromSlot: Slot(1))))
        #expect(actions.isEmpty)
        #expect(replica.promised == .zero)
    }
}
