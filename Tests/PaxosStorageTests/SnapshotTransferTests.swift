// Method: export a store's applied state with `SnapshotExporter`, feed the chunks to a
// `SnapshotStaging` beside another store (as the receiving node does), install, and compare the
// two stores' tables row by row; then break the transfer in the ways a network and a crash can
// (half the chunks, a new transfer, a reopen, a flipped bit, a chunk out of order) and check the
// receiver's live tables never change until a complete snapshot is installed (DESIGN.md §2
// Catch-up; the requirement: "installs it atomically … never serves reads from a half-installed
// snapshot"; Schema.swift "Transactions and what they guarantee").

import Foundation
import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: snapshot transfer")
struct SnapshotTransferTests {
    /// A source store with applied random workload slots `1...slots`, sessions included, and
    /// some large values so chunks come in several sizes.
    static func source(_ path: String, slots: UInt64, seed: UInt64 = 7) throws -> SQLiteLogStore {
        let store = try Fixture.open(path, replicaID: ReplicaID(2))
        var workload = RandomWorkload(seed: seed)
        try store.transaction { () throws(LogStoreError) in
            for slot in 1...slots {
                var command = workload.command()
                if slot % 97 == 0 {
                    command = .batch([Fixture.put(9, slot, "big-\(slot)", Bytes(repeating: 0xAB, count: 3_000))])
                } else if slot % 13 == 0 {
                    // Sessions whose result is a reply (sessions.reply), carried by format 3 'S'.
                    let op: KeyOp = slot % 2 == 0 ? .incrementBy(key: Array("n".utf8), 2)
                        : .set(key: Array("g".utf8), value: Array("\(slot)".utf8), SetOptions(returnsOld: true))
                    command = .batch([ClientRequest(client: ClientID(500 + slot), sequence: 1, operation: .key(op))])
                }
                _ = try store.apply(slot: Slot(slot), command: command)
            }
            // The cached applied slot moves at commit; inside the transaction count on.
            for key in 0..<300 as Range<UInt64> {
                _ = try store.apply(slot: Slot(slots + key + 1),
                                    command: .batch([Fixture.put(100 + key % 7, key / 7 + 1, "bulk-\(key)", "value-\(key)")]))
            }
        }
        return store
    }

    /// Every chunk of `store`'s snapshot.
    static func export(_ path: String, chunkBytes: Int) throws -> (SnapshotHeader, [ExportedChunk]) {
        let exporter = try SnapshotExporter.open(databasePath: path, chunkBytesTarget: chunkBytes)
        defer { exporter.close() }
        var chunks: [ExportedChunk] = []
        while let chunk = try exporter.nextChunk() { chunks.append(chunk) }
        return (exporter.header, chunks)
    }

    static func stage(_ chunks: some Sequence<ExportedChunk>, into staging: SnapshotStaging, transfer: UInt64) throws -> Bool {
        var complete = false
        for chunk in chunks {
            complete = try staging.append(transfer: transfer, index: chunk.index, data: chunk.data, last: chunk.last, crc: chunk.crc)
        }
        return complete
    }

    /// A receiver that is behind: a few slots of its own, a log, and stale tables.
    static func receiver(_ path: String) throws -> SQLiteLogStore {
        let store = try Fixture.open(path)
        try CompactionTests.fill(store, 1...5)
        try store.persist([Fixture.record(100, [Fixture.entry(6), Fixture.entry(7)])])
        return store
    }

    static func sessions(_ store: SQLiteLogStore) throws -> [String] {
        try store.sessionTable().map { "\($0.client) \($0.lastSequence) \($0.resultCode) \($0.slot) \($0.reply ?? [])" }
    }

    static func keys(_ store: SQLiteLogStore) throws -> [String] {
        try store.keyValueTable().map { "\($0.key) \($0.value) \($0.slot)" }
    }

    @Test("snapshot: export, stage and install reproduce the source's kv and sessions tables exactly")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source.sqlite")
            let source = try Self.source(sourcePath, slots: 400)
            defer { source.close() }
            let (header, chunks) = try Self.export(sourcePath, chunkBytes: 2_048)
            #expect(header.slot == source.appliedThrough)
            #expect(header.keyCount == UInt64(try source.keyValueTable().count))
            #expect(header.sessionCount == UInt64(try source.sessionTable().count))
            #expect(chunks.count > 10, "small chunks make many")
            #expect(chunks.map(\.index) == (0..<UInt32(chunks.count)).map { $0 })
            #expect(chunks.dropLast().allSatisfy { !$0.last } && chunks.last?.last == true)
            #expect(chunks.allSatisfy { $0.data.count <= 2_048 || $0.data.count < 3_200 }, "one big record may exceed the target")

