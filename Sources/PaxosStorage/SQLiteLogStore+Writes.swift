public import PaxosCore

/// The write path: persist records from the acceptor and learner, and applying chosen slots.
extension SQLiteLogStore {
    /// Makes every record durable in one transaction (or in the caller's open transaction, which
    /// is then durable when it commits).
    public func persist(_ records: [PersistRecord]) throws(LogStoreError) {
        guard !records.isEmpty else { return }
        try inTransaction { () throws(LogStoreError) in
            var markedChosen = false
            for record in records {
                if let ballot = record.promised { try writePromise(ballot) }
                for entry in record.entries {
                    try writeEntry(entry)
                    markedChosen = markedChosen || entry.chosen
                }
            }
            if markedChosen { try advanceChosenFrontier() }
        }
    }

    private func writePromise(_ ballot: Ballot) throws(LogStoreError) {
        // The core only ever raises its promise; a lower one here means a shell bug.
        guard ballot >= staged.promised else {
            throw .invalidArgument("promise \(ballot) is below the stored promise \(staged.promised)")
        }
        try sqlite { () throws(SQLiteError) in
            try statements.setPromise.run { (statement) throws(SQLiteError) in
                try statement.bind(1, ballot.round)
                try statement.bind(2, Int64(ballot.replica.rawValue))
            }
        }
        staged.promised = ballot
    }

