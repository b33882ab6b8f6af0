// Method: build a database exactly as schema version 4 wrote it (its tables frozen here, rows
// with the version 4 checksum) and check that this build migrates it to version 5: rows and
// sessions survive, `meta.log_clock` is 0 and the `kv_expiry` index exists; then the log clock
// of timed batches is stored, survives a reopen, hides expired rows from reads, and travels in
// a snapshot (format 4). Covers Schema.swift "Versions and migrations" (4 → 5), SnapshotStream
// (format 4) and docs/design/coordination-api.md §3.
import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: schema 5 and the log clock")
struct ClockMigrationTests {
    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static func t(_ ms: UInt64) -> LeaderTime { LeaderTime(rawValue: ms) }

    @Test("migration: a version 4 database becomes version 5; rows survive, the clock is 0, kv_expiry exists")
    func migrateVersion4() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            try VersionFourDatabase.write(path)
            let store = try Fixture.open(path)
            #expect(store.logClock == Self.t(0))
            #expect(try store.keyValueRows().map(\.row) == [KVRow(value: Self.b("v1"), revision: Revision(slot: Slot(1), position: 0))])
            #expect(try SQLiteLogStore.verifyStateTables(store.database, path: path) == 2)
            // The migrated file applies timed batches and keeps their clock.
            let put = ClientRequest(client: ClientID(5), sequence: 1,
                                    operation: .key(.set(key: Self.b("t"), value: Self.b("x"), SetOptions(expiry: .after(milliseconds: 100)))))
            _ = try store.apply(slot: Slot(2), command: .timedBatch(time: Self.t(1_000), requests: [put]))
            #expect(store.logClock == Self.t(1_000))
            #expect(try store.get(key: Self.b("t")) == Self.b("x"))
            #expect(try store.nextDeadline() == Self.t(1_100))
            store.close()
            let versions = try MembershipTests.versions(path)
            #expect(versions.header == Schema.version && versions.meta == Schema.version)
            #expect(try Self.indexes(path).contains("kv_expiry"))
            let fresh = directory.path("fresh.sqlite")
            try Fixture.open(fresh).close()
            #expect(try Self.indexes(fresh) == Self.indexes(path))
            #expect(try RevisionMigrationTests.columns(fresh, table: "meta") == RevisionMigrationTests.columns(path, table: "meta"))

            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            #expect(reopened.logClock == Self.t(1_000), "the clock is durable")
            _ = try reopened.apply(slot: Slot(3), command: .timedBatch(time: Self.t(900), requests: []))
            #expect(reopened.logClock == Self.t(1_000), "an older stamp leaves the clock")
            _ = try reopened.apply(slot: Slot(4), command: .timedBatch(time: Self.t(1_100), requests: []))
            #expect(try reopened.get(key: Self.b("t")) == nil, "expired at the clock, and swept")
            #expect(try reopened.row(Self.b("t")) == nil)
            #expect(try reopened.nextDeadline() == nil)
        }
    }

    @Test("reads: a row whose deadline the log clock reached is absent before any sweep")
    func expiredRowAbsentToReads() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("paxos.sqlite"))
            defer { store.close() }
            let put = ClientRequest(client: ClientID(5), sequence: 1,
                                    operation: .key(.set(key: Self.b("t"), value: Self.b("x"), SetOptions(expiry: .at(Self.t(2_000))))))
            _ = try store.apply(slot: Slot(1), command: .timedBatch(time: Self.t(1_000), requests: [put]))
            // A legacy batch moves no clock: the key is still there.
            _ = try store.apply(slot: Slot(2), command: .batch([]))
            #expect(try store.get(key: Self.b("t")) == Self.b("x"))
            // 256 other rows expire first in (deadline, key) order, so this sweep leaves "t" stored.
            let fillers = (0..<256).map { ClientRequest(client: ClientID(100 + UInt64($0)), sequence: 1,
                                                       operation: .key(.set(key: Self.b("a\($0)"), value: [1], SetOptions(expiry: .at(Self.t(1_500)))))) }
            _ = try store.apply(slot: Slot(3), command: .timedBatch(time: Self.t(1_000), requests: fillers))
            _ = try store.apply(slot: Slot(4), command: .timedBatch(time: Self.t(2_000), requests: []))
            #expect(try store.row(Self.b("t")) != nil, "still stored: the sweep took 256 earlier deadlines")
            #expect(try store.get(key: Self.b("t")) == nil, "absent to a read: its deadline is at the clock")
            let incr = ClientRequest(client: ClientID(6), sequence: 1, operation: .key(.set(key: Self.b("t"), value: Self.b("new"),
                                                                                             SetOptions(condition: .ifAbsent))))
            #expect(try store.apply(slot: Slot(5), command: .timedBatch(time: Self.t(2_000), requests: [incr])).map(\.result) == [.reply(.ok)])
        }
    }

    @Test("snapshot: format 4 carries the log clock to the receiver")
    func snapshotCarriesClock() throws {
        try withTemporaryDirectory { directory in
            let source = directory.path("source.sqlite")
            let sender = try Fixture.open(source)
            let put = ClientRequest(client: ClientID(5), sequence: 1,
                                    operation: .key(.set(key: Self.b("t"), value: Self.b("x"), SetOptions(expiry: .at(Self.t(9_000))))))
            _ = try sender.apply(slot: Slot(1), command: .timedBatch(time: Self.t(4_321), requests: [put]))
            sender.close()
            let (header, chunks) = try SnapshotTransferTests.export(source, chunkBytes: 1_024)
            #expect(header.format == 4 && header.clock == Self.t(4_321))
            let path = directory.path("receiver.sqlite")
            let receiver = try Fixture.open(path)
            defer { receiver.close() }
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 1)
            #expect(try SnapshotTransferTests.stage(chunks, into: staging, transfer: 1))
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            #expect(receiver.logClock == Self.t(4_321))
            #expect(try receiver.row(Self.b("t"))?.deadline == Self.t(9_000))
        }
    }

    static func indexes(_ path: String) throws -> [String] {
        let database = try SQLiteDatabase(path: path, mode: .readWrite)
        defer { database.close() }
        let statement = try database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        var names: [String] = []
        while try statement.step() { names.append(statement.text(0)) }
        return names
    }
}

