// Method: hand `SQLiteLogStore` files and calls it must refuse, and assert on the exact
// `LogStoreError` case and that its description names the file (ARCHITECTURE.md "Storage":
// Identity; Schema.swift "Identification"). Foreign SQLite files are made with the sqlite3
// tool (those cases are skipped where it is not installed); a newer schema is simulated by
// writing `user_version` straight into the database header (bytes 60…63, big-endian, in the
// SQLite file format).

import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: refusals")
struct RefusalTests {
    struct Identity: Sendable, CustomTestStringConvertible {
        var clusterID: String
        var replicaID: UInt32
        var testDescription: String { "cluster \(clusterID), replica \(replicaID)" }
    }

    @Test("storage: a database of another cluster or replica is refused as foreign", arguments: [
        Identity(clusterID: "another-cluster", replicaID: 1),
        Identity(clusterID: Fixture.clusterID, replicaID: 2),
        Identity(clusterID: "another-cluster", replicaID: 3),
    ])
    func foreign(identity: Identity) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Fixture.open(path).close()
            let error = storeError { () throws(LogStoreError) in
                try SQLiteLogStore.open(path: path, clusterID: identity.clusterID, replicaID: ReplicaID(identity.replicaID))
            }
            #expect(error?.kind == .foreign)
            #expect(error?.description.contains(path) == true, "\(String(describing: error))")
            // The refusal wrote nothing: the owner still opens its file.
            try Fixture.open(path).close()
        }
    }

    @Test("storage: a file that is not SQLite is refused", arguments: [1, 100, 4096, 65_536])
    func notSQLite(size: Int) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var generator = SeededGenerator(seed: UInt64(size))
            let garbage = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try FileSurgery.write(garbage, to: path)
            let error = storeError { () throws(LogStoreError) in try Fixture.open(path) }
            #expect(error?.kind == .notPaxosDatabase, "\(String(describing: error))")
            #expect(error?.description.contains(path) == true)
            #expect(try FileSurgery.bytes(path) == garbage, "a refused file is left untouched")
        }
    }

    @Test("storage: an SQLite database made by another program is refused",
          .enabled(if: SQLite3Tool.isAvailable, "needs the sqlite3 command-line tool"),
          arguments: [
              "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hello');",
              "PRAGMA application_id = 42; CREATE TABLE t (x);",
              "PRAGMA user_version = 7; CREATE TABLE t (x);",
          ])
    func someoneElsesSQLite(sql: String) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try SQLite3Tool.run(sql, on: path)
            let before = try FileSurgery.bytes(path)
            let error = storeError { () throws(LogStoreError) in try Fixture.open(path) }
            #expect(error?.kind == .notPaxosDatabase, "\(String(describing: error))")
            #expect(error?.description.contains(path) == true)
            #expect(try FileSurgery.bytes(path) == before, "a refused file is left untouched")
        }
    }

    @Test("storage: a schema version from newer software is refused, naming both versions")
    func newerSchemaInHeader() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            try store.persist([Fixture.record(1, [Fixture.entry(1)])])
            store.close()
            #expect(!FileSurgery.exists(path + "-wal"), "the header must be in the main file")
            var bytes = try FileSurgery.bytes(path)
            #expect(bytes[60..<64].elementsEqual([0, 0, 0, UInt8(Schema.version)]), "user_version is the schema version")
            bytes.replaceSubrange(60..<64, with: [0, 0, 0, 99])
            try FileSurgery.write(bytes, to: path)

            let error = storeError { () throws(LogStoreError) in try Fixture.open(path) }
            #expect(error == .unsupportedSchema(path: path, found: 99, supported: Schema.version))
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("newer") == true, "\(String(describing: error))")
        }
    }

    @Test("storage: a meta row whose schema version disagrees with the header is refused",
          .enabled(if: SQLite3Tool.isAvailable, "needs the sqlite3 command-line tool"))
    func newerSchemaInMeta() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Fixture.open(path).close()
            try SQLite3Tool.run("UPDATE meta SET schema_version = \(Schema.version + 1)", on: path)
            let error = storeError { () throws(LogStoreError) in try Fixture.open(path) }
            #expect(error == .unsupportedSchema(path: path, found: Schema.version + 1, supported: Schema.version))
        }
    }

    @Test("storage: an empty path and an uncreatable directory are refused")
    func badPaths() throws {
        #expect(storeError { () throws(LogStoreError) in try Fixture.open("") }?.kind == .invalidArgument)
        try withTemporaryDirectory { directory in
            let file = directory.path("a-file")
            try FileSurgery.write([1, 2, 3], to: file)
            let error = storeError { () throws(LogStoreError) in try Fixture.open(file + "/data/node.sqlite") }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.description.contains(file) == true, "\(String(describing: error))")
        }
    }

    @Test("storage: applies out of slot order are refused and change nothing")
    func outOfOrderApply() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            let command = Fixture.entry(1).command
            #expect(storeError { () throws(LogStoreError) in try store.apply(slot: Slot(2), command: command) }?.kind == .invalidArgument)
            #expect(storeError { () throws(LogStoreError) in try store.apply(slot: .zero, command: command) }?.kind == .invalidArgument)
            _ = try store.apply(slot: Slot(1), command: command)
            let error = storeError { () throws(LogStoreError) in try store.apply(slot: Slot(1), command: command) }
            #expect(error?.kind == .invalidArgument)
            #expect(error?.description.contains("slot 1") == true, "\(String(describing: error))")
            #expect(store.appliedThrough == Slot(1))
            #expect(try store.keyValueTable().count == 1)
        }
    }

    @Test("storage: a promise below the stored one and an entry for slot 0 are refused")
    func invalidRecords() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            try store.persist([Fixture.record(1, promised: Fixture.ballot(3, 2))])
            let lower = storeError { () throws(LogStoreError) in
                try store.persist([Fixture.record(2, promised: Fixture.ballot(3, 1))])
            }
            #expect(lower?.kind == .invalidArgument)
            #expect(store.promised == Fixture.ballot(3, 2))
            let slotZero = LogEntry(slot: .zero, ballot: Fixture.ballot(3, 2), command: .noop, chosen: false)
            #expect(storeError { () throws(LogStoreError) in try store.persist([Fixture.record(3, [slotZero])]) }?.kind == .invalidArgument)
            #expect(try store.loadDurableState() == DurableState(promised: Fixture.ballot(3, 2)))
        }
    }
}

