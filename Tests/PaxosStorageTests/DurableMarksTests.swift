// Method: run a store with marks written after every synced commit, then hand a later open the
// main database file without its write-ahead log (what a truncated or deleted -wal leaves) and
// check that the open is refused, naming what went missing and how to recover; and check the
// cases that must not be refused: a clean close, another incarnation's marks, and commits that
// were never synced (DurableMarks.swift; the requirement: "a WAL truncated to zero silently lost
// ~32 slots of acceptor state").

import Foundation
import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: durable marks")
struct DurableMarksTests {
    static func options(intervalMilliseconds: Int = 0) -> SQLiteLogStore.Options {
        var options = SQLiteLogStore.Options()
        options.marksIntervalMilliseconds = intervalMilliseconds
        return options
    }

    static func open(_ path: String) throws(LogStoreError) -> SQLiteLogStore {
        try SQLiteLogStore.open(path: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID, options: options())
    }

    /// A store created and closed once, so its main file holds the schema and meta row (a WAL
    /// database keeps everything in the -wal until its first checkpoint).
    static func checkpointedStore(_ path: String) throws -> SQLiteLogStore {
        try open(path).close()
        return try open(path)
    }

    /// Copies the main file and the marks, not the -wal: the database as a lost WAL leaves it.
    static func copyWithoutWAL(_ path: String, to copy: String) throws {
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try FileManager.default.copyItem(atPath: DurableMarks.path(forDatabase: path), toPath: DurableMarks.path(forDatabase: copy))
    }

    @Test("marks: a database that lost its WAL after synced commits refuses to open, saying what it forgot")
    func lostWALRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Self.checkpointedStore(path)
            try store.persist([Fixture.record(1, promised: Fixture.ballot(5, 2), (1...3).map { Fixture.entry($0, ballot: Fixture.ballot(5, 2)) })])
            _ = try store.apply(slot: Slot(1), command: Fixture.entry(1).command)
            let copy = directory.path("copy.sqlite")
            try Self.copyWithoutWAL(path, to: copy)
            store.close()

            let error = storeError { () throws(LogStoreError) in _ = try Self.open(copy) }
            #expect(error?.kind == .corrupt, "\(String(describing: error))")
            let text = error?.description ?? ""
            #expect(text.contains(copy) && text.contains("promised ballot") && text.contains("last slot 0, below the 3"), "\(text)")
            #expect(text.contains("-wal") && text.contains("paxosctl member replace"), "\(text)")
            // The original, closed cleanly, opens.
            try Self.open(path).close()
        }
    }

    @Test("marks: a clean close records what the checkpointed file holds, and the file reopens")
    func cleanClose() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var options = Self.options(intervalMilliseconds: 3_600_000)
            options.synchronous = .normal
            let store = try SQLiteLogStore.open(path: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID, options: options)
            try CompactionTests.fill(store, 1...4)
            #expect(!FileManager.default.fileExists(atPath: DurableMarks.path(forDatabase: path)), "nothing is synced under NORMAL")
            store.close()
            let text = try String(contentsOfFile: DurableMarks.path(forDatabase: path), encoding: .utf8)
            #expect(text.contains("applied 4") && text.contains("last_slot 4"), "\(text)")
            let reopened = try Self.open(path)
            #expect(reopened.appliedThrough == Slot(4))
            reopened.close()
        }
    }

    @Test("marks: commits without an fsync never move the marks")
    func unsyncedCommitsLeaveMarks() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Self.checkpointedStore(path)
            defer { store.close() }
            try store.persist([Fixture.record(1, [Fixture.entry(1), Fixture.entry(2)])])
            let before = try String(contentsOfFile: DurableMarks.path(forDatabase: path), encoding: .utf8)
            try store.transactionWithoutSync { () throws(LogStoreError) in
                _ = try store.apply(slot: Slot(1), command: Fixture.entry(1).command)
            }
            #expect(try String(contentsOfFile: DurableMarks.path(forDatabase: path), encoding: .utf8) == before)
            #expect(before.contains("applied 0"), "\(before)")
        }
    }

    @Test("marks: a database lost whole (or never checkpointed, then its WAL lost) is refused until the marks go too")
    func lostDatabaseRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Self.open(path)
            try store.persist([Fixture.record(1, promised: Fixture.ballot(9, 1), [Fixture.entry(1, ballot: Fixture.ballot(9, 1))])])
            // Never checkpointed: the main file is empty and everything is in the -wal.
            try Self.copyWithoutWAL(path, to: directory.path("copy.sqlite"))
            store.close()
            for attempt in 1...2 {
                let error = storeError { () throws(LogStoreError) in _ = try Self.open(directory.path("copy.sqlite")) }
                #expect(error?.description.contains("missing or empty") == true, "attempt \(attempt): \(String(describing: error))")
            }
        }
    }

    @Test("marks: with the node directory emptied (database and marks), a new database starts and takes new marks")
    func otherIncarnationIgnored() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Self.checkpointedStore(path)
            try store.persist([Fixture.record(1, promised: Fixture.ballot(9, 1), [Fixture.entry(1, ballot: Fixture.ballot(9, 1))])])
            store.close()
            for suffix in ["", "-wal", "-shm", ".marks"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.removeItem(atPath: path + suffix)
            }
            let fresh = try Self.open(path)
            #expect(fresh.promised == .zero)
            try fresh.persist([Fixture.record(2, [Fixture.entry(1)])])
            let text = try String(contentsOfFile: DurableMarks.path(forDatabase: path), encoding: .utf8)
            #expect(text.contains("incarnation \(String(fresh.incarnation.rawValue, radix: 16))"), "\(text)")
            fresh.close()
        }
    }

    @Test("marks: a marks file that is not one is refused with its path")
    func garbageMarks() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Self.open(path).close()
            try "hello\n".write(toFile: DurableMarks.path(forDatabase: path), atomically: true, encoding: .utf8)
            let error = storeError { () throws(LogStoreError) in _ = try Self.open(path) }
            #expect(error?.kind == .sideFile && error?.description.contains(".marks") == true, "\(String(describing: error))")
        }
    }
}
