// Method: SCAN pages over SQLite and over the in-memory state machine, fed the same seeded
// random writes and compared page by page; a scan walked to its end while a writer inserts and
// deletes other keys between pages; ties of equal hashes through the pure page cutter; and the
// migration from version 4, which computes the scan order of existing rows. What it must
// guarantee (Redis's SCAN contract, and better): a key present from the first call to the last
// is returned exactly once, no key is returned twice, and both stores agree.
import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: scans")
struct ScanTests {
    /// Walks a whole scan of one group with pages of `count`, calling `between` after each page.
    static func walk(count: Int, page: (UInt64) throws -> ScanPage, between: () throws -> Void = {}) rethrows -> [Bytes] {
        var cursor: ScanCursor? = .start
        var keys: [Bytes] = []
        var pages = 0
        while let current = cursor {
            let result = try page(current.position)
            keys += result.keys
            cursor = result.next(after: current, groups: 1)
            pages += 1
            precondition(pages < 100_000, "a scan that does not end")
            try between()
        }
        return keys
    }

    @Test("scan: SQLite and memory give the same pages over the same seeded writes", arguments: [1 as UInt64, 2, 3])
    func storesAgree(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            var memory = KVStateMachine()
            var generator = SeededGenerator(seed: seed)
            for slot in 1...300 {
                let key = "key:\(generator.next() % 120)"
                let request = generator.next() % 4 == 0
                    ? Fixture.delete(1, UInt64(slot), key) : Fixture.put(1, UInt64(slot), key, "v\(slot)")
                let command = Command.batch([request])
                _ = try store.apply(slot: Slot(UInt64(slot)), command: command)
                _ = memory.apply(slot: Slot(UInt64(slot)), command: command)
            }
            #expect(try store.keyCount() == memory.keyCount())
            for count in [1, 3, 10, 1_000] {
                let fromSQLite = try Self.walk(count: count) { try store.scanPage(from: $0, count: count) }
                let fromMemory = try Self.walk(count: count) { memory.scanPage(from: $0, count: count) }
                #expect(fromSQLite == fromMemory, "count \(count)")
                #expect(Set(fromSQLite) == Set(memory.table.keys) && fromSQLite.count == memory.table.count,
                        "every key once (count \(count))")
                // Page by page too, from positions that fall between rows.
                for position in [0, 1 << 20, 1 << 40, ScanCursor.positionLimit - 1] as [UInt64] {
                    #expect(try store.scanPage(from: position, count: count) == memory.scanPage(from: position, count: count))
                }
            }
        }
    }

    @Test("scan: with a writer inserting and deleting other keys between pages, each lasting key comes back exactly once")
    func concurrentWriter() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            var slot: UInt64 = 0
            func apply(_ request: ClientRequest) throws {
                slot += 1
                _ = try store.apply(slot: Slot(slot), command: .batch([request]))
            }
            let lasting = (0..<200).map { "lasting:\($0)" }
            for key in lasting { try apply(Fixture.put(1, slot + 1, key, "v")) }
            var generator = SeededGenerator(seed: 7)
            var churn = 0
            let keys = try Self.walk(count: 7, page: { try store.scanPage(from: $0, count: 7) }, between: {
                for _ in 0..<5 {
                    churn += 1
                    let key = "churn:\(generator.next() % 50)"
                    try apply(generator.next() % 2 == 0 ? Fixture.put(2, slot + 1, key, "c\(churn)") : Fixture.delete(2, slot + 1, key))
                }
            })
            let seen = keys.map { String(decoding: $0, as: UTF8.self) }
            #expect(Set(seen).count == seen.count, "no key returned twice")
            #expect(Set(lasting).isSubset(of: Set(seen)), "every key present throughout is returned")
            #expect(seen.allSatisfy { $0.hasPrefix("lasting:") || $0.hasPrefix("churn:") })
        }
    }

    @Test("scan: rows sharing a hash stay in one page, and the next page starts at the next hash")
    func ties() {
        let rows: [(hash: UInt64, key: Bytes, isLive: Bool)] = [
            (5, [1], true), (5, [2], false), (5, [3], true), (7, [4], true), (9, [5], true),
        ]
        let first = ScanPage.cut(rows, from: 0, count: 1)
        #expect(first == ScanPage(keys: [[1], [3]], lastHash: 5, isGroupDone: false), "the dead row is visited, not returned")
        #expect(first.next(after: .start, groups: 1) == ScanCursor(group: 0, position: 6))
        #expect(ScanPage.cut(rows, from: 6, count: 1) == ScanPage(keys: [[4]], lastHash: 7, isGroupDone: false))
        #expect(ScanPage.cut(rows, from: 8, count: 1) == ScanPage(keys: [[5]], lastHash: 9, isGroupDone: true))
        #expect(ScanPage.cut(rows, from: 10, count: 1) == ScanPage(keys: [], lastHash: nil, isGroupDone: true))
        #expect(ScanPage.cut(rows, from: 0, count: 100).keys == [[1], [3], [4], [5]])
    }

    @Test("scan: a row whose scan_hash is not its key's is damage, for reads and for the state check")
    func wrongScanHash() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            _ = try store.apply(slot: Slot(1), command: .batch([Fixture.put(1, 1, "k1", "v"), Fixture.put(1, 2, "k2", "v")]))
            store.close()
            try RevisionMigrationTests.execute(path, "UPDATE kv SET scan_hash = 1 WHERE key = X'6B31'")
            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            let error = storeError { () throws(LogStoreError) in _ = try reopened.get(key: Array("k1".utf8)) }
            #expect(error?.kind == .corrupt && error?.description.contains("scan_hash") == true, "\(String(describing: error))")
            #expect(try reopened.get(key: Array("k2".utf8)) == Array("v".utf8))
            #expect(throws: LogStoreError.self) { try SQLiteLogStore.verifyStateTables(reopened.database, path: path) }
        }
    }

    @Test("migration: a version 4 database gets every row's scan hash and the kv_scan index")
    func migrateVersion4() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            for n in 1...50 { _ = try store.apply(slot: Slot(UInt64(n)), command: .batch([Fixture.put(1, UInt64(n), "k\(n)", "v")])) }
            store.close()
            try RevisionMigrationTests.execute(path, """
                DROP INDEX kv_scan; ALTER TABLE kv DROP COLUMN scan_hash;
                DROP INDEX kv_expiry; ALTER TABLE meta DROP COLUMN log_clock;
                DROP TABLE kv_changes; ALTER TABLE meta DROP COLUMN changes_from;
                UPDATE meta SET schema_version = 4; PRAGMA user_version = 4;
                """)
            let migrated = try Fixture.open(path)
            defer { migrated.close() }
            let versions = try MembershipTests.versions(path)
            #expect(versions.header == Schema.version && versions.meta == Schema.version)
            let database = try SQLiteDatabase(path: path, mode: .readOnly)
            defer { database.close() }
            let rows = try database.prepare("SELECT key, scan_hash FROM kv")
            var count = 0
            while try rows.step() {
                #expect(rows.uint64(1) == ScanHash.of(rows.blob(0)), "the hash of \(rows.blob(0))")
                count += 1
            }
            #expect(count == 50)
            #expect(try database.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'kv_scan'") == 1)
            #expect(try RevisionMigrationTests.columns(path) == RevisionMigrationTests.columns(directory.path("fresh.sqlite").also { try Fixture.open($0).close() }))
            #expect(Set(try Self.walk(count: 8) { try migrated.scanPage(from: $0, count: 8) }).count == 50)
        }
    }
}

extension String {
    /// Runs `body` on the string and returns it (for a path made as a side effect).
    fileprivate func also(_ body: (String) throws -> Void) rethrows -> String {
        try body(self)
        return self
    }
}
