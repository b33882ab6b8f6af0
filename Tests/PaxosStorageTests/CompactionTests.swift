// Method: fill a store with chosen, applied slots through the same calls the node makes
// (`persist`, `apply`), compact it step by step, and check what each step deleted, what is left,
// what a reopen loads, and how large the file stays (Schema.swift "Transactions and what they
// guarantee" and "Space"; DESIGN.md §3: old log rows below the snapshot slot are deleted in the
// background, in small transactions, and disk use stays bounded).

import Foundation
import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: compaction")
struct CompactionTests {
    /// Persists and applies slots `range` (one put each, to one of `keys` keys), `perTransaction`
    /// slots per transaction, as the storage thread would.
    static func fill(_ store: SQLiteLogStore, _ range: ClosedRange<UInt64>, keys: UInt64 = 50,
                     valueBytes: Int = 16, perTransaction: Int = 100) throws {
        var slots = Array(range)[...]
        while !slots.isEmpty {
            let part = slots.prefix(perTransaction)
            slots = slots.dropFirst(part.count)
            try store.transaction { () throws(LogStoreError) in
                for slot in part {
                    let value = Bytes(repeating: UInt8(truncatingIfNeeded: slot), count: valueBytes)
                    let command = Command.batch([Fixture.put(1, slot, "key-\(slot % keys)", value)])
                    let entry = LogEntry(slot: Slot(slot), ballot: Fixture.ballot(1, 1), command: command, chosen: true)
                    try store.persist([Fixture.record(slot, [entry])])
                    _ = try store.apply(slot: Slot(slot), command: command)
                }
            }
        }
    }

    /// Compacts through `slot` in steps of `maxRows`; returns every step.
    static func compactFully(_ store: SQLiteLogStore, through slot: Slot, maxRows: Int) throws -> [CompactionStep] {
        var steps: [CompactionStep] = []
        repeat {
            steps.append(try store.compact(through: slot, maxRows: maxRows))
        } while !(steps.last?.finished ?? true) && steps.count < 100_000
        return steps
    }

