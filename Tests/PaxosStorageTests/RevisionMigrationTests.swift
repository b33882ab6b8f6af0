// Method: build databases and snapshot streams exactly as the previous format wrote them —
// a schema version 3 database from its tables frozen here, with checksums computed here by the
// version 3 formula, and a format 2 snapshot stream encoded byte by byte here — and check that
// this build migrates and accepts them: rows and sessions survive, every row checks under the
// version 4 checksum, each row's revision is its slot and position 0 (what the executor gives a
// legacy batch), a damaged row stays damaged, and a failed migration leaves version 3.
// Covers Schema.swift "Versions and migrations" (3 → 4), SnapshotStream (formats 2 and 3) and
// docs/design/coordination-api.md §2.
import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: schema 4 and revisions")
struct RevisionMigrationTests {
    @Test("migration: a version 3 database becomes version 4; rows and sessions survive and every checksum verifies")
    func migrateVersion3() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            try VersionThreeDatabase.write(path, keys: VersionThreeDatabase.keys)
            let store = try Fixture.open(path)
            #expect(store.incarnation == VersionThreeDatabase.incarnation)
            #expect(store.appliedThrough == Slot(3))
            let rows = try store.keyValueRows()
            #expect(rows.map(\.key) == ["k1", "k2", "k3"].map { Array($0.utf8) })
            #expect(rows.map(\.row) == VersionThreeDatabase.keys.map {
                KVRow(value: Array($0.value.utf8), revision: Revision(slot: Slot($0.slot), position: 0))
            }, "position 0 and no deadline, what the executor writes for a legacy batch")
            #expect(try store.sessionTable().map { "\($0.client.rawValue) \($0.lastSequence) \($0.resultCode) \($0.slot)" }
                    == ["1 3 0 3", "2 1 2 2"])
            #expect(try SQLiteLogStore.verifyStateTables(store.database, path: path) == 5)
            // A node that applies the same log on this build holds the same rows, revisions
            // included: the reason legacy batches write position 0.
            var replay = KVStateMachine()
            for entry in try store.loadDurableState().entries { _ = replay.apply(slot: entry.slot, command: entry.command) }
            #expect(replay.rows == Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0.row) }))
            #expect(try store.loadDurableState().entries.map(\.slot) == [Slot(1), Slot(2), Slot(3)])
            // The migrated file goes on like a new one, and replays like one.
            let results = try store.apply(slot: Slot(4), command: .batch([Fixture.put(1, 4, "k1", "again")]))
            #expect(results.map(\.result) == [.ok])
            #expect(try store.row(Array("k1".utf8))?.revision == Revision(slot: Slot(4), position: 0))
            store.close()
            let versions = try MembershipTests.versions(path)
            #expect(versions.header == Schema.version && versions.meta == Schema.version, "migrated on through every later step")
            #expect(try Self.columns(path) == ["key", "value", "slot", "checksum", "position", "expire_at", "scan_hash"],
                    "the columns a new database has, in the same order")
            let fresh = directory.path("fresh.sqlite")
            try Fixture.open(fresh).close()
            #expect(try Self.columns(fresh) == Self.columns(path))
            #expect(try Self.columns(path, table: "sessions") == ["client_id", "last_sequence", "last_result", "slot", "checksum", "reply"])
            #expect(try Self.columns(fresh, table: "sessions") == Self.columns(path, table: "sessions"))
            // A migrated session row has no reply and keeps its checksum; a new one can hold a reply.
            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            #expect(try reopened.sessionTable().allSatisfy { $0.reply == nil })
            let incr = ClientRequest(client: ClientID(77), sequence: 1, operation: .key(.incrementBy(key: Array("n".utf8), 2)))
            #expect(try reopened.apply(slot: Slot(5), command: .batch([incr])).map(\.result) == [.reply(.integer(2))])
            #expect(try reopened.apply(slot: Slot(6), command: .batch([incr])).map(\.result) == [.reply(.integer(2))])
            #expect(try reopened.row(Array("n".utf8))?.value == Array("2".utf8))
        }
    }

    @Test("migration: a row damaged before the migration is still refused after it, naming the key")
    func damagedRowStaysDamaged() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            try VersionThreeDatabase.write(path, keys: VersionThreeDatabase.keys, damaging: "k2")
            let store = try Fixture.open(path)
            defer { store.close() }
            #expect(try store.get(key: Array("k1".utf8)) == Array("v1".utf8))
            let error = storeError { () throws(LogStoreError) in _ = try store.get(key: Array("k2".utf8)) }
            #expect(error?.kind == .corrupt && error?.description.contains("table kv, key \"k2\"") == true,
                    "\(String(describing: error))")
            #expect(storeError { () throws(LogStoreError) in _ = try store.keyValueRows() }?.kind == .corrupt)
        }
    }

    @Test("migration: a migration that fails leaves the database at version 3, unchanged; the next open migrates it")
    func failedMigrationLeavesVersion3() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            try VersionThreeDatabase.write(path, keys: VersionThreeDatabase.keys)
            // A write the migration makes fails, as a full disk would make it fail.
            try Self.execute(path, "CREATE TRIGGER refuse BEFORE UPDATE OF checksum ON kv BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
            let error = storeError { () throws(LogStoreError) in try Fixture.open(path) }
            #expect(error != nil)
            let versions = try MembershipTests.versions(path)
            #expect(versions.header == 3 && versions.meta == 3)
            #expect(try Self.columns(path) == ["key", "value", "slot", "checksum"], "no column was added")
            try Self.execute(path, "DROP TRIGGER refuse")
            let store = try Fixture.open(path)
            defer { store.close() }
            #expect(try store.keyValueRows().count == 3)
        }
    }

    @Test("snapshot: a format 2 stream is accepted; its rows get position 0 and no deadline, and check")
    func formatTwoStreamAccepted() throws {
        try withTemporaryDirectory { directory in
            var stream = ByteWriter()
            stream.write(UInt8(ascii: "H"))
            stream.write(UInt8(2))
            for count in [5, 2, 1, 0] as [UInt64] { stream.write(count) }  // slot, keys, sessions, memberships
            for (key, value, slot) in [("a", "1", 3), ("b", "2", 5)] as [(String, String, UInt64)] {
                stream.write(UInt8(ascii: "K"))
                stream.writeLengthPrefixed(Array(key.utf8))
                stream.writeLengthPrefixed(Array(value.utf8))
                stream.write(slot)
            }
            stream.write(UInt8(ascii: "S"))
            stream.write(UInt64(9))  // client
            stream.write(UInt64(4))  // sequence
            stream.write(UInt8(0))  // result: ok
            stream.write(UInt64(5))  // slot
            let path = directory.path("receiver.sqlite")
            let receiver = try Fixture.open(path)
            defer { receiver.close() }
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 1)
            let crc = CRC32C.finish(CRC32C.update(CRC32C.start, with: stream.bytes))
            #expect(try staging.append(transfer: 1, index: 0, data: stream.bytes, last: true, crc: crc))
            #expect(staging.header?.format == 2)
            try receiver.installSnapshot(slot: Slot(5), stagingPath: staging.path)
            #expect(try receiver.keyValueRows().map(\.row) == [
                KVRow(value: Array("1".utf8), revision: Revision(slot: Slot(3), position: 0)),
                KVRow(value: Array("2".utf8), revision: Revision(slot: Slot(5), position: 0)),
            ])
            #expect(try receiver.sessionTable().map { "\($0.client.rawValue) \($0.lastSequence) \($0.slot)" } == ["9 4 5"])
        }
    }

    @Test("snapshot: this build writes format 4 and refuses a format it does not know")
    func formatThreeWrittenAndUnknownRefused() throws {
        try withTemporaryDirectory { directory in
            let source = directory.path("source.sqlite")
            try StateChecksumTests.written(source)
            let (header, chunks) = try SnapshotTransferTests.export(source, chunkBytes: 1_024)
            #expect(header.format == 4 && chunks.first?.data.prefix(2) == [UInt8(ascii: "H"), 4])
            let path = directory.path("receiver.sqlite")
            let receiver = try Fixture.open(path)
            defer { receiver.close() }
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 1)
            #expect(try SnapshotTransferTests.stage(chunks, into: staging, transfer: 1))
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            let sender = try Fixture.open(source)
            defer { sender.close() }
            #expect(try receiver.keyValueRows().map(\.key) == sender.keyValueRows().map(\.key))
            #expect(try receiver.keyValueRows().map(\.row) == sender.keyValueRows().map(\.row), "revisions travel")

            var unknown = chunks[0].data
            unknown[1] = 5
            let crc = CRC32C.finish(CRC32C.update(CRC32C.start, with: unknown))
            try staging.begin(transfer: 2)
            #expect(throws: SnapshotStagingError.self) {
                _ = try staging.append(transfer: 2, index: 0, data: unknown, last: chunks.count == 1, crc: crc)
            }
        }
    }

    static func columns(_ path: String, table: String = "kv") throws -> [String] {
        let database = try SQLiteDatabase(path: path, mode: .readWrite)
        defer { database.close() }
        let statement = try database.prepare("SELECT name FROM pragma_table_info('\(table)') ORDER BY cid")
        var names: [String] = []
        while try statement.step() { names.append(statement.text(0)) }
        return names
    }

    static func execute(_ path: String, _ sql: String) throws {
        let database = try SQLiteDatabase(path: path, mode: .readWrite)
        defer { database.close() }
        try database.execute(sql)
    }
}

