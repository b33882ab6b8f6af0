/// The apply rule: what a chosen command does to the replicated state. Every store calls
/// `apply` and nothing else decides, so the in-memory state machine the simulator runs
/// (`KVStateMachine`) and a node's SQLite tables (`SQLiteLogStore.apply`) cannot drift apart;
/// `ExecutorDifferentialTests` checks them against each other over seeded random commands.
///
/// For each request of a batch, in order: the exactly-once rule (`ClientSession.decide`)
/// says whether it executes or is answered from the client's session; an executed request's
/// operation writes its key at the request's `Revision`, and the client's session records it.
/// After the last request, expired sessions are pruned on the slots `ClientSession.prunes`
/// names. Commands without requests (no-ops, memberships) change no row or session.
public enum OperationExecutor {
    /// Applies the requests of the command chosen for `slot`.
    /// - Returns: one result per request, in batch order.
    /// - Precondition: `slot < Revision.slotLimit`; the caller applies slots in order, once each.
    public static func apply<S: KVRowStore>(_ command: Command, slot: Slot, store: inout S,
                                            rules: KVRules) throws(S.Failure) -> [(request: ClientRequest, result: OperationResult)] {
        var changes: [KVChange]?
        return try apply(command, slot: slot, store: &store, rules: rules, recording: &changes)
    }

    /// `apply`, also appending to `changes`, when it is not nil, what the slot changed
    /// (`KVChange`): the sweep's removed keys as `expired` at the slot's first revision, then
    /// the events of each request that executed (`KVEvents.of` against the slot's clock), in
    /// order. A request answered from its session changed nothing now and records nothing.
    /// Observation only: the rows, sessions and results are those of `apply`.
    public static func apply<S: KVRowStore>(_ command: Command, slot: Slot, store: inout S, rules: KVRules,
                                            recording changes: inout [KVChange]?) throws(S.Failure)
        -> [(request: ClientRequest, result: OperationResult)] {
        if let time = command.time {
            // The clock only rises: an older stamp (a recovered command, a leader behind the
            // last one) leaves it where it is, so no key ever comes back.
            if time > store.clock { try store.advanceClock(to: time) }
            // A planted bug (simulator only) takes the stamp even when it is older.
            else if time < store.clock, StateMachineBug.rewindsClock(rules.plantedBug) { try store._plantedRewindClock(to: time) }
            let swept = try sweep(store: &store, rules: rules)
            if changes != nil, !swept.isEmpty {
                let first = Revision(slot: slot, position: 0)
                changes!.append(contentsOf: swept.map { KVChange(first, KVEvent(.expired, $0)) })
            }
        }
        let requests = command.requests
        var results: [(request: ClientRequest, result: OperationResult)] = []
        results.reserveCapacity(requests.count)
        for (index, request) in requests.enumerated() {
            let revision = Revision(slot: slot, position: position(ofRequest: index, in: command))
            results.append((request, try apply(request, at: revision, store: &store, rules: rules, recording: &changes)))
        }
        if ClientSession.prunes(after: slot), slot.rawValue > rules.sessionExpirySlots {
            // A session last written below this is no longer live at `slot` (`ClientSession.isLive`).
            try store.pruneSessions(before: Slot(slot.rawValue - rules.sessionExpirySlots))
        }
        return results
    }

    /// The position part of the revisions a request writes.
    ///
    /// Every command today is a legacy batch (`Command.batch`, tags 0x01/0x04), and those write
    /// position 0 for every request, not the request's index. The reason is the upgrade: a
    /// database of schema version 3 stores no position, and its migration gives every row
    /// position 0 (the column default). A node that applied slot s on the old build therefore
    /// holds position 0 for the keys s wrote; a node applying the same slot on this build MUST
    /// store the same, or the replicas' rows differ (`paxos-inspect diff`, snapshots, a future
    /// WATCH comparing revisions), and `paxos-inspect verify` could not replay a migrated log
    /// through this rule. Keys written in one legacy slot therefore share a revision; a later
    /// slot's write of a key still has a higher one. Timed batches (a new command tag, so no old
    /// node ever applied one) use the request's index in the batch (`ReplicaConfiguration`
    /// caps batches at 65,536 requests; a longer one from a misconfigured leader clamps).
    public static func position(ofRequest index: Int, in command: Command) -> UInt16 {
        switch command {
        case .batch, .noop, .configure: 0
        case .timedBatch: UInt16(clamping: index)
        }
    }

