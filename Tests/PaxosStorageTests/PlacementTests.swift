// Method: open group databases through `SQLiteLogStore` with one `GroupPlacement` and reopen,
// restore and list them with others, as a node restarted with another `--groups` would, and
// assert on the exact `LogStoreError` and its one sentence; read the tables back through a
// separate connection to see what is on disk (the requirement: "the mapping is recorded in every
// database so a node refuses to start with a different G"; Schema.swift "placement").
// A single-group database MUST stay what it always was: no placement table, byte for byte.

import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: group placement")
struct PlacementTests {
    static func group(_ group: GroupID, of count: UInt32) -> GroupPlacement { GroupPlacement(groupCount: count, group: group) }

    /// Opens (creating) the database of `placement` at `path`, applies slots 1…`slots`, closes it.
    static func write(_ path: String, _ placement: GroupPlacement, slots: UInt64 = 5) throws {
        let store = try SQLiteLogStore.open(path: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID, placement: placement)
        defer { store.close() }
        try CompactionTests.fill(store, 1...slots)
    }

    static func open(_ path: String, _ placement: GroupPlacement) throws(LogStoreError) -> SQLiteLogStore {
        try SQLiteLogStore.open(path: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID, placement: placement)
    }

    /// The names of the tables in the file, read through a connection of the test's own
    /// (read-write without create, since a read-only one cannot open a WAL database whose -shm
    /// file went with its last connection; nothing is written).
    static func tables(_ path: String) throws -> Set<String> {
        let database = try SQLiteDatabase(path: path, mode: .readWrite)
        defer { database.close() }
        let statement = try database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        var names: Set<String> = []
        while try statement.step() { names.insert(statement.text(0)) }
        return names
    }

    static func execute(_ sql: String, on path: String) throws {
        let database = try SQLiteDatabase(path: path, mode: .readWrite)
        defer { database.close() }
        try database.execute(sql)
    }

    // MARK: the value

    @Test("placement: file names and validation", arguments: [
        ("group-0.sqlite", GroupID?.some(0)), ("group-63.sqlite", 63), ("group-12.sqlite", 12), ("group-01.sqlite", nil),
        ("group-.sqlite", nil), ("group-1.sqlite-wal", nil), ("group-1.sqlite.staging", nil), ("paxos.sqlite", nil),
        ("group-x.sqlite", nil), ("group-99999999999.sqlite", nil),
    ])
    func fileNames(name: String, group: GroupID?) {
        #expect(GroupPlacement.group(ofFileName: name) == group)
    }

    @Test("placement: one group is paxos.sqlite, several are group-<g>.sqlite; counts outside 1…64 are no placement")
    func values() {
        #expect(GroupPlacement.single.fileName == "paxos.sqlite")
        #expect(Self.group(0, of: 1) == .single)
        #expect(Self.group(3, of: 4).fileName == "group-3.sqlite")
        #expect(Self.group(2, of: 4).description == "group 2 of 4")
        #expect(GroupPlacement.all(groupCount: 3).map(\.fileName) == ["group-0.sqlite", "group-1.sqlite", "group-2.sqlite"])
        #expect(GroupPlacement(validatingGroupCount: 0, group: 0) == nil)
        #expect(GroupPlacement(validatingGroupCount: 4, group: 4) == nil)
        #expect(GroupPlacement(validatingGroupCount: GroupMap.maxGroups + 1, group: 0) == nil)
        #expect(GroupPlacement(validatingGroupCount: GroupMap.maxGroups, group: GroupID(GroupMap.maxGroups - 1)) != nil)
    }

    // MARK: on disk

