// paxos-storage-bench: how fast is the acceptor's write path, next to the disk's own fsync?
//
// For each batch size (entries per transaction) it persists transactions of accepted entries
// through `SQLiteLogStore` with synchronous=FULL, exactly as the node's storage thread does,
// then runs a plain loop of write(2) + fdatasync(2) appending the same bytes per batch to a file
// in the same directory. The ratio of the two per-transaction times is SQLite's overhead over the
// cheapest durable write the disk allows. Build it in release: `swift build -c release
// --product paxos-storage-bench`.

import ArgumentParser
import Foundation
import PaxosCore
import PaxosStorage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct StorageBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paxos-storage-bench",
        abstract: "Measure SQLiteLogStore's durable write path against raw write+fdatasync.")

    @Option(name: .customLong("batch"), parsing: .upToNextOption, help: "Entries per transaction; one row per size.")
    var batchSizes: [Int] = [1, 16, 128]

    @Option(help: "Transactions per batch size (default: 2000 for batch 1, fewer for larger batches).")
    var transactions: Int?

    @Option(help: "Time budget per batch size and per method, instead of a transaction count.")
    var seconds: Double?

    @Option(help: "Bytes in each entry's value.")
    var valueBytes = 256

    @Flag(help: "Also apply each entry in its transaction (kv and session rows written and read), as a node's batch does.")
    var apply = false

    @Option(help: "Directory for the scratch files (default: a temporary directory under ./.build, else /tmp).")
    var dir: String?

    mutating func validate() throws {
        guard !batchSizes.isEmpty, batchSizes.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--batch sizes must be ≥ 1") }
        if let transactions, transactions < 1 { throw ValidationError("--transactions must be ≥ 1") }
        if let seconds, seconds <= 0 { throw ValidationError("--seconds must be > 0") }
        guard valueBytes >= 0 && valueBytes <= Command.maxValueBytes else { throw ValidationError("--value-bytes is out of range") }
    }

    func run() throws {
        let scratch = try ScratchDirectory(parent: dir)
        defer { scratch.remove() }
        print("directory: \(scratch.url.path)")
        print("synchronous=FULL, WAL; \(valueBytes)-byte values; one Command.batch of one put per entry"
            + (apply ? "; each entry also applied in its transaction" : ""))
        print(Row.header)
        for batch in batchSizes {
            let budget: Budget = seconds.map { .seconds($0) } ?? .transactions(transactions ?? Self.defaultTransactions(batch: batch))
            let sqlite = try measureSQLite(batch: batch, budget: budget, path: scratch.path("bench-\(batch).sqlite"))
            let raw = try measureRaw(batch: batch, budget: budget, path: scratch.path("bench-\(batch).raw"))
            print(Row(batch: batch, sqlite: sqlite, raw: raw).formatted)
        }
    }

    static func defaultTransactions(batch: Int) -> Int {
        switch batch {
        case ...1: 2_000
        case ...16: 1_000
        default: 300
        }
    }

    /// The entries of transaction `index`, shaped like accepted entries: one batch of one put.
    func entries(transaction index: Int, batch: Int) -> [LogEntry] {
        (0..<batch).map { offset in
            let slot = UInt64(index * batch + offset + 1)
            let value = (0..<valueBytes).map { UInt8(truncatingIfNeeded: slot &+ UInt64($0)) }
            let request = ClientRequest(client: ClientID(1 + slot % 64), sequence: slot,
                                        operation: .put(key: Array("key-\(slot % 10_000)".utf8), value: value))
            return LogEntry(slot: Slot(slot), ballot: Ballot(round: 1, replica: ReplicaID(1)), command: .batch([request]), chosen: false)
        }
    }

    func measureSQLite(batch: Int, budget: Budget, path: String) throws -> Measurement {
        let store = try SQLiteLogStore.open(path: path, clusterID: "bench", replicaID: ReplicaID(1))
        defer { store.close() }
        try store.persist([PersistRecord(id: PersistID(0), promised: Ballot(round: 1, replica: ReplicaID(1)), entries: [])])
        var measurement = Measurement()
        var index = 0
        while !budget.isSpent(measurement) {
            // Build the entries outside the timed section: only the write path is measured.
            let record = PersistRecord(id: PersistID(UInt64(index + 1)), promised: nil, entries: entries(transaction: index, batch: batch))
            let started = ContinuousClock.now
            if apply {
                try store.transaction { () throws(LogStoreError) in
                    try store.persist([record])
                    for entry in record.entries { _ = try store.apply(slot: entry.slot, command: entry.command) }
                }
            } else {
                try store.persist([record])
            }
            measurement.add(ContinuousClock.now - started)
            index += 1
        }
        return measurement
    }

    func measureRaw(batch: Int, budget: Budget, path: String) throws -> Measurement {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        var measurement = Measurement()
        var index = 0
        while !budget.isSpent(measurement) {
            let bytes = entries(transaction: index, batch: batch).flatMap { $0.command.encoded() }
            let started = ContinuousClock.now
            try writeAll(fd, bytes, path: path)
            guard syncData(fd) == 0 else { throw BenchError("fdatasync of \(path) failed: errno \(errno)") }
            measurement.add(ContinuousClock.now - started)
            index += 1
        }
        return measurement
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw BenchError("write to \(path) failed: errno \(errno)")
            }
            offset += written
        }
    }

    func syncData(_ fd: Int32) -> Int32 {
        #if os(Linux)
        fdatasync(fd)
        #else
        fsync(fd)
        #endif
    }
}