    /// One request: the exactly-once decision, then the operation and the session it leaves.
    private static func apply<S: KVRowStore>(_ request: ClientRequest, at revision: Revision, store: inout S,
                                             rules: KVRules, recording changes: inout [KVChange]?) throws(S.Failure) -> OperationResult {
        let session = try store.session(request.client)
        // A planted bug (simulator only) executes whatever the session says.
        let skipsSession = StateMachineBug.skipsSession(rules.plantedBug, for: request.operation)
        switch skipsSession ? .execute : ClientSession.decide(session, request: request, at: revision.slot, expirySlots: rules.sessionExpirySlots) {
        case .duplicate(let result): return result
        case .superseded: return .superseded
        case .expired: return .expired
        case .execute: break
        }
        let result = try execute(request.operation, at: revision, store: &store, rules: rules)
        if changes != nil {
            for event in KVEvents.of(request.operation, result: result, clock: store.clock) {
                changes!.append(KVChange(revision, event))
            }
        }
        let remembered = ClientSession.remembered(result, limit: rules.maxRememberedReplyBytes)
        try store.write(ClientSession(lastSequence: request.sequence, lastResult: remembered, slot: revision.slot), for: request.client)
        return result
    }

    /// What an operation does to the rows; one line per operation.
    static func execute<S: KVRowStore>(_ operation: Operation, at revision: Revision, store: inout S,
                                       rules: KVRules = KVRules()) throws(S.Failure) -> OperationResult {
        switch operation {
        case .put(let key, let value):
            // SET clears any deadline, as Redis's SET does.
            try store.write(key, KVRow(value: value, revision: revision, deadline: nil))
            return .ok
        case .delete(let key):
            return .deleted(existed: try store.remove(key))
        case .key(let op):
            return .reply(try execute(op, at: revision, store: &store, rules: rules))
        case .all(let operations):
            return .reply(try executeAll(operations, at: revision, store: &store, rules: rules))
        case .txn(let transaction):
            return .reply(try executeTransaction(transaction, at: revision, store: &store, rules: rules))
        }
    }

    /// One `KeyOp`. An `.error` reply changes nothing; every write keeps the old row's deadline
    /// except SET, which clears it unless KEEPTTL.
    static func execute<S: KVRowStore>(_ op: KeyOp, at revision: Revision, store: inout S,
                                       rules: KVRules) throws(S.Failure) -> OpReply {
        switch op {
        case .set(let key, let value, let options):
            let old = try store.row(key)
            let reply: OpReply = options.returnsOld ? old.map { .bulk($0.value) } ?? .null : .ok
            guard options.condition.holds(for: old) else { return options.returnsOld ? reply : .null }
            return try set(key, value, options, old: old, reply: reply, at: revision, store: &store)
        case .delete(let keys, let ifEquals?):
            guard keys.count == 1, try store.row(keys[0])?.value == ifEquals else { return .integer(0) }
            return .integer(try store.remove(keys[0]) ? 1 : 0)
        case .delete(let keys, nil):
            var removed: Int64 = 0
            for key in keys {
                if try store.remove(key) { removed += 1 }
            }
            return .integer(removed)
        case .getDelete(let key):
            guard let old = try store.row(key) else { return .null }
            _ = try store.remove(key)
            return .bulk(old.value)
        case .incrementBy(let key, let by):
            let old = try store.row(key)
            guard let current = old.map({ RedisInteger.parse($0.value) }) ?? 0 else { return .error(.notInteger) }
            let (sum, overflow) = current.addingReportingOverflow(by)
            guard !overflow else { return .error(.overflow) }
            try store.write(key, KVRow(value: RedisInteger.bytes(sum), revision: revision, deadline: old?.deadline))
            return .integer(sum)
        case .incrementByFloat(let key, let bits):
            let old = try store.row(key)
            guard let current = old.map({ DecimalText.parse($0.value) }) ?? 0 else { return .error(.notFloat) }
            let sum = current + Double(bitPattern: bits)
            guard sum.isFinite else { return .error(.nanOrInfinity) }
            let text = Array(DecimalText.format(sum).utf8)
            try store.write(key, KVRow(value: text, revision: revision, deadline: old?.deadline))
            return .bulk(text)
        case .append(let key, let suffix):
            let old = try store.row(key)
            let length = (old?.value.count ?? 0) + suffix.count
            guard length <= rules.maxValueBytes else { return .error(.stringTooLong) }
            try store.write(key, KVRow(value: (old?.value ?? []) + suffix, revision: revision, deadline: old?.deadline))
            return .integer(Int64(length))
        case .read(let read, let key):
            return read.reply(for: try store.row(key))
        case .expire, .getExpire, .deadline:
            return try executeTTL(op, at: revision, store: &store)
        }
    }
}

extension SetCondition {
    /// Whether SET writes over `old`, the key's row (nil if absent).
    func holds(for old: KVRow?) -> Bool {
        switch self {
        case .always: true
        case .ifAbsent: old == nil
        case .ifPresent: old != nil
        case .ifEquals(let expected): old?.value == expected
        }
    }
}
