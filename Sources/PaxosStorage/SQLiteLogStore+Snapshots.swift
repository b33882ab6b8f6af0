import Foundation
public import PaxosCore

/// Installing a snapshot received from a peer.
extension SQLiteLogStore {
    /// Replaces the applied state with the complete snapshot of `slot` staged at `stagingPath`
    /// (`SnapshotStaging`), in one transaction: `kv` and `sessions` become the staged tables,
    /// and so does `memberships` when the snapshot holds any (one from a database that records
    /// none leaves the table as it is, as the core keeps its memberships then),
    /// `applied_through` and `snapshot_slot` become `slot`, `chosen_through` is raised to `slot`
    /// if lower (and over any chosen rows just above it), and log rows at or below `slot` are
    /// deleted. A crash leaves either the old state or the new one. The staging file is deleted
    /// afterwards.
    ///
    /// - Precondition: `slot` is above the applied slot; no transaction of the caller is open
    ///   (attaching the staging file needs none).
    /// - Throws: `invalidArgument` if the staged snapshot is missing, incomplete or of another
    ///   slot (nothing is changed then).
    public func installSnapshot(slot: Slot, stagingPath: String) throws(LogStoreError) {
        guard !database.isInTransaction else { throw .invalidArgument("a snapshot is installed in its own transaction") }
        guard slot > appliedThrough else {
            throw .invalidArgument("snapshot of slot \(slot) is not above the applied slot \(appliedThrough)")
        }
        guard slot.rawValue <= UInt64(Int64.max) else { throw .invalidArgument("snapshot slot \(slot) is beyond the largest storable slot") }
        // ATTACH would create a missing file as an empty database.
        guard FileManager.default.fileExists(atPath: stagingPath) else {
            throw .invalidArgument("no snapshot is staged at \(stagingPath); nothing installed")
        }
        try sqlite { () throws(SQLiteError) in
            let attach = try database.prepare("ATTACH DATABASE ? AS staging")
            try attach.run { (statement) throws(SQLiteError) in try statement.bind(1, stagingPath) }
        }
        // The snapshot's rows replace `kv`, deadlines and all: unknown until probed again.
        mayHoldDeadlines = true
        do {
            try transaction { () throws(LogStoreError) in
                try checkStaged(slot: slot, stagingPath: stagingPath)
                try replaceState(with: slot)
            }
        } catch {
            detachStaging()
            throw error
        }
        detachStaging()
        SnapshotStaging.removeFiles(at: stagingPath)
    }

    private func checkStaged(slot: Slot, stagingPath: String) throws(LogStoreError) {
        let staged = try sqlite { () throws(SQLiteError) -> (Slot, Bool)? in
            let statement = try database.prepare("SELECT slot, complete FROM staging.snapshot WHERE singleton = 1")
            guard try statement.step() else { return nil }
            return (Slot(statement.uint64(0)), statement.int64(1) == 1)
        }
        guard let (stagedSlot, complete) = staged, complete else {
            throw .invalidArgument("\(stagingPath) holds no complete snapshot; nothing installed")
        }
        guard stagedSlot == slot else {
            throw .invalidArgument("\(stagingPath) holds the snapshot of slot \(stagedSlot), not of slot \(slot); nothing installed")
        }
    }

    private func replaceState(with slot: Slot) throws(LogStoreError) {
        try sqlite { () throws(SQLiteError) in
            try database.execute("""
                DELETE FROM main.kv;
                INSERT INTO main.kv (key, value, slot, checksum, position, expire_at, scan_hash)
                    SELECT key, value, slot, checksum, position, expire_at, scan_hash FROM staging.kv;
                DELETE FROM main.sessions;
                INSERT INTO main.sessions (client_id, last_sequence, last_result, slot, checksum, reply)
                    SELECT client_id, last_sequence, last_result, slot, checksum, reply FROM staging.sessions;
                """)
            if try database.scalarInt("SELECT count(*) FROM staging.memberships") ?? 0 > 0 {
                try database.execute("""
                    DELETE FROM main.memberships;
                    INSERT INTO main.memberships (\(StoredMembershipRow.columns))
                        SELECT \(StoredMembershipRow.columns) FROM staging.memberships;
                    """)
            }
            let deleteLog = try database.prepare("DELETE FROM main.log WHERE slot <= ?")
            try deleteLog.run { (statement) throws(SQLiteError) in try statement.bind(1, slot.rawValue) }
            // Every recorded change is of a slot the snapshot covers: a watch resumes above it.
            try database.execute("DELETE FROM main.kv_changes")
            let update = try database.prepare(
                "UPDATE main.meta SET applied_through = ?1, snapshot_slot = ?1, chosen_through = max(chosen_through, ?1) WHERE singleton = 1")
            try update.run { (statement) throws(SQLiteError) in try statement.bind(1, slot.rawValue) }
            // The snapshot's clock is the sender's at `slot`, which is at least ours (a clock
            // only rises along the log, and the snapshot is of a later slot).
            try database.execute("UPDATE main.meta SET log_clock = (SELECT clock FROM staging.snapshot WHERE singleton = 1) WHERE singleton = 1")
            stagedClock = LeaderTime(rawValue: UInt64(clamping: max(0, try database.scalarInt("SELECT log_clock FROM main.meta") ?? 0)))
        }
        staged.applied = slot
        staged.snapshot = slot
        staged.chosen = max(staged.chosen, slot)
        try advanceChosenFrontier()
    }

    /// Detaching fails only while a statement on the staging file is still open, which a
    /// finished transaction does not leave; the next attach would then report it.
    private func detachStaging() {
        do { try database.execute("DETACH DATABASE staging") } catch {}
    }
}