    @Test("placement: a group's new database records its placement, and reopens with the same one")
    func recorded() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("group-2.sqlite")
            try Self.write(path, Self.group(2, of: 4))
            #expect(try Self.tables(path).contains("placement"))
            #expect(try SQLiteLogStore.recordedPlacement(ofDatabase: path) == Self.group(2, of: 4))
            let store = try Self.open(path, Self.group(2, of: 4))
            defer { store.close() }
            #expect(store.placement == Self.group(2, of: 4))
            #expect(store.appliedThrough == Slot(5))
        }
    }

    @Test("placement: a single-group database records nothing, so it is what every database before groups was")
    func singleRecordsNothing() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            try Self.write(path, .single)
            #expect(try Self.tables(path) == ["meta", "log", "kv", "sessions", "memberships", "kv_changes"])
            #expect(try SQLiteLogStore.recordedPlacement(ofDatabase: path) == .single)
            // The default is the single group, so callers that predate groups open it as before.
            let store = try Fixture.open(path)
            defer { store.close() }
            #expect(store.placement == .single && store.appliedThrough == Slot(5))
        }
    }

    @Test("placement: a database without the placement table, or with the table and no row, opens as the single group")
    func oldDatabaseIsSingle() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            try Self.write(path, .single)
            // A version-1 database as written before groups existed: nothing records a group.
            #expect(try !Self.tables(path).contains("placement"))
            try Self.open(path, .single).close()
            #expect(storeError { () throws(LogStoreError) in try Self.open(path, Self.group(0, of: 2)) }?.kind == .foreign)
            try Self.execute(Schema.createPlacement, on: path)
            try Self.open(path, .single).close()
            #expect(storeError { () throws(LogStoreError) in try Self.open(path, Self.group(0, of: 2)) }?.kind == .foreign)
        }
    }

    struct Mismatch: Sendable, CustomTestStringConvertible {
        var stored: GroupPlacement
        var wanted: GroupPlacement
        var reason: String
        var testDescription: String { "\(stored) opened as \(wanted)" }
    }

    static let mismatches = [
        Mismatch(stored: group(2, of: 4), wanted: group(2, of: 8), reason: "it holds group 2 of 4, this node runs 8 groups "
            + "(--groups 8): a different group count would move keys to groups that never saw their history; start with --groups 4"),
        Mismatch(stored: group(2, of: 4), wanted: .single, reason: "it holds group 2 of 4, this node runs 1 group (no --groups): "
            + "a different group count would move keys to groups that never saw their history; start with --groups 4"),
        Mismatch(stored: .single, wanted: group(0, of: 4), reason: "it holds the only group of a node run without --groups, this "
            + "node runs 4 groups (--groups 4): a different group count would move keys to groups that never saw their history; "
            + "start without --groups"),
        Mismatch(stored: group(2, of: 4), wanted: group(3, of: 4), reason: "it holds group 2 of 4, not group 3: each group's "
            + "database keeps its own file (group-2.sqlite); move it back"),
    ]

    @Test("placement: a database opened as another group or with another group count is refused, saying what to fix",
          arguments: mismatches)
    func refused(_ mismatch: Mismatch) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            try Self.write(path, mismatch.stored)
            let error = storeError { () throws(LogStoreError) in try Self.open(path, mismatch.wanted) }
            #expect(error == .foreign(path: path, reason: mismatch.reason))
            #expect(error?.description == "\(path) belongs to another node or group layout: \(mismatch.reason); refusing to use it")
            // The refusal changed nothing: the database opens as what it is.
            let store = try Self.open(path, mismatch.stored)
            defer { store.close() }
            #expect(store.appliedThrough == Slot(5))
        }
    }

    @Test("placement: a placement row that names no placement is corruption; an unknown key mapping is refused")
    func damagedRow() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("group-1.sqlite")
            try Self.write(path, Self.group(1, of: 4))
            try Self.execute("UPDATE placement SET group_id = 4", on: path)
            let corrupt = storeError { () throws(LogStoreError) in try Self.open(path, Self.group(1, of: 4)) }
            #expect(corrupt?.kind == .corrupt)
            #expect(corrupt?.description.contains("names group 4 of 4") == true, "\(String(describing: corrupt))")
            try Self.execute("UPDATE placement SET group_id = 1, hash = 'fnv-mod'", on: path)
            let foreign = storeError { () throws(LogStoreError) in try Self.open(path, Self.group(1, of: 4)) }
            #expect(foreign?.kind == .foreign)
            #expect(foreign?.description.contains("maps keys to groups by 'fnv-mod'") == true, "\(String(describing: foreign))")
        }
    }

    /// The `hash` column of the placement row, read through the test's own connection.
    static func recordedHashName(_ path: String) throws -> String? {
        let database = try SQLiteDatabase(path: path, mode: .readWrite)
        defer { database.close() }
        let statement = try database.prepare("SELECT hash FROM placement WHERE singleton = 1")
        return try statement.step() ? statement.text(0) : nil
    }

    @Test("placement: new databases record 'crc32c-fibonacci'; the earlier name 'crc32c-mod' opens as the same, unrewritten")
    func hashNames() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("group-1.sqlite")
            try Self.write(path, Self.group(1, of: 4))
            #expect(try Self.recordedHashName(path) == "crc32c-fibonacci")

            // As every database written before the name was corrected records it.
            try Self.execute("UPDATE placement SET hash = 'crc32c-mod'", on: path)
            #expect(try SQLiteLogStore.recordedPlacement(ofDatabase: path) == Self.group(1, of: 4))
            let store = try Self.open(path, Self.group(1, of: 4))
            #expect(store.placement == Self.group(1, of: 4) && store.appliedThrough == Slot(5))
            #expect(store.placement.map == GroupMap(count: 4))
            store.close()
            #expect(try Self.recordedHashName(path) == "crc32c-mod", "opening MUST NOT rewrite a user's placement row")

            try Self.execute("UPDATE placement SET hash = 'crc32c-plain-mod'", on: path)
            let foreign = storeError { () throws(LogStoreError) in try Self.open(path, Self.group(1, of: 4)) }
            #expect(foreign?.kind == .foreign)
            #expect(foreign?.description.contains("it maps keys to groups by 'crc32c-plain-mod', this build by 'crc32c-fibonacci', "
                + "which earlier builds recorded as 'crc32c-mod': keys would be looked for in groups that never saw their history")
                == true, "\(String(describing: foreign))")
        }
    }

    @Test("placement: installing a snapshot and compacting keep the placement row")
    func snapshotKeepsPlacement() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source/group-1.sqlite")
            try Self.write(sourcePath, Self.group(1, of: 4), slots: 40)
            let (header, chunks) = try SnapshotTransferTests.export(sourcePath, chunkBytes: 1_024)
            let path = directory.path("receiver/group-1.sqlite")
            try Self.write(path, Self.group(1, of: 4), slots: 3)
            let receiver = try Self.open(path, Self.group(1, of: 4))
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 1)
            #expect(try SnapshotTransferTests.stage(chunks, into: staging, transfer: 1))
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            try CompactionTests.fill(receiver, header.slot.next.rawValue...header.slot.rawValue + 10)
            _ = try receiver.compact(through: receiver.appliedThrough, maxRows: 100)
            receiver.close()
            #expect(try SQLiteLogStore.recordedPlacement(ofDatabase: path) == Self.group(1, of: 4))
            let reopened = try Self.open(path, Self.group(1, of: 4))
            defer { reopened.close() }
            #expect(reopened.appliedThrough == Slot(header.slot.rawValue + 10))
        }
    }

    // MARK: backup and restore

    @Test("restore: a backup restores only as the same group of the same group count; nothing is left behind otherwise")
    func restore() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node/group-2.sqlite")
            try Self.write(path, Self.group(2, of: 4), slots: 12)
            let backup = directory.path("group-2.backup")
            let summary = try SQLiteLogStore.backup(databasePath: path, to: backup)
            #expect(summary.placement == Self.group(2, of: 4))

            let target = directory.path("new/1/group.sqlite")
            let refusals: [(GroupPlacement, String)] = [
                (Self.group(1, of: 4), "it is a backup of group 2 of 4, and group 1 is being restored: restore each group from a "
                    + "backup of the same group"),
                (Self.group(2, of: 8), "it is a backup of group 2 of 4, this node runs 8 groups (--groups 8): restored here its keys "
                    + "would sit in groups other than the ones they map to; start with --groups 4 and restore each group from its own backup"),
                (.single, "it is a backup of group 2 of 4, this node runs 1 group (no --groups): restored here its keys would sit in "
                    + "groups other than the ones they map to; start with --groups 4 and restore each group from its own backup"),
            ]
            for (placement, reason) in refusals {
                let error = storeError { () throws(LogStoreError) in
                    try SQLiteLogStore.restore(backup: backup, to: target, clusterID: "new", replicaID: ReplicaID(1), placement: placement)
                }
                #expect(error == .foreign(path: backup, reason: reason), "as \(placement)")
                #expect(!FileSurgery.exists(target) && !FileSurgery.exists(target + ".restoring"), "as \(placement)")
            }

            let restored = try SQLiteLogStore.restore(backup: backup, to: target, clusterID: "new", replicaID: ReplicaID(1),
                                                      placement: Self.group(2, of: 4))
            #expect(restored.placement == Self.group(2, of: 4) && restored.appliedThrough == Slot(12))
            #expect(try SQLiteLogStore.recordedPlacement(ofDatabase: target) == Self.group(2, of: 4))
            let store = try SQLiteLogStore.open(path: target, clusterID: "new", replicaID: ReplicaID(1), placement: Self.group(2, of: 4))
            store.close()
        }
    }

    @Test("restore: a single-group backup does not restore as one group of several")
    func restoreSingleAsGroup() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node/paxos.sqlite")
            try Self.write(path, .single)
            let backup = directory.path("backup.sqlite")
            #expect(try SQLiteLogStore.backup(databasePath: path, to: backup).placement == .single)
            let error = storeError { () throws(LogStoreError) in
                try SQLiteLogStore.restore(backup: backup, to: directory.path("new/group-0.sqlite"), clusterID: "new",
                                           replicaID: ReplicaID(1), placement: Self.group(0, of: 2))
            }
            #expect(error?.kind == .foreign)
            #expect(error?.description.contains("start without --groups") == true, "\(String(describing: error))")
        }
    }

    // MARK: node directories

    @Test("node directory: lists paxos.sqlite and group-<g>.sqlite in group order, nothing else")
    func listing() throws {
        try withTemporaryDirectory { directory in
            let node = directory.path("node")
            #expect(try NodeDatabaseFiles.list(inNodeDirectory: node).isEmpty, "a directory not yet made holds nothing")
            for group in [3, 0, 10, 1, 2] as [GroupID] {
                try Self.write(node + "/" + GroupPlacement.fileName(group: group), Self.group(group, of: 11), slots: 1)
            }
            for stray in ["group-01.sqlite", "group-0.sqlite-wal", "paxos.sqlite.staging", "notes.txt"] {
                try FileSurgery.write([1], to: node + "/" + stray)
            }
            let files = try NodeDatabaseFiles.list(inNodeDirectory: node)
            #expect(files.single == nil)
            #expect(files.groups.map(\.group) == [0, 1, 2, 3, 10])
            #expect(files.paths == [0, 1, 2, 3, 10].map { node + "/group-\($0).sqlite" })
            #expect(files.namesDescription == "group-0.sqlite … group-3.sqlite, group-10.sqlite")
        }
    }

    @Test("node directory: a node started with another group count than its files were written for is refused")
    func directoryRefusal() throws {
        try withTemporaryDirectory { directory in
            let grouped = directory.path("grouped")
            for placement in GroupPlacement.all(groupCount: 4) { try Self.write(grouped + "/" + placement.fileName, placement, slots: 1) }
            let files = try NodeDatabaseFiles.list(inNodeDirectory: grouped)
            try files.refuse(groupCount: 4)
            // More groups than files: each file's own placement refuses the count when opened.
            try files.refuse(groupCount: 8)
            #expect(storeError { () throws(LogStoreError) in try Self.open(grouped + "/group-0.sqlite", Self.group(0, of: 8)) }?.kind == .foreign)
            let single = storeError { () throws(LogStoreError) in try files.refuse(groupCount: 1) }
            #expect(single == .foreign(path: grouped, reason: "it holds group-0.sqlite … group-3.sqlite, written by a node that runs "
                + "4 groups (--groups 4), and this node runs 1 group (no --groups): a different group count would move keys to "
                + "groups that never saw their history; start with --groups 4"))
            let fewer = storeError { () throws(LogStoreError) in try files.refuse(groupCount: 2) }
            #expect(fewer?.description.contains("it holds group-2.sqlite, group-3.sqlite, written by a node that runs 4 groups") == true,
                    "\(String(describing: fewer))")

            let plain = directory.path("plain")
            try Self.write(plain + "/paxos.sqlite", .single, slots: 1)
            let plainFiles = try NodeDatabaseFiles.list(inNodeDirectory: plain)
            try plainFiles.refuse(groupCount: 1)
            let grown = storeError { () throws(LogStoreError) in try plainFiles.refuse(groupCount: 4) }
            #expect(grown == .foreign(path: plain, reason: "it holds paxos.sqlite, written by a node that runs 1 group (no --groups), "
                + "and this node runs 4 groups (--groups 4): a different group count would move keys to groups that never saw "
                + "their history; start without --groups"))
        }
    }
}