/// A database exactly as schema version 4 wrote it: its tables, frozen here, one key, one
/// session and one log row.
enum VersionFourDatabase {
    static let tables = """
        CREATE TABLE meta (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            schema_version INTEGER NOT NULL,
            cluster_id TEXT NOT NULL,
            replica_id INTEGER NOT NULL,
            promised_round INTEGER NOT NULL,
            promised_replica INTEGER NOT NULL,
            chosen_through INTEGER NOT NULL,
            applied_through INTEGER NOT NULL,
            snapshot_slot INTEGER NOT NULL,
            incarnation INTEGER NOT NULL,
            cluster_uuid TEXT
        );
        CREATE TABLE log (
            slot INTEGER PRIMARY KEY,
            ballot_round INTEGER NOT NULL,
            ballot_replica INTEGER NOT NULL,
            chosen INTEGER NOT NULL,
            command BLOB NOT NULL,
            checksum INTEGER NOT NULL
        );
        CREATE TABLE kv (
            key BLOB PRIMARY KEY,
            value BLOB NOT NULL,
            slot INTEGER NOT NULL,
            checksum INTEGER NOT NULL,
            position INTEGER NOT NULL DEFAULT 0,
            expire_at INTEGER
        );
        CREATE TABLE sessions (
            client_id INTEGER PRIMARY KEY,
            last_sequence INTEGER NOT NULL,
            last_result INTEGER NOT NULL,
            slot INTEGER NOT NULL,
            checksum INTEGER NOT NULL,
            reply BLOB
        );
        CREATE TABLE memberships (
            from_slot INTEGER PRIMARY KEY,
            epoch INTEGER NOT NULL,
            chosen_in_slot INTEGER NOT NULL,
            membership BLOB NOT NULL,
            checksum INTEGER NOT NULL
        );
        """

    /// Replica 1 of `Fixture.clusterID`: slot 1 chosen and applied, key "k1" = "v1" at 1.0,
    /// the session of client 1 (sequence 1, ok, slot 1).
    static func write(_ path: String) throws {
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        defer { database.close() }
        try database.execute("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL")
        try database.execute(tables)
        try database.execute("""
            PRAGMA application_id = \(Schema.applicationID); PRAGMA user_version = 4;
            INSERT INTO meta VALUES (1, 4, '\(Fixture.clusterID)', 1, 4, 2, 1, 1, 0, 4660, NULL);
            """)
        let row = KVRow(value: Array("v1".utf8), revision: Revision(slot: Slot(1), position: 0))
        let insertKey = try database.prepare("INSERT INTO kv VALUES (?, ?, 1, ?, 0, NULL)")
        try insertKey.run { (statement) throws(SQLiteError) in
            try statement.bind(1, Array("k1".utf8))
            try statement.bind(2, row.value)
            try statement.bind(3, StateRowChecksum.kv(key: Array("k1".utf8), row: row))
        }
        var session = ByteWriter()
        for field in [1, 1, 0, 1] as [UInt64] { session.write(field) }
        try database.execute("INSERT INTO sessions VALUES (1, 1, 0, 1, \(Int64(CRC32C.checksum(session.bytes))), NULL)")
        let command = Command.batch([Fixture.put(1, 1, "k1", "v1")]).encoded()
        let insertLog = try database.prepare("INSERT INTO log VALUES (1, 1, 1, 1, ?, ?)")
        try insertLog.run { (statement) throws(SQLiteError) in
            try statement.bind(1, command)
            try statement.bind(2, Int64(LogRowChecksum.compute(slot: Slot(1), ballot: Fixture.ballot(1, 1), command: command)))
        }
    }
}