/// A database exactly as schema version 3 wrote it: its tables, frozen here, and a few rows in
/// each, with the checksums of that version computed here (not by the code under test).
enum VersionThreeDatabase {
    static let incarnation = Incarnation(rawValue: 0x1234_5678_9ABC)
    static let keys: [(key: String, value: String, slot: UInt64)] = [("k1", "v1", 1), ("k2", "v2", 2), ("k3", "v3", 3)]

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
            checksum INTEGER NOT NULL
        );
        CREATE TABLE sessions (
            client_id INTEGER PRIMARY KEY,
            last_sequence INTEGER NOT NULL,
            last_result INTEGER NOT NULL,
            slot INTEGER NOT NULL,
            checksum INTEGER NOT NULL
        );
        CREATE TABLE memberships (
            from_slot INTEGER PRIMARY KEY,
            epoch INTEGER NOT NULL,
            chosen_in_slot INTEGER NOT NULL,
            membership BLOB NOT NULL,
            checksum INTEGER NOT NULL
        );
        """

    /// Replica 1 of `Fixture.clusterID`: promised 4.2, slots 1…3 chosen and applied; `keys` in
    /// `kv`, sessions of clients 1 (sequence 3, ok, slot 3) and 2 (sequence 1, deleted, slot 2).
    /// `damaging` names a key stored with a checksum that does not match its row.
    static func write(_ path: String, keys: [(key: String, value: String, slot: UInt64)], damaging: String? = nil) throws {
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        defer { database.close() }
        try database.execute("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL")
        try database.execute(tables)
        try database.execute("""
            PRAGMA application_id = \(Schema.applicationID); PRAGMA user_version = 3;
            INSERT INTO meta VALUES (1, 3, '\(Fixture.clusterID)', 1, 4, 2, 3, 3, 0, \(Int64(bitPattern: incarnation.rawValue)), NULL);
            """)
        for (key, value, slot) in keys {
            let checksum = kvVersion3(key: Array(key.utf8), value: Array(value.utf8), slot: slot) ^ (key == damaging ? 1 : 0)
            try insert(database, "INSERT INTO kv VALUES (?, ?, ?, ?)", [.blob(Array(key.utf8)), .blob(Array(value.utf8)),
                                                                        .int(Int64(slot)), .int(checksum)])
        }
        for (client, sequence, result, slot) in [(1, 3, 0, 3), (2, 1, 2, 2)] as [(UInt64, UInt64, UInt64, UInt64)] {
            var row = ByteWriter()
            for field in [client, sequence, result, slot] { row.write(field) }
            try insert(database, "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", [
                .int(Int64(client)), .int(Int64(sequence)), .int(Int64(result)), .int(Int64(slot)),
                .int(Int64(CRC32C.checksum(row.bytes))),
            ])
        }
        for slot in 1...3 as ClosedRange<UInt64> {
            let command = Command.batch([Fixture.put(1, slot, "k\(slot)", "v\(slot)")]).encoded()
            let checksum = Int64(LogRowChecksum.compute(slot: Slot(slot), ballot: Fixture.ballot(1, 1), command: command))
            try insert(database, "INSERT INTO log VALUES (?, 1, 1, 1, ?, ?)", [.int(Int64(slot)), .blob(command), .int(checksum)])
        }
    }

    /// The version 3 `kv` checksum: CRC-32C of (key length u32 BE, key, slot u64 BE, value).
    static func kvVersion3(key: Bytes, value: Bytes, slot: UInt64) -> Int64 {
        var bytes = ByteWriter()
        bytes.write(UInt32(key.count))
        bytes.writeRaw(key)
        bytes.write(slot)
        bytes.writeRaw(value)
        return Int64(CRC32C.checksum(bytes.bytes))
    }

    enum Value {
        case int(Int64)
        case blob(Bytes)
    }

    private static func insert(_ database: SQLiteDatabase, _ sql: String, _ values: [Value]) throws {
        let statement = try database.prepare(sql)
        try statement.run { (statement) throws(SQLiteError) in
            for (index, value) in values.enumerated() {
                switch value {
                case .int(let number): try statement.bind(Int32(index + 1), number)
                case .blob(let bytes): try statement.bind(Int32(index + 1), bytes)
                }
            }
        }
    }
}
