// `CrashModel`, which replays the crash writer's schedule (`CrashSchedule` in PaxosTestKit, the
// definition `paxos-crash-writer` writes from) to predict the database after any whole transaction.

import PaxosCore
import PaxosTestKit

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
