import Foundation
public import PaxosCore

/// The most a database was seen to hold durably, kept in a small file beside it
/// (`<database>.marks`), so that a database that comes back holding less is noticed.
///
/// ## Why
/// SQLite cannot tell that its write-ahead log went missing: a `-wal` file truncated to zero or
/// deleted (a careless copy, a restore of the main file alone, a file system that lost it)
/// leaves a valid database at its last checkpoint, silently older. For an acceptor that is
/// amnesia: it forgets promises and votes it gave, and a majority that counted them may then
/// choose a second value for a slot. So the store records, after a commit that was fsynced, the
/// promised ballot, the chosen frontier, the applied slot and the highest slot it holds (log or
/// snapshot), and refuses at open a database of the same incarnation that holds less of any of
/// them (`SQLiteLogStore.open`), saying what went missing and how to recover.
///
/// ## Cost and precision
/// The file is written at most once per `SQLiteLogStore.Options.marksIntervalMilliseconds` (one
/// second by default), right after a synced commit, when everything the database holds is
/// durable, and at a clean close once SQLite has checkpointed the WAL into the main file; never
/// inside a transaction, so the write path gains no fsync per write. It only ever lags the
/// database: losses of less than the interval's worth of writes may go unnoticed, and a mark never
/// claims what a power loss may take away (an unsynced commit is not durable, so marks are
/// only written after synced ones). Under `--sync normal` no commit is synced and marks are
/// written at a clean close only.
///
/// The marks belong to one incarnation: a database created anew (a wiped disk, a restore) draws
/// a new incarnation, holds no vote of the old one and ignores marks of another.
///
/// ## Format
/// Text, one `name value` per line: `paxoskv-marks 1`, `incarnation` (hex), `promised`
/// (`round.replica`), `chosen`, `applied`, `last_slot`. Written with `DurableFile.save`.
public struct DurableMarks: Hashable, Sendable {
    public var incarnation: Incarnation
    public var promised: Ballot
    public var chosenThrough: Slot
    public var appliedThrough: Slot
    /// The highest slot the database holds: its last log row, or its snapshot slot if higher.
    public var lastSlot: Slot

    public init(incarnation: Incarnation, promised: Ballot, chosenThrough: Slot, appliedThrough: Slot, lastSlot: Slot) {
        self.incarnation = incarnation
        self.promised = promised
        self.chosenThrough = chosenThrough
        self.appliedThrough = appliedThrough
        self.lastSlot = lastSlot
    }

    /// The marks file of the database at `databasePath`.
    public static func path(forDatabase databasePath: String) -> String { databasePath + ".marks" }

    var text: String {
        """
        paxoskv-marks 1
        incarnation \(String(incarnation.rawValue, radix: 16))
        promised \(promised.round).\(promised.replica.rawValue)
        chosen \(chosenThrough.rawValue)
        applied \(appliedThrough.rawValue)
        last_slot \(lastSlot.rawValue)

        """
    }

    /// Parses `text`; nil when it is not a marks file this build wrote.
    init?(text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            fields[String(parts[0])] = String(parts[1])
        }
        let ballot = fields["promised"]?.split(separator: ".")
        guard fields["paxoskv-marks"] == "1",
              let incarnation = fields["incarnation"].flatMap({ UInt64($0, radix: 16) }),
              let ballot, ballot.count == 2, let round = UInt64(ballot[0]), let replica = UInt32(ballot[1]),
              let chosen = fields["chosen"].flatMap({ UInt64($0) }),
              let applied = fields["applied"].flatMap({ UInt64($0) }),
              let last = fields["last_slot"].flatMap({ UInt64($0) }) else { return nil }
        self.init(incarnation: Incarnation(incarnation), promised: Ballot(round: round, replica: ReplicaID(replica)),
                  chosenThrough: Slot(chosen), appliedThrough: Slot(applied), lastSlot: Slot(last))
    }

    /// What `database` lacks of these marks, as phrases ("the promised ballot 7.2 (the marks say
    /// 9.1)"); empty when it holds at least as much, or when the marks are another incarnation's.
    func shortfalls(of database: DurableMarks) -> [String] {
        guard database.incarnation == incarnation else { return [] }
        var missing: [String] = []
        if database.promised < promised { missing.append("promised ballot \(database.promised), below the \(promised) it had promised") }
        if database.lastSlot < lastSlot { missing.append("last slot \(database.lastSlot), below the \(lastSlot) it held") }
        if database.chosenThrough < chosenThrough {
            missing.append("chosen frontier \(database.chosenThrough), below the \(chosenThrough) it had reached")
        }
        if database.appliedThrough < appliedThrough {
            missing.append("applied slot \(database.appliedThrough), below the \(appliedThrough) it had applied")
        }
        return missing
    }
}
