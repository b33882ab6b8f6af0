// Method: write kv and session rows through the store, change their bytes behind its back with
// the sqlite3 tool (as a disk that lies, or a stray tool, would), and check that every path that
// reads the rows refuses them as corruption naming the file, the table and the key or client,
// and never returns the damaged value. A version 2 database (the same tables without the
// checksum columns) is migrated and its rows are checksummed (Schema.swift "Integrity",
// "Versions and migrations").

import Foundation
import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: kv and session checksums", .enabled(if: SQLite3Tool.isAvailable, "needs the sqlite3 command-line tool"))
struct StateChecksumTests {
    /// A store with `user:1` = `alice` (client 7, sequence 1) and `user:2` = `bob` (client 8,
    /// sequence 1), applied in slots 1 and 2, then closed.
    static func written(_ path: String) throws {
        let store = try Fixture.open(path)
        defer { store.close() }
        _ = try store.apply(slot: Slot(1), command: .batch([Fixture.put(7, 1, "user:1", "alice")]))
        _ = try store.apply(slot: Slot(2), command: .batch([Fixture.put(8, 1, "user:2", "bob")]))
    }

    static let tamperValue = "UPDATE kv SET value = CAST('mallory' AS BLOB) WHERE key = CAST('user:1' AS BLOB)"

    @Test("checksum: a changed kv value is never returned; get names the file, table and key")
    func damagedValueRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Self.written(path)
            try SQLite3Tool.run(Self.tamperValue, on: path)
            let store = try Fixture.open(path)
            defer { store.close() }
            #expect(try store.get(key: Array("user:2".utf8)) == Array("bob".utf8), "an intact row is served")
            let error = storeError { () throws(LogStoreError) in _ = try store.get(key: Array("user:1".utf8)) }
            #expect(error?.kind == .corrupt, "\(String(describing: error))")
            let text = error?.description ?? ""
            #expect(text.contains(path) && text.contains("table kv") && text.contains("\"user:1\""), "\(text)")
            #expect(!text.contains("mallory"), "values are never shown: \(text)")
            #expect(storeError { () throws(LogStoreError) in _ = try store.keyValueTable() }?.kind == .corrupt)
        }
    }

    @Test("checksum: a changed slot column or a key that is not printable is caught and shown escaped")
    func damagedSlotAndBinaryKey() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            _ = try store.apply(slot: Slot(1), command: .batch([Fixture.put(7, 1, "k\n\u{1}", "v")]))
            store.close()
            try SQLite3Tool.run("UPDATE kv SET slot = 2", on: path)
            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            let error = storeError { () throws(LogStoreError) in _ = try reopened.get(key: Array("k\n\u{1}".utf8)) }
            #expect(error?.description.contains("\"k\\n\\x01\"") == true, "\(String(describing: error))")
        }
    }

    @Test("checksum: a changed session makes the next apply of that client fail as corruption, changing nothing")
    func damagedSessionRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Self.written(path)
            try SQLite3Tool.run("UPDATE sessions SET last_sequence = 5 WHERE client_id = 7", on: path)
            let store = try Fixture.open(path)
            defer { store.close() }
            let error = storeError { () throws(LogStoreError) in
                _ = try store.apply(slot: Slot(3), command: .batch([Fixture.put(7, 2, "user:1", "carol")]))
            }
            #expect(error?.kind == .corrupt)
            #expect(error?.description.contains("table sessions, client 7") == true, "\(String(describing: error))")
            #expect(store.appliedThrough == Slot(2), "the failed apply changed nothing")
            #expect(storeError { () throws(LogStoreError) in _ = try store.sessionTable() }?.kind == .corrupt)
        }
    }

    @Test("checksum: a snapshot export and a backup refuse a damaged row instead of spreading it")
    func exportAndBackupRefuse() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Self.written(path)
            // Intact first: both work.
            _ = try SnapshotTransferTests.export(path, chunkBytes: 1_024)
            _ = try SQLiteLogStore.backup(databasePath: path, to: directory.path("good.sqlite"))
            try SQLite3Tool.run(Self.tamperValue, on: path)
            var exportError: (any Error)?
            do { _ = try SnapshotTransferTests.export(path, chunkBytes: 1_024) } catch { exportError = error }
            #expect((exportError as? LogStoreError)?.kind == .corrupt, "\(String(describing: exportError))")
            let backup = directory.path("bad.sqlite")
            let error = storeError { () throws(LogStoreError) in _ = try SQLiteLogStore.backup(databasePath: path, to: backup) }
            #expect(error?.kind == .corrupt && error?.description.contains(path) == true, "\(String(describing: error))")
            #expect(!FileManager.default.fileExists(atPath: backup), "a failed backup leaves nothing behind")
        }
    }

    @Test("checksum: a restore refuses a backup holding a damaged row")
    func restoreRefusesDamagedBackup() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Self.written(path)
            let backup = directory.path("backup.sqlite")
            _ = try SQLiteLogStore.backup(databasePath: path, to: backup)
            try SQLite3Tool.run(Self.tamperValue, on: backup)
            let target = directory.path("restored/paxos.sqlite")
            let error = storeError { () throws(LogStoreError) in
                try SQLiteLogStore.restore(backup: backup, to: target, clusterID: Fixture.clusterID, replicaID: ReplicaID(2))
            }
            #expect(error?.kind == .corrupt && error?.description.contains("table kv") == true, "\(String(describing: error))")
            #expect(!FileManager.default.fileExists(atPath: target))
        }
    }

    @Test("checksum: an installed snapshot carries checksums the receiver computed")
    func installedSnapshotIsChecksummed() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source.sqlite")
            try Self.written(sourcePath)
            let (header, chunks) = try SnapshotTransferTests.export(sourcePath, chunkBytes: 1_024)
            let path = directory.path("receiver.sqlite")
            let receiver = try Fixture.open(path)
            defer { receiver.close() }
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 1)
            #expect(try SnapshotTransferTests.stage(chunks, into: staging, transfer: 1))
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            #expect(try receiver.keyValueTable().count == 2, "every installed row passes its check")
            #expect(try receiver.sessionTable().count == 2)
            #expect(try receiver.get(key: Array("user:1".utf8)) == Array("alice".utf8))
        }
    }

    @Test("migration: a version 2 database gets kv and session checksums for every row and keeps its state")
    func migrateVersion2() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Self.written(path)
            // Exactly the version 2 tables: the same columns without the checksums (and without
            // the columns of versions 4 and 5).
            try SQLite3Tool.run("""
                DROP TABLE kv_changes; ALTER TABLE meta DROP COLUMN changes_from;
                DROP INDEX kv_scan; ALTER TABLE kv DROP COLUMN scan_hash;
                DROP INDEX kv_expiry; ALTER TABLE meta DROP COLUMN log_clock;
                ALTER TABLE kv DROP COLUMN position; ALTER TABLE kv DROP COLUMN expire_at;
                ALTER TABLE kv DROP COLUMN checksum; ALTER TABLE sessions DROP COLUMN checksum; ALTER TABLE sessions DROP COLUMN reply;
                UPDATE meta SET schema_version = 2; PRAGMA user_version = 2;
                """, on: path)
            let store = try Fixture.open(path)
            #expect(try store.get(key: Array("user:1".utf8)) == Array("alice".utf8))
            #expect(try store.keyValueTable().count == 2 && store.sessionTable().count == 2)
            _ = try store.apply(slot: Slot(3), command: .batch([Fixture.put(7, 2, "user:3", "carol")]))
            store.close()
            // The migrated rows are protected like new ones.
            try SQLite3Tool.run(Self.tamperValue, on: path)
            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            #expect(storeError { () throws(LogStoreError) in _ = try reopened.get(key: Array("user:1".utf8)) }?.kind == .corrupt)
            #expect(try reopened.get(key: Array("user:3".utf8)) == Array("carol".utf8))
        }
    }
}

