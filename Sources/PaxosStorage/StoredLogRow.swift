import PaxosCore

/// One `log` row's columns exactly as stored, before any check.
///
/// The node (`SQLiteLogStore.decodeRow`, which refuses to start on a bad row) and
/// `paxos-inspect` (which shows the bad row and names it) both judge a row through
/// `verified()`, so they never disagree about what counts as damage.
struct StoredLogRow {
    /// The columns `init(_:)` expects, in order, for a `SELECT … FROM log`.
    static let columns = "slot, ballot_round, ballot_replica, chosen, command, checksum"

    var slot: Slot
    var ballot: Ballot
    /// 0 or 1 in an intact row; kept raw so a damaged value can be reported.
    var chosenFlag: Int64
    var command: Bytes
    var checksum: Int64

    /// Reads the current row of a statement that selects `columns`.
    init(_ statement: SQLiteStatement) {
        slot = Slot(statement.uint64(0))
        ballot = Ballot(round: statement.uint64(1), replica: ReplicaID(UInt32(truncatingIfNeeded: statement.int64(2))))
        chosenFlag = statement.int64(3)
        command = statement.blob(4)
        checksum = statement.int64(5)
    }

    /// Why a row cannot be trusted, as one sentence without the file or slot (the caller adds them).
    struct Damage: Error, Hashable {
        var reason: String
    }

    /// The entry the row holds, once its flag, checksum and command encoding all check out.
    func verified() throws(Damage) -> LogEntry {
        guard chosenFlag == 0 || chosenFlag == 1 else {
            throw Damage(reason: "chosen flag is \(chosenFlag), not 0 or 1")
        }
        let computed = Int64(LogRowChecksum.compute(slot: slot, ballot: ballot, command: command))
        guard checksum == computed else {
            throw Damage(reason: "checksum mismatch (stored \(checksum), computed \(computed))")
        }
        do {
            return LogEntry(slot: slot, ballot: ballot, command: try Command.decode(command), chosen: chosenFlag == 1)
        } catch {
            throw Damage(reason: "the command does not decode: \(error)")
        }
    }
}
