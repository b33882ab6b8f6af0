// Method: crash testing with a real process and SIGKILL. The `paxos-crash-writer` executable
// writes transactions into one database in a loop, each a deterministic run of entries, some
// also marking older slots chosen and applying them, and reports `durable <slot>` and
// `applied <slot>` after each commit. The test kills it at a seeded random moment (5–150 ms after
// it is ready, or during start-up for every sixth run), reopens the database and checks it
// against `CrashModel`, a replay of the writer's schedule:
// - every slot reported durable is there, with exactly the bytes written (checksums verify);
// - the log is slots 1...m where m ends a whole transaction: no transaction is half visible;
//   at most the one transaction after the last report is there unreported;
// - the applied slot, the promise, chosen flags and the kv table equal the replay's, and
//   applied ≤ chosen.
// The same database is reused across kills so later kills hit a bigger file. Covers
// ARCHITECTURE.md "Storage" (group commit, apply atomicity) and STYLE.md §8 "SQLite in a temp dir,
// including a reopen after a simulated crash". A failure prints PAXOS_SEED=<n>.

import Foundation
import PaxosCore
import PaxosStorage
import PaxosTestKit
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("storage: crash")
struct CrashTests {
    static let killCount = 60
    /// A machine loaded by other suites may not fit all kills in the time budget; this many must.
    static let killCountMin = 50
    /// Stop early rather than run past this; the suite must stay quick.
    static let wallSecondsMax = 55.0

    @Test("storage: SIGKILL at random moments loses no reported commit and leaves no torn transaction")
    func sigkill() throws {
        let seed = ProcessInfo.processInfo.environment["PAXOS_SEED"].flatMap { UInt64($0) } ?? 0xC4A5
        let executable = try CrashWriter.executable()
        try withTemporaryDirectory { directory in
            let path = directory.path("crash.sqlite")
            var generator = SeededGenerator(seed: seed)
            var checker = CrashChecker(path: path, seed: seed)
            let started = Date()
            var kills = 0
            while kills < Self.killCount && Date().timeIntervalSince(started) < Self.wallSecondsMax {
                let duringStartUp = kills % 6 == 0
                let delay = duringStartUp ? Int.random(in: 0...20, using: &generator) : Int.random(in: 5...150, using: &generator)
                let run = try CrashWriter.run(executable, database: path, killAfterMilliseconds: delay, afterReady: !duringStartUp)
                try #require(run.wasKilled, "PAXOS_SEED=\(seed) run \(kills): the writer exited by itself: \(run.errors)")
                kills += 1
                try checker.record(run.lines, run: kills)
                // loadDurableState already verifies every row; the whole-log check also walks the
                // chosen frontier but costs another pass, so it runs every tenth kill and last.
                let isLast = kills == Self.killCount || Date().timeIntervalSince(started) >= Self.wallSecondsMax
                try checker.check(run: kills, verifyWholeLog: kills % 10 == 0 || isLast)
            }
            #expect(kills >= Self.killCountMin, "PAXOS_SEED=\(seed): only \(kills) kills in \(Self.wallSecondsMax) s")
            #expect(checker.model.lastSlot > 100, "PAXOS_SEED=\(seed): the writer wrote only \(checker.model.lastSlot) slots")
            #expect(checker.model.applied > 0)
        }
    }
}

/// What the test knows from the writer's reports, and the database check after each kill.
struct CrashChecker {
    let path: String
    let seed: UInt64
    /// The schedule replayed through the log end found at the previous check.
    private(set) var model = CrashModel()
    private var reportedDurable: UInt64 = 0
    private var reportedApplied: UInt64 = 0

    init(path: String, seed: UInt64) {
        self.path = path
        self.seed = seed
    }

    mutating func record(_ lines: [String], run: Int) throws {
        for line in lines {
            let fields = line.split(separator: " ")
            let numbers = fields.dropFirst().compactMap { UInt64($0) }
            try #require(numbers.count == fields.count - 1 && !numbers.isEmpty, "PAXOS_SEED=\(seed) run \(run): bad line '\(line)'")
            switch fields[0] {
            case "ready", "durable": reportedDurable = max(reportedDurable, numbers[0])
            case "applied": reportedApplied = max(reportedApplied, numbers[0])
            default: Issue.record("PAXOS_SEED=\(seed) run \(run): unknown line '\(line)'")
            }
            if fields[0] == "ready" { reportedApplied = max(reportedApplied, numbers[1]) }
        }
    }

