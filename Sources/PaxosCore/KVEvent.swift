/// One change an applied operation made to one key, named as Redis's keyspace notifications name
/// it (https://redis.io/docs/latest/develop/pubsub/keyspace-notifications/): a node publishes
/// `__keyspace@0__:<key>` → `name` and `__keyevent@0__:<name>` → `key` for each, in apply order.
///
/// Events of requests are derived from the operation and the result the executor answered
/// (`KVEvents.of`), never from the stores' rows; the apply rule records them, for executed
/// requests only and against the slot's own clock, as the slot's `KVChange`s, which both the
/// resumable watch and the notifications publish. Each result says enough except the cases
/// `KVEvents.of` lists. `expired` is no request's: the sweep's removed keys are recorded too.
public struct KVEvent: Hashable, Sendable {
    public var name: Name
    public var key: Bytes

    public init(_ name: Name, _ key: Bytes) {
        self.name = name
        self.key = key
    }

    /// The event names PaxosKV's operations produce; raw values are Redis's.
    public enum Name: String, Hashable, Sendable, CaseIterable {
        case set
        case del
        case expire
        /// A key removed by the background sweep because its deadline passed.
        case expired
        case persist
        /// INCR, DECR, INCRBY and DECRBY alike, as in Redis.
        case incrby
        case incrbyfloat
        case append

        /// The notification class (`notify-keyspace-events` letter) that enables this event.
        public var eventClass: KeyspaceEventFlags {
            switch self {
            case .set, .incrby, .incrbyfloat, .append: .string
            case .del, .expire, .persist: .generic
            case .expired: .expired
            }
        }
    }
}

/// The events of applied requests.
///
/// Limits of reading events off results, each harmless for a cache that invalidates on events
/// (the main use) because it errs towards an extra event, never a missing one:
/// - a multi-key DEL that removed some but not all of its keys answers a count, not which
///   keys: every key is named;
/// - GETEX PERSIST names `persist` even when the key had no deadline.
/// Whether an EXPIRE/SET deadline was already past (Redis: `del`, not `expire`) is judged
/// against `clock`, which the apply rule passes as the slot's own, as the executor judged it.
public enum KVEvents {
    /// The events of one request's `result`, in the order Redis emits them.
    public static func of(_ operation: Operation, result: OperationResult, clock: LeaderTime) -> [KVEvent] {
        switch result {
        case .ok:
            if case .put(let key, _) = operation { return [KVEvent(.set, key)] }
            return []
        case .deleted(let existed):
            if case .delete(let key) = operation, existed { return [KVEvent(.del, key)] }
            return []
        case .reply(let reply):
            var events: [KVEvent] = []
            collect(operation, reply, clock: clock, into: &events)
            return events
        case .superseded, .expired:
            return []
        }
    }

    /// Appends the events of `operation`, which answered `reply`.
    static func collect(_ operation: Operation, _ reply: OpReply, clock: LeaderTime, into events: inout [KVEvent]) {
        if case .error = reply { return }
        switch operation {
        case .put(let key, _):
            if reply == .ok { events.append(KVEvent(.set, key)) }
        case .delete(let key):
            if reply == .integer(1) { events.append(KVEvent(.del, key)) }
        case .key(let op):
            events += of(op, reply: reply, clock: clock)
        case .all(let operations):
            guard case .array(let replies) = reply, replies.count == operations.count else { return }
            for (operation, reply) in zip(operations, replies) { collect(operation, reply, clock: clock, into: &events) }
        case .txn(let transaction):
            guard case .transaction(let succeeded, let replies) = reply else { return }
            let branch = succeeded ? transaction.success : transaction.failure
            guard replies.count == branch.count else { return }
            for (operation, reply) in zip(branch, replies) { collect(operation, reply, clock: clock, into: &events) }
        }
    }

    /// The events of one `KeyOp` that answered `reply` (not an error).
    static func of(_ op: KeyOp, reply: OpReply, clock: LeaderTime) -> [KVEvent] {
        switch op {
        case .set(let key, _, let options):
            guard setWrote(options, reply: reply) else { return [] }
            switch deadlineEvent(options.expiry, clock: clock) {
            case .del?: return [KVEvent(.set, key), KVEvent(.del, key)]
            case .expire?: return [KVEvent(.set, key), KVEvent(.expire, key)]
            default: return [KVEvent(.set, key)]
            }
        case .delete(let keys, _):
            guard case .integer(let removed) = reply, removed > 0 else { return [] }
            var seen = Set<Bytes>()
            return keys.filter { seen.insert($0).inserted }.map { KVEvent(.del, $0) }
        case .getDelete(let key):
            if case .bulk = reply { return [KVEvent(.del, key)] }
            return []
        case .incrementBy(let key, _): return [KVEvent(.incrby, key)]
        case .incrementByFloat(let key, _): return [KVEvent(.incrbyfloat, key)]
        case .append(let key, _): return [KVEvent(.append, key)]
        case .read, .deadline: return []
        case .expire(let key, let expiry, _, _):
            guard reply == .integer(1) else { return [] }
            return [KVEvent(deadlineEvent(expiry, clock: clock) ?? .persist, key)]
        case .getExpire(let key, let expiry):
            guard case .bulk = reply, expiry != .keep else { return [] }
            return [KVEvent(deadlineEvent(expiry, clock: clock) ?? .persist, key)]
        }
    }

    /// Whether a SET with `options` wrote, given its reply. With GET the reply is the old value
    /// whether or not the condition held, but each condition tells from the old value.
    static func setWrote(_ options: SetOptions, reply: OpReply) -> Bool {
        guard options.returnsOld else { return reply == .ok }
        switch options.condition {
        case .always: return true
        case .ifAbsent: return reply == .null
        case .ifPresent: if case .bulk = reply { return true } else { return false }
        case .ifEquals(let expected): return reply == .bulk(expected)
        }
    }

    /// The event a write's new deadline makes: `expire`, `del` for one already past (the key is
    /// gone), nil for none (`.clear`: the caller decides; `.keep`: no change).
    static func deadlineEvent(_ expiry: Expiry, clock: LeaderTime) -> KVEvent.Name? {
        switch expiry {
        case .clear, .keep: return nil
        case .after(let milliseconds): return milliseconds <= 0 ? .del : .expire
        case .at(let time): return time <= clock ? .del : .expire
        case .extend: return .expire
        }
    }
}
