/// Why `paxos-inspect` could not read a database at all: the file is missing, is not a PaxosKV
/// database, is of a newer format, or SQLite cannot read it.
///
/// A database that opens but fails a check (a bad row checksum, a hole below the chosen
/// frontier, a kv table that disagrees with its log) is not an error but an
/// `InspectionFailure` (PaxosInspectKit), which the tool reports with exit status 1; these
/// errors mean exit status 2 ("unusable input").
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
