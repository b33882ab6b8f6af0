public import PaxosCore

/// What `paxos-crash-writer` writes, as a function of the slot and the transaction number: the
/// one definition both the writer and the crash test (`Tests/PaxosStorageTests/CrashTests.swift`,
/// whose `CrashModel` replays it) use, so the test predicts exactly what the writer wrote.
///
/// It lives in the test kit because it is a test fixture, not storage: the writer links it
/// beside PaxosStorage, and paxosd does not carry it.
public enum CrashSchedule {
    public static let clusterID = "crash-test"
    public static let replicaID = ReplicaID(1)

    /// How many entries transaction `k` (k ≥ 1) writes: 1…8.
    public static func entryCount(transaction k: UInt64) -> UInt64 { 1 + (k &* 5) % 8 }

    /// Whether transaction `k` writes its new entries already chosen (as a learner catching up would).
    public static func writesChosen(transaction k: UInt64) -> Bool { k % 4 == 1 }

    /// The promise transaction `k` persists, if any; never decreases with `k`.
    public static func promise(transaction k: UInt64) -> Ballot? {
        k % 5 == 1 ? Ballot(round: 1 + k / 50, replica: replicaID) : nil
    }

    /// The slot transaction `k` applies through, given the last slot written before it and the
    /// applied slot before it; nil when it applies nothing.
    public static func applyThrough(transaction k: UInt64, lastSlot: UInt64, applied: UInt64) -> UInt64? {
        guard k % 3 == 0, lastSlot > 8, lastSlot - 8 > applied else { return nil }
        return lastSlot - 8
    }

    public static func ballot(slot: UInt64) -> Ballot { Ballot(round: 1 + slot / 97, replica: replicaID) }

    /// The command accepted for `slot`: no-ops, puts and deletes over a few keys and clients, with
    /// retried and stale sequence numbers so the exactly-once rule is exercised.
    public static func command(slot: UInt64) -> Command {
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

    public static func entry(slot: UInt64, chosen: Bool) -> LogEntry {
        LogEntry(slot: Slot(slot), ballot: ballot(slot: slot), command: command(slot: slot), chosen: chosen)
    }
}
