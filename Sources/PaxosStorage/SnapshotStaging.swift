import CSQLite
import Foundation
public import PaxosCore

/// Why a snapshot chunk was not staged.
public enum SnapshotStagingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The chunk is not the one expected, or its bytes are wrong: the transfer is over.
    case rejected(String)
    /// Writing the staging file failed.
    case storage(LogStoreError)

    public var description: String {
        switch self {
        case .rejected(let reason): "snapshot chunk rejected: \(reason)"
        case .storage(let error): "snapshot staging failed: \(error)"
        }
    }
}

/// Receives a snapshot from a peer, chunk by chunk, into a staging file beside the node's
/// database, where nothing reads it until it is complete and installed.
///
/// ## The staging file
/// `<database>.staging`, an SQLite file of its own:
/// ```
/// snapshot  one row: transfer INTEGER, slot INTEGER, complete INTEGER (1 once every chunk
///           arrived, the counts matched and the running checksum held)
/// kv        key BLOB PRIMARY KEY, value BLOB, slot INTEGER, checksum, position, expire_at
///           -- as in the database, the checksum computed here (`StateRowChecksum`)
/// sessions  client_id INTEGER PRIMARY KEY, last_sequence, last_result, slot, checksum, reply  -- likewise
/// memberships  from_slot INTEGER PRIMARY KEY, epoch, chosen_in_slot, membership, checksum
///           -- likewise, the checksum computed here
/// ```
/// It is not the node's durable state: it is written without fsync (`synchronous=OFF`), a new
/// transfer deletes it, and `SQLiteLogStore.open` deletes it, so a crash mid-transfer just means
/// the transfer starts over. `SQLiteLogStore.installSnapshot(slot:stagingPath:)` copies a
/// complete one into the database in one transaction.
///
/// A separate file rather than tables in the database keeps the transfer off the node's write
/// path: the chunks are written by their own connection on their own thread, not between the
/// group commits of the storage thread, and the file is deleted, not vacuumed, afterwards.
///
/// ## Checks
/// Each chunk must be the next of the current transfer, no larger than
/// `SnapshotStream.maxChunkBytes`, carry the running CRC-32C of the stream through its end, and
/// parse into whole records; the first starts with the header and the last leaves the row
/// counts equal to the header's. Each membership row must pass the check the node applies when
/// it loads one (`StoredMembershipRow.verified`), be chosen at or below the snapshot's slot and
/// come in increasing `from_slot` order. Any failure rejects the chunk and ends the transfer (the
/// staging file is deleted; the sender may start a new one).
///
/// - Invariant: not thread-safe; one thread (or serial queue) uses it at a time.
public final class SnapshotStaging {
    public let path: String
    private var database: SQLiteDatabase?
    private var statements: Inserts?
    /// The transfer being received, if any.
    public private(set) var transfer: UInt64?
    public private(set) var header: SnapshotHeader?
    public private(set) var isComplete = false
    private var nextIndex: UInt32 = 0
    private var running = CRC32C.start
    private var keysStaged: UInt64 = 0
    private var sessionsStaged: UInt64 = 0
    /// The memberships staged so far, in stream order (increasing `fromSlot`); once the snapshot
    /// is complete, every membership chosen through its slot, for `.snapshotReceived`.
    public private(set) var memberships: [ScheduledMembership] = []

    /// The staging file of the database at `databasePath`.
    public static func path(forDatabase databasePath: String) -> String { databasePath + ".staging" }

    /// - Parameter databasePath: the node's database; the staging file is created beside it.
    public init(databasePath: String) {
        path = Self.path(forDatabase: databasePath)
    }

    /// Starts receiving `transfer`, discarding whatever was staged before.
    public func begin(transfer: UInt64) throws(SnapshotStagingError) {
        discard()
        do {
            let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            self.database = database
            try database.execute("""
                PRAGMA journal_mode = MEMORY;
                PRAGMA synchronous = OFF;
                CREATE TABLE snapshot (singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    transfer INTEGER NOT NULL, slot INTEGER NOT NULL, complete INTEGER NOT NULL,
                    clock INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB NOT NULL, slot INTEGER NOT NULL,
                    checksum INTEGER NOT NULL, position INTEGER NOT NULL, expire_at INTEGER, scan_hash INTEGER NOT NULL);
                CREATE TABLE sessions (client_id INTEGER PRIMARY KEY, last_sequence INTEGER NOT NULL,
                    last_result INTEGER NOT NULL, slot INTEGER NOT NULL, checksum INTEGER NOT NULL, reply BLOB);
                """ + Schema.createMemberships)
            statements = try Inserts(database)
        } catch {
            discard()
            throw .storage(.sqlite(path: path, error))
        }
        self.transfer = transfer
    }

