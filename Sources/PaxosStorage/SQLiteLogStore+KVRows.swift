import PaxosCore

/// The `kv` and `sessions` tables as `OperationExecutor` sees them, inside the apply
/// transaction of `SQLiteLogStore.apply`: the executor decides, this only reads and writes rows.
///
/// Rows are checked where they are read (`row`, `session`: a damaged row fails the apply as
/// corruption, changing nothing) and validated before they are written (`write`: what the
/// tables cannot store is refused, never dropped).
struct SQLiteKVRows: KVRowStore {
    let store: SQLiteLogStore

    func row(_ key: Bytes) throws(LogStoreError) -> KVRow? {
        try store.row(key)
    }

    mutating func write(_ key: Bytes, _ row: KVRow) throws(LogStoreError) {
        // Schema 3 stores the slot of a row's revision and nothing else; every write so far has
        // position 0 and no deadline (`OperationExecutor.position(ofRequest:in:)`).
        guard row.revision.position == 0, row.deadline == nil else {
            throw .invalidArgument("key \(BytesDisplay.quoted(key, limit: 64)): schema version 3 stores neither "
                + "position \(row.revision.position) nor a deadline")
        }
        let statements = store.statements
        let slot = row.revision.slot
        try store.sqlite { () throws(SQLiteError) in
            try statements.upsertKey.run { (statement) throws(SQLiteError) in
                try statement.bind(1, key)
                try statement.bind(2, row.value)
                try statement.bind(3, slot.rawValue)
                try statement.bind(4, StateRowChecksum.kv(key: key, value: row.value, slot: slot))
            }
        }
    }

    mutating func remove(_ key: Bytes) throws(LogStoreError) -> Bool {
        let statements = store.statements
        return try store.sqlite { () throws(SQLiteError) -> Bool in
            try statements.deleteKey.run { (statement) throws(SQLiteError) in try statement.bind(1, key) }
            return statements.deleteKey.changes > 0
        }
    }

    func session(_ client: ClientID) throws(LogStoreError) -> ClientSession? {
        try store.readSession(client)
    }

    mutating func write(_ session: ClientSession, for client: ClientID) throws(LogStoreError) {
        let statements = store.statements
        let code = StoredResult.code(session.lastResult)
        try store.sqlite { () throws(SQLiteError) in
            try statements.upsertSession.run { (statement) throws(SQLiteError) in
                try statement.bind(1, client.rawValue)
                try statement.bind(2, session.lastSequence)
                try statement.bind(3, code)
                try statement.bind(4, session.slot.rawValue)
                try statement.bind(5, StateRowChecksum.session(client: client, sequence: session.lastSequence,
                                                               result: code, slot: session.slot))
            }
        }
    }

    mutating func pruneSessions(before slot: Slot) throws(LogStoreError) {
        let statements = store.statements
        try store.sqlite { () throws(SQLiteError) in
            try statements.pruneSessions.run { (statement) throws(SQLiteError) in try statement.bind(1, slot.rawValue) }
        }
    }
}
