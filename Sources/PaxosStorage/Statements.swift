/// Every statement on the hot path, prepared once per connection.
final class Statements {
    let setPromise: SQLiteStatement
    let setChosenThrough: SQLiteStatement
    let setApplied: SQLiteStatement
    let upsertEntry: SQLiteStatement
    /// Marks a slot chosen when the stored row already holds this ballot and command, so the
    /// command blob is not written twice.
    let markChosenIfSame: SQLiteStatement
    let markChosen: SQLiteStatement
    let insertChosen: SQLiteStatement
    let isChosen: SQLiteStatement
    let selectEntry: SQLiteStatement
    let selectEntriesFrom: SQLiteStatement
    let selectSession: SQLiteStatement
    let upsertSession: SQLiteStatement
    let pruneSessions: SQLiteStatement
    let upsertKey: SQLiteStatement
    let deleteKey: SQLiteStatement
    let selectKey: SQLiteStatement
    /// Deletes a key, returning its deadline (so `remove` can tell a live row from an expired one).
    let deleteKeyReturningDeadline: SQLiteStatement
    /// Keys whose deadline is at or below ?1, in (deadline, key) order, at most ?2 (`kv_expiry`).
    let selectExpiredKeys: SQLiteStatement
    let selectNextDeadline: SQLiteStatement
    let setSnapshotSlot: SQLiteStatement
    /// Deletes the lowest log rows at or below a slot, at most a given number.
    let deleteLogPrefix: SQLiteStatement
    /// Inserts a `memberships` row unless its `from_slot` is taken.
    let insertMembership: SQLiteStatement
    /// Records one applied slot's changes (`kv_changes`).
    let insertChanges: SQLiteStatement
    /// Deletes the lowest `kv_changes` rows at or below a slot, at most a given number.
    let deleteChangesPrefix: SQLiteStatement
    /// `kv_changes` rows from ?1 through ?2, in slot order, at most ?3.
    let selectChanges: SQLiteStatement
    private var all: [SQLiteStatement] = []

    init(_ database: SQLiteDatabase) throws(SQLiteError) {
        var all: [SQLiteStatement] = []
        func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
            let statement = try database.prepare(sql)
            all.append(statement)
            return statement
        }
        setPromise = try prepare("UPDATE meta SET promised_round = ?, promised_replica = ? WHERE singleton = 1")
        setChosenThrough = try prepare("UPDATE meta SET chosen_through = ? WHERE singleton = 1")
        setApplied = try prepare("UPDATE meta SET applied_through = ?, chosen_through = ?, log_clock = ? WHERE singleton = 1")
        upsertEntry = try prepare("""
            INSERT INTO log (slot, ballot_round, ballot_replica, chosen, command, checksum) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (slot) DO UPDATE SET ballot_round = excluded.ballot_round,
                ballot_replica = excluded.ballot_replica, chosen = excluded.chosen,
                command = excluded.command, checksum = excluded.checksum
            """)
        markChosenIfSame = try prepare("""
            UPDATE log SET chosen = 1
            WHERE slot = ? AND ballot_round = ? AND ballot_replica = ? AND checksum = ? AND command = ?
            """)
        markChosen = try prepare("UPDATE log SET chosen = 1 WHERE slot = ?")
        insertChosen = try prepare(
            "INSERT INTO log (slot, ballot_round, ballot_replica, chosen, command, checksum) VALUES (?, 0, 0, 1, ?, ?)")
        isChosen = try prepare("SELECT chosen FROM log WHERE slot = ?")
        selectEntry = try prepare(
            "SELECT slot, ballot_round, ballot_replica, chosen, command, checksum FROM log WHERE slot = ?")
        selectEntriesFrom = try prepare("""
            SELECT slot, ballot_round, ballot_replica, chosen, command, checksum FROM log
            WHERE (slot > ?1 OR chosen = 1) AND slot > ?2 ORDER BY slot
            """)
        selectSession = try prepare("SELECT \(SQLiteLogStore.sessionColumns) FROM sessions WHERE client_id = ?")
        pruneSessions = try prepare("DELETE FROM sessions WHERE slot < ?")
        upsertSession = try prepare("""
            INSERT INTO sessions (client_id, last_sequence, last_result, slot, checksum, reply) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (client_id) DO UPDATE SET last_sequence = excluded.last_sequence,
                last_result = excluded.last_result, slot = excluded.slot, checksum = excluded.checksum,
                reply = excluded.reply
            """)
        upsertKey = try prepare("""
            INSERT INTO kv (key, value, slot, position, expire_at, checksum, scan_hash) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, slot = excluded.slot, position = excluded.position,
                expire_at = excluded.expire_at, checksum = excluded.checksum
            """)
        deleteKey = try prepare("DELETE FROM kv WHERE key = ?")
        deleteKeyReturningDeadline = try prepare("DELETE FROM kv WHERE key = ? RETURNING expire_at")
        selectExpiredKeys = try prepare(
            "SELECT key FROM kv WHERE expire_at IS NOT NULL AND expire_at <= ?1 ORDER BY expire_at, key LIMIT ?2")
        selectNextDeadline = try prepare("SELECT min(expire_at) FROM kv WHERE expire_at IS NOT NULL")
        selectKey = try prepare("SELECT \(StoredKVRow.columns) FROM kv WHERE key = ?")
        setSnapshotSlot = try prepare("UPDATE meta SET snapshot_slot = ? WHERE singleton = 1")
        // DELETE … LIMIT needs a compile-time option Debian's SQLite lacks; the subquery walks
        // the primary key from its start instead.
        deleteLogPrefix = try prepare(
            "DELETE FROM log WHERE slot IN (SELECT slot FROM log WHERE slot <= ?1 ORDER BY slot LIMIT ?2)")
        insertMembership = try prepare("""
            INSERT INTO memberships (from_slot, epoch, chosen_in_slot, membership, checksum) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (from_slot) DO NOTHING
            """)
        insertChanges = try prepare("INSERT OR REPLACE INTO kv_changes (slot, changes, checksum) VALUES (?, ?, ?)")
        deleteChangesPrefix = try prepare(
            "DELETE FROM kv_changes WHERE slot IN (SELECT slot FROM kv_changes WHERE slot <= ?1 ORDER BY slot LIMIT ?2)")
        selectChanges = try prepare(
            "SELECT slot, changes, checksum FROM kv_changes WHERE slot >= ?1 AND slot <= ?2 ORDER BY slot LIMIT ?3")
        self.all = all
    }

    /// Releases every statement so the connection can close.
    func finalize() {
        for statement in all { statement.reset() }
        all = []
    }
}
