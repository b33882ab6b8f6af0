import PaxosCore
/// The `placement` row as read from disk, before any check: the node checks it at open
/// (`SchemaSetup.readPlacement`), `paxos-inspect` when it opens a database
/// (`InspectionReader.readPlacement`). A database without the table, or with the table but
/// without the row, is a single-group database (`GroupPlacement.single`): that is every
/// database written before groups existed, and every `paxos.sqlite` since.
struct StoredPlacement: Hashable, Sendable {
    var groupCount: Int64
    var group: Int64
    var hash: String

    /// Whether the row's key mapping is this build's (`GroupPlacement.hashName`, or a former
    /// name of the same mapping); a node and `paxos-inspect` refuse a database whose mapping is not.
    var mapsKeysAsThisBuild: Bool { GroupPlacement.mapsKeysAsThisBuild(hashName: hash) }

    /// The placement the row records, or nil when its numbers make none.
    var placement: GroupPlacement? {
        guard let count = UInt32(exactly: groupCount), let group = UInt32(exactly: group) else { return nil }
        return GroupPlacement(validatingGroupCount: count, group: GroupID(rawValue: group))
    }

    /// Reads the singleton row; nil when the table or the row is missing.
    static func select(from database: SQLiteDatabase) throws(SQLiteError) -> StoredPlacement? {
        guard try database.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'placement'") == 1 else {
            return nil
        }
        let statement = try database.prepare("SELECT group_count, group_id, hash FROM placement WHERE singleton = 1")
        guard try statement.step() else { return nil }
        return StoredPlacement(groupCount: statement.int64(0), group: statement.int64(1), hash: statement.text(2))
    }

    /// Writes the row for `placement` into a database that has none (the table is created).
    /// - Precondition: `placement` is not `.single`: a single-group database records nothing.
    static func insert(_ placement: GroupPlacement, into database: SQLiteDatabase) throws(SQLiteError) {
        precondition(!placement.isSingle, "a single-group database records no placement")
        try database.execute(Schema.createPlacement)
        let insert = try database.prepare("INSERT INTO placement (singleton, group_count, group_id, hash) VALUES (1, ?, ?, ?)")
        try insert.run { (statement) throws(SQLiteError) in
            try statement.bind(1, Int64(placement.groupCount))
            try statement.bind(2, Int64(placement.group.rawValue))
            try statement.bind(3, GroupPlacement.hashName)
        }
    }
}
