// Method: `SQLiteLogStore.mayHoldDeadlines` lets applies skip the sweep's and `nextDeadline`'s
// index probes once a probe found no deadline. These cases check the flag never hides one: a
// write that stores a deadline after a probe found none, a rolled-back transaction that brings
// a deleted deadline back, and the clock written with the applied slot (one UPDATE of meta).
// The per-slot agreement with the pure state machine is in ExecutorDifferentialTests.
import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: the deadline probe is skipped only when no deadline is stored")
struct DeadlineProbeTests {
    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static func t(_ ms: UInt64) -> LeaderTime { LeaderTime(rawValue: ms) }
    static func setPX(_ key: String, client: UInt64, milliseconds: Int64) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: 1,
                      operation: .key(.set(key: b(key), value: b("v"), SetOptions(expiry: .after(milliseconds: milliseconds)))))
    }

    @Test("a deadline written after a probe found none is seen, expires and is swept")
    func deadlineAfterEmptyProbe() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            _ = try store.apply(slot: Slot(1), command: .timedBatch(time: Self.t(1_000), requests: [
                ClientRequest(client: ClientID(1), sequence: 1, operation: .put(key: Self.b("plain"), value: Self.b("v")))]))
            #expect(try store.nextDeadline() == nil)
            #expect(!store.mayHoldDeadlines, "the empty probe is remembered")
            _ = try store.apply(slot: Slot(2), command: .timedBatch(time: Self.t(1_000), requests: [Self.setPX("t", client: 2, milliseconds: 50)]))
            #expect(try store.nextDeadline() == Self.t(1_050))
            _ = try store.apply(slot: Slot(3), command: .timedBatch(time: Self.t(1_050), requests: []))
            #expect(try store.row(Self.b("t")) == nil, "swept by the timed batch at its deadline")
            #expect(try store.nextDeadline() == nil)
            #expect(try store.get(key: Self.b("plain")) == Self.b("v"))
        }
    }

    @Test("a rolled-back transaction that removed the last deadline leaves it probed again")
    func rollbackRestoresDeadline() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            _ = try store.apply(slot: Slot(1), command: .timedBatch(time: Self.t(1_000), requests: [Self.setPX("t", client: 1, milliseconds: 500)]))
            #expect(try store.nextDeadline() == Self.t(1_500))
            let delete = ClientRequest(client: ClientID(2), sequence: 1, operation: .delete(key: Self.b("t")))
            #expect(throws: LogStoreError.self) {
                try store.transaction { () throws(LogStoreError) in
                    _ = try store.apply(slot: Slot(2), command: .timedBatch(time: Self.t(1_100), requests: [delete]))
                    #expect(try store.nextDeadline() == nil, "inside the transaction the row is gone")
                    throw LogStoreError.invalidArgument("roll back")
                }
            }
            #expect(try store.row(Self.b("t")) != nil, "the rollback restored the row")
            #expect(try store.nextDeadline() == Self.t(1_500), "and its deadline is probed, not hidden")
            _ = try store.apply(slot: Slot(2), command: .timedBatch(time: Self.t(1_500), requests: []))
            #expect(try store.row(Self.b("t")) == nil, "so it expires and is swept")
        }
    }

    @Test("the clock is written with the applied slot and read back after a reopen")
    func clockWrittenWithAppliedSlot() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            let store = try Fixture.open(path)
            _ = try store.apply(slot: Slot(1), command: .timedBatch(time: Self.t(7_000), requests: []))
            _ = try store.apply(slot: Slot(2), command: .batch([]))
            #expect(store.logClock == Self.t(7_000))
            store.close()
            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            #expect(reopened.logClock == Self.t(7_000))
            #expect(reopened.appliedThrough == Slot(2))
        }
    }
}
