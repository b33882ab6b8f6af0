// Method: the leader's side of time from the leader (docs/design/coordination-api.md §3), as a
// value: proposals with and without a time, and what the accepts carry — untimed proposals keep
// legacy batches, timed ones are stamped with the largest time given, an empty timed proposal
// is one clock slot only when nothing is pending, and phase 1 re-proposes a recovered timed
// batch with its old stamp. Then the command encoding of timed batches.
import PaxosCore
import Testing

@Suite("leader time")
struct LeaderTimeTests {
    static func t(_ ms: UInt64) -> LeaderTime { LeaderTime(rawValue: ms) }

    func acceptedEntries(_ actions: [Action]) -> [AcceptEntry] {
        actions.messages(to: r2).flatMap { message -> [AcceptEntry] in
            if case .accept(_, let entries, _) = message { entries } else { [] }
        }
    }

    @Test("leader: an untimed proposal is a legacy batch")
    func untimed() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        let entries = acceptedEntries(replica.step(.propose([put(9, 1, "a", "1")])))
        #expect(entries.map(\.command) == [.batch([put(9, 1, "a", "1")])])
    }

    @Test("leader: batches carry the largest time given so far, never an older one")
    func stampsWithMaximum() {
        var replica = makeReplica(r1) { $0.maxInflightSlots = 8 }
        _ = replica.becomeLeaderForTest()
        var entries = acceptedEntries(replica.step(.propose([put(9, 1, "a", "1")], time: Self.t(5_000))))
        entries += acceptedEntries(replica.step(.propose([put(9, 2, "a", "2")], time: Self.t(4_000))))
        entries += acceptedEntries(replica.step(.propose([put(9, 3, "a", "3")])))
        #expect(entries.map(\.command) == [
            .timedBatch(time: Self.t(5_000), requests: [put(9, 1, "a", "1")]),
            .timedBatch(time: Self.t(5_000), requests: [put(9, 2, "a", "2")]),
            .timedBatch(time: Self.t(5_000), requests: [put(9, 3, "a", "3")]),
        ])
    }

    @Test("leader: an empty timed proposal is one empty timed batch (a clock slot)")
    func clockSlot() {
        var replica = makeReplica(r1)
        _ = replica.becomeLeaderForTest()
        let entries = acceptedEntries(replica.step(.propose([], time: Self.t(7_000))))
        #expect(entries == [AcceptEntry(slot: Slot(1), command: .timedBatch(time: Self.t(7_000), requests: []))])
        #expect(acceptedEntries(replica.step(.propose([]))).isEmpty, "an untimed empty proposal proposes nothing")
    }

    @Test("leader: no clock slot while requests are pending; their batch carries the time")
    func noClockSlotWhilePending() {
        var replica = makeReplica(r1) { $0.maxInflightSlots = 1; $0.maxBatchRequests = 1 }
        _ = replica.becomeLeaderForTest()
        var entries = acceptedEntries(replica.step(.propose([put(1, 1, "a", "1"), put(2, 1, "b", "2")], time: Self.t(100))))
        entries += acceptedEntries(replica.step(.propose([], time: Self.t(200))))
        #expect(entries.map(\.command) == [.timedBatch(time: Self.t(100), requests: [put(1, 1, "a", "1")])])
        #expect(replica.status.pendingRequests == 1)
    }

    @Test("leader: phase 1 re-proposes a recovered timed batch with its old stamp")
    func recoveryKeepsStamp() {
        var replica = makeReplica(r1)
        let old = Command.timedBatch(time: Self.t(9_000), requests: [put(1, 1, "k", "v")])
        let actions = replica.becomeLeaderForTest(entries: [LogEntry(slot: Slot(1), ballot: ballot(0, r2), command: old, chosen: false)])
        #expect(acceptedEntries(actions) == [AcceptEntry(slot: Slot(1), command: old)])
        let next = acceptedEntries(replica.step(.propose([put(1, 2, "k", "w")], time: Self.t(8_000))))
        #expect(next == [AcceptEntry(slot: Slot(2), command: .timedBatch(time: Self.t(8_000), requests: [put(1, 2, "k", "w")]))],
                "the core stamps what the shell gave; the state machine keeps the max")
    }

    @Test("command encoding: timed batches round-trip, legacy batches keep their bytes")
    func encoding() throws {
        let request = ClientRequest(client: ClientID(3), sequence: 4, operation: .put(key: [1], value: [2]), origin: Slot(5))
        for command in [Command.timedBatch(time: Self.t(1_733_545_200_123), requests: [request]),
                        .timedBatch(time: Self.t(0), requests: [ClientRequest(client: ClientID(1), sequence: 1, operation: .delete(key: [7]))]),
                        .timedBatch(time: Self.t(5), requests: [])] {
            #expect(try Command.decode(command.encoded()) == command)
        }
        #expect(Command.batch([put(1, 1, "k", "v")]).encoded().first == 1)
        #expect(Command.timedBatch(time: Self.t(5), requests: []).encoded() == [5, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0])
        var tooLate = Command.timedBatch(time: Self.t(5), requests: []).encoded()
        tooLate[1] = 0x80
        #expect(throws: DecodingError.self) { try Command.decode(tooLate) }
    }
}
