import PaxosCore

/// Checking `kv` and `sessions` rows against their checksums (`StateRowChecksum`) as they are
/// read. Kept apart from the read and apply code so that the rule stays in one place.
extension SQLiteLogStore {
    /// The row a stored `kv` row holds.
    /// - Throws: `.corrupt` naming the file, the table and the key when the row fails its checks.
    func verified(_ stored: StoredKVRow) throws(LogStoreError) -> KVRow {
        do { return try stored.verified() } catch { throw .corrupt(path: path, slot: nil, reason: error.reason) }
    }

    /// The columns every read of a `sessions` row selects, in this order.
    static let sessionColumns = "last_sequence, last_result, slot, checksum, client_id, reply"

    /// The `reply` column of a statement selecting `sessionColumns`.
    static func sessionReply(_ statement: SQLiteStatement) -> [UInt8]? {
        statement.isNull(5) ? nil : statement.blob(5)
    }

    /// Why the current row of a statement selecting `sessionColumns` for `client` cannot be
    /// trusted, or nil if it checks.
    static func sessionDamage(_ statement: SQLiteStatement, client: ClientID) -> String? {
        StateRowChecksum.sessionDamage(client: client, sequence: statement.uint64(0), result: statement.int64(1),
                                       slot: Slot(statement.uint64(2)), reply: sessionReply(statement), stored: statement.int64(3))
    }
}

extension SQLiteLogStore {
    /// Checks every `kv` and `sessions` row of `database` (a backup written or restored): a
    /// backup holding a damaged row would carry the damage to every node restored from it.
    /// - Returns: how many rows were checked.
    @discardableResult
    static func verifyStateTables(_ database: SQLiteDatabase, path: String) throws(LogStoreError) -> Int {
        let damage = try run(path) { () throws(SQLiteError) -> (String?, Int) in
            var checked = 0
            let keys = try database.prepare("SELECT \(StoredKVRow.columns) FROM kv")
            while try keys.step() {
                checked += 1
                if let damage = StoredKVRow(keys).damage { return (damage, checked) }
            }
            let sessions = try database.prepare("SELECT \(sessionColumns) FROM sessions")
            while try sessions.step() {
                checked += 1
                if let damage = sessionDamage(sessions, client: ClientID(sessions.uint64(4))) { return (damage, checked) }
            }
            return (nil, checked)
        }
        if let reason = damage.0 { throw .corrupt(path: path, slot: nil, reason: reason) }
        return damage.1
    }
}
