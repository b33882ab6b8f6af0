package import PaxosCore

/// Reading the tables. Every query runs inside the reader's one read transaction.
extension InspectionReader {
    /// The lowest and highest stored slot and how many rows there are.
    package func logBounds() throws(InspectionError) -> LogBounds {
        try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare("SELECT min(slot), max(slot), count(*), total(chosen = 1) FROM log")
            guard try statement.step() else { return LogBounds(firstSlot: nil, lastSlot: nil, rowCount: 0, chosenRowCount: 0) }
            return LogBounds(
                firstSlot: statement.isNull(0) ? nil : Slot(statement.uint64(0)),
                lastSlot: statement.isNull(1) ? nil : Slot(statement.uint64(1)),
                rowCount: Int(statement.int64(2)), chosenRowCount: Int(statement.int64(3)))
        }
    }

    /// A cursor over the rows with `from ≤ slot ≤ through` that pass `filter`, in slot order.
    package func logRows(from: Slot = .zero, through: Slot = Slot(UInt64(Int64.max)),
                         filter: LogFilter = .all) throws(InspectionError) -> InspectionLogCursor {
        let condition = switch filter {
        case .all: ""
        case .chosen: " AND chosen = 1"
        case .acceptedOnly: " AND chosen <> 1"
        }
        let statement = try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare("""
                SELECT \(StoredLogRow.columns) FROM log WHERE slot >= ? AND slot <= ?\(condition) ORDER BY slot
                """)
            // Slots are stored as signed 64-bit patterns; no real slot comes near 2^63.
            try statement.bind(1, Int64(clamping: from.rawValue))
            try statement.bind(2, Int64(clamping: through.rawValue))
            return statement
        }
        return InspectionLogCursor(reader: self, statement: statement)
    }

    /// The applied table in key order, or only the keys starting with `prefix`.
    package func keyValueRows(prefix: Bytes = []) throws(InspectionError) -> [InspectedKey] {
        try sqlite { () throws(SQLiteError) in
            let statement: SQLiteStatement
            let columns = StoredKVRow.columns
            if prefix.isEmpty {
                statement = try database.prepare("SELECT \(columns) FROM kv ORDER BY key")
            } else if let upper = Self.prefixUpperBound(prefix) {
                statement = try database.prepare("SELECT \(columns) FROM kv WHERE key >= ? AND key < ? ORDER BY key")
                try statement.bind(1, prefix)
                try statement.bind(2, upper)
            } else {
                statement = try database.prepare("SELECT \(columns) FROM kv WHERE key >= ? ORDER BY key")
                try statement.bind(1, prefix)
            }
            var rows: [InspectedKey] = []
            while try statement.step() { rows.append(InspectedKey(StoredKVRow(statement))) }
            // The range is exact for BLOB keys (memcmp order); the filter also drops any key a
            // foreign writer stored as TEXT, which SQLite orders apart from blobs.
            return prefix.isEmpty ? rows : rows.filter { $0.key.starts(with: prefix) }
        }
    }

    /// The smallest byte string above every string that starts with `prefix`, or nil if there
    /// is none (the prefix is all 0xFF).
    static func prefixUpperBound(_ prefix: Bytes) -> Bytes? {
        var upper = prefix
        while let last = upper.last {
            if last < 0xFF {
                upper[upper.count - 1] = last + 1
                return upper
            }
            upper.removeLast()
        }
        return nil
    }

    /// Every client session, by client id.
    package func sessionRows() throws(InspectionError) -> [InspectedSession] {
        try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare("SELECT \(SQLiteLogStore.sessionColumns) FROM sessions ORDER BY client_id")
            var rows: [InspectedSession] = []
            while try statement.step() {
                let client = ClientID(statement.uint64(4))
                rows.append(InspectedSession(client: client, lastSequence: statement.uint64(0),
                                             resultCode: statement.int64(1), reply: SQLiteLogStore.sessionReply(statement),
                                             slot: Slot(statement.uint64(2)),
                                             problem: SQLiteLogStore.sessionDamage(statement, client: client)))
            }
            return rows
        }
    }

    /// Every `memberships` row, by the slot it governs from, each verified.
    package func membershipRows() throws(InspectionError) -> [InspectedMembership] {
        let rows = try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare("SELECT \(StoredMembershipRow.columns) FROM memberships ORDER BY from_slot")
            var rows: [StoredMembershipRow] = []
            while try statement.step() { rows.append(StoredMembershipRow(statement)) }
            return rows
        }
        var inspected: [InspectedMembership] = []
        for row in rows {
            var membership = InspectedMembership(fromSlot: row.fromSlot, epoch: row.epoch, chosenInSlot: row.chosenInSlot,
                                                 membershipBytes: row.membership, membership: nil, problem: nil)
            do { membership.membership = try row.verified().membership } catch { membership.problem = error.reason }
            inspected.append(membership)
        }
        return inspected
    }

    /// The applied slots still in the log whose command is a `configure` (tag 0x02), with the
    /// epoch it chooses (0 when the command does not decode; the row check reports that).
    package func appliedConfigureSlots() throws(InspectionError) -> [(Slot, UInt64)] {
        let applied = meta.appliedThrough
        return try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare(
                "SELECT slot, command FROM log WHERE chosen = 1 AND slot <= ? AND substr(command, 1, 1) = x'02' ORDER BY slot")
            try statement.bind(1, Int64(clamping: applied.rawValue))
            var slots: [(Slot, UInt64)] = []
            while try statement.step() {
                let epoch = (try? Command.decode(statement.blob(1)))?.membership?.epoch ?? 0
                slots.append((Slot(statement.uint64(0)), epoch))
            }
            return slots
        }
    }

    /// How many rows `table` (one of `Schema.tables`) holds.
    /// Every `kv_changes` row in slot order, decoded, or the reason it cannot be (a checksum
    /// that fails, bytes that do not decode).
    package func changeRows() throws(InspectionError) -> [(slot: Slot, changes: Result<[KVChange], InspectionProblem>)] {
        try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare("SELECT slot, changes, checksum FROM kv_changes ORDER BY slot")
            var rows: [(slot: Slot, changes: Result<[KVChange], InspectionProblem>)] = []
            while try statement.step() {
                let row = StoredChangesRow(statement)
                rows.append((row.slot, row.verified()))
            }
            return rows
        }
    }

    package func count(_ table: String) throws(InspectionError) -> Int {
        precondition(Schema.tables.contains(table), "count of unknown table \(table)")
        return try sqlite { () throws(SQLiteError) in Int(try database.scalarInt("SELECT count(*) FROM \(table)") ?? 0) }
    }

    /// The sizes of the database, `-wal` and `-shm` files right now.
    package func files() -> InspectedFiles {
        InspectedFiles(databaseBytes: Self.fileSize(path) ?? 0, walBytes: Self.fileSize(path + "-wal"),
                       shmBytes: Self.fileSize(path + "-shm"))
    }
}

