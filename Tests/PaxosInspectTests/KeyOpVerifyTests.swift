// Method: write a database whose log holds key operations (INCR, GETSET, APPEND, DELIFEQ, a
// refused INCR) through the storage layer, as a node would, and run verify and the session
// listing on it: the replay through the one executor MUST reproduce its kv rows and its
// sessions, replies included (docs/design/coordination-api.md §7, sessions.reply).

import Foundation
import PaxosCore
import PaxosInspectKit
import PaxosStorage
import Testing

@Suite("inspect: key operations")
struct KeyOpVerifyTests {
    static func b(_ text: String) -> Bytes { Array(text.utf8) }

    static let commands: [Command] = [
        .batch([ClientRequest(client: ClientID(1), sequence: 1, operation: .key(.incrementBy(key: b("n"), 5)))]),
        .batch([ClientRequest(client: ClientID(2), sequence: 1, operation: .key(.set(key: b("n"), value: b("x"), SetOptions(returnsOld: true))))]),
        .batch([ClientRequest(client: ClientID(3), sequence: 1, operation: .key(.incrementBy(key: b("n"), 1))),
                ClientRequest(client: ClientID(4), sequence: 1, operation: .key(.append(key: b("n"), b("yz"))))]),
        .batch([ClientRequest(client: ClientID(5), sequence: 1, operation: .key(.delete(keys: [b("n")], ifEquals: b("xyz"))))]),
        .batch([ClientRequest(client: ClientID(1), sequence: 2, operation: .key(.incrementByFloat(key: b("f"), bits: (2.5).bitPattern)))]),
    ]

    @Test("verify: a log of key operations replays to the same rows and sessions, replies included")
    func replaysKeyOperations() throws {
        try withScratch { scratch in
            let path = try scratch.path("node/paxos.sqlite")
            let ballot = Ballot(round: 1, replica: ReplicaID(1))
            let store = try SQLiteLogStore.open(path: path, clusterID: Nodes.clusterID, replicaID: ReplicaID(1))
            let entries = Self.commands.enumerated().map { LogEntry(slot: Slot(UInt64($0.offset + 1)), ballot: ballot, command: $0.element, chosen: true) }
            try store.persist([PersistRecord(id: PersistID(1), promised: ballot, entries: entries)])
            try store.transaction { () throws(LogStoreError) in
                for entry in entries { _ = try store.apply(slot: entry.slot, command: entry.command) }
            }
            store.close()
            let reader = try InspectionReader.open(path)
            defer { reader.close() }
            let result = try reader.verify()
            #expect(result.ok, "\(result)")
            let sessions = try reader.sessionRows()
            let expected: [OperationResult?] = [.reply(.bulk(Self.b("2.5"))), .reply(.bulk(Self.b("5"))), .reply(.error(.notInteger)),
                                                .reply(.integer(3)), .reply(.integer(1))]
            #expect(sessions.map(\.result) == expected)
            #expect(sessions.allSatisfy { $0.problem == nil })
        }
    }
}
