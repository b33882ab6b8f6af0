// Method: build a database whose every log row ends in a unique 32-byte marker (the put's
// value, the last bytes of the command blob, which SQLite stores just before the checksum
// column), close it so the WAL is checkpointed into the main file, then damage copies of the
// file: a chosen byte in one row's command or checksum (found by searching for its marker), and
// seeded random bytes and truncations anywhere. Opening, loading and verifying a damaged copy
// MUST either succeed with exactly the rows that were written (a flip can land in unused space,
// and the chosen flag is deliberately outside the checksum) or throw a `LogStoreError`; a
// damaged row MUST be reported as `.corrupt` naming its slot (ARCHITECTURE.md "Storage":
// Integrity; Schema.swift "Integrity"). Failures print the seed as PAXOS_SEED=<n>.

import Foundation
import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: corruption")
struct CorruptionTests {
    static let slotCount: UInt64 = 120

    /// Slot `s` holds one put whose value is `marker(s)`; slots ≤ 60 are chosen and ≤ 40 applied.
    static func corpusEntry(_ slot: UInt64) -> LogEntry {
        let command = Command.batch([Fixture.put(1 + slot % 3, slot, "k\(slot % 10)", Fixture.marker(slot))])
        return LogEntry(slot: Slot(slot), ballot: Fixture.ballot(1 + slot / 50, 2), command: command, chosen: slot <= 60)
    }

    /// Writes the corpus in 12 transactions and closes it; returns the file's bytes.
    static func makeCorpus(at path: String) throws -> [UInt8] {
        let store = try Fixture.open(path)
        try store.persist([Fixture.record(0, promised: Fixture.ballot(3, 2))])
        for first in stride(from: 1, through: slotCount, by: 10) {
            try store.persist([Fixture.record(first, (first..<first + 10).map(corpusEntry))])
        }
        try store.transaction { () throws(LogStoreError) in
            for slot in 1...40 as ClosedRange<UInt64> { _ = try store.apply(slot: Slot(slot), command: corpusEntry(slot).command) }
        }
        store.close()
        #expect(!FileSurgery.exists(path + "-wal"), "close checkpoints, so the main file holds every row")
        return try FileSurgery.bytes(path)
    }

    enum Part: String, Sendable, CaseIterable { case command, checksum }

    @Test("storage: a flipped byte in a row's command or checksum is corruption of that slot",
          arguments: [1, 40, 41, 77, 120] as [UInt64], Part.allCases)
    func flippedRow(slot: UInt64, part: Part) throws {
        try withTemporaryDirectory { directory in
            var bytes = try Self.makeCorpus(at: directory.path("original.sqlite"))
            let copy = directory.path("copy.sqlite")
            let offsets = FileSurgery.offsets(of: Fixture.marker(slot), in: bytes)
            try #require(!offsets.isEmpty, "marker of slot \(slot) not found in the file")
            // Stale copies of a cell can linger in free space after a page split; damage them all
            // so the live one is surely hit.
            for offset in offsets where offset + 32 < bytes.count { bytes[offset + (part == .command ? 13 : 32)] ^= 0x5A }
            try FileSurgery.write(bytes, to: copy)

            let store = try Fixture.open(copy)
            defer { store.close() }
            let loadError = storeError { () throws(LogStoreError) in try store.loadDurableState() }
            #expect(loadError?.kind == .corrupt && loadError?.corruptSlot == Slot(slot), "\(String(describing: loadError))")
            #expect(loadError?.description.contains(copy) == true)
            let verifyError = storeError { () throws(LogStoreError) in try store.verifyLog() }
            #expect(verifyError?.corruptSlot == Slot(slot), "\(String(describing: verifyError))")
            let readError = storeError { () throws(LogStoreError) in try store.entry(at: Slot(slot)) }
            #expect(readError?.corruptSlot == Slot(slot), "\(String(describing: readError))")
            let neighbour = slot == 1 ? slot + 1 : slot - 1
            #expect(try store.entry(at: Slot(neighbour)) == Self.corpusEntry(neighbour), "other rows still read")
        }
    }