    mutating func check(run: Int, verifyWholeLog: Bool) throws {
        let context = "PAXOS_SEED=\(seed) run \(run)"
        let store = try SQLiteLogStore.open(path: path, clusterID: CrashSchedule.clusterID, replicaID: CrashSchedule.replicaID)
        defer { store.close() }
        let state = try store.loadDurableState()
        let lastSlot = state.entries.last?.slot.rawValue ?? 0
        try #require(lastSlot >= reportedDurable, "\(context): slot \(reportedDurable) was reported durable, but the log ends at \(lastSlot)")
        // The log ends where the last report (or the previous check) says, or one whole
        // transaction later: committed but killed before it could print.
        let known = max(reportedDurable, model.lastSlot)
        let knownIsEnd = model.advance(toEnd: known)
        try #require(knownIsEnd, "\(context): the writer reported \(reportedDurable), not a transaction end")
        let unreported = model.nextEnd
        try #require(lastSlot == known || lastSlot == unreported,
                     "\(context): the log ends at \(lastSlot); expected \(known) or the next transaction's end \(unreported)")
        let lastIsEnd = model.advance(toEnd: lastSlot)
        try #require(lastIsEnd)
        try #require(state.entries.count == model.entries.count, "\(context): \(state.entries.count) rows for slots 1...\(lastSlot)")
        if state.entries != model.entries {
            let first = zip(state.entries, model.entries).first { $0 != $1 }
            Issue.record("\(context): rows differ from what was written, first at \(String(describing: first))")
        }
        #expect(state.promised == model.promised, "\(context)")
        #expect(state.appliedThrough == Slot(model.applied), "\(context)")
        #expect(model.applied >= reportedApplied, "\(context): slot \(reportedApplied) was reported applied")
        #expect(store.appliedThrough <= store.chosenThrough, "\(context)")
        #expect(store.chosenThrough <= Slot(model.chosenFrontier), "\(context): chosen frontier \(store.chosenThrough)")
        #expect(try Fixture.table(store) == model.machine.table, "\(context): the kv table is not a replay of the applied slots")
        if verifyWholeLog { #expect(try store.verifyLog() == Int(lastSlot), "\(context)") }
    }
}

/// Starts `paxos-crash-writer` and SIGKILLs it.
enum CrashWriter {
    struct Run {
        var lines: [String]
        var wasKilled: Bool
        var errors: String
    }

    /// The writer executable, built by `swift build`/`swift test` next to the test bundle.
    static func executable() throws -> URL {
        let name = "paxos-crash-writer"
        var candidates: [URL] = []
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // Linux: .build/<triple>/debug/PaxosKVPackageTests.xctest; macOS: …/debug/X.xctest/Contents/MacOS/X.
        while directory.path != "/" {
            candidates.append(directory.appendingPathComponent(name))
            directory.deleteLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/\(name)"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw WriterMissing(description: "\(name) not found next to \(CommandLine.arguments[0]) nor in .build/debug; run `swift build --product \(name)`")
        }
        return found
    }

    struct WriterMissing: Error, CustomStringConvertible { var description: String }

    /// Runs the writer on `database`, waits for its "ready" line if `afterReady`, then
    /// `killAfterMilliseconds`, kills it and returns what it printed.
    static func run(_ executable: URL, database: String, killAfterMilliseconds: Int, afterReady: Bool) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = [database]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        var received = Data()
        while afterReady && !received.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // The writer died before it was ready; its stderr says why.
            received.append(chunk)
        }
        // Sleeping is the point here: the kill must land at an unpredictable moment of real I/O.
        usleep(useconds_t(killAfterMilliseconds * 1_000))
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        received.append(output.fileHandleForReading.readDataToEndOfFile())
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let killed = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
        // A kill can cut the last line short; only whole lines are reports.
        var text = String(decoding: received, as: UTF8.self)
        if let lastNewline = text.lastIndex(of: "\n") { text = String(text[...lastNewline]) } else { text = "" }
        return Run(lines: text.split(separator: "\n").map(String.init), wasKilled: killed, errors: errorText)
    }
}
