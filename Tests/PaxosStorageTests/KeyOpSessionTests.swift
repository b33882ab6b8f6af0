// Method: exactly-once of key-operation replies in SQLite (docs/design/coordination-api.md §7):
// a retried request with the same (client, sequence) gets the reply it got the first time, also
// after the store is reopened (the reply comes back from `sessions.reply`) and after a snapshot
// moves the sessions to another node; a damaged reply is refused by the session checksum, and a
// reply over the bound is remembered as `notRemembered`.
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: key operation replies in sessions")
struct KeyOpSessionTests {
    static let key = Array("counter".utf8)

    func request(_ sequence: UInt64, _ op: KeyOp, client: UInt64 = 1) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: .key(op))
    }

    @Test("exactly-once: a retried INCR and GETSET get their original replies across a reopen, and apply once",
          arguments: [KeyOp.incrementBy(key: key, 5), .set(key: key, value: Array("new".utf8), SetOptions(returnsOld: true))])
    func retriedAcrossReopen(_ op: KeyOp) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var store = try Fixture.open(path)
            _ = try store.apply(slot: Slot(1), command: .batch([Fixture.put(9, 1, "counter", "10")]))
            let first = try store.apply(slot: Slot(2), command: .batch([request(3, op)]))
            let afterFirst = try store.row(Self.key)?.value
            store.close()
            store = try Fixture.open(path)
            defer { store.close() }
            let retry = try store.apply(slot: Slot(3), command: .batch([request(3, op)]))
            #expect(first.map(\.result) == retry.map(\.result))
            #expect(first.map(\.result) != [.reply(.error(.notInteger))])
            #expect(try store.row(Self.key)?.value == afterFirst, "the retry did not apply again")
        }
    }

    @Test("exactly-once: a reply over the bound is remembered as notRemembered")
    func largeReply() throws {
        try withTemporaryDirectory { directory in
            var options = SQLiteLogStore.Options()
            options.maxRememberedReplyBytes = 8
            let store = try SQLiteLogStore.open(path: directory.path("node.sqlite"), clusterID: Fixture.clusterID,
                                                replicaID: Fixture.replicaID, options: options)
            defer { store.close() }
            _ = try store.apply(slot: Slot(1), command: .batch([Fixture.put(9, 1, "counter", String(repeating: "x", count: 20))]))
            let getdel = request(1, .getDelete(key: Self.key))
            let first = try store.apply(slot: Slot(2), command: .batch([getdel]))
            let retry = try store.apply(slot: Slot(3), command: .batch([getdel]))
            #expect(first.map(\.result) == [.reply(.bulk(Array(String(repeating: "x", count: 20).utf8)))])
            #expect(retry.map(\.result) == [.reply(.notRemembered)])
        }
    }

    @Test("exactly-once: a 2 MiB GETSET is answered in full once; its retry gets notRemembered under the default 1 MiB bound")
    func twoMebibyteGetSet() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            let big = Bytes(repeating: 0x61, count: 2 << 20)
            _ = try store.apply(slot: Slot(1), command: .batch([ClientRequest(client: ClientID(9), sequence: 1, operation: .put(key: Self.key, value: big))]))
            let getset = request(1, .set(key: Self.key, value: Array("small".utf8), SetOptions(returnsOld: true)))
            #expect(try store.apply(slot: Slot(2), command: .batch([getset])).map(\.result) == [.reply(.bulk(big))])
            #expect(try store.apply(slot: Slot(3), command: .batch([getset])).map(\.result) == [.reply(.notRemembered)])
            #expect(try store.row(Self.key)?.value == Array("small".utf8))
            #expect(try store.sessionTable().first { $0.client == ClientID(1) }?.reply == OpReply.notRemembered.encoded())
        }
    }

    @Test("checksum: a changed reply blob fails the session's check")
    func damagedReply() throws {
        guard SQLite3Tool.isAvailable else { return }
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var store = try Fixture.open(path)
            _ = try store.apply(slot: Slot(1), command: .batch([request(1, .incrementBy(key: Self.key, 41))]))
            store.close()
            try SQLite3Tool.run("UPDATE sessions SET reply = X'02000000000000002B' WHERE client_id = 1", on: path)
            store = try Fixture.open(path)
            defer { store.close() }
            #expect(throws: LogStoreError.self) { try store.sessionTable() }
        }
    }
}