    @Test("storage: each row's stored checksum is CRC-32C of slot, ballot and command as Schema documents")
    func checksumFormat() throws {
        try withTemporaryDirectory { directory in
            let bytes = try Self.makeCorpus(at: directory.path("original.sqlite"))
            for slot in 1...Self.slotCount {
                let entry = Self.corpusEntry(slot)
                var header = ByteWriter()
                header.write(slot)
                header.write(entry.ballot.round)
                header.write(entry.ballot.replica.rawValue)
                let crc = CRC32C.finish(CRC32C.update(CRC32C.update(CRC32C.start, with: header.bytes), with: entry.command.encoded()))
                // SQLite stores a non-negative integer below 2^31 in 4 bytes, else in 6 (big-endian).
                let expected: [UInt8] = (crc < 1 << 31 ? [] : [0, 0]) + withUnsafeBytes(of: crc.bigEndian, Array.init)
                let offsets = FileSurgery.offsets(of: Fixture.marker(slot), in: bytes)
                let live = offsets.filter { bytes[($0 + 32)...].starts(with: expected) }
                #expect(live.count == 1, "slot \(slot): checksum \(crc) not found after its command")
            }
        }
    }

    @Test("storage: random byte flips end in the original rows or a LogStoreError, never a crash")
    func randomFlips() throws {
        let seed = ProcessInfo.processInfo.environment["PAXOS_SEED"].flatMap { UInt64($0) } ?? 0xF11B
        try withTemporaryDirectory { directory in
            let original = try Self.makeCorpus(at: directory.path("original.sqlite"))
            var generator = SeededGenerator(seed: seed)
            var outcomes: [String: Int] = [:]
            for copyIndex in 0..<200 {
                var bytes = original
                let flips = Int.random(in: 1...4, using: &generator)
                for _ in 0..<flips {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
                }
                let path = directory.path("copy-\(copyIndex).sqlite")
                try FileSurgery.write(bytes, to: path)
                let outcome = Self.exercise(path: path, comment: "PAXOS_SEED=\(seed) copy \(copyIndex)")
                outcomes[outcome, default: 0] += 1
                try FileManager.default.removeItem(atPath: path)
                for suffix in ["-wal", "-shm"] where FileSurgery.exists(path + suffix) {
                    try FileManager.default.removeItem(atPath: path + suffix)
                }
            }
            #expect(outcomes.values.reduce(0, +) == 200)
            #expect(outcomes["corrupt", default: 0] > 0, "some flips land in log rows: \(outcomes), PAXOS_SEED=\(seed)")
        }
    }

    @Test("storage: a truncated database ends in a shorter valid log or a LogStoreError, never a crash")
    func truncations() throws {
        try withTemporaryDirectory { directory in
            let original = try Self.makeCorpus(at: directory.path("original.sqlite"))
            var generator = SeededGenerator(seed: 0x7D0C)
            let pageBoundaries = stride(from: 0, to: original.count, by: 4096).map { $0 }
            let cuts = pageBoundaries + (0..<20).map { _ in Int.random(in: 1..<original.count, using: &generator) }
            for cut in cuts {
                let path = directory.path("cut-\(cut).sqlite")
                try FileSurgery.write(Array(original[..<cut]), to: path)
                _ = Self.exercise(path: path, comment: "cut at byte \(cut) of \(original.count)")
            }
        }
    }

    /// Opens, loads, verifies and reads a damaged file; every row that comes back MUST be the one
    /// written (apart from the chosen flag). - Returns: the kind of outcome, for a tally.
    static func exercise(path: String, comment: String) -> String {
        do throws(LogStoreError) {
            let store = try Fixture.open(path)
            defer { store.close() }
            let state = try store.loadDurableState()
            for entry in state.entries {
                var written = corpusEntry(entry.slot.rawValue)
                written.chosen = entry.chosen
                #expect(entry == written, "\(comment): slot \(entry.slot) came back different")
            }
            try store.verifyLog()
            _ = try store.keyValueTable()
            _ = try store.get(key: Array("k1".utf8))
            return "intact"
        } catch {
            return error.kind == .corrupt ? "corrupt" : "\(error.kind)"
        }
    }
}