    /// Checks and stages one chunk of the current transfer, in one transaction.
    /// - Returns: true when this was the last chunk and the snapshot is complete (the staging
    ///   connection is then closed, ready for the install).
    /// - Throws: `rejected` or `storage`; either way the transfer is discarded.
    ///   A chunk of another transfer (one that was replaced) is rejected and changes nothing.
    public func append(transfer: UInt64, index: UInt32, data: [UInt8], last: Bool, crc: UInt32) throws(SnapshotStagingError) -> Bool {
        guard self.transfer == transfer, !isComplete else {
            throw .rejected("transfer \(transfer) is not the one being received (\(self.transfer.map { "\($0)" } ?? "none"))")
        }
        do {
            try check(index: index, data: data, crc: crc)
            let records = try parse(data, first: index == 0)
            try stage(records, last: last)
            nextIndex += 1
            if last {
                try finish()
                return true
            }
            return false
        } catch {
            discard()
            throw error
        }
    }

    /// Deletes the staging file and forgets the transfer.
    public func discard() {
        statements = nil
        database?.close()
        database = nil
        Self.removeFiles(at: path)
        transfer = nil
        header = nil
        isComplete = false
        nextIndex = 0
        running = CRC32C.start
        keysStaged = 0
        sessionsStaged = 0
        memberships = []
    }

    /// Deletes a staging file and its journals, if present. Failing to delete is not an error
    /// here: a later `begin` or open tries again, and `begin` starts from a fresh file anyway.
    static func removeFiles(at path: String) {
        for file in [path, path + "-journal", path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            do { try FileManager.default.removeItem(atPath: file) } catch {}
        }
    }

    private func check(index: UInt32, data: [UInt8], crc: UInt32) throws(SnapshotStagingError) {
        guard index == nextIndex else { throw .rejected("chunk \(index) arrived, chunk \(nextIndex) was expected") }
        guard data.count <= SnapshotStream.maxChunkBytes else {
            throw .rejected("chunk \(index) is \(data.count) bytes, above the limit of \(SnapshotStream.maxChunkBytes)")
        }
        let updated = CRC32C.update(running, with: data)
        guard CRC32C.finish(updated) == crc else {
            throw .rejected("chunk \(index) fails its checksum: the stream through it checksums to "
                + "\(hex(CRC32C.finish(updated))), the chunk says \(hex(crc))")
        }
        running = updated
    }

    /// Decodes whole records; the header must open the first chunk and appear nowhere else.
    private func parse(_ data: [UInt8], first: Bool) throws(SnapshotStagingError) -> [SnapshotRecord] {
        var reader = ByteReader(data)
        var records: [SnapshotRecord] = []
        do throws(DecodingError) {
            // The header, which opens chunk 0, says how the rest of the stream reads.
            while !reader.isAtEnd {
                let record = try SnapshotRecord.decode(from: &reader, format: header?.format ?? SnapshotStream.formatVersion)
                if case .header(let header) = record, first, records.isEmpty { self.header = header }
                records.append(record)
            }
        } catch {
            throw .rejected("chunk \(nextIndex) does not parse: \(error)")
        }
        for (position, record) in records.enumerated() {
            switch record {
            case .header(let header):
                guard first, position == 0 else { throw .rejected("a header inside the stream (chunk \(nextIndex))") }
                self.header = header
            case .key(_, let row):
                try checkRow(slot: row.revision.slot)
            case .session(let client, _, let result, let slot, let reply):
                try checkRow(slot: slot)
                guard StoredResult.result(result, reply: reply) != nil else {
                    throw .rejected("client \(client)'s session has unknown result code \(result)")
                }
            case .membership(let fromSlot, let chosenInSlot, let membership):
                try checkMembership(fromSlot: fromSlot, chosenInSlot: chosenInSlot, membership: membership)
            }
        }
        if first && header == nil { throw .rejected("the stream does not start with its header") }
        return records
    }

    private func checkRow(slot: Slot) throws(SnapshotStagingError) {
        guard let header else { throw .rejected("the stream does not start with its header") }
        guard slot > .zero, slot <= header.slot else {
            throw .rejected("a row written at slot \(slot), outside the snapshot's slots 1…\(header.slot)")
        }
    }

    /// A membership row must be one the node would load: intact, chosen at or below the
    /// snapshot's slot, after the one before it.
    private func checkMembership(fromSlot: Slot, chosenInSlot: Slot, membership: Bytes) throws(SnapshotStagingError) {
        guard let header else { throw .rejected("the stream does not start with its header") }
        let row = StoredMembershipRow(fromSlot: fromSlot, chosenInSlot: chosenInSlot, membership: membership)
        let scheduled: ScheduledMembership
        do { scheduled = try row.verified() } catch { throw .rejected(error.reason) }
        guard chosenInSlot <= header.slot else {
            throw .rejected("membership from slot \(fromSlot) was chosen in slot \(chosenInSlot), above the snapshot's slot \(header.slot)")
        }
        if let last = memberships.last, last.fromSlot >= fromSlot {
            throw .rejected("membership from slot \(fromSlot) follows the one from slot \(last.fromSlot): not in slot order")
        }
        memberships.append(scheduled)
    }

