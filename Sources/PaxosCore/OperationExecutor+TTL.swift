/// The apply rule's part about time (docs/design/coordination-api.md §3): deadlines are set
/// from the slot's clock (`KVRowStore.clock`, the max of the timed batches' stamps), never
/// from a replica's own clock, so every replica expires the same keys in the same slot.
extension OperationExecutor {
    /// Background expiry: removes up to `rules.sweepKeysPerSlot` rows whose deadline has
    /// passed, in (deadline, key) order, before a timed batch's requests. Those rows are
    /// already absent to every operation; the sweep only reclaims their space, deterministically
    /// (the same rows on every replica). A backlog larger than one sweep takes several slots.
    /// - Returns: the keys removed, in that order (the slot's `expired` changes).
    static func sweep<S: KVRowStore>(store: inout S, rules: KVRules) throws(S.Failure) -> [Bytes] {
        let keys = try store.expiredKeys(through: store.clock, limit: rules.sweepKeysPerSlot)
        for key in keys {
            _ = try store.remove(key)
        }
        return keys
    }

    /// SET once its condition held: writes the row with the deadline `options.expiry` gives,
    /// or deletes the key when that deadline has already passed (Redis: a PXAT in the past
    /// leaves no key). The reply is decided by the caller.
    static func set<S: KVRowStore>(_ key: Bytes, _ value: Bytes, _ options: SetOptions, old: KVRow?, reply: OpReply,
                                   at revision: Revision, store: inout S) throws(S.Failure) -> OpReply {
        let deadline: LeaderTime?
        switch options.expiry.deadline(old: old?.deadline, clock: store.clock) {
        case .success(let computed): deadline = computed
        case .failure: return .error(.invalidExpireTime)
        }
        if let deadline, deadline <= store.clock {
            _ = try store.remove(key)
        } else {
            try store.write(key, KVRow(value: value, revision: revision, deadline: deadline))
        }
        return reply
    }

    /// EXPIRE family, GETEX and the TTL reads.
    static func executeTTL<S: KVRowStore>(_ op: KeyOp, at revision: Revision, store: inout S) throws(S.Failure) -> OpReply {
        switch op {
        case .expire(let key, let expiry, let condition, let ifEquals):
            guard let old = try store.row(key), ifEquals.map({ $0 == old.value }) ?? true else { return .integer(0) }
            return try changeDeadline(key, old, expiry, condition: condition, at: revision, store: &store)
        case .getExpire(let key, let expiry):
            guard let old = try store.row(key) else { return .null }
            if expiry != .keep, case .error(let error) = try changeDeadline(key, old, expiry, condition: .always, at: revision, store: &store) {
                return .error(error)
            }
            return .bulk(old.value)
        case .deadline(let key, let remaining):
            guard let row = try store.row(key) else { return .integer(-2) }
            guard let deadline = row.deadline else { return .integer(-1) }
            // A live row's deadline is after the clock, so the difference is positive.
            let value = remaining ? deadline.rawValue - store.clock.rawValue : deadline.rawValue
            return .integer(Int64(clamping: value))
        default:
            preconditionFailure("\(op) is not a TTL operation")
        }
    }

    /// Sets the live row `old`'s deadline as `expiry` says, if `condition` holds: 1 when it
    /// changed (a deadline at or before the clock deletes the key, as Redis's EXPIRE with a
    /// non-positive time does), 0 when the condition failed or PERSIST found no deadline.
    /// A changed deadline is a write: the row takes the request's revision, as Redis's EXPIRE
    /// and PERSIST touch a WATCHed key.
    private static func changeDeadline<S: KVRowStore>(_ key: Bytes, _ old: KVRow, _ expiry: Expiry, condition: ExpireCondition,
                                                      at revision: Revision, store: inout S) throws(S.Failure) -> OpReply {
        let deadline: LeaderTime?
        switch expiry.deadline(old: old.deadline, clock: store.clock) {
        case .success(let computed): deadline = computed
        case .failure: return .error(.invalidExpireTime)
        }
        guard let deadline else {
            // PERSIST: 1 only when there was a deadline to remove.
            guard old.deadline != nil, condition == .always else { return .integer(0) }
            try store.write(key, KVRow(value: old.value, revision: revision, deadline: nil))
            return .integer(1)
        }
        guard condition.holds(current: old.deadline, new: deadline) else { return .integer(0) }
        if deadline <= store.clock {
            _ = try store.remove(key)
        } else {
            try store.write(key, KVRow(value: old.value, revision: revision, deadline: deadline))
        }
        return .integer(1)
    }
}