/// Walks log rows in slot order, one at a time, so a large log is never held in memory.
///
/// - Invariant: MUST NOT be used after its reader is closed.
package final class InspectionLogCursor {
    private let reader: InspectionReader
    private let statement: SQLiteStatement

    init(reader: InspectionReader, statement: SQLiteStatement) {
        self.reader = reader
        self.statement = statement
    }

    /// The next row, verified, or nil at the end.
    package func next() throws(InspectionError) -> InspectedLogRow? {
        let statement = statement
        guard try reader.sqlite({ () throws(SQLiteError) in try statement.step() }) else { return nil }
        return Self.decode(statement)
    }

    /// The row with the node's own checks applied (`StoredLogRow.verified`), a failure kept
    /// as the row's `problem` so a listing can show the row and go on.
    static func decode(_ statement: SQLiteStatement) -> InspectedLogRow {
        let stored = StoredLogRow(statement)
        var row = InspectedLogRow(slot: stored.slot, ballot: stored.ballot, chosen: stored.chosenFlag == 1,
                                  commandBytes: stored.command, command: nil, problem: nil)
        do { row.command = try stored.verified().command } catch { row.problem = error.reason }
        return row
    }
}

/// Why a row read for inspection cannot be used, for people.
package struct InspectionProblem: Error, Hashable, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