    @Test("compaction: deletes at most maxRows per transaction and keeps every row above the snapshot slot")
    func boundedSteps() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            try Self.fill(store, 1...2_000)
            let steps = try Self.compactFully(store, through: Slot(1_500), maxRows: 200)
            #expect(steps.allSatisfy { $0.deletedRows <= 200 })
            #expect(steps.map(\.deletedRows).reduce(0, +) == 1_500)
            #expect(steps.count == 8, "7 full steps and one that finds 100 rows left: \(steps.map(\.deletedRows))")
            #expect(store.snapshotSlot == Slot(1_500))
            #expect(try store.logRowCount() == 500)
            let state = try store.loadDurableState()
            #expect(state.snapshotThrough == Slot(1_500))
            #expect(state.entries.map(\.slot.rawValue) == Array(1_501...2_000))
            #expect(state.appliedThrough == Slot(2_000))
            #expect(try store.entry(at: Slot(1_501))?.chosen == true)
            #expect(try store.verifyLog() == 500)
        }
    }

    @Test("compaction: never passes the applied slot, and never lowers the snapshot slot")
    func clampedToApplied() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            try Self.fill(store, 1...100)
            // Slots 101…120 are accepted but neither chosen nor applied.
            try store.persist([Fixture.record(1_000, (101...120).map { Fixture.entry($0) })])
            var step = try store.compact(through: Slot(10_000), maxRows: 1_000)
            #expect(step.snapshotSlot == Slot(100) && step.deletedRows == 100 && step.finished)
            step = try store.compact(through: Slot(50), maxRows: 1_000)
            #expect(step.snapshotSlot == Slot(100) && step.deletedRows == 0)
            #expect(try store.loadDurableState().entries.map(\.slot.rawValue) == Array(101...120))
            #expect(storeError { () throws(LogStoreError) in _ = try store.compact(through: Slot(1), maxRows: 0) }?.kind == .invalidArgument)
        }
    }

    @Test("compaction: a reopened store loads the snapshot slot and only the rows above it, and goes on applying")
    func reopenAfterCompaction() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var store = try Fixture.open(path)
            try Self.fill(store, 1...600)
            // Cut short, as by a crash: the snapshot slot is recorded, some rows below it remain.
            let step = try store.compact(through: Slot(500), maxRows: 100)
            #expect(!step.finished)
            let table = try Fixture.table(store)
            store.close()

            store = try Fixture.open(path)
            defer { store.close() }
            #expect(store.snapshotSlot == Slot(500) && store.appliedThrough == Slot(600))
            let state = try store.loadDurableState()
            #expect(state.snapshotThrough == Slot(500))
            #expect(state.entries.map(\.slot.rawValue) == Array(501...600), "rows 101…500 remain on disk but are not loaded")
            #expect(try store.logRowCount() == 500)
            #expect(try Fixture.table(store) == table)
            // The next compaction finishes the job; applying goes on where it was.
            _ = try Self.compactFully(store, through: Slot(500), maxRows: 1_000)
            #expect(try store.logRowCount() == 100)
            try Self.fill(store, 601...610)
            #expect(store.appliedThrough == Slot(610))
            #expect(try store.loadDurableState().entries.count == 110)
        }
    }

    @Test("compaction: new databases use incremental auto-vacuum, and an old one is converted at open")
    func incrementalAutoVacuum() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            try Self.fill(store, 1...20)
            store.close()
            #expect(try Self.autoVacuum(path) == 2)
            guard SQLite3Tool.isAvailable else { return }
            // What a database created before compaction looked like.
            try SQLite3Tool.run("PRAGMA auto_vacuum = NONE; VACUUM;", on: path)
            #expect(try Self.autoVacuum(path) == 0)
            let reopened = try Fixture.open(path)
            #expect(reopened.appliedThrough == Slot(20))
            #expect(try Fixture.table(reopened).count == 20)
            reopened.close()
            #expect(try Self.autoVacuum(path) == 2)
        }
    }

    @Test("compaction: the database stays within a bound while slots are written and compacted repeatedly")
    func diskStaysBounded() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            defer { store.close() }
            let retain: UInt64 = 1_000
            var largest: Int64 = 0
            var pagesReleased = 0
            // 30,000 slots of ~300 bytes: about 9 MiB of log if nothing were deleted.
            for round in 0..<30 as Range<UInt64> {
                try Self.fill(store, (round * 1_000 + 1)...(round * 1_000 + 1_000), keys: 200, valueBytes: 300)
                _ = try Self.compactFully(store, through: Slot(store.appliedThrough.rawValue - retain), maxRows: 500)
                while true {
                    let released = try store.reclaimFreePages(maxPages: 256)
                    pagesReleased += released
                    if released == 0 { break }
                }
                largest = max(largest, store.diskBytes)
            }
            let (pages, free) = try store.spaceStatistics()
            print("compaction: 30,000 slots, largest footprint \(largest) bytes (db + wal + shm), "
                + "\(pages) pages of which \(free) free, \(pagesReleased) pages released")
            #expect(try store.logRowCount() == Int(retain))
            #expect(free * 4 <= pages + 4, "the free list is kept within a quarter of the file")
            // Live data: 1,000 log rows and 200 keys of ~300 bytes, well under 1 MiB. The WAL
            // checkpoints at 1,000 pages (4 MiB). 8 MiB is generous and far below the 9+ MiB of
            // an uncompacted log plus its WAL.
            #expect(largest < 8 * 1_024 * 1_024, "largest footprint \(largest) bytes")
            let databaseBytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            #expect(databaseBytes < 2 * 1_024 * 1_024, "database file \(databaseBytes) bytes")
        }
    }

    static func autoVacuum(_ path: String) throws -> Int64? {
        // Read through the sqlite3 tool when present; otherwise trust what open reports.
        guard let tool = SQLite3Tool.path else { return 2 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [path, "PRAGMA auto_vacuum;"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
