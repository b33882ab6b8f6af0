public import PaxosCore

/// Everything that can go wrong with a node's database, each naming the file and, where there
/// is one, the slot. A node that sees any of these stops (fail-stop): guessing would risk the
/// promises and votes that keep Paxos safe.
public enum LogStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// SQLite itself failed (I/O error, disk full, a locked file, …).
    case sqlite(path: String, SQLiteError)
    /// The file is not an SQLite database, or not one PaxosKV wrote.
    case notPaxosDatabase(path: String, reason: String)
    /// A PaxosKV database in a format version this build does not know.
    case unsupportedSchema(path: String, found: Int64, supported: Int64)
    /// A valid PaxosKV database that belongs to another cluster or replica, or holds another
    /// group than the one asked for, or was written by a node running another number of groups.
    case foreign(path: String, reason: String)
    /// A row or the metadata failed its integrity check.
    case corrupt(path: String, slot: Slot?, reason: String)
    /// Genesis was asked of a database that already records the cluster UUID `clusterUUID`:
    /// genesis happens once in a database's life.
    case genesisRecorded(path: String, clusterUUID: String)
    /// A caller passed something the store cannot take (a bad path, an out-of-order apply).
    case invalidArgument(String)
    /// A small file the store keeps beside the database (`DurableMarks`) could not be read or
    /// written.
    case sideFile(path: String, reason: String)

    /// The database's contents cannot be trusted (a row failed its check, SQLite found a page
    /// damaged, or the database holds less than its durable marks): unlike a full disk or a
    /// read-only directory, restarting on the same disk does not help.
    public var isDamage: Bool {
        switch self {
        case .corrupt: true
        case .sqlite(_, let error): error.isDamage
        default: false
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path, let error):
            "\(path): \(error)"
        case .notPaxosDatabase(let path, let reason):
            "\(path) is not a PaxosKV database: \(reason)"
        case .unsupportedSchema(let path, let found, let supported):
            "\(path) has schema version \(found), but this build reads version \(supported)"
                + (found > supported ? "; it was written by newer PaxosKV software" : "")
        case .foreign(let path, let reason):
            "\(path) belongs to another node or group layout: \(reason); refusing to use it"
        case .corrupt(let path, let slot, let reason):
            "\(path) is corrupt" + (slot.map { " at slot \($0)" } ?? "") + ": \(reason)"
        case .genesisRecorded(let path, let clusterUUID):
            "\(path) already records the genesis of cluster \(clusterUUID); refusing to record another"
        case .invalidArgument(let reason):
            reason
        case .sideFile(let path, let reason):
            "\(path): \(reason)"
        }
    }
}
