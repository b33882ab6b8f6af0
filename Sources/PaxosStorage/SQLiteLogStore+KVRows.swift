import PaxosCore

/// The `kv` and `sessions` tables as `OperationExecutor` sees them, inside the apply
/// transaction of `SQLiteLogStore.apply`: the executor decides, this only reads and writes rows.
///
/// Rows are checked where they are read (`row`, `session`: a damaged row fails the apply as
/// corruption, changing nothing) and validated before they are written (`write`: a revision or
/// deadline SQLite cannot store is refused, never wrapped).
struct SQLiteKVRows: KVRowStore {
    let store: SQLiteLogStore
    /// The open transaction's clock (`SQLiteLogStore.stagedClock`).
    private(set) var clock: LeaderTime

    init(store: SQLiteLogStore) {
        self.store = store
        clock = store.stagedClock
    }

    func scanPage(from position: UInt64, count: Int) throws(LogStoreError) -> ScanPage {
        try store.scanPage(from: position, count: count, liveAt: clock)
    }

    func keyCount() throws(LogStoreError) -> UInt64 {
        try store.keyCount(liveAt: clock)
    }

    func row(_ key: Bytes) throws(LogStoreError) -> KVRow? {
        try store.row(key).flatMap { $0.isLive(at: clock) ? $0 : nil }
    }

    mutating func write(_ key: Bytes, _ row: KVRow) throws(LogStoreError) {
        let deadline = try Self.storable(row.deadline, key: key)
        if deadline != nil { store.mayHoldDeadlines = true }
        let statements = store.statements
        try store.sqlite { () throws(SQLiteError) in
            try statements.upsertKey.run { (statement) throws(SQLiteError) in
                try statement.bind(1, key)
                try statement.bind(2, row.value)
                try statement.bind(3, row.revision.slot.rawValue)
                try statement.bind(4, Int64(row.revision.position))
                if let deadline { try statement.bind(5, deadline) } else { try statement.bindNull(5) }
                try statement.bind(6, StateRowChecksum.kv(key: key, row: row))
                // Only a new row takes it (an update keeps the row's, which the same key gives).
                try statement.bind(7, Int64(ScanHash.of(key)))
            }
        }
    }

    mutating func remove(_ key: Bytes) throws(LogStoreError) -> Bool {
        let statements = store.statements
        let clock = clock
        return try store.sqlite { () throws(SQLiteError) -> Bool in
            let statement = statements.deleteKeyReturningDeadline
            statement.reset()
            defer { statement.reset() }
            try statement.bind(1, key)
            guard try statement.step() else { return false }
            // A negative stored deadline is damage; it reads as passed, so the row counts as gone.
            return statement.isNull(0) || statement.int64(0) > Int64(clamping: clock.rawValue)
        }
    }

    mutating func advanceClock(to time: LeaderTime) throws(LogStoreError) {
        precondition(time > clock, "clock \(clock) moved to \(time): it only rises")
        guard Int64(exactly: time.rawValue) != nil else {
            throw .invalidArgument("log clock \(time.rawValue) is beyond the largest storable time")
        }
        // Staged only: `SQLiteLogStore.apply` writes it to meta with the applied slot.
        clock = time
        store.stagedClock = time
    }

    func expiredKeys(through time: LeaderTime, limit: Int) throws(LogStoreError) -> [Bytes] {
        guard store.mayHoldDeadlines else { return [] }
        let statements = store.statements
        return try store.sqlite { () throws(SQLiteError) -> [Bytes] in
            let statement = statements.selectExpiredKeys
            statement.reset()
            defer { statement.reset() }
            try statement.bind(1, Int64(clamping: time.rawValue))
            try statement.bind(2, Int64(limit))
            var keys: [Bytes] = []
            while try statement.step() { keys.append(statement.blob(0)) }
            return keys
        }
    }

    func session(_ client: ClientID) throws(LogStoreError) -> ClientSession? {
        try store.readSession(client)
    }

    mutating func write(_ session: ClientSession, for client: ClientID) throws(LogStoreError) {
        let statements = store.statements
        let code = StoredResult.code(session.lastResult)
        let reply = StoredResult.reply(session.lastResult)
        try store.sqlite { () throws(SQLiteError) in
            try statements.upsertSession.run { (statement) throws(SQLiteError) in
                try statement.bind(1, client.rawValue)
                try statement.bind(2, session.lastSequence)
                try statement.bind(3, code)
                try statement.bind(4, session.slot.rawValue)
                try statement.bind(5, StateRowChecksum.session(client: client, sequence: session.lastSequence,
                                                               result: code, slot: session.slot, reply: reply))
                if let reply { try statement.bind(6, reply) } else { try statement.bindNull(6) }
            }
        }
    }

    mutating func pruneSessions(before slot: Slot) throws(LogStoreError) {
        let statements = store.statements
        try store.sqlite { () throws(SQLiteError) in
            try statements.pruneSessions.run { (statement) throws(SQLiteError) in try statement.bind(1, slot.rawValue) }
        }
    }

    /// `kv.expire_at` for a deadline: SQLite integers are signed, and a deadline stored negative
    /// would read back as damage.
    static func storable(_ deadline: LeaderTime?, key: Bytes) throws(LogStoreError) -> Int64? {
        guard let deadline else { return nil }
        guard let stored = Int64(exactly: deadline.rawValue) else {
            throw .invalidArgument("key \(BytesDisplay.quoted(key, limit: 64)): deadline \(deadline.rawValue) is beyond the largest storable one")
        }
        return stored
    }
}