    private func stage(_ records: [SnapshotRecord], last: Bool) throws(SnapshotStagingError) {
        guard let database, let statements else { throw .rejected("no transfer is being received") }
        do throws(SQLiteError) {
            try database.execute("BEGIN")
            do throws(SQLiteError) {
                try insert(records, statements)
                try database.execute("COMMIT")
            } catch {
                do { try database.execute("ROLLBACK") } catch {}
                throw error
            }
        } catch {
            if error.code & 0xFF == SQLITE_CONSTRAINT {
                // The same key, client or membership twice: a sender never does that.
                throw .rejected("a key, client or membership appears twice in the stream: \(error.message)")
            }
            throw .storage(.sqlite(path: path, error))
        }
    }

    private func insert(_ records: [SnapshotRecord], _ statements: Inserts) throws(SQLiteError) {
        for record in records {
            switch record {
            case .header(let header):
                try statements.header.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, transfer ?? 0)
                    try statement.bind(2, header.slot.rawValue)
                    try statement.bind(3, header.clock.rawValue)
                }
            case .key(let key, let row):
                try statements.key.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, key)
                    try statement.bind(2, row.value)
                    try statement.bind(3, row.revision.slot.rawValue)
                    try statement.bind(4, StateRowChecksum.kv(key: key, row: row))
                    try statement.bind(5, Int64(row.revision.position))
                    // The decoder refused deadlines SQLite cannot store.
                    if let deadline = row.deadline { try statement.bind(6, deadline.rawValue) } else { try statement.bindNull(6) }
                    // Computed here rather than sent: it is a function of the key.
                    try statement.bind(7, Int64(ScanHash.of(key)))
                }
                keysStaged += 1
            case .session(let client, let sequence, let result, let slot, let reply):
                try statements.session.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, client.rawValue)
                    try statement.bind(2, sequence)
                    try statement.bind(3, result)
                    try statement.bind(4, slot.rawValue)
                    try statement.bind(5, StateRowChecksum.session(client: client, sequence: sequence, result: result,
                                                                   slot: slot, reply: reply))
                    if let reply { try statement.bind(6, reply) } else { try statement.bindNull(6) }
                }
                sessionsStaged += 1
            case .membership(let fromSlot, let chosenInSlot, let membership):
                let row = StoredMembershipRow(fromSlot: fromSlot, chosenInSlot: chosenInSlot, membership: membership)
                try statements.membership.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, row.fromSlot.rawValue)
                    try statement.bind(2, row.epoch)
                    try statement.bind(3, row.chosenInSlot.rawValue)
                    try statement.bind(4, row.membership)
                    try statement.bind(5, row.checksum)
                }
            }
        }
    }

    /// The last chunk arrived: the counts must match the header; then the file is marked
    /// complete and closed.
    private func finish() throws(SnapshotStagingError) {
        guard let header, let database else { throw .rejected("the stream ended before its header") }
        guard keysStaged == header.keyCount, sessionsStaged == header.sessionCount,
              UInt64(memberships.count) == header.membershipCount else {
            throw .rejected("the stream ended with \(keysStaged) keys, \(sessionsStaged) sessions and \(memberships.count) memberships, "
                + "its header announced \(header.keyCount), \(header.sessionCount) and \(header.membershipCount)")
        }
        do {
            try database.execute("UPDATE snapshot SET complete = 1")
        } catch {
            throw .storage(.sqlite(path: path, error))
        }
        statements = nil
        database.close()
        self.database = nil
        isComplete = true
    }

    /// The staging file's prepared inserts.
    private struct Inserts {
        let header: SQLiteStatement
        let key: SQLiteStatement
        let session: SQLiteStatement
        let membership: SQLiteStatement

        init(_ database: SQLiteDatabase) throws(SQLiteError) {
            header = try database.prepare("INSERT INTO snapshot (singleton, transfer, slot, complete, clock) VALUES (1, ?, ?, 0, ?)")
            key = try database.prepare("INSERT INTO kv (key, value, slot, checksum, position, expire_at, scan_hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
            session = try database.prepare(
                "INSERT INTO sessions (client_id, last_sequence, last_result, slot, checksum, reply) VALUES (?, ?, ?, ?, ?, ?)")
            membership = try database.prepare(
                "INSERT INTO memberships (from_slot, epoch, chosen_in_slot, membership, checksum) VALUES (?, ?, ?, ?, ?)")
        }
    }

    private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16, uppercase: true) }
}
