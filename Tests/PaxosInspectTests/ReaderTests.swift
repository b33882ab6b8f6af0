// Method: write a node's database through the real storage layer (SQLiteLogStore persisting
// records and applying slots, `Nodes.standard`), then read it back with InspectionReader and
// compare every reported fact with what was written: the meta row, the log with each slot's
// ballot, chosen flag and decoded command, and the applied kv table. The reader MUST NOT change
// the files it reads, on a closed database (opened immutable) or next to a live store (a WAL
// reader). Covers DESIGN.md §5 "paxos-inspect" and the format in Schema.swift.

import Foundation
import PaxosCore
import PaxosInspectKit
import PaxosStorage
import Testing

@Suite("inspect: reading a database")
struct ReaderTests {
    @Test("summary: reports the meta row, log bounds, counts and a passing integrity check")
    func summary() throws {
        try withScratch { scratch in
            let node = try Nodes.standardCluster(in: scratch)[1]
            let reader = try InspectionReader.open(node)
            defer { reader.close() }
            let summary = try reader.summary()
            #expect(summary.path == node + "/paxos.sqlite")
            #expect(summary.openMode == .immutable)
            #expect(summary.meta.clusterID == Nodes.clusterID)
            #expect(summary.meta.replicaID == ReplicaID(2))
            #expect(summary.meta.schemaVersion == 6)
            #expect(summary.meta.promised == Nodes.leaderBallot)
            #expect(summary.meta.chosenThrough == Slot(10))
            #expect(summary.meta.appliedThrough == Slot(8))
            #expect(summary.meta.snapshotSlot == .zero)
            #expect(summary.bounds.firstSlot == Slot(1) && summary.bounds.lastSlot == Slot(12))
            #expect(summary.bounds.rowCount == 12 && summary.bounds.chosenRowCount == 10)
            // Applied through 8: user:0 (4), user:2 (6), user:3 (7); user:1 was deleted at 8.
            #expect(summary.keyCount == 3)
            #expect(summary.sessionCount == 2)
            #expect(summary.files.databaseBytes > 0 && summary.files.walBytes == nil)
            #expect(summary.integrity.ok, "\(summary.integrity)")
            #expect(summary.integrity.replayedThrough == Slot(8))
            let text = summary.text()
            #expect(text.contains("chosen frontier  10") && text.contains("applied slot     8"), "\(text)")
            #expect(text.contains("integrity        ok"), "\(text)")
        }
    }

