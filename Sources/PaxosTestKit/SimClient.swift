import PaxosCore

/// A simulated client: one operation at a time, retried with the same (client, sequence) until
/// some replica answers, so exactly-once application is exercised on every leader change.
struct SimClient {
    let index: Int
    let id: ClientID
    var sequence: UInt64 = 0
    var current: Outstanding?
    /// The replica the client believes leads.
    var target: ReplicaID
    /// Bumped on every attempt, so a stale timeout does not fire for a newer attempt.
    var attempt = 0

    struct Outstanding {
        var op: Int
        var kind: SimOperationKind
        var sequence: UInt64
    }
}

/// What a simulated client asks for.
enum SimOperationKind: Hashable {
    case put(key: Bytes, value: Bytes)
    case delete(key: Bytes)
    case get(key: Bytes)

    var key: Bytes {
        switch self {
        case .put(let key, _), .delete(let key), .get(let key): key
        }
    }
}

/// A client-visible result, as recorded in the history.
enum SimOutcome: Hashable {
    case ok
    case deleted(existed: Bool)
    case value(Bytes?)
}
