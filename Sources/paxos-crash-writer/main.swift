// paxos-crash-writer <db-path>
//
// A test helper for `Tests/PaxosStorageTests/CrashTests.swift`: it writes accepted entries into a
// PaxosKV database in an endless loop of transactions so the test can SIGKILL it at a random
// moment and check what survived. Everything it writes is a pure function of the slot or of the
// transaction number (`CrashSchedule` in PaxosTestKit, which the test replays too), so the test
// recomputes the expected database without talking to it.
//
// Protocol on stdout, one line each, written with write(2) so nothing is buffered:
//   ready <lastSlot> <appliedSlot>   once the store is open and the resume point is known
//   durable <lastSlot>               after each commit: every slot ≤ lastSlot is durable
//   applied <slot>                   after a commit that applied slots up to <slot>
// A failure goes to stderr and exits with status 1; the test then fails with that message.
//
// It never stops by itself before `maxRunSeconds`: a SIGPIPE ends it if the test goes away.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PaxosCore
import PaxosStorage
import PaxosTestKit

/// A backstop so a writer whose test died without closing the pipe does not run forever.
enum Backstop {
    static let maxRunSeconds = 600.0
}

func report(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            fail("cannot write to stdout: errno \(errno)")
        }
        offset += written
    }
    bytes.removeAll()
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("paxos-crash-writer: \(message)\n".utf8))
    exit(1)
}

/// The transaction that ends at `lastSlot` (0 for an empty log), or nil when `lastSlot` falls
/// inside a transaction, which would mean a torn transaction.
func transactionEnding(at lastSlot: UInt64) -> UInt64? {
    var k: UInt64 = 0
    var end: UInt64 = 0
    while end < lastSlot {
        k += 1
        end += CrashSchedule.entryCount(transaction: k)
    }
    return end == lastSlot ? k : nil
}

/// Writes transaction `k`: its new entries (in two records), and on some transactions the chosen
/// marks and applies of older slots, all in one commit.
/// - Returns: the slot applied through, if this transaction applied.
func writeTransaction(_ store: SQLiteLogStore, k: UInt64, lastSlot: UInt64) throws(LogStoreError) -> UInt64? {
    let count = CrashSchedule.entryCount(transaction: k)
    let chosen = CrashSchedule.writesChosen(transaction: k)
    let entries = (lastSlot + 1...lastSlot + count).map { CrashSchedule.entry(slot: $0, chosen: chosen) }
    let half = entries.count / 2
    let applied = store.appliedThrough.rawValue
    return try store.transaction { () throws(LogStoreError) -> UInt64? in
        try store.persist([
            PersistRecord(id: PersistID(k * 3), promised: CrashSchedule.promise(transaction: k), entries: Array(entries[..<half])),
            PersistRecord(id: PersistID(k * 3 + 1), promised: nil, entries: Array(entries[half...])),
        ])
        guard let through = CrashSchedule.applyThrough(transaction: k, lastSlot: lastSlot, applied: applied) else { return nil }
        let learned = (applied + 1...through).map { CrashSchedule.entry(slot: $0, chosen: true) }
        try store.persist([PersistRecord(id: PersistID(k * 3 + 2), promised: nil, entries: learned)])
        for slot in applied + 1...through {
            _ = try store.apply(slot: Slot(slot), command: CrashSchedule.command(slot: slot))
        }
        return through
    }
}

func run(path: String) throws(LogStoreError) -> Never {
    let store = try SQLiteLogStore.open(path: path, clusterID: CrashSchedule.clusterID, replicaID: CrashSchedule.replicaID)
    var lastSlot = try store.loadDurableState().entries.last?.slot.rawValue ?? 0
    guard var k = transactionEnding(at: lastSlot) else {
        fail("the log ends at slot \(lastSlot), inside a transaction: a transaction was torn")
    }
    report("ready \(lastSlot) \(store.appliedThrough)")
    let started = Date()
    while Date().timeIntervalSince(started) < Backstop.maxRunSeconds {
        k += 1
        let applied = try writeTransaction(store, k: k, lastSlot: lastSlot)
        lastSlot += CrashSchedule.entryCount(transaction: k)
        report("durable \(lastSlot)")
        if let applied { report("applied \(applied)") }
    }
    store.close()
    exit(0)
}

let arguments = CommandLine.arguments
guard arguments.count == 2, !arguments[1].isEmpty else {
    fail("usage: paxos-crash-writer <db-path>")
}
do {
    try run(path: arguments[1])
} catch {
    fail("\(error)")
}
