package import PaxosCore

/// The `meta` row as read from disk, before any check: the node checks it at open
/// (`SchemaSetup.readMeta`), while `paxos-inspect` shows even a damaged row and lets `verify`
/// report what is wrong with it.
package struct StoredMeta: Hashable, Sendable {
    package var schemaVersion: Int64
    package var clusterID: String
    package var replicaID: ReplicaID
    package var promised: Ballot
    package var chosenThrough: Slot
    package var appliedThrough: Slot
    package var snapshotSlot: Slot
    /// This database's incarnation (`Schema`: never 0; 1 for a database migrated from version 1).
    package var incarnation: Incarnation
    /// The cluster's UUID once genesis is recorded; nil before.
    package var clusterUUID: String?
    /// `meta.log_clock`: the state machine's clock (schema 5).
    package var logClock = LeaderTime(rawValue: 0)
    /// `meta.changes_from`: the first slot `kv_changes` records (schema 6).
    package var changesFrom = Slot.zero

    /// Reads the singleton row; nil when it is missing.
    static func select(from database: SQLiteDatabase) throws(SQLiteError) -> StoredMeta? {
        let statement = try database.prepare("""
            SELECT schema_version, cluster_id, replica_id, promised_round, promised_replica,
                chosen_through, applied_through, snapshot_slot, incarnation, cluster_uuid, log_clock, changes_from FROM meta WHERE singleton = 1
            """)
        guard try statement.step() else { return nil }
        return StoredMeta(
            schemaVersion: statement.int64(0), clusterID: statement.text(1),
            replicaID: ReplicaID(UInt32(truncatingIfNeeded: statement.int64(2))),
            promised: Ballot(round: statement.uint64(3), replica: ReplicaID(UInt32(truncatingIfNeeded: statement.int64(4)))),
            chosenThrough: Slot(statement.uint64(5)), appliedThrough: Slot(statement.uint64(6)),
            snapshotSlot: Slot(statement.uint64(7)), incarnation: Incarnation(statement.uint64(8)),
            clusterUUID: statement.isNull(9) ? nil : statement.text(9), logClock: LeaderTime(rawValue: statement.uint64(10)),
            changesFrom: Slot(statement.uint64(11)))
    }
}