            let path = directory.path("receiver.sqlite")
            var receiver = try Self.receiver(path)
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 42)
            #expect(try Self.stage(chunks, into: staging, transfer: 42))
            #expect(staging.isComplete && staging.header == header)
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            #expect(!FileManager.default.fileExists(atPath: staging.path), "the staging file goes once installed")

            #expect(try Self.keys(receiver) == Self.keys(source))
            #expect(try Self.sessions(receiver) == Self.sessions(source))
            #expect(try receiver.sessionTable().contains { $0.resultCode == 5 && $0.reply != nil }, "replies travelled")
            #expect(receiver.appliedThrough == header.slot && receiver.snapshotSlot == header.slot)
            #expect(receiver.chosenThrough == header.slot)
            #expect(try receiver.logRowCount() == 0, "the receiver's rows 1…7 are all at or below the snapshot slot")
            receiver.close()
            receiver = try Fixture.open(path)
            defer { receiver.close() }
            let state = try receiver.loadDurableState()
            #expect(state.appliedThrough == header.slot && state.snapshotThrough == header.slot && state.entries.isEmpty)
            #expect(try Self.keys(receiver) == Self.keys(source))
            // Applies continue above the snapshot, with the sessions it brought.
            let next = header.slot.next
            _ = try receiver.apply(slot: next, command: .batch([Fixture.put(1, 1, "after", "snapshot")]))
            #expect(receiver.appliedThrough == next)
        }
    }

    @Test("snapshot: an install keeps chosen rows above its slot and moves the chosen frontier over them")
    func installKeepsLogAbove() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source.sqlite")
            let source = try Self.source(sourcePath, slots: 20)
            defer { source.close() }
            let (header, chunks) = try Self.export(sourcePath, chunkBytes: 100_000)
            let path = directory.path("receiver.sqlite")
            let receiver = try Fixture.open(path)
            defer { receiver.close() }
            let above = header.slot.rawValue
            try receiver.persist([Fixture.record(1, [Fixture.entry(3), Fixture.entry(above + 1, chosen: true),
                                                     Fixture.entry(above + 2, chosen: true), Fixture.entry(above + 4)])])
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 1)
            #expect(try Self.stage(chunks, into: staging, transfer: 1))
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            #expect(receiver.chosenThrough == Slot(above + 2))
            #expect(try receiver.loadDurableState().entries.map(\.slot.rawValue) == [above + 1, above + 2, above + 4])
            #expect(try receiver.verifyLog() == 3)
        }
    }

    @Test("snapshot: half a transfer, then a new transfer or a reopen, leaves the live tables untouched")
    func interruptedTransfer() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source.sqlite")
            let source = try Self.source(sourcePath, slots: 300)
            defer { source.close() }
            let (header, chunks) = try Self.export(sourcePath, chunkBytes: 1_024)
            let path = directory.path("receiver.sqlite")
            var receiver = try Self.receiver(path)
            let keysBefore = try Self.keys(receiver)
            let sessionsBefore = try Self.sessions(receiver)
            let stateBefore = try receiver.loadDurableState()

            var staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 1)
            #expect(try !Self.stage(chunks.prefix(chunks.count / 2), into: staging, transfer: 1))
            #expect(try Self.keys(receiver) == keysBefore, "staged rows are not in the live tables")
            let refused = storeError { () throws(LogStoreError) in try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path) }
            #expect(refused?.kind == .invalidArgument, "an incomplete snapshot is never installed")
            #expect(try receiver.loadDurableState() == stateBefore)

            // A new transfer discards the old one's rows; a late chunk of the old one is refused
            // without disturbing the new one.
            try staging.begin(transfer: 3)
            #expect(try !Self.stage(chunks.prefix(2), into: staging, transfer: 3))
            #expect(throws: SnapshotStagingError.self) {
                _ = try staging.append(transfer: 1, index: UInt32(chunks.count / 2), data: chunks[chunks.count / 2].data, last: false,
                                       crc: chunks[chunks.count / 2].crc)
            }
            #expect(staging.transfer == 3)
            #expect(try !Self.stage(chunks[2..<3], into: staging, transfer: 3))
            // A restart in the middle: the store's open deletes the staging file.
            receiver.close()
            receiver = try Fixture.open(path)
            #expect(!FileManager.default.fileExists(atPath: staging.path))
            #expect(try Self.keys(receiver) == keysBefore && Self.sessions(receiver) == sessionsBefore)
            #expect(try receiver.loadDurableState() == stateBefore)

            // After all that a complete transfer still installs.
            staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 4)
            #expect(try Self.stage(chunks, into: staging, transfer: 4))
            try receiver.installSnapshot(slot: header.slot, stagingPath: staging.path)
            #expect(try Self.keys(receiver) == Self.keys(source))
            receiver.close()
        }
    }

    @Test("snapshot: a chunk with a bad checksum, out of order, or cut short is refused and ends the transfer")
    func badChunksRefused() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source.sqlite")
            let source = try Self.source(sourcePath, slots: 200)
            defer { source.close() }
            let (header, chunks) = try Self.export(sourcePath, chunkBytes: 1_024)
            let path = directory.path("receiver.sqlite")
            let receiver = try Self.receiver(path)
            defer { receiver.close() }
            let staging = SnapshotStaging(databasePath: path)

            func expectRejected(_ comment: Comment, _ body: () throws -> Void) {
                do {
                    try body()
                    Issue.record("expected a rejection: \(comment.rawValue)")
                } catch let error as SnapshotStagingError {
                    guard case .rejected = error else { Issue.record("\(comment.rawValue): \(error)"); return }
                    #expect(staging.transfer == nil, "a rejection ends the transfer")
                } catch {
                    Issue.record("\(comment.rawValue): \(error)")
                }
            }
            try staging.begin(transfer: 1)
            _ = try Self.stage(chunks.prefix(2), into: staging, transfer: 1)
            var flipped = chunks[2]
            flipped.data[flipped.data.count / 2] ^= 0x10
            expectRejected("a flipped bit") {
                _ = try staging.append(transfer: 1, index: 2, data: flipped.data, last: false, crc: flipped.crc)
            }
            try staging.begin(transfer: 2)
            expectRejected("chunk 1 before chunk 0") {
                _ = try staging.append(transfer: 2, index: 1, data: chunks[1].data, last: false, crc: chunks[1].crc)
            }
            try staging.begin(transfer: 3)
            var truncated = chunks[0]
            truncated.data.removeLast(3)
            truncated.crc = CRC32C.checksum(truncated.data)
            expectRejected("a record cut in half, with a checksum that matches") {
                _ = try staging.append(transfer: 3, index: 0, data: truncated.data, last: false, crc: truncated.crc)
            }
            try staging.begin(transfer: 4)
            expectRejected("the stream ends early") {
                let last = chunks[1]
                _ = try staging.append(transfer: 4, index: 0, data: chunks[0].data, last: false, crc: chunks[0].crc)
                _ = try staging.append(transfer: 4, index: 1, data: last.data, last: true, crc: last.crc)
            }
            #expect(!FileManager.default.fileExists(atPath: staging.path))
            #expect(try receiver.appliedThrough == Slot(5) && Self.keys(receiver).count == 5)
            _ = header
        }
    }

    @Test("snapshot: the export is one consistent read while the source goes on applying")
    func exportIsConsistent() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.path("source.sqlite")
            let source = try Self.source(sourcePath, slots: 100)
            defer { source.close() }
            let keysAtStart = try Self.keys(source)
            let exporter = try SnapshotExporter.open(databasePath: sourcePath, chunkBytesTarget: 512)
            defer { exporter.close() }
            let slot = exporter.header.slot
            var chunks: [ExportedChunk] = []
            while let chunk = try exporter.nextChunk() {
                chunks.append(chunk)
                // The node keeps applying between chunks.
                _ = try source.apply(slot: source.appliedThrough.next,
                                     command: .batch([Fixture.put(77, UInt64(chunks.count), "moving-\(chunks.count)", "x")]))
            }
            let path = directory.path("receiver.sqlite")
            let receiver = try Fixture.open(path)
            defer { receiver.close() }
            let staging = SnapshotStaging(databasePath: path)
            try staging.begin(transfer: 9)
            #expect(try Self.stage(chunks, into: staging, transfer: 9))
            try receiver.installSnapshot(slot: slot, stagingPath: staging.path)
            #expect(try Self.keys(receiver) == keysAtStart, "the snapshot is the state at its slot, not a mix")
            #expect(source.appliedThrough > slot)
        }
    }
}
