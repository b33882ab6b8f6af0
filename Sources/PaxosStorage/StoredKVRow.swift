import PaxosCore

/// One `kv` row's columns exactly as stored, before any check.
///
/// Every reader of `kv` rows (reads, the apply's executor, snapshot exports, backups,
/// `paxos-inspect`) judges a row through `verified()`, so they never disagree about what
/// counts as damage.
struct StoredKVRow {
    /// The columns `init(_:)` expects, in order, for a `SELECT … FROM kv`.
    static let columns = "key, value, slot, position, expire_at, checksum, scan_hash"

    var key: Bytes
    var value: Bytes
    var slot: Slot
    /// 0…65535 in an intact row; kept raw so a damaged value can be reported.
    var position: Int64
    /// Nil: SQL NULL (no deadline). Kept raw (a negative one is damage).
    var expireAt: Int64?
    var checksum: Int64
    /// `kv.scan_hash`: derived from the key, so outside the checksum, and checked against it.
    var scanHash: Int64

    /// Reads the current row of a statement that selects `columns`, starting at column `first`.
    init(_ statement: SQLiteStatement, first: Int32 = 0) {
        key = statement.blob(first)
        value = statement.blob(first + 1)
        slot = Slot(statement.uint64(first + 2))
        position = statement.int64(first + 3)
        expireAt = statement.isNull(first + 4) ? nil : statement.int64(first + 4)
        checksum = statement.int64(first + 5)
        scanHash = statement.int64(first + 6)
    }

    /// Why a row cannot be trusted, as one sentence naming the table and the key (shown safely:
    /// printable bytes as they are, the rest escaped, long keys cut); the caller adds the file.
    struct Damage: Error, Hashable {
        var reason: String
    }

    /// The row, once its columns are in range and its checksum checks.
    func verified() throws(Damage) -> KVRow {
        let name = "table kv, key \(BytesDisplay.quoted(key, limit: 64)) (written at slot \(slot))"
        guard let position = UInt16(exactly: position) else {
            throw Damage(reason: "\(name): position \(self.position) is not in 0…65535")
        }
        guard let revision = Revision(checking: slot, position: position), slot > .zero else {
            throw Damage(reason: "\(name): the slot is outside the slots a write can have")
        }
        let deadline: LeaderTime?
        switch expireAt {
        case nil: deadline = nil
        case let raw? where raw >= 0: deadline = LeaderTime(rawValue: UInt64(raw))
        case let raw?: throw Damage(reason: "\(name): the deadline \(raw) is negative")
        }
        let row = KVRow(value: value, revision: revision, deadline: deadline)
        let computed = StateRowChecksum.kv(key: key, row: row)
        guard checksum == computed else {
            throw Damage(reason: "\(name): checksum mismatch (stored \(StateRowChecksum.hex(checksum)), "
                + "computed \(StateRowChecksum.hex(computed))): the value on disk is not the value that was written")
        }
        guard scanHash == Int64(ScanHash.of(key)) else {
            throw Damage(reason: "\(name): scan_hash \(scanHash) is not the key's (\(ScanHash.of(key))): SCAN would list it out of place")
        }
        return row
    }

    /// The damage sentence, or nil when the row checks.
    var damage: String? {
        do {
            _ = try verified()
            return nil
        } catch {
            return error.reason
        }
    }
}