/// A database written by a build without the ballot and slot bounds, which stored a forged
/// peer's numbers: the node must refuse to start with an explanation, not trap in its first
/// election (`DurableState.validate()`; ARCHITECTURE.md "Peer messages are checked against
/// protocol state").
@Suite("storage: out-of-range state")
struct OutOfRangeStateTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var promised: Ballot?
        var entries: [LogEntry]
        var testDescription: String { name }
    }

    @Test("storage: a stored ballot or slot beyond the bounds is a startup error naming it and what to do", arguments: [
        Case(name: "promised ballot at round 2^64-1", promised: Fixture.ballot(.max, 2), entries: []),
        Case(name: "entry accepted at round 2^63", promised: Fixture.ballot(1 << 63, 2), entries: [Fixture.entry(1, ballot: Fixture.ballot(1 << 63, 2))]),
        Case(name: "entry at slot 2^62+1", promised: nil, entries: [Fixture.entry(UInt64(1) << 62 + 1)]),
    ])
    func outOfRange(_ testCase: Case) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            try store.persist([Fixture.record(1, promised: testCase.promised, testCase.entries)])
            store.close()
            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            let error = storeError { () throws(LogStoreError) in _ = try reopened.loadDurableState() }
            #expect(error?.kind == .corrupt, "\(String(describing: error))")
            let text = error?.description ?? ""
            #expect(text.contains(path) && text.contains("above the maximum") && text.contains("paxosd --restore"), "\(text)")
            if let promised = testCase.promised, !promised.isInRange { #expect(text.contains("\(promised)"), "\(text)") }
        }
    }
}
