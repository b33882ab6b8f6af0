// Method: drive `SQLiteLogStore` through the life of its memberships (a new database's
// incarnation, a version 1 database migrated, `configure` slots applied, genesis, snapshots and
// restores), reopen the file after each step as a restarted node would, and compare
// `loadDurableState().memberships` with what the core must be rebuilt from: exactly the
// memberships chosen through the applied slot (PaxosCore `Membership.swift`, α-window and
// incarnations; Schema.swift "meta", "memberships", "Versions and migrations").
// A crash is simulated by copying the database and its WAL while a transaction is open: the
// copy is what a power loss at that moment leaves (uncommitted WAL frames are never replayed).

import Foundation
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: memberships and incarnations")
struct MembershipTests {
    static func member(_ id: UInt32, _ incarnation: UInt64 = 1) -> Member {
        Member(id: ReplicaID(id), incarnation: Incarnation(incarnation))
    }

    static let genesis = [ScheduledMembership(fromSlot: Slot(1), membership: .initial([ReplicaID(1), ReplicaID(2), ReplicaID(3)]))]

    /// The membership after `genesis` that swaps replica 3's disk for incarnation 0x77.
    static let replaced = Membership(epoch: 2, voters: [member(1), member(2), member(3, 0x77)])

    /// Copies the database and its WAL to `destination`, as a crash at this moment leaves them.
    static func crashCopy(_ path: String, to destination: String) throws {
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: destination + suffix)
        }
    }

    @Test("incarnation: a new database draws a random one, neither 0 nor 1, and keeps it across reopens")
    func newIncarnation() throws {
        try withTemporaryDirectory { directory in
            let first = try Fixture.open(directory.path("a.sqlite"))
            let incarnation = first.incarnation
            #expect(incarnation.rawValue > Incarnation.initial.rawValue)
            #expect(first.clusterUUID == nil)
            first.close()
            let reopened = try Fixture.open(directory.path("a.sqlite"))
            #expect(reopened.incarnation == incarnation, "an incarnation never changes")
            reopened.close()
            // Two disks of the same replica id: a wiped node comes back as a new acceptor.
            let other = try Fixture.open(directory.path("b.sqlite"))
            defer { other.close() }
            #expect(other.incarnation != incarnation)
        }
    }

    @Test("migration: a version 1 database becomes the current version with incarnation 1 and keeps its state")
    func migrateVersion1() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("paxos.sqlite")
            try VersionOneDatabase.write(path)
            let store = try Fixture.open(path)
            #expect(store.incarnation == .initial, "its replica has been voting as incarnation 1")
            #expect(store.clusterUUID == nil)
            let state = try store.loadDurableState()
            #expect(state.promised == Fixture.ballot(4, 2))
            #expect(state.appliedThrough == Slot(2))
            #expect(state.entries.map(\.slot) == [Slot(1), Slot(2), Slot(3)])
            #expect(state.memberships.isEmpty, "no membership is recorded until genesis")
            #expect(try store.get(key: Array("k1".utf8)) == Array("v1".utf8))
            #expect(try store.sessionTable().count == 1)
            // The migrated file goes on like a new one: genesis, applies, memberships.
            try store.recordGenesis(clusterUUID: "c-uuid", memberships: Self.genesis)
            let configure = LogEntry(slot: Slot(3), ballot: Fixture.ballot(4, 2), command: .configure(Self.replaced), chosen: true)
            try store.persist([Fixture.record(1, [configure])])
            _ = try store.apply(slot: Slot(3), command: configure.command)
            store.close()

            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            #expect(reopened.incarnation == .initial && reopened.clusterUUID == "c-uuid")
            #expect(try reopened.loadDurableState().memberships.map(\.fromSlot) == [Slot(1), Slot(131)])
            let versions = try Self.versions(path)
            #expect(versions.header == Schema.version && versions.meta == Schema.version)
        }
    }

    @Test("migration: a version 1 backup restores as a version 2 database with a new incarnation")
    func restoreVersion1Backup() throws {
        try withTemporaryDirectory { directory in
            let backup = directory.path("old-backup.sqlite")
            try VersionOneDatabase.write(backup)
            let restoredPath = directory.path("new/2/paxos.sqlite")
            try SQLiteLogStore.restore(backup: backup, to: restoredPath, clusterID: Fixture.clusterID, replicaID: ReplicaID(2))
            let restored = try Fixture.open(restoredPath, replicaID: ReplicaID(2))
            defer { restored.close() }
            #expect(restored.incarnation.rawValue > Incarnation.initial.rawValue, "a restored file holds no vote: a new acceptor")
            #expect(restored.appliedThrough == Slot(2) && restored.clusterUUID == nil)
            #expect(try restored.loadDurableState().memberships.isEmpty)
        }
    }

    @Test("apply: a configure slot records its membership from slot + α, in the apply's transaction")
    func configureApply() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            try CompactionTests.fill(store, 1...9)
            let slot = Slot(10)
            let entry = LogEntry(slot: slot, ballot: Fixture.ballot(1, 1), command: .configure(Self.replaced), chosen: true)
            try store.transaction { () throws(LogStoreError) in
                try store.persist([Fixture.record(10, [entry])])
                _ = try store.apply(slot: slot, command: entry.command)
                // A crash before the commit: neither the applied slot nor the row is on disk.
                do { try Self.crashCopy(path, to: directory.path("before-commit.sqlite")) } catch {
                    Issue.record("copy failed: \(error)")
                }
            }
            try Self.crashCopy(path, to: directory.path("after-commit.sqlite"))
            store.close()

            let before = try Fixture.open(directory.path("before-commit.sqlite"))
            #expect(before.appliedThrough == Slot(9))
            #expect(try before.loadDurableState().memberships.isEmpty)
            before.close()
            for name in ["after-commit.sqlite", "node.sqlite"] {
                let after = try Fixture.open(directory.path(name))
                defer { after.close() }
                #expect(after.appliedThrough == slot)
                let expected = ScheduledMembership(fromSlot: Slot(10 + Membership.activationDistance), membership: Self.replaced)
                #expect(try after.loadDurableState().memberships == [expected], "\(name)")
            }
        }
    }

    @Test("apply: a rolled-back transaction leaves no membership row, and compaction never deletes one")
    func rollbackAndCompaction() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            try CompactionTests.fill(store, 1...4)
            let error = storeError { () throws(LogStoreError) in
                try store.transaction { () throws(LogStoreError) in
                    _ = try store.apply(slot: Slot(5), command: .configure(Self.replaced))
                    throw .invalidArgument("the batch failed after the configure slot")
                }
            }
            #expect(error?.kind == .invalidArgument)
            #expect(try store.memberships().isEmpty && store.appliedThrough == Slot(4))
            _ = try store.apply(slot: Slot(5), command: .configure(Self.replaced))
            try CompactionTests.fill(store, 6...300)
            while try !store.compact(through: Slot(300), maxRows: 1_000).finished {}
            #expect(try store.logRowCount() == 0)
            #expect(try store.memberships().map(\.fromSlot) == [Slot(133)], "the row outlives the log row that chose it")
        }
    }

    @Test("apply: a stale configure (computed from an older membership than the newest) records nothing, as the core skips it")
    func staleConfigureRecordsNothing() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            try CompactionTests.fill(store, 1...4)
            _ = try store.apply(slot: Slot(5), command: .configure(Self.replaced))
            // Another epoch-2 membership, computed from epoch 1 by a leader that lost its lead.
            let stale = Membership(epoch: 2, voters: [Self.member(1), Self.member(2)])
            _ = try store.apply(slot: Slot(6), command: .configure(stale))
            // Two changes applied in one batch (a learner catching up applies many slots at once):
            // the second reads what the first wrote before the batch commits.
            let next = Membership(epoch: 3, voters: [Self.member(1), Self.member(2)])
            let last = Membership(epoch: 4, voters: [Self.member(1), Self.member(2), Self.member(5)])
            try store.transaction { () throws(LogStoreError) in
                _ = try store.apply(slot: Slot(7), command: .configure(next))
                _ = try store.apply(slot: Slot(8), command: .configure(last))
            }
            #expect(try store.memberships().map(\.membership) == [Self.replaced, next, last])
            #expect(store.appliedThrough == Slot(8))
        }
    }

    @Test("genesis: records the cluster UUID and first memberships once, and refuses a second time")
    func genesisOnce() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            #expect(storeError { () throws(LogStoreError) in try store.recordGenesis(clusterUUID: "", memberships: Self.genesis) }?.kind
                == .invalidArgument)
            let invalid = [ScheduledMembership(fromSlot: Slot(1), membership: Membership(epoch: 1, voters: []))]
            #expect(storeError { () throws(LogStoreError) in try store.recordGenesis(clusterUUID: "u", memberships: invalid) }?.kind
                == .invalidArgument)
            let unordered = [Self.genesis[0], Self.genesis[0]]
            #expect(storeError { () throws(LogStoreError) in try store.recordGenesis(clusterUUID: "u", memberships: unordered) }?.kind
                == .invalidArgument)
            #expect(store.clusterUUID == nil, "a refused genesis records nothing")

            try store.recordGenesis(clusterUUID: "first-uuid", memberships: Self.genesis)
            #expect(store.clusterUUID == "first-uuid")
            let again = storeError { () throws(LogStoreError) in
                try store.recordGenesis(clusterUUID: "second-uuid", memberships: Self.genesis)
            }
            #expect(again == .genesisRecorded(path: path, clusterUUID: "first-uuid"))
            #expect(again?.description.contains("first-uuid") == true)
            store.close()

            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            #expect(reopened.clusterUUID == "first-uuid")
            #expect(try reopened.loadDurableState().memberships == Self.genesis)
            #expect(storeError { () throws(LogStoreError) in try reopened.recordGenesis(clusterUUID: "u", memberships: []) }?.kind
                == .genesisRecorded)
            #expect(storeError { () throws(LogStoreError) in
                try reopened.recordGenesis(clusterUUID: "first-uuid", memberships: Self.genesis)
            }?.kind == .genesisRecorded, "even the same genesis is not recorded twice")
        }
    }

    @Test("genesis: a joining node records only the UUID; genesis memberships must precede those recorded")
    func genesisAfterMemberships() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            _ = try store.apply(slot: Slot(1), command: .configure(Self.replaced))
            let late = [ScheduledMembership(fromSlot: Slot(129), membership: Self.genesis[0].membership)]
            #expect(storeError { () throws(LogStoreError) in try store.recordGenesis(clusterUUID: "u", memberships: late) }?.kind
                == .invalidArgument)
            try store.recordGenesis(clusterUUID: "u", memberships: [])
            #expect(store.clusterUUID == "u")
            #expect(try store.memberships().map(\.fromSlot) == [Slot(129)])
        }
    }

    @Test("snapshot: the memberships travel with the snapshot and replace the receiver's on install")
    func snapshotCarriesMemberships() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source.sqlite")
            let source = try SnapshotTransferTests.source(sourcePath, slots: 30)
            defer { source.close() }
            try source.recordGenesis(clusterUUID: "u", memberships: Self.genesis)
            _ = try source.apply(slot: source.appliedThrough.next, command: .configure(Self.replaced))
            let expected = try source.memberships()
            #expect(expected.count == 2)
            let (header, chunks) = try SnapshotTransferTests.export(sourcePath, chunkBytes: 1_024)
            #expect(header.membershipCount == 2)

            let path = directory.path("receiver.sqlite")
            let receiver = try SnapshotTransferTests.receiver(path)
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 7)
            #expect(try SnapshotTransferTests.stage(chunks, into: staging, transfer: 7))
            #expect(staging.memberships == expected, "what the node hands the core in .snapshotReceived")
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            receiver.close()
            let reopened = try Fixture.open(path)
            defer { reopened.close() }
            #expect(try reopened.loadDurableState().memberships == expected)
            #expect(reopened.clusterUUID == nil, "the cluster UUID is the node's genesis, not part of the snapshot")
        }
    }

    @Test("snapshot: a staged membership row that is not one the node would load is refused")
    func snapshotRefusesBadMembership() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("receiver.sqlite")
            let receiver = try SnapshotTransferTests.receiver(path)
            defer { receiver.close() }
            let badSlot = SnapshotRecord.membership(fromSlot: Slot(50), chosenInSlot: Slot(10),
                                                    membership: Command.configure(Self.replaced).encoded())
            let aboveSnapshot = SnapshotRecord.membership(fromSlot: Slot(10 + 128 + 100), chosenInSlot: Slot(110),
                                                          membership: Command.configure(Self.replaced).encoded())
            let notMembership = SnapshotRecord.membership(fromSlot: Slot(1), chosenInSlot: .zero, membership: Command.noop.encoded())
            for record in [badSlot, aboveSnapshot, notMembership] {
                var writer = ByteWriter(capacity: 256)
                SnapshotRecord.header(SnapshotHeader(slot: Slot(100), keyCount: 0, sessionCount: 0, membershipCount: 1))
                    .encode(into: &writer)
                record.encode(into: &writer)
                let staging = SnapshotStaging(databasePath: path)
                try staging.begin(transfer: 1)
                #expect(throws: SnapshotStagingError.self, "\(record)") {
                    try staging.append(transfer: 1, index: 0, data: writer.bytes, last: true,
                                       crc: CRC32C.finish(CRC32C.update(CRC32C.start, with: writer.bytes)))
                }
            }
            #expect(receiver.appliedThrough == Slot(5))
        }
    }

    static func versions(_ path: String) throws -> (header: Int64, meta: Int64) {
        let database = try SQLiteDatabase(path: path, mode: .readWrite)
        defer { database.close() }
        return (try database.scalarInt("PRAGMA user_version") ?? -1, try database.scalarInt("SELECT schema_version FROM meta") ?? -1)
    }
}

