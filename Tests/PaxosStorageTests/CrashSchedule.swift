// The crash writer's schedule, copied from `Sources/paxos-crash-writer/main.swift` (the two
// targets share no module, and PaxosStorage is not the place for test helpers), plus
// `CrashModel`, which replays the schedule to predict the database after any whole transaction.

import PaxosCore

/// What the writer writes, as a function of the slot and the transaction number.
///
/// - Invariant: MUST stay identical to `CrashSchedule` in `Sources/paxos-crash-writer/main.swift`,
///   which writes what this copy predicts.
enum CrashSchedule {
    static let clusterID = "crash-test"
    static let replicaID = ReplicaID(1)

    /// How many entries transaction `k` (k ≥ 1) writes: 1…8.
    static func entryCount(transaction k: UInt64) -> UInt64 { 1 + (k &* 5) % 8 }

    /// Whether transaction `k` writes its new entries already chosen (as a learner catching up would).
    static func writesChosen(transaction k: UInt64) -> Bool { k % 4 == 1 }

    /// The promise transaction `k` persists, if any; never decreases with `k`.
    static func promise(transaction k: UInt64) -> Ballot? {
        k % 5 == 1 ? Ballot(round: 1 + k / 50, replica: replicaID) : nil
    }

    /// The slot transaction `k` applies through, given the last slot written before it and the
    /// applied slot before it; nil when it applies nothing.
    static func applyThrough(transaction k: UInt64, lastSlot: UInt64, applied: UInt64) -> UInt64? {
        guard k % 3 == 0, lastSlot > 8, lastSlot - 8 > applied else { return nil }
        return lastSlot - 8
    }

    static func ballot(slot: UInt64) -> Ballot { Ballot(round: 1 + slot / 97, replica: replicaID) }

    /// The command accepted for `slot`: no-ops, puts and deletes over a few keys and clients, with
    /// retried and stale sequence numbers so the exactly-once rule is exercised.
    static func command(slot: UInt64) -> Command {
        if slot % 11 == 0 { return .noop }
        let count = 1 + slot % 3
        return .batch((0..<count).map { index in
            let client = ClientID(1 + (slot + index) % 4)
            var sequence = slot * 4 + index
            if slot % 7 == 0 && sequence > 40 { sequence -= 40 }
            let key = Array("key-\((slot * 3 + index) % 17)".utf8)
            if (slot + index) % 5 == 0 { return ClientRequest(client: client, sequence: sequence, operation: .delete(key: key)) }
            let length = 16 + Int((slot &* 13 &+ index) % 200)
            let value = (0..<length).map { UInt8(truncatingIfNeeded: slot &* 31 &+ UInt64($0) &+ index) }
            return ClientRequest(client: client, sequence: sequence, operation: .put(key: key, value: value))
        })
    }

    static func entry(slot: UInt64, chosen: Bool) -> LogEntry {
        LogEntry(slot: Slot(slot), ballot: ballot(slot: slot), command: command(slot: slot), chosen: chosen)
    }
}

/// The database the crash writer leaves after its first `transaction` transactions: the
/// schedule replayed transaction by transaction, with `KVStateMachine` as the applier.
struct CrashModel {
    private(set) var transaction: UInt64 = 0
    private(set) var lastSlot: UInt64 = 0
    private(set) var applied: UInt64 = 0
    private(set) var promised: Ballot = .zero
    /// `entries[s - 1]` is the expected row for slot `s`.
    private(set) var entries: [LogEntry] = []
    private(set) var machine = KVStateMachine()

    /// The end slot of the transaction after the current one.
    var nextEnd: UInt64 { lastSlot + CrashSchedule.entryCount(transaction: transaction + 1) }

    /// The highest slot s with every slot ≤ s chosen.
    var chosenFrontier: UInt64 {
        UInt64(entries.firstIndex { !$0.chosen } ?? entries.count)
    }

    /// Advances whole transactions until the log ends at `slot`.
    /// - Returns: false when `slot` is not the end of a transaction (a torn transaction).
    mutating func advance(toEnd slot: UInt64) -> Bool {
        while lastSlot < slot { step() }
        return lastSlot == slot
    }

    private mutating func step() {
        transaction += 1
        let k = transaction
        if let promise = CrashSchedule.promise(transaction: k) { promised = promise }
        let count = CrashSchedule.entryCount(transaction: k)
        let chosen = CrashSchedule.writesChosen(transaction: k)
        entries += (lastSlot + 1...lastSlot + count).map { CrashSchedule.entry(slot: $0, chosen: chosen) }
        if let through = CrashSchedule.applyThrough(transaction: k, lastSlot: lastSlot, applied: applied) {
            for slot in applied + 1...through {
                entries[Int(slot) - 1].chosen = true
                _ = machine.apply(slot: Slot(slot), command: CrashSchedule.command(slot: slot))
            }
            applied = through
        }
        lastSlot += count
    }
}
