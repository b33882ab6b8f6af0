// Method: back up a store that is open and being written (as a live node's is), restore the
// file as the database of another replica, possibly of another cluster, and check what the
// restored node starts from: the backup's tables, applied = chosen = snapshot slot, an empty log,
// no promise (docs/ARCHITECTURE.md "Backup and restore").

import Foundation
import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: backup and restore")
struct BackupTests {
    @Test("backup: a copy taken while the store is open restores as another replica's database")
    func backupAndRestore() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try SnapshotTransferTests.source(path, slots: 200)
            defer { store.close() }
            // An accepted, unchosen slot and a promise: neither belongs in a new cluster.
            try store.persist([Fixture.record(1, promised: Fixture.ballot(9, 1), [Fixture.entry(store.appliedThrough.rawValue + 1)])])
            let backupPath = directory.path("backup.sqlite")
            let summary = try SQLiteLogStore.backup(databasePath: path, to: backupPath)
            #expect(summary.appliedThrough == store.appliedThrough && summary.bytes > 0)
            // The node writes on; the backup does not change.
            _ = try store.apply(slot: store.appliedThrough.next, command: .batch([Fixture.put(5, 1, "later", "x")]))

            let restoredPath = directory.path("new/3/paxos.sqlite")
            let restored = try SQLiteLogStore.restore(backup: backupPath, to: restoredPath, clusterID: "new-cluster", replicaID: ReplicaID(3))
            #expect(restored.appliedThrough == summary.appliedThrough)
            let node = try SQLiteLogStore.open(path: restoredPath, clusterID: "new-cluster", replicaID: ReplicaID(3))
            defer { node.close() }
            let state = try node.loadDurableState()
            #expect(state == DurableState(promised: .zero, entries: [], appliedThrough: summary.appliedThrough,
                                          snapshotThrough: summary.appliedThrough))
            #expect(node.chosenThrough == summary.appliedThrough)
            #expect(try node.logRowCount() == 0)
            let expectedKeys = try SnapshotTransferTests.keys(store).filter { !$0.hasPrefix("[108, 97, 116, 101, 114]") }
            #expect(try SnapshotTransferTests.keys(node) == expectedKeys)
            #expect(try node.get(key: Array("later".utf8)) == nil)
            #expect(try SnapshotTransferTests.sessions(node).count == (try store.sessionTable().count) - 1)
            _ = try node.apply(slot: node.appliedThrough.next, command: .batch([Fixture.put(1, 1, "first", "write")]))
        }
    }

    @Test("backup: never overwrites a file, and restore never replaces an existing database")
    func refusals() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            defer { store.close() }
            try CompactionTests.fill(store, 1...10)
            let existing = directory.path("existing")
            try FileSurgery.write(Array("keep me".utf8), to: existing)
            #expect(storeError { () throws(LogStoreError) in _ = try SQLiteLogStore.backup(databasePath: path, to: existing) }?.kind == .invalidArgument)
            #expect(try FileSurgery.bytes(existing) == Array("keep me".utf8))
            let backupPath = directory.path("backup.sqlite")
            _ = try SQLiteLogStore.backup(databasePath: path, to: backupPath)
            let refused = storeError { () throws(LogStoreError) in
                try SQLiteLogStore.restore(backup: backupPath, to: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID)
            }
            #expect(refused?.kind == .invalidArgument)
            let notADatabase = storeError { () throws(LogStoreError) in
                try SQLiteLogStore.restore(backup: existing, to: directory.path("other.sqlite"), clusterID: "c", replicaID: ReplicaID(2))
            }
            #expect(notADatabase?.kind == .notPaxosDatabase)
            #expect(!FileSurgery.exists(directory.path("other.sqlite")) && !FileSurgery.exists(directory.path("other.sqlite.restoring")))
        }
    }

    @Test("backup: a journal next to the destination is refused and kept; a failed backup removes only its own file")
    func companionsAndFailures() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            defer { store.close() }
            try CompactionTests.fill(store, 1...10)
            for suffix in ["-wal", "-journal", "-shm"] {
                let destination = directory.path("x\(suffix.dropFirst()).sqlite")
                try FileSurgery.write(Array("not yours".utf8), to: destination + suffix)
                #expect(storeError { () throws(LogStoreError) in _ = try SQLiteLogStore.backup(databasePath: path, to: destination) }?.kind == .invalidArgument)
                #expect(try FileSurgery.bytes(destination + suffix) == Array("not yours".utf8), "\(suffix) kept")
                #expect(!FileSurgery.exists(destination), "nothing created next to \(suffix)")
            }
            // The source is not a database: the backup fails after creating its file, and
            // removes that file and nothing else.
            let garbage = directory.path("garbage.sqlite")
            try FileSurgery.write(Array(repeating: 0x5A, count: 8_192), to: garbage)
            let destination = directory.path("failed.sqlite")
            let neighbour = directory.path("failed.sqlite.keep")
            try FileSurgery.write(Array("neighbour".utf8), to: neighbour)
            #expect(storeError { () throws(LogStoreError) in _ = try SQLiteLogStore.backup(databasePath: garbage, to: destination) } != nil)
            #expect(!FileSurgery.exists(destination))
            #expect(try FileSurgery.bytes(neighbour) == Array("neighbour".utf8))
        }
    }

    @Test("backup: the file is created exclusively, mode 0600, never through a symlink")
    func exclusiveCreate() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            defer { store.close() }
            try CompactionTests.fill(store, 1...10)
            let target = directory.path("target")
            try FileSurgery.write(Array("target".utf8), to: target)
            let link = directory.path("link.sqlite")
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            #expect(storeError { () throws(LogStoreError) in _ = try SQLiteLogStore.backup(databasePath: path, to: link) }?.kind == .invalidArgument)
            #expect(try FileSurgery.bytes(target) == Array("target".utf8))
            let fresh = directory.path("fresh.sqlite")
            _ = try SQLiteLogStore.backup(databasePath: path, to: fresh)
            let mode = (try FileManager.default.attributesOfItem(atPath: fresh)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600)
        }
    }
}
