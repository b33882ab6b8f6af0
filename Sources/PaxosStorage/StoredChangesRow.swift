import PaxosCore

/// One `kv_changes` row as stored, before any check (see `Schema`). The node's `CHANGES` reads
/// (which fail the read on a bad row) and `paxos-inspect verify` (which names it) both judge a
/// row through `verified()`.
struct StoredChangesRow: Hashable {
    var slot: Slot
    var changes: Bytes
    var checksum: Int64

    /// Reads the current row of a statement that selects `slot, changes, checksum`.
    init(_ statement: SQLiteStatement) {
        slot = Slot(statement.uint64(0))
        changes = statement.blob(1)
        checksum = statement.int64(2)
    }

    /// The row's changes, or why they cannot be trusted (one sentence without the file).
    func verified() -> Result<[KVChange], InspectionProblem> {
        guard checksum == StateRowChecksum.changes(slot: slot, changes) else {
            return .failure(InspectionProblem("its kv_changes row fails its checksum"))
        }
        do { return .success(try KVChangeEncoding.decode(changes, slot: slot)) } catch {
            return .failure(InspectionProblem("its kv_changes row does not decode: \(error)"))
        }
    }
}
