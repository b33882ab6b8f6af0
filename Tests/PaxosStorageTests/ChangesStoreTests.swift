// Method: apply known slots to a store and read `kv_changes` back through `changes(_:)` the way
// a watcher pages through it: from 0, from the middle of a slot (a GETREV revision + 1), with
// COUNT and PREFIX, with `$`, from beyond the applied slot; then compact, install a snapshot,
// migrate a schema 5 file and damage a row, and check each answer: the changes of every slot
// exactly once across pages, "compacted" with the first revision still held, and corruption
// reported, never answered. The recorded changes are compared with the pure state machine's
// (`KVStateMachine.applyRecordingChanges`) over a random workload, so both stores record what
// the one apply rule decides. Covers docs/design/watch-resp3-introspection.md §2 and Schema.swift
// (version 6, kv_changes).
import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: the resumable watch's change log (kv_changes)")
struct ChangesStoreTests {
    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static func t(_ ms: UInt64) -> LeaderTime { LeaderTime(rawValue: ms) }
    static func rev(_ slot: UInt64, _ position: UInt16 = 0) -> UInt64 { Revision(slot: Slot(slot), position: position).rawValue }
    static func request(_ client: UInt64, _ sequence: UInt64 = 1, _ operation: PaxosCore.Operation) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: operation)
    }

    /// Slots 1…4: SETs of a and b; an MSET of c and d with a retry of slot 1's SET of a; a DEL
    /// of a, a SET EX of t and an INCR of text (an error); a clock slot that sweeps t.
    static func applyKnownSlots(_ store: SQLiteLogStore) throws {
        _ = try store.apply(slot: Slot(1), command: .timedBatch(time: t(1_000), requests: [
            request(1, 1, .put(key: b("a"), value: b("1"))), request(2, 1, .put(key: b("b"), value: b("2")))]))
        _ = try store.apply(slot: Slot(2), command: .timedBatch(time: t(1_000), requests: [
            request(3, 1, .all([.put(key: b("c"), value: b("3")), .put(key: b("d"), value: b("4"))])),
            request(1, 1, .put(key: b("a"), value: b("1")))]))
        _ = try store.apply(slot: Slot(3), command: .timedBatch(time: t(1_000), requests: [
            request(4, 1, .delete(key: b("a"))),
            request(5, 1, .key(.set(key: b("t"), value: b("x"), SetOptions(expiry: .after(milliseconds: 100))))),
            request(6, 1, .key(.incrementBy(key: b("b"), 1))),
            request(7, 1, .put(key: b("z"), value: b("text"))),
            request(8, 1, .key(.incrementBy(key: b("z"), 1)))]))
        _ = try store.apply(slot: Slot(4), command: .timedBatch(time: t(2_000), requests: []))
    }

    static let knownChanges: [String] = [
        "1.0 set a", "1.1 set b",
        "2.0 set c", "2.0 set d",
        "3.0 del a", "3.1 set t", "3.1 expire t", "3.2 incrby b", "3.3 set z",
        "4.0 expired t",
    ]

    static func page(_ answer: ChangesAnswer) -> (changes: [String], next: UInt64)? {
        guard case .page(let changes, let next) = answer else { return nil }
        return (changes.map(\.description), next)
    }

    @Test("from 0: every executed request's events at its revision; a retry answered from its session and a failed INCR record nothing")
    func everything() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            try Self.applyKnownSlots(store)
            let answer = try #require(Self.page(try store.changes(ChangesQuery(from: 0))))
            #expect(answer.changes == Self.knownChanges)
            #expect(answer.next == Self.rev(5), "the revision after the applied slot")
            // Nothing new: the same revision again, with nothing.
            let again = try #require(Self.page(try store.changes(ChangesQuery(from: answer.next))))
            #expect(again.changes.isEmpty && again.next == Self.rev(5))
            // `$`: no change, the next revision.
            #expect(Self.page(try store.changes(ChangesQuery(from: nil)))?.next == Self.rev(5))
            #expect(Self.page(try store.changes(ChangesQuery(from: nil)))?.changes == [])
            // From beyond the applied slot: nothing, and `from` kept (this node is behind).
            let ahead = try #require(Self.page(try store.changes(ChangesQuery(from: Self.rev(9, 3)))))
            #expect(ahead.changes.isEmpty && ahead.next == Self.rev(9, 3))
        }
    }

    @Test("paging with COUNT 1 never splits a slot and, resumed from each next, yields every change once")
    func paging() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            try Self.applyKnownSlots(store)
            var from: UInt64 = 0
            var seen: [String] = []
            var pages: [[String]] = []
            for _ in 0..<10 {
                let answer = try #require(Self.page(try store.changes(ChangesQuery(from: from, maxChanges: 1))))
                if answer.changes.isEmpty { break }
                pages.append(answer.changes)
                seen += answer.changes
                #expect(answer.next > from)
                from = answer.next
            }
            #expect(seen == Self.knownChanges)
            #expect(pages.map(\.count) == [2, 2, 5, 1], "one slot per page: COUNT is reached inside each and a slot is never split")
        }
    }

    @Test("from the middle of a slot (a key's revision + 1) and with a prefix")
    func middleAndPrefix() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            try Self.applyKnownSlots(store)
            let fromT = try #require(Self.page(try store.changes(ChangesQuery(from: Self.rev(3, 1) + 1))))
            #expect(fromT.changes == ["3.2 incrby b", "3.3 set z", "4.0 expired t"])
            let onlyT = try #require(Self.page(try store.changes(ChangesQuery(from: 0, prefix: Self.b("t")))))
            #expect(onlyT.changes == ["3.1 set t", "3.1 expire t", "4.0 expired t"])
            #expect(onlyT.next == Self.rev(5))
            let none = try #require(Self.page(try store.changes(ChangesQuery(from: 0, prefix: Self.b("nothing")))))
            #expect(none.changes.isEmpty && none.next == Self.rev(5), "slots without a match are passed, not asked again")
        }
    }

    @Test("compaction: below the snapshot is compacted with the first revision held; above it answers as before")
    func compaction() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            try Self.applyKnownSlots(store)
            var step: CompactionStep
            repeat { step = try store.compact(through: Slot(2), maxRows: 1) } while !step.finished
            #expect(try store.changes(ChangesQuery(from: 0)) == .compacted(resumeFrom: Self.rev(3)))
            #expect(try store.changes(ChangesQuery(from: Self.rev(2, 5))) == .compacted(resumeFrom: Self.rev(3)))
            #expect(Self.page(try store.changes(ChangesQuery(from: Self.rev(3))))?.changes == Array(Self.knownChanges.suffix(6)))
            #expect(try store.database.scalarInt("SELECT count(*) FROM kv_changes WHERE slot <= 2") == 0, "the rows went with the log")
            #expect(try store.database.scalarInt("SELECT count(*) FROM kv_changes") == 2)
        }
    }

    @Test("snapshot install: every recorded change goes; a watch resumes above the snapshot's slot")
    func snapshotInstall() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source.sqlite")
            let source = try SnapshotTransferTests.source(sourcePath, slots: 50)
            defer { source.close() }
            let (header, chunks) = try SnapshotTransferTests.export(sourcePath, chunkBytes: 4_096)
            let path = directory.path("receiver.sqlite")
            let receiver = try SnapshotTransferTests.receiver(path)
            defer { receiver.close() }
            #expect(Self.page(try receiver.changes(ChangesQuery(from: 0)))?.changes.isEmpty == false)
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 1)
            #expect(try SnapshotTransferTests.stage(chunks, into: staging, transfer: 1))
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            #expect(try receiver.database.scalarInt("SELECT count(*) FROM kv_changes") == 0)
            let resume = ChangesAnswer.firstRevision(of: header.slot.next)
            #expect(try receiver.changes(ChangesQuery(from: 0)) == .compacted(resumeFrom: resume))
            #expect(Self.page(try receiver.changes(ChangesQuery(from: resume)))?.changes == [])
        }
    }

    @Test("migration from schema 5: the table starts empty and the slots applied before are compacted, not silently empty")
    func migrationFromVersion5() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            let store = try Fixture.open(path)
            try Self.applyKnownSlots(store)
            store.close()
            // Back to version 5 as it wrote files: no kv_changes, no meta.changes_from.
            let database = try SQLiteDatabase(path: path, mode: .readWrite)
            try database.execute("""
                DROP TABLE kv_changes;
                ALTER TABLE meta DROP COLUMN changes_from;
                UPDATE meta SET schema_version = 5;
                PRAGMA user_version = 5;
                """)
            database.close()
            let migrated = try Fixture.open(path)
            defer { migrated.close() }
            #expect(try MembershipTests.versions(path) == (Schema.version, Schema.version))
            #expect(migrated.changesFrom == Slot(5))
            #expect(try migrated.changes(ChangesQuery(from: 0)) == .compacted(resumeFrom: Self.rev(5)))
            _ = try migrated.apply(slot: Slot(5), command: .timedBatch(time: Self.t(3_000), requests: [
                Self.request(9, 1, .put(key: Self.b("new"), value: Self.b("v")))]))
            #expect(Self.page(try migrated.changes(ChangesQuery(from: Self.rev(5))))?.changes == ["5.0 set new"])
            #expect(try RevisionMigrationTests.columns(path, table: "kv_changes") == ["slot", "changes", "checksum"])
        }
    }

    @Test("a damaged kv_changes row is reported as corruption naming its slot, never answered")
    func damagedRow() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            try Self.applyKnownSlots(store)
            try store.database.execute("UPDATE kv_changes SET changes = CAST(replace(CAST(changes AS TEXT), 'c', 'x') AS BLOB) WHERE slot = 2")
            #expect(throws: LogStoreError.self) { _ = try store.changes(ChangesQuery(from: 0)) }
            do {
                _ = try store.changes(ChangesQuery(from: 0))
            } catch let error as LogStoreError {
                guard case .corrupt(_, let slot, _) = error else { Issue.record("not corruption: \(error)"); return }
                #expect(slot == Slot(2))
            }
            // Slots after the damaged one are still served to a watcher past it.
            #expect(Self.page(try store.changes(ChangesQuery(from: Self.rev(3))))?.changes.count == 6)
        }
    }

    @Test("the changes SQLite records equal the pure state machine's, slot by slot, over a random workload")
    func agreesWithStateMachine() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            var machine = KVStateMachine()
            var workload = RandomWorkload(seed: 11)
            var expected: [KVChange] = []
            for slot in 1...200 as ClosedRange<UInt64> {
                let command = workload.command()
                let (_, changes) = machine.applyRecordingChanges(slot: Slot(slot), command: command)
                let stored = try store.applyRecordingChanges(slot: Slot(slot), command: command)
                #expect(stored.changes == changes, "slot \(slot)")
                expected += changes
            }
            #expect(!expected.isEmpty)
            var read: [KVChange] = []
            var from: UInt64 = 0
            while true {
                guard case .page(let changes, let next) = try store.changes(ChangesQuery(from: from, maxChanges: 7)) else {
                    Issue.record("compacted")
                    return
                }
                if changes.isEmpty { break }
                read += changes
                from = next
            }
            #expect(read == expected)
        }
    }
}
