// Damage to copies of databases, made through a separate writable SQLite connection, as a disk
// error, a stray tool or a buggy release would make it: nothing here goes through the store's
// own checks.

import PaxosCore
@testable import PaxosStorage

struct Surgeon {
    private let database: SQLiteDatabase

    /// Opens `path` (a copy: never a database a test still reads as the original) for writing.
    init(_ path: String) throws {
        database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
    }

    /// Runs `body`, then closes the connection, which checkpoints the WAL into the file.
    static func operate(on path: String, _ body: (Surgeon) throws -> Void) throws {
        let surgeon = try Surgeon(path)
        defer { surgeon.database.close() }
        try body(surgeon)
    }

    func execute(_ sql: String) throws {
        try database.execute(sql)
    }

    /// Runs `sql`, then recomputes the checksum of every `kv` and `sessions` row: damage in
    /// meaning, as a bug would leave it, not in bytes (those the checksums catch).
    func executeResealed(_ sql: String) throws {
        try database.execute(sql)
        let keys = try database.prepare("SELECT key, value, slot, position, expire_at FROM kv")
        var keyRows: [(Bytes, Int64)] = []
        while try keys.step() {
            let revision = Revision(slot: Slot(keys.uint64(2)), position: UInt16(keys.int64(3)))
            let deadline = keys.isNull(4) ? nil : LeaderTime(rawValue: keys.uint64(4))
            keyRows.append((keys.blob(0), StateRowChecksum.kv(key: keys.blob(0),
                                                              row: KVRow(value: keys.blob(1), revision: revision, deadline: deadline))))
        }
        keys.reset()
        for (key, checksum) in keyRows {
            let update = try database.prepare("UPDATE kv SET checksum = ? WHERE key = ?")
            try update.run { (statement) throws(SQLiteError) in
                try statement.bind(1, checksum)
                try statement.bind(2, key)
            }
        }
        let sessions = try database.prepare("SELECT client_id, last_sequence, last_result, slot FROM sessions")
        var sessionRows: [(UInt64, Int64)] = []
        while try sessions.step() {
            sessionRows.append((sessions.uint64(0), StateRowChecksum.session(
                client: ClientID(sessions.uint64(0)), sequence: sessions.uint64(1), result: sessions.int64(2), slot: Slot(sessions.uint64(3)))))
        }
        sessions.reset()
        for (client, checksum) in sessionRows {
            let update = try database.prepare("UPDATE sessions SET checksum = ? WHERE client_id = ?")
            try update.run { (statement) throws(SQLiteError) in
                try statement.bind(1, checksum)
                try statement.bind(2, client)
            }
        }
    }

    /// Writes (or replaces) the `memberships` row from `fromSlot` with a correct checksum: damage
    /// in meaning, as a bug would leave it, not in bytes.
    func setMembership(_ membership: Membership, fromSlot: UInt64, chosenInSlot: UInt64) throws {
        let row = StoredMembershipRow(ScheduledMembership(fromSlot: Slot(fromSlot), membership: membership), chosenInSlot: Slot(chosenInSlot))
        let statement = try database.prepare("INSERT OR REPLACE INTO memberships (\(StoredMembershipRow.columns)) VALUES (?, ?, ?, ?, ?)")
        try statement.run { (statement) throws(SQLiteError) in
            try statement.bind(1, row.fromSlot.rawValue)
            try statement.bind(2, row.epoch)
            try statement.bind(3, row.chosenInSlot.rawValue)
            try statement.bind(4, row.membership)
            try statement.bind(5, row.checksum)
        }
    }

    /// The command blob stored for `slot`.
    func command(at slot: UInt64) throws -> Bytes {
        let statement = try database.prepare("SELECT command FROM log WHERE slot = ?")
        try statement.bind(1, slot)
        guard try statement.step() else { throw SQLiteError(code: 1, message: "no row for slot \(slot)", sql: statement.sql) }
        return statement.blob(0)
    }

    /// Stores `bytes` as the command of `slot`. With `resealed`, the checksum is recomputed, so
    /// the row is damaged in meaning but not in its bytes (a bug, not a bit flip).
    func setCommand(_ bytes: Bytes, at slot: UInt64, resealed: Bool) throws {
        let statement = try database.prepare(resealed
            ? "UPDATE log SET command = ?2, checksum = ?3 WHERE slot = ?1"
            : "UPDATE log SET command = ?2 WHERE slot = ?1")
        try statement.run { (statement) throws(SQLiteError) in
            try statement.bind(1, slot)
            try statement.bind(2, bytes)
            if resealed {
                let ballot = try ballot(at: slot)
                try statement.bind(3, Int64(LogRowChecksum.compute(slot: Slot(slot), ballot: ballot, command: bytes)))
            }
        }
    }

    /// Flips one byte of `slot`'s command, at `offset` from its end (the end holds the last
    /// value, so the row still parses as far as SQLite is concerned).
    func flipCommandByte(at slot: UInt64, fromEnd offset: Int = 1) throws {
        var bytes = try command(at: slot)
        bytes[bytes.count - offset] ^= 0x5A
        try setCommand(bytes, at: slot, resealed: false)
    }

    private func ballot(at slot: UInt64) throws(SQLiteError) -> Ballot {
        let statement = try database.prepare("SELECT ballot_round, ballot_replica FROM log WHERE slot = ?")
        try statement.bind(1, slot)
        guard try statement.step() else { throw SQLiteError(code: 1, message: "no row for slot \(slot)", sql: statement.sql) }
        return Ballot(round: statement.uint64(0), replica: ReplicaID(UInt32(truncatingIfNeeded: statement.int64(1))))
    }
}