/// A database exactly as version 1 (every release before memberships) wrote it: its tables,
/// frozen here, and a few rows in each.
enum VersionOneDatabase {
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
            snapshot_slot INTEGER NOT NULL
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
            slot INTEGER NOT NULL
        );
        CREATE TABLE sessions (
            client_id INTEGER PRIMARY KEY,
            last_sequence INTEGER NOT NULL,
            last_result INTEGER NOT NULL,
            slot INTEGER NOT NULL
        );
        """

    /// Replica 1 of `Fixture.clusterID`: promised 4.2, slots 1 and 2 chosen and applied, slot 3
    /// accepted only.
    static func write(_ path: String) throws {
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        defer { database.close() }
        try database.execute("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL")
        try database.execute(tables)
        try database.execute("""
            PRAGMA application_id = \(Schema.applicationID); PRAGMA user_version = 1;
            INSERT INTO meta VALUES (1, 1, '\(Fixture.clusterID)', 1, 4, 2, 2, 2, 0);
            INSERT INTO kv VALUES (x'\(hex("k1"))', x'\(hex("v1"))', 1), (x'\(hex("k2"))', x'\(hex("v2"))', 2);
            INSERT INTO sessions VALUES (1, 2, 0, 2);
            """)
        for slot in 1...3 as ClosedRange<UInt64> {
            let command = Command.batch([Fixture.put(1, slot, "k\(slot)", "v\(slot)")]).encoded()
            let ballot = Fixture.ballot(slot == 3 ? 4 : 1, slot == 3 ? 2 : 1)
            let statement = try database.prepare("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?)")
            try statement.run { (statement) throws(SQLiteError) in
                try statement.bind(1, slot)
                try statement.bind(2, ballot.round)
                try statement.bind(3, Int64(ballot.replica.rawValue))
                try statement.bind(4, Int64(slot == 3 ? 0 : 1))
                try statement.bind(5, command)
                try statement.bind(6, Int64(LogRowChecksum.compute(slot: Slot(slot), ballot: ballot, command: command)))
            }
        }
    }

    private static func hex(_ text: String) -> String { BytesDisplay.hex(Array(text.utf8)) }
}
