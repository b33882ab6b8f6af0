public import PaxosCore

/// The read path: rebuilding a replica at start-up, serving reads, and checking integrity.
extension SQLiteLogStore {
    /// Everything the core may be rebuilt from: the promise, the memberships chosen through the
    /// applied slot (and the genesis ones), the snapshot slot, every log row
    /// above the applied slot and every chosen row above the snapshot slot (a replica serves
    /// chosen commands to peers catching up), and the applied slot. Rows at or below the
    /// snapshot slot that a compaction has not deleted yet are left out. Every row's checksum
    /// is verified; a bad row stops the load, and so does a ballot or slot beyond the bounds the
    /// core works in (`DurableState.validate()`), which no replica writes.
    public func loadDurableState() throws(LogStoreError) -> DurableState {
        let state = try loadStoredState()
        do { try state.validate() } catch { throw .corrupt(path: path, slot: nil, reason: "\(error)") }
        return state
    }

    /// What `loadDurableState()` loads, without the core's range check: the format stores any
    /// 64-bit ballot round and any slot SQLite can order, and tests check that it does.
    package func loadStoredState() throws(LogStoreError) -> DurableState {
        var entries: [LogEntry] = []
        try forEachEntry(above: appliedThrough, compactedThrough: snapshotSlot) { (entry) throws(LogStoreError) in
            entries.append(entry)
        }
        return DurableState(promised: promised, entries: entries, appliedThrough: appliedThrough,
                            snapshotThrough: snapshotSlot, memberships: try memberships())
    }

    /// Calls `body` with each row above `slot` and each chosen row, in slot order, verified;
    /// rows at or below `compactedThrough` are skipped.
    func forEachEntry(above slot: Slot, compactedThrough: Slot = .zero,
                      _ body: (LogEntry) throws(LogStoreError) -> Void) throws(LogStoreError) {
        let statement = statements.selectEntriesFrom
        statement.reset()
        defer { statement.reset() }
        try sqlite { () throws(SQLiteError) in
            try statement.bind(1, slot.rawValue)
            try statement.bind(2, compactedThrough.rawValue)
        }
        while try sqlite({ () throws(SQLiteError) in try statement.step() }) {
            try body(try decodeRow(statement))
        }
    }

    /// The stored row for one slot, verified, or nil.
    public func entry(at slot: Slot) throws(LogStoreError) -> LogEntry? {
        let statement = statements.selectEntry
        statement.reset()
        defer { statement.reset() }
        try sqlite { () throws(SQLiteError) in try statement.bind(1, slot.rawValue) }
        guard try sqlite({ () throws(SQLiteError) in try statement.step() }) else { return nil }
        return try decodeRow(statement)
    }

    /// Decodes and verifies the current row of a `SELECT slot, ballot_round, ballot_replica,
    /// chosen, command, checksum` statement.
    func decodeRow(_ statement: SQLiteStatement) throws(LogStoreError) -> LogEntry {
        let row = StoredLogRow(statement)
        do { return try row.verified() } catch { throw .corrupt(path: path, slot: row.slot, reason: error.reason) }
    }

    /// The applied value of `key`, or nil when absent.
    /// - Throws: `.corrupt` naming the table and key when the row fails its checksum: a damaged
    ///   value is never returned.
    public func get(key: Bytes) throws(LogStoreError) -> Bytes? {
        try liveRow(key)?.value
    }

    /// The applied row of `key` as clients see it: nil when absent or when its deadline is at
    /// or below the log clock (an expired row stays in `kv` until a sweep removes it).
    public func liveRow(_ key: Bytes) throws(LogStoreError) -> KVRow? {
        try row(key).flatMap { $0.isLive(at: logClock) ? $0 : nil }
    }

    /// The earliest deadline in `kv`, passed or not (one probe of `kv_expiry`); nil if none.
    /// The shell proposes a clock slot once its wall clock passes it (background expiry).
    public func nextDeadline() throws(LogStoreError) -> LeaderTime? {
        guard mayHoldDeadlines else { return nil }
        let deadline = try sqlite { () throws(SQLiteError) -> LeaderTime? in
            let statement = statements.selectNextDeadline
            statement.reset()
            defer { statement.reset() }
            guard try statement.step(), !statement.isNull(0) else { return nil }
            return LeaderTime(rawValue: UInt64(clamping: max(statement.int64(0), 0)))
        }
        if deadline == nil { mayHoldDeadlines = false }
        return deadline
    }