    @Test("log: one row per slot with ballot, chosen flag and the decoded command")
    func logListing() throws {
        try withScratch { scratch in
            let node = try Nodes.standardCluster(in: scratch)[0]
            let reader = try InspectionReader.open(node)
            defer { reader.close() }
            let all = try reader.logListing()
            #expect(all.rows.map(\.slot.rawValue) == Array(1...12))
            #expect(all.rows.allSatisfy { $0.ballot == Nodes.leaderBallot && $0.problem == nil })
            #expect(all.rows.map(\.chosen) == Array(repeating: true, count: 10) + [false, false])
            for row in all.rows { #expect(row.command == Nodes.command(row.slot.rawValue)) }

            let text = all.text()
            #expect(text.contains("noop"))
            #expect(text.contains("c8#1 DEL \"user:1\""))
            #expect(text.contains("c7#9 PUT \"user:1\" = \"value-9\" (7 B)"), "\(text)")

            let chosen = try reader.logListing(filter: .chosen)
            #expect(chosen.rows.map(\.slot.rawValue) == Array(1...10))
            let acceptedOnly = try reader.logListing(filter: .acceptedOnly)
            #expect(acceptedOnly.rows.map(\.slot.rawValue) == [11, 12])
            let window = try reader.logListing(from: Slot(4), through: Slot(9), limit: 3)
            #expect(window.rows.map(\.slot.rawValue) == [4, 5, 6])
            #expect(window.continuesAt == Slot(7))
            #expect(window.text().contains("use --from 7"))
        }
    }

    @Test("kv: the applied table with each key's writing slot, optionally under a prefix")
    func keyValueListing() throws {
        try withScratch { scratch in
            let node = try Nodes.standardCluster(in: scratch)[0]
            let reader = try InspectionReader.open(node)
            defer { reader.close() }
            let listing = try reader.keyValueListing()
            let rows = listing.keys.map { (String(decoding: $0.key, as: UTF8.self), String(decoding: $0.value, as: UTF8.self), $0.slot.rawValue) }
            #expect(rows.map(\.0) == ["user:0", "user:1", "user:2", "user:3"])
            #expect(rows.map(\.1) == ["value-4", "value-9", "value-10", "value-7"])
            #expect(rows.map(\.2) == [4, 9, 10, 7])
            #expect(try reader.keyValueListing(prefix: Nodes.bytes("user:2")).keys.count == 1)
            #expect(try reader.keyValueListing(prefix: Nodes.bytes("nobody")).keys.isEmpty)
            #expect(try reader.keyValueListing(prefix: [0xFF]).keys.isEmpty)
            // Every write so far is a legacy batch's: position 0 (OperationExecutor.position).
            #expect(listing.keys.map(\.row?.revision) == [4, 9, 10, 7].map { Revision(slot: Slot($0), position: 0) })
            #expect(squeezed(listing.text()).contains("\"user:2\" rev 10.0 - 8 B \"value-10\""), "\(listing.text())")
        }
    }

    @Test("read-only: a closed database is opened immutable and no file changes or appears")
    func closedDatabaseUntouched() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let database = nodes[0] + "/paxos.sqlite"
            let before = fileBytes(database)
            _ = InspectionCommands.summary(nodes)
            _ = InspectionCommands.verify(nodes)
            _ = InspectionCommands.log(nodes[0], from: .zero, through: Slot(100), filter: .all, limit: nil)
            _ = InspectionCommands.kv(nodes[0], prefix: [])
            _ = InspectionCommands.diff(nodes)
            #expect(fileBytes(database) == before)
            #expect(fileBytes(database + "-wal") == nil && fileBytes(database + "-shm") == nil)
        }
    }

    @Test("read-only: next to a live store, a WAL reader sees every commit and changes neither file")
    func liveStore() throws {
        try withScratch { scratch in
            let path = try scratch.path("live/paxos.sqlite")
            let store = try SQLiteLogStore.open(path: path, clusterID: Nodes.clusterID, replicaID: ReplicaID(1))
            defer { store.close() }
            let first = (1...4 as ClosedRange<UInt64>).map { LogEntry(slot: Slot($0), ballot: Nodes.leaderBallot, command: Nodes.command($0), chosen: true) }
            try store.persist([PersistRecord(id: PersistID(1), promised: Nodes.leaderBallot, entries: first)])
            for slot in 1...3 as ClosedRange<UInt64> { _ = try store.apply(slot: Slot(slot), command: Nodes.command(slot)) }
            let database = fileBytes(path)
            let wal = fileBytes(path + "-wal")
            #expect(wal != nil, "a live store keeps its WAL")

            let reader = try InspectionReader.open(path)
            let summary = try reader.summary()
            reader.close()
            #expect(summary.openMode == .wal)
            #expect(summary.meta.chosenThrough == Slot(4) && summary.meta.appliedThrough == Slot(3))
            #expect(summary.integrity.ok, "\(summary.integrity)")
            #expect(fileBytes(path) == database && fileBytes(path + "-wal") == wal)

            // The node goes on writing, and a new reader sees it.
            _ = try store.apply(slot: Slot(4), command: Nodes.command(4))
            let again = try InspectionReader.open(path)
            defer { again.close() }
            #expect(again.meta.appliedThrough == Slot(4))
        }
    }

    @Test("read-only: a killed node's files (database and WAL, no -shm) are read with every commit and left unchanged")
    func killedNodeCopy() throws {
        try withScratch { scratch in
            let path = try scratch.path("live/paxos.sqlite")
            let store = try SQLiteLogStore.open(path: path, clusterID: Nodes.clusterID, replicaID: ReplicaID(2))
            defer { store.close() }
            let entries = (1...6 as ClosedRange<UInt64>).map { LogEntry(slot: Slot($0), ballot: Nodes.leaderBallot, command: Nodes.command($0), chosen: $0 <= 5) }
            try store.persist([PersistRecord(id: PersistID(1), promised: Nodes.leaderBallot, entries: entries)])
            for slot in 1...5 as ClosedRange<UInt64> { _ = try store.apply(slot: Slot(slot), command: Nodes.command(slot)) }
            // What a kill -9 leaves: the database and its WAL, every commit still in the WAL.
            let copy = try scratch.path("killed/paxos.sqlite")
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy + "-wal")
            let database = fileBytes(copy)
            let wal = fileBytes(copy + "-wal")

            let reader = try InspectionReader.open(copy)
            let summary = try reader.summary()
            reader.close()
            #expect(summary.openMode == .wal)
            #expect(summary.meta.appliedThrough == Slot(5) && summary.bounds.lastSlot == Slot(6))
            #expect(summary.integrity.ok, "\(summary.integrity)")
            #expect(fileBytes(copy) == database && fileBytes(copy + "-wal") == wal)
        }
    }
}