enum Budget {
    case transactions(Int)
    case seconds(Double)

    func isSpent(_ measurement: Measurement) -> Bool {
        switch self {
        case .transactions(let count): measurement.count >= count
        case .seconds(let seconds): measurement.total >= .nanoseconds(Int64(seconds * 1e9))
        }
    }
}

/// Durations of the timed sections of one method at one batch size.
struct Measurement {
    private(set) var count = 0
    private(set) var total: Duration = .zero

    mutating func add(_ duration: Duration) {
        count += 1
        total += duration
    }

    var totalSeconds: Double {
        let (seconds, attoseconds) = total.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var microsecondsPerTransaction: Double { count == 0 ? 0 : totalSeconds * 1e6 / Double(count) }
}

struct Row {
    var batch: Int
    var sqlite: Measurement
    var raw: Measurement

    static let header = [
        pad("batch", 6), pad("txns", 7), pad("txn/s", 10), pad("entries/s", 11), pad("µs/txn", 10),
        pad("µs/raw write+fdatasync", 23), pad("ratio", 7),
    ].joined(separator: " ")

    var formatted: String {
        let perSecond = sqlite.totalSeconds > 0 ? Double(sqlite.count) / sqlite.totalSeconds : 0
        let ratio = raw.microsecondsPerTransaction > 0 ? sqlite.microsecondsPerTransaction / raw.microsecondsPerTransaction : 0
        return [
            Self.pad("\(batch)", 6), Self.pad("\(sqlite.count)", 7), Self.pad(Self.format(perSecond, 0), 10),
            Self.pad(Self.format(perSecond * Double(batch), 0), 11), Self.pad(Self.format(sqlite.microsecondsPerTransaction, 1), 10),
            Self.pad(Self.format(raw.microsecondsPerTransaction, 1), 23), Self.pad(Self.format(ratio, 2), 7),
        ].joined(separator: " ")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
}

/// A directory of our own for the scratch files, removed with everything in it afterwards.
struct ScratchDirectory {
    let url: URL

    init(parent: String?) throws {
        let base: URL
        if let parent {
            base = URL(fileURLWithPath: parent)
        } else if FileManager.default.fileExists(atPath: ".build") {
            base = URL(fileURLWithPath: ".build")
        } else {
            base = URL(fileURLWithPath: "/tmp")
        }
        url = base.appendingPathComponent("paxos-storage-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() {
        do { try FileManager.default.removeItem(at: url) } catch {
            FileHandle.standardError.write(Data("paxos-storage-bench: could not remove \(url.path): \(error)\n".utf8))
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

StorageBench.main()