    /// The applied row of `key` (value, revision, deadline), verified, or nil when absent,
    /// expired or not.
    public func row(_ key: Bytes) throws(LogStoreError) -> KVRow? {
        let stored = try sqlite { () throws(SQLiteError) -> StoredKVRow? in
            let statement = statements.selectKey
            statement.reset()
            defer { statement.reset() }
            try statement.bind(1, key)
            guard try statement.step() else { return nil }
            return StoredKVRow(statement)
        }
        guard let stored else { return nil }
        return try verified(stored)
    }

    func readSession(_ client: ClientID) throws(LogStoreError) -> ClientSession? {
        let row = try sqlite { () throws(SQLiteError) -> (UInt64, Int64, UInt64, [UInt8]?, String?)? in
            let statement = statements.selectSession
            statement.reset()
            defer { statement.reset() }
            try statement.bind(1, client.rawValue)
            guard try statement.step() else { return nil }
            return (statement.uint64(0), statement.int64(1), statement.uint64(2), Self.sessionReply(statement),
                    Self.sessionDamage(statement, client: client))
        }
        guard let (sequence, code, slot, reply, damage) = row else { return nil }
        if let damage { throw .corrupt(path: path, slot: nil, reason: damage) }
        guard let result = StoredResult.result(code, reply: reply) else {
            throw .corrupt(path: path, slot: nil, reason: "session of client \(client) has unknown result code \(code) or a reply that does not decode")
        }
        return ClientSession(lastSequence: sequence, lastResult: result, slot: Slot(slot))
    }

    /// The whole applied table, sorted by key, every row verified. For tests and tools; not for
    /// the hot path.
    public func keyValueTable() throws(LogStoreError) -> [(key: Bytes, value: Bytes, slot: Slot)] {
        try keyValueRows().map { ($0.key, $0.row.value, $0.row.revision.slot) }
    }

    /// The whole applied table with revisions and deadlines, sorted by key, every row verified.
    /// For tests and tools; not for the hot path.
    public func keyValueRows() throws(LogStoreError) -> [(key: Bytes, row: KVRow)] {
        let stored = try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare("SELECT \(StoredKVRow.columns) FROM kv ORDER BY key")
            var rows: [StoredKVRow] = []
            while try statement.step() { rows.append(StoredKVRow(statement)) }
            return rows
        }
        var rows: [(key: Bytes, row: KVRow)] = []
        rows.reserveCapacity(stored.count)
        for row in stored { rows.append((row.key, try verified(row))) }
        return rows
    }

    /// Every session row, sorted by client id, every row verified. For tests and tools; not for
    /// the hot path.
    public func sessionTable() throws(LogStoreError) -> [(client: ClientID, lastSequence: UInt64, resultCode: Int64, slot: Slot, reply: [UInt8]?)] {
        let rows = try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare("SELECT \(Self.sessionColumns) FROM sessions ORDER BY client_id")
            var rows: [(client: ClientID, lastSequence: UInt64, resultCode: Int64, slot: Slot, reply: [UInt8]?, damage: String?)] = []
            while try statement.step() {
                let client = ClientID(statement.uint64(4))
                rows.append((client, statement.uint64(0), statement.int64(1), Slot(statement.uint64(2)),
                             Self.sessionReply(statement), Self.sessionDamage(statement, client: client)))
            }
            return rows
        }
        if let damage = rows.lazy.compactMap(\.damage).first { throw .corrupt(path: path, slot: nil, reason: damage) }
        return rows.map { ($0.client, $0.lastSequence, $0.resultCode, $0.slot, $0.reply) }
    }

    /// How many log rows are stored (including any at or below the snapshot slot that a
    /// compaction has not reached yet). For tests and tools.
    public func logRowCount() throws(LogStoreError) -> Int {
        try sqlite { () throws(SQLiteError) in Int(try database.scalarInt("SELECT count(*) FROM log") ?? 0) }
    }

    /// Checks every log row (checksum, decodable command), every membership row (as
    /// `memberships()` does) and the meta invariants.
    /// - Returns: the number of log rows checked.
    @discardableResult
    public func verifyLog() throws(LogStoreError) -> Int {
        var count = 0
        try forEachEntry(above: .zero) { (_) throws(LogStoreError) in count += 1 }
        _ = try memberships()
        let meta = try SchemaSetup(database: database, path: path).readMeta()
        var slot = meta.snapshotSlot.next
        while slot <= meta.chosenThrough {
            guard let entry = try entry(at: slot), entry.chosen else {
                throw .corrupt(path: path, slot: slot, reason: "slot is at or below the chosen frontier \(meta.chosenThrough) but is not stored as chosen")
            }
            slot = slot.next
        }
        return count
    }
}
