public import PaxosCore

/// The `memberships` table and the cluster's identity (`Schema`): who votes in which slots, as
/// the log chose it, and the genesis that records the first membership.
extension SQLiteLogStore {
    /// Every membership the database records, ordered by the slot it governs from, verified:
    /// the first one(s) recorded at genesis and one per `configure` command applied. Empty for a
    /// database that records none (before genesis), which the core reads as the configuration's
    /// bootstrap members at `Incarnation.initial`.
    public func memberships() throws(LogStoreError) -> [ScheduledMembership] {
        let applied = appliedThrough
        let rows = try sqlite { () throws(SQLiteError) in
            let statement = try database.prepare("SELECT \(StoredMembershipRow.columns) FROM memberships ORDER BY from_slot")
            var rows: [StoredMembershipRow] = []
            while try statement.step() { rows.append(StoredMembershipRow(statement)) }
            return rows
        }
        var memberships: [ScheduledMembership] = []
        for row in rows {
            do { memberships.append(try row.verified()) } catch {
                throw .corrupt(path: path, slot: row.chosenInSlot == .zero ? nil : row.chosenInSlot, reason: error.reason)
            }
            guard row.chosenInSlot <= applied else {
                throw .corrupt(path: path, slot: row.chosenInSlot, reason: "membership from slot \(row.fromSlot) was chosen in slot "
                    + "\(row.chosenInSlot), above the applied slot \(applied): it is written only when its slot is applied")
            }
        }
        return memberships
    }

    /// Records the membership chosen by the `configure` command of `slot`: it governs from
    /// `slot + α`. Called by `apply`, inside its transaction, so the row and the applied slot
    /// move together.
    ///
    /// A configure computed from an older membership than the newest recorded (a leader that
    /// lost its lead proposed it, another's recovery chose it after a change of its own) changes
    /// nothing, exactly as in the core (`Replica.scheduleMembership`): no row is written. Without
    /// recorded memberships the newest is the bootstrap one, epoch 1.
    func recordChosenMembership(_ membership: Membership, chosenIn slot: Slot) throws(LogStoreError) {
        // Read inside the apply's transaction, where rows of slots applied earlier in the same
        // batch already exist but the cached applied slot has not moved: only the epoch column.
        let newestEpoch = try sqlite { () throws(SQLiteError) -> UInt64? in
            let statement = try database.prepare("SELECT epoch FROM memberships ORDER BY from_slot DESC LIMIT 1")
            return try statement.step() ? statement.uint64(0) : nil
        } ?? 1
        guard membership.epoch == newestEpoch + 1 else { return }
        let fromSlot = Slot(slot.rawValue + Membership.activationDistance)
        guard fromSlot.rawValue <= UInt64(Int64.max) else {
            throw .invalidArgument("slot \(slot) chooses a membership for slots from \(fromSlot), beyond the largest storable slot")
        }
        let inserted = try insertMembership(StoredMembershipRow(ScheduledMembership(fromSlot: fromSlot, membership: membership),
                                                                chosenInSlot: slot))
        guard inserted else {
            throw .invalidArgument("slot \(slot) chooses a membership for slots from \(fromSlot), which already have one")
        }
    }

    /// The cluster's genesis on this node: records `clusterUUID` and the first membership(s), in
    /// one transaction, with `chosen_in_slot` 0. Genesis happens once in a database's life.
    /// `memberships` may be empty: a node joining a running cluster records only its UUID and
    /// learns the memberships from the log or a snapshot.
    ///
    /// - Precondition: no transaction of the caller is open (the cached `clusterUUID` moves only
    ///   once the commit succeeded).
    /// - Throws: `.genesisRecorded` if a cluster UUID is already recorded (nothing is changed);
    ///   `invalidArgument` for an empty UUID, an invalid membership, memberships not in increasing
    ///   `fromSlot` order, or one that does not govern slots before every membership already
    ///   recorded (genesis memberships are the first).
    public func recordGenesis(clusterUUID: String, memberships: [ScheduledMembership]) throws(LogStoreError) {
        guard !database.isInTransaction else { throw .invalidArgument("genesis is recorded in its own transaction") }
        try checkGenesis(clusterUUID: clusterUUID, memberships: memberships)
        try transaction { () throws(LogStoreError) in
            // Read from the file, not the cache: the file is the authority on what was recorded.
            let meta = try SchemaSetup(database: database, path: path).readMeta()
            if let recorded = meta.clusterUUID { throw .genesisRecorded(path: path, clusterUUID: recorded) }
            let first = try sqlite { () throws(SQLiteError) in try database.scalarInt("SELECT min(from_slot) FROM memberships") }
            if let first, let last = memberships.last, last.fromSlot.rawValue >= UInt64(bitPattern: first) {
                throw .invalidArgument("\(path) already records a membership from slot \(UInt64(bitPattern: first)); "
                    + "genesis memberships must govern slots before it, up to slot \(last.fromSlot) was asked")
            }
            try sqlite { () throws(SQLiteError) in
                let update = try database.prepare("UPDATE meta SET cluster_uuid = ? WHERE singleton = 1")
                try update.run { (statement) throws(SQLiteError) in try statement.bind(1, clusterUUID) }
            }
            for scheduled in memberships {
                guard try insertMembership(StoredMembershipRow(scheduled, chosenInSlot: .zero)) else {
                    preconditionFailure("membership from slot \(scheduled.fromSlot) inserted twice into an empty table")
                }
            }
        }
        self.clusterUUID = clusterUUID
    }

    private func checkGenesis(clusterUUID: String, memberships: [ScheduledMembership]) throws(LogStoreError) {
        guard !clusterUUID.isEmpty else { throw .invalidArgument("the cluster UUID is empty") }
        for (index, scheduled) in memberships.enumerated() {
            do { try scheduled.membership.validate() } catch {
                throw .invalidArgument("genesis membership from slot \(scheduled.fromSlot): \(error)")
            }
            guard scheduled.fromSlot > .zero, scheduled.fromSlot.rawValue <= UInt64(Int64.max) else {
                throw .invalidArgument("genesis membership from slot \(scheduled.fromSlot): not a storable slot")
            }
            if index > 0, memberships[index - 1].fromSlot >= scheduled.fromSlot {
                throw .invalidArgument("genesis memberships are not in increasing order of the slot they govern from")
            }
        }
    }

    /// Inserts `row` unless its `from_slot` is taken; returns whether it was inserted.
    private func insertMembership(_ row: StoredMembershipRow) throws(LogStoreError) -> Bool {
        // Pair the check on read (STYLE §6): a row that would not verify is never written.
        do { _ = try row.verified() } catch { throw .invalidArgument("refusing to write a bad membership row: \(error.reason)") }
        return try sqlite { () throws(SQLiteError) -> Bool in
            let statement = statements.insertMembership
            try statement.run { (statement) throws(SQLiteError) in
                try statement.bind(1, row.fromSlot.rawValue)
                try statement.bind(2, row.epoch)
                try statement.bind(3, row.chosenInSlot.rawValue)
                try statement.bind(4, row.membership)
                try statement.bind(5, row.checksum)
            }
            return statement.changes > 0
        }
    }
}
