import PaxosCore

/// One chunk of an exported snapshot, ready to send.
public struct ExportedChunk: Hashable, Sendable {
    /// 0, 1, 2, … in stream order.
    public var index: UInt32
    /// Whole records of `SnapshotStream`.
    public var data: [UInt8]
    /// True on the final chunk.
    public var last: Bool
    /// CRC-32C of the stream from its first byte through the last byte of `data`.
    public var crc: UInt32
}

/// Reads a node's applied state as a `SnapshotStream`, chunk by chunk, from one consistent
/// point in time.
///
/// The exporter has its own connection to the node's database and holds one read transaction
/// open from `open` to `close`: in WAL mode that reader sees the last commit before it began
/// while the node's storage thread goes on writing, so the applied slot, the memberships, the kv
/// rows and the sessions it streams belong together however long the transfer takes. The cost is that the
/// WAL cannot be checkpointed past that point until `close`, so the WAL grows by what the node
/// writes during the transfer; callers bound a transfer's duration (a stalled peer is dropped).
///
/// - Invariant: not thread-safe; one thread (or serial queue) uses an exporter at a time.
public final class SnapshotExporter {
    /// What the stream's header says: the applied slot and the row counts.
    public let header: SnapshotHeader
    private let database: SQLiteDatabase
    private let keys: SQLiteStatement
    private let sessions: SQLiteStatement
    private let memberships: SQLiteStatement
    private let chunkBytesTarget: Int
    private var phase = Phase.memberships
    /// A record read from a cursor that did not fit the previous chunk.
    private var pending: [UInt8]?
    private var nextIndex: UInt32 = 0
    private var running = CRC32C.start

    private enum Phase { case memberships, keys, sessions, done }

    private init(header: SnapshotHeader, database: SQLiteDatabase, keys: SQLiteStatement,
                 sessions: SQLiteStatement, memberships: SQLiteStatement, chunkBytesTarget: Int) {
        self.header = header
        self.database = database
        self.keys = keys
        self.sessions = sessions
        self.memberships = memberships
        self.chunkBytesTarget = chunkBytesTarget
    }

    /// Opens a read transaction on the database at `path` (a live node's is fine) and reads
    /// the header.
    public static func open(databasePath path: String,
                            chunkBytesTarget: Int = SnapshotStream.chunkBytesTarget) throws(LogStoreError) -> SnapshotExporter {
        guard chunkBytesTarget > 0 else { throw .invalidArgument("chunk size must be positive, got \(chunkBytesTarget)") }
        let database: SQLiteDatabase
        do { database = try SQLiteDatabase(path: path, mode: .readWrite) } catch { throw .sqlite(path: path, error) }
        do {
            try SchemaSetup(database: database, path: path).identify()
            let header = try sqlite(path) { () throws(SQLiteError) -> SnapshotHeader in
                try database.execute("BEGIN DEFERRED")
                guard let meta = try StoredMeta.select(from: database) else {
                    throw SQLiteError(code: 1, message: "the meta row is missing", sql: "SELECT … FROM meta")
                }
                return SnapshotHeader(
                    slot: meta.appliedThrough,
                    keyCount: UInt64(try database.scalarInt("SELECT count(*) FROM kv") ?? 0),
                    sessionCount: UInt64(try database.scalarInt("SELECT count(*) FROM sessions") ?? 0),
                    membershipCount: UInt64(try database.scalarInt("SELECT count(*) FROM memberships") ?? 0),
                    clock: meta.logClock)
            }
            let (keys, sessions, memberships) = try sqlite(path) { () throws(SQLiteError) in
                (try database.prepare("SELECT \(StoredKVRow.columns) FROM kv"),
                 try database.prepare("SELECT \(SQLiteLogStore.sessionColumns) FROM sessions"),
                 try database.prepare("SELECT \(StoredMembershipRow.columns) FROM memberships ORDER BY from_slot"))
            }
            return SnapshotExporter(header: header, database: database, keys: keys, sessions: sessions,
                                    memberships: memberships, chunkBytesTarget: chunkBytesTarget)
        } catch {
            database.close()
            throw error
        }
    }

    /// The next chunk, or nil once the last one was returned.
    public func nextChunk() throws(LogStoreError) -> ExportedChunk? {
        guard phase != .done || pending != nil || nextIndex == 0 else { return nil }
        var writer = ByteWriter(capacity: chunkBytesTarget + 1024)
        if nextIndex == 0 { SnapshotRecord.header(header).encode(into: &writer) }
        while writer.bytes.count < chunkBytesTarget {
            guard let record = try nextRecord() else { break }
            if !writer.bytes.isEmpty && writer.bytes.count + record.count > chunkBytesTarget {
                pending = record
                break
            }
            writer.writeRaw(record)
        }
        running = CRC32C.update(running, with: writer.bytes)
        defer { nextIndex += 1 }
        return ExportedChunk(index: nextIndex, data: writer.bytes, last: phase == .done && pending == nil,
                             crc: CRC32C.finish(running))
    }

    /// Ends the read transaction and closes the connection. Nothing may be called afterwards.
    public func close() {
        database.close()
    }

    /// The next encoded record, or nil when every table is done.
    private func nextRecord() throws(LogStoreError) -> [UInt8]? {
        if let record = pending {
            pending = nil
            return record
        }
        while true {
            switch phase {
            case .done:
                return nil
            case .memberships:
                guard try step(memberships) else { phase = .keys; continue }
                let row = StoredMembershipRow(memberships)
                // Sending a row that fails its check would only move the damage.
                do { _ = try row.verified() } catch {
                    throw .corrupt(path: database.path, slot: row.chosenInSlot, reason: error.reason)
                }
                return encoded(.membership(fromSlot: row.fromSlot, chosenInSlot: row.chosenInSlot, membership: row.membership))
            case .keys:
                guard try step(keys) else { phase = .sessions; continue }
                let stored = StoredKVRow(keys)
                // Sending a row that fails its check would spread the damage to the receiver.
                do { return encoded(.key(key: stored.key, row: try stored.verified())) } catch {
                    throw .corrupt(path: database.path, slot: nil, reason: error.reason)
                }
            case .sessions:
                guard try step(sessions) else { phase = .done; continue }
                let client = ClientID(sessions.uint64(4))
                let result = sessions.int64(1)
                if let damage = SQLiteLogStore.sessionDamage(sessions, client: client) {
                    throw .corrupt(path: database.path, slot: nil, reason: damage)
                }
                // Sending a code the receiver cannot store would only move the damage.
                let reply = SQLiteLogStore.sessionReply(sessions)
                guard StoredResult.result(result, reply: reply) != nil else {
                    throw .corrupt(path: database.path, slot: nil, reason: "session of client \(client) has unknown result code \(result)")
                }
                return encoded(.session(client: client, sequence: sessions.uint64(0), result: result,
                                        slot: Slot(sessions.uint64(2)), reply: reply))
            }
        }
    }

    private func step(_ statement: SQLiteStatement) throws(LogStoreError) -> Bool {
        try Self.sqlite(database.path) { () throws(SQLiteError) in try statement.step() }
    }

    private func encoded(_ record: SnapshotRecord) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        record.encode(into: &writer)
        return writer.bytes
    }

    private static func sqlite<T>(_ path: String, _ body: () throws(SQLiteError) -> T) throws(LogStoreError) -> T {
        do { return try body() } catch { throw .sqlite(path: path, error) }
    }
}