    private func writeEntry(_ entry: LogEntry) throws(LogStoreError) {
        let command = entry.command.encoded()
        let checksum = Int64(LogRowChecksum.compute(slot: entry.slot, ballot: entry.ballot, command: command))
        // Validate before writing (STYLE §6: pair assertions with the check on read).
        guard entry.slot > .zero else { throw .invalidArgument("log entry for slot 0") }
        // SQLite integers are signed: a slot at or above 2^63 would be stored negative and sort
        // below slot 1. No cluster gets there (2^63 slots at a million per second is 292,000
        // years), so refusing it costs nothing and keeps the order of the log table true.
        guard entry.slot.rawValue <= UInt64(Int64.max) else {
            throw .invalidArgument("slot \(entry.slot) is beyond the largest storable slot \(Int64.max)")
        }
        try validate(entry.command, slot: entry.slot)
        try sqlite { () throws(SQLiteError) in
            if entry.chosen {
                // Usually the acceptor already holds this very (ballot, command): flip the flag
                // instead of writing the blob again.
                try statements.markChosenIfSame.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, entry.slot.rawValue)
                    try statement.bind(2, entry.ballot.round)
                    try statement.bind(3, Int64(entry.ballot.replica.rawValue))
                    try statement.bind(4, checksum)
                    try statement.bind(5, command)
                }
                if statements.markChosenIfSame.changes > 0 { return }
            }
            try statements.upsertEntry.run { (statement) throws(SQLiteError) in
                try statement.bind(1, entry.slot.rawValue)
                try statement.bind(2, entry.ballot.round)
                try statement.bind(3, Int64(entry.ballot.replica.rawValue))
                try statement.bind(4, Int64(entry.chosen ? 1 : 0))
                try statement.bind(5, command)
                try statement.bind(6, checksum)
            }
        }
    }

    /// Moves the stored chosen frontier over every contiguous chosen row.
    func advanceChosenFrontier() throws(LogStoreError) {
        var frontier = staged.chosen
        try sqlite { () throws(SQLiteError) in
            while true {
                let statement = statements.isChosen
                statement.reset()
                try statement.bind(1, frontier.next.rawValue)
                let chosen = try statement.step() && statement.int64(0) == 1
                statement.reset()
                guard chosen else { break }
                frontier = frontier.next
            }
            guard frontier > staged.chosen else { return }
            try statements.setChosenThrough.run { (statement) throws(SQLiteError) in
                try statement.bind(1, frontier.rawValue)
            }
        }
        staged.chosen = frontier
    }

    /// Applies the command chosen for `slot`: marks the slot chosen, applies its requests through
    /// `OperationExecutor` (the one apply rule, which `KVStateMachine` follows too) over this
    /// database's `kv` and `sessions` tables, records the membership a `configure` command
    /// chooses (governing from `slot + α`), and moves the applied slot, in one transaction.
    /// - Returns: one result per request, as `KVStateMachine.apply` gives.
    public func apply(slot: Slot, command: Command) throws(LogStoreError) -> [(request: ClientRequest, result: OperationResult)] {
        try applyRecordingChanges(slot: slot, command: command).results
    }

    /// `apply`, also returning the slot's changes (`KVChange`), which the same transaction
    /// records in `kv_changes` for the resumable watch (a slot that changed nothing has no row).
    public func applyRecordingChanges(slot: Slot, command: Command) throws(LogStoreError)
        -> (results: [(request: ClientRequest, result: OperationResult)], changes: [KVChange]) {
        try inTransaction { () throws(LogStoreError) in
            guard slot == staged.applied.next else {
                throw .invalidArgument("apply of slot \(slot) after applied slot \(staged.applied): slots apply in order")
            }
            guard command.requests.isEmpty || slot < Revision.slotLimit else {
                throw .invalidArgument("apply of slot \(slot): writes at or above slot \(Revision.slotLimit) have no revision")
            }
            try validate(command, slot: slot)
            try markApplied(slot: slot, command: command)
            var rows = SQLiteKVRows(store: self)
            var recorded: [KVChange]? = []
            let results = try OperationExecutor.apply(command, slot: slot, store: &rows, rules: rules, recording: &recorded)
            let changes = recorded ?? []
            if !changes.isEmpty { try recordChanges(changes, slot: slot) }
            if let membership = command.membership { try recordChosenMembership(membership, chosenIn: slot) }
            staged.applied = slot
            staged.chosen = max(staged.chosen, slot)
            try sqlite { () throws(SQLiteError) in
                try statements.setApplied.run { (statement) throws(SQLiteError) in
                    try statement.bind(1, staged.applied.rawValue)
                    try statement.bind(2, staged.chosen.rawValue)
                    // The clock the executor left (`SQLiteKVRows.advanceClock` only stages it):
                    // one UPDATE of meta per slot instead of two.
                    try statement.bind(3, Int64(clamping: stagedClock.rawValue))
                }
            }
            return (results, changes)
        }
    }

    private func recordChanges(_ changes: [KVChange], slot: Slot) throws(LogStoreError) {
        let bytes = KVChangeEncoding.encode(changes)
        try sqlite { () throws(SQLiteError) in
            try statements.insertChanges.run { (statement) throws(SQLiteError) in
                try statement.bind(1, slot.rawValue)
                try statement.bind(2, bytes)
                try statement.bind(3, StateRowChecksum.changes(slot: slot, bytes))
            }
        }
    }

    /// Refuses a command that `Command.decode` would reject when reading it back, so nothing is
    /// stored that a restart cannot load (it would then look like corruption).
    private func validate(_ command: Command, slot: Slot) throws(LogStoreError) {
        let requests = command.requests
        guard requests.count <= Command.maxBatchCount else {
            throw .invalidArgument("slot \(slot): a batch of \(requests.count) requests is over the limit of \(Command.maxBatchCount)")
        }
        for request in requests {
            let (key, valueBytes): (Bytes, Int)
            switch request.operation {
            case .put(let k, let value): (key, valueBytes) = (k, value.count)
            case .delete(let k): (key, valueBytes) = (k, 0)
            case .all, .txn:
                if let problem = request.operation.encodingProblem {
                    throw .invalidArgument("slot \(slot): request \(request): \(problem)")
                }
                continue
            case .key(let op):
                if let problem = op.encodingProblem {
                    throw .invalidArgument("slot \(slot): request \(request): \(problem)")
                }
                continue
            }
            guard key.count <= Command.maxKeyBytes, valueBytes <= Command.maxValueBytes else {
                throw .invalidArgument("slot \(slot): request \(request) has a \(key.count)-byte key and a \(valueBytes)-byte value; "
                    + "the limits are \(Command.maxKeyBytes) and \(Command.maxValueBytes)")
            }
        }
    }

    /// Keeps the applied command in the log, chosen, so this node can serve it to a peer
    /// catching up. The core persisted it as chosen earlier; if that row is missing (a shell
    /// that applies without persisting), it is written now.
    private func markApplied(slot: Slot, command: Command) throws(LogStoreError) {
        try sqlite { () throws(SQLiteError) in
            try statements.markChosen.run { (statement) throws(SQLiteError) in try statement.bind(1, slot.rawValue) }
            guard statements.markChosen.changes == 0 else { return }
            let bytes = command.encoded()
            try statements.insertChosen.run { (statement) throws(SQLiteError) in
                try statement.bind(1, slot.rawValue)
                try statement.bind(2, bytes)
                try statement.bind(3, Int64(LogRowChecksum.compute(slot: slot, ballot: .zero, command: bytes)))
            }
        }
    }
}
