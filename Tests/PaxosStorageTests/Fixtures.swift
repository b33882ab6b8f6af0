// Shared fixtures for the storage tests: a temporary directory per test, builders for entries
// and commands, byte-level file surgery, the sqlite3 command-line tool, and a way to assert on
// the case of a `LogStoreError`. No test logic lives here.

import Foundation
import PaxosCore
import PaxosStorage
import Testing

/// A fresh directory under the system temporary directory; `remove()` deletes it and everything
/// in it. Each test makes its own, so tests can run in parallel.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-storage-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() {
        // A leftover directory is only litter in /tmp, never a wrong test result.
        do { try FileManager.default.removeItem(at: url) } catch {}
    }
}

/// Runs `body` with a fresh temporary directory and deletes it afterwards, whatever happens.
func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) throws -> T) throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try body(directory)
}

enum Fixture {
    static let clusterID = "test-cluster"
    static let replicaID = ReplicaID(1)

    static func open(_ path: String, clusterID: String = clusterID, replicaID: ReplicaID = replicaID) throws(LogStoreError) -> SQLiteLogStore {
        try SQLiteLogStore.open(path: path, clusterID: clusterID, replicaID: replicaID)
    }

    static func ballot(_ round: UInt64, _ replica: UInt32) -> Ballot { Ballot(round: round, replica: ReplicaID(replica)) }

    static func put(_ client: UInt64, _ sequence: UInt64, _ key: String, _ value: Bytes) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: .put(key: Array(key.utf8), value: value))
    }

    static func put(_ client: UInt64, _ sequence: UInt64, _ key: String, _ value: String) -> ClientRequest {
        put(client, sequence, key, Array(value.utf8))
    }

    static func delete(_ client: UInt64, _ sequence: UInt64, _ key: String) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: .delete(key: Array(key.utf8)))
    }

    /// An entry shaped like the ones the acceptor writes: one batch of one put.
    static func entry(_ slot: UInt64, ballot: Ballot = ballot(1, 1), value: String = "", chosen: Bool = false) -> LogEntry {
        let command = Command.batch([put(1, slot, "k\(slot)", value.isEmpty ? "v\(slot)" : value)])
        return LogEntry(slot: Slot(slot), ballot: ballot, command: command, chosen: chosen)
    }

    static func record(_ id: UInt64, promised: Ballot? = nil, _ entries: [LogEntry] = []) -> PersistRecord {
        PersistRecord(id: PersistID(id), promised: promised, entries: entries)
    }

    /// 32 bytes that occur nowhere else in a test database: planted in a command so a test can
    /// find that row's bytes in the file.
    static func marker(_ slot: UInt64) -> Bytes {
        var generator = SeededGenerator(seed: 0x5EED_0000 &+ slot)
        return (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next().bigEndian, Array.init) }
    }

    /// The kv table as a dictionary, for comparison with `KVStateMachine.table`.
    static func table(_ store: SQLiteLogStore) throws(LogStoreError) -> [Bytes: Bytes] {
        var table: [Bytes: Bytes] = [:]
        for row in try store.keyValueTable() { table[row.key] = row.value }
        return table
    }
}

// MARK: errors

extension LogStoreError {
    enum Kind: Hashable {
        case sqlite, notPaxosDatabase, unsupportedSchema, foreign, corrupt, genesisRecorded, invalidArgument, sideFile
    }

    var kind: Kind {
        switch self {
        case .sqlite: .sqlite
        case .notPaxosDatabase: .notPaxosDatabase
        case .unsupportedSchema: .unsupportedSchema
        case .foreign: .foreign
        case .corrupt: .corrupt
        case .genesisRecorded: .genesisRecorded
        case .invalidArgument: .invalidArgument
        case .sideFile: .sideFile
        }
    }

    /// The slot a `.corrupt` error names; nil for other cases or when it names none.
    var corruptSlot: Slot? {
        if case .corrupt(_, let slot, _) = self { return slot }
        return nil
    }
}

/// Runs `body`, which MUST throw, and returns what it threw (recording an issue if it did not).
func storeError<T>(_ body: () throws(LogStoreError) -> T, _ comment: Comment? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) -> LogStoreError? {
    do {
        _ = try body()
        let detail = comment.map { ": \($0.rawValue)" } ?? ""
        Issue.record("expected a LogStoreError, but the call succeeded\(detail)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

// MARK: files

enum FileSurgery {
    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Every offset where `needle` starts in `haystack`.
    static func offsets(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        var found: [Int] = []
        let first = needle[0]
        for start in 0...(haystack.count - needle.count) where haystack[start] == first {
            if haystack[start..<start + needle.count].elementsEqual(needle) { found.append(start) }
        }
        return found
    }
}

// MARK: the sqlite3 tool

/// The sqlite3 command-line tool, used to make databases this code did not write. Tests that
/// need it are skipped where it is not installed.
enum SQLite3Tool {
    static let path: String? = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/opt/homebrew/bin/sqlite3"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static var isAvailable: Bool { path != nil }

    /// Runs `sql` against the database at `database`; throws with sqlite3's stderr if it fails.
    static func run(_ sql: String, on database: String) throws {
        guard let path else { throw ToolError(message: "sqlite3 is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [database, sql]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError(message: "sqlite3 \(sql): " + String(decoding: message, as: UTF8.self))
        }
    }

    struct ToolError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
