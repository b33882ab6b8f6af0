package import PaxosCore

/// Why `paxos-inspect` could not read a database at all: the file is missing, is not a PaxosKV
/// database, is of a newer format, or SQLite cannot read it.
///
/// A database that opens but fails a check (a bad row checksum, a hole below the chosen
/// frontier, a kv table that disagrees with its log) is not an error but an
/// `InspectionFailure`, which the tool reports with exit status 1; these errors mean exit
/// status 2 ("unusable input").
///
/// Every message names the file and says what is wrong in one sentence, because the tool prints
/// it as one line on stderr.
package struct InspectionError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Kind: String, Hashable, Sendable {
        /// No such file, a directory with no `paxos.sqlite` nor `group-<g>.sqlite` in it (or
        /// without the group `--group` names), or a node directory missing one of its groups.
        case missing
        /// The file exists but cannot be opened or read (permissions, an I/O error, a WAL
        /// database whose `-shm` file is missing in a directory we may not write).
        case unreadable
        /// The file is not an SQLite database.
        case notSQLite
        /// An SQLite database, but not one PaxosKV wrote.
        case notPaxosKV
        /// A PaxosKV database in a format version this build does not read.
        case unsupportedSchema
        /// SQLite reports the file damaged, or a table or the meta row is missing.
        case damaged
        /// The command line itself was wrong (an unknown option, a bad slot number), or named a
        /// node directory of several groups where one database is needed, without `--group`.
        case usage
        /// The databases' groups do not fit together or the command: a file of another group
        /// than `--group` names, databases of different group counts given to `diff` or found in
        /// one node directory, one group held twice.
        case placement
    }

    package var kind: Kind
    /// The file (or the argument, when no file was found).
    package var path: String
    /// One sentence, without the path.
    package var reason: String

    package init(_ kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    package var description: String { "\(path): \(reason)" }
}

/// One failed check in a database that could be read: which file, which slot if the check is
/// about one, which check, and why. `paxos-inspect` prints it and exits with status 1.
package struct InspectionFailure: Hashable, Sendable, CustomStringConvertible {
    package var path: String
    package var slot: Slot?
    package var check: InspectionCheck
    package var reason: String

    package init(path: String, slot: Slot?, check: InspectionCheck, reason: String) {
        self.path = path
        self.slot = slot
        self.check = check
        self.reason = reason
    }

    /// `data/nodes/3/paxos.sqlite: slot 41: checksum mismatch (stored 1, computed 2)`.
    package var description: String {
        "\(path): " + (slot.map { "slot \($0): " } ?? "") + reason
    }
}

/// The checks `verify`, `summary` and `diff` run. The raw values are part of the `--json`
/// schema (the `check` field of a failure): add cases, never rename one.
package enum InspectionCheck: String, Hashable, Sendable, CaseIterable {
    /// `snapshot_slot ≤ applied_through ≤ chosen_through ≤ last log slot`, and sane values.
    case meta
    /// A log row's chosen flag is 0 or 1, its checksum matches and its command decodes; a kv or
    /// session row's checksum matches.
    case checksum
    /// No accepted ballot is above the promised ballot (an acceptor raises its promise when it
    /// accepts, in the same transaction).
    case ballot
    /// Every slot above the snapshot and up to the chosen frontier is stored and chosen, so
    /// nothing was applied across a hole.
    case frontier
    /// Every kv row and session was written by an applied slot and holds a known result.
    case table
    /// The kv and sessions tables equal a replay of the chosen log.
    case replay
    /// The databases given to `diff` belong to different clusters. (Disagreements and kv tables
    /// that differ have fields of their own in `DiffReport`.)
    case cluster
    /// A file named for a group (`paxos.sqlite`, `group-<g>.sqlite`) holds another one, so the
    /// node would refuse it; or the databases given to `DiffReport.compare` hold different groups.
    case placement
    /// A `memberships` row fails its checksum or decoding, governs from a slot other than α after
    /// the slot that chose it, was chosen above the applied slot, breaks the order of epochs, or
    /// disagrees with the `configure` command still in the log at its slot; or an applied
    /// `configure` slot has no row.
    case membership
}
