import PaxosCore

/// A simulated client: one operation at a time, retried with the same (client, sequence) until
/// some replica answers, so exactly-once application is exercised on every leader change.
///
/// With several groups, one client's sequence numbers spread over the groups its keys belong
/// to, so each group's session table sees gaps; the session rule only needs them to increase.
struct SimClient {
    let index: Int
    let id: ClientID
    var sequence: UInt64 = 0
    var current: Outstanding?
    /// The replica the client believes leads each group, by group index.
    var targets: [ReplicaID]
    /// Bumped on every attempt, so a stale timeout does not fire for a newer attempt.
    var attempt = 0

    struct Outstanding {
        var op: Int
        var kind: SimOperationKind
        var sequence: UInt64
        /// The group the key belongs to, which runs the operation.
        var group: Int
        /// `ClientRequest.origin`: the chosen frontier of the replica the write first reached,
        /// kept for every retry as paxosd keeps it.
        var origin: Slot?
        /// How many nodes were asked: an answer of "not applied" speaks only for its own
        /// attempt, so it is believed only when there was one.
        var attempts = 0
    }
}

/// What a simulated client asks for.
enum SimOperationKind: Hashable {
    case put(key: Bytes, value: Bytes)
    case delete(key: Bytes)
    case get(key: Bytes)
    // Key operations, with `SimConfiguration.coordinationOps` (Simulation+Coordination.swift).
    case incrementBy(key: Bytes, by: Int64)
    case setIf(key: Bytes, value: Bytes, SetCondition)
    case getSet(key: Bytes, value: Bytes)
    case deleteIfEquals(key: Bytes, value: Bytes)
    case getDelete(key: Bytes)
    // Operations on a family of keys, with `coordinationOps` (Simulation+Families.swift).
    case mset(keys: [Bytes], values: [Bytes], ifNoneExist: Bool)
    case mget(keys: [Bytes])
    case mdelete(keys: [Bytes])
    /// WATCH's read of the keys' values and revisions.
    case watch(keys: [Bytes])
    /// EXEC of the client's WATCH: one transaction comparing the revisions it saw.
    case exec(keys: [Bytes], values: [Bytes], revisions: [Revision])
    // TTL operations, with `SimConfiguration.leaderClocks` (Simulation+Expiry.swift).
    case setExpiring(key: Bytes, value: Bytes, milliseconds: Int64)
    case expire(key: Bytes, milliseconds: Int64)

    var key: Bytes {
        switch self {
        case .put(let key, _), .delete(let key), .get(let key): key
        case .incrementBy(let key, _), .setIf(let key, _, _), .getSet(let key, _), .deleteIfEquals(let key, _),
             .getDelete(let key): key
        case .mset(let keys, _, _), .mget(let keys), .mdelete(let keys), .watch(let keys), .exec(let keys, _, _): keys.first ?? []
        case .setExpiring(let key, _, _), .expire(let key, _): key
        }
    }

    var isWrite: Bool {
        switch self {
        case .get, .mget, .watch: false
        default: true
        }
    }
}

/// A client-visible result, as recorded in the history.
enum SimOutcome: Hashable {
    case ok
    case deleted(existed: Bool)
    case value(Bytes?)
    /// A key operation's reply.
    case reply(OpReply)
    /// A read of several keys, or with revisions (MGET, WATCH).
    case answer(ReadAnswer)
}