@Suite("storage: integrity check at open")
struct IntegrityCheckAtOpenTests {
    @Test("quick check: a page overwritten in the middle of the file is refused at open, naming the file; a bound of 0 skips it")
    func damagedPageRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            try CompactionTests.fill(store, 1...400, keys: 400, valueBytes: 600)
            store.close()
            #expect(!FileSurgery.exists(path + "-wal"), "a clean close checkpoints the WAL")
            var bytes = try FileSurgery.bytes(path)
            let page = 4_096
            let middle = (bytes.count / page / 2) * page
            bytes.replaceSubrange(middle..<(middle + 64), with: [UInt8](repeating: 0xA5, count: 64))
            try FileSurgery.write(bytes, to: path)

            let error = storeError { () throws(LogStoreError) in try Fixture.open(path) }
            #expect(error?.isDamage == true, "\(String(describing: error))")
            let text = error?.description ?? ""
            // The quick check names itself; a damaged page that the open reads before it (the
            // schema, the meta row) is SQLite's own SQLITE_CORRUPT with the damage hint.
            #expect(text.contains(path) && (text.contains("quick check") || text.contains("damaged"))
                    && text.contains("paxosctl member replace"), "\(text)")
            print("quick check: \(text)")

            var unchecked = SQLiteLogStore.Options()
            unchecked.integrityCheckMaxBytes = 0
            // Without the check the open may succeed (the damage waits for its first read) or
            // fail on a damaged page it reads anyway; either way it is damage, never a crash.
            do {
                let opened = try SQLiteLogStore.open(path: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID,
                                                     options: unchecked)
                opened.close()
            } catch {
                #expect((error as? LogStoreError)?.isDamage == true, "\(error)")
            }
        }
    }
}
