/// Keys and values are arbitrary bytes, as in Redis.
public typealias Bytes = [UInt8]

/// One client operation that goes through the log. Reads do not: they are served from the
/// applied state after a leadership confirmation (see `Replica+Reads.swift`).
///
/// `put` and `delete` are the original two operations (tags 0x01, 0x02): plain `SET k v` and
/// `DEL k` stay on them, so the hot path and old logs are byte for byte what they were. Every
/// other single-key write is a `KeyOp` (tag 0x03), whose result is a `.reply(OpReply)`.
/// `all` (tag 0x04: MSET, the body of EXEC) and `txn` (tag 0x05: compares, then one branch)
/// combine operations of one group into one request, so they apply in one slot, at one
/// revision (`OperationExecutor+Transactions.swift`).
public indirect enum Operation: Hashable, Sendable {
    case put(key: Bytes, value: Bytes)
    case delete(key: Bytes)
    case key(KeyOp)
    /// Every operation in order, one reply each (`OpReply.array`); an `.error` in one does not
    /// undo the others, as in Redis's EXEC.
    case all([Operation])
    /// If every compare holds, `success` as an `.all`, otherwise `failure` (`OpReply.transaction`).
    case txn(Transaction)

    /// Every key the operation touches or compares, for routing.
    public var keys: [Bytes] {
        switch self {
        case .put(let key, _), .delete(let key): [key]
        case .key(let op): op.keys
        case .all(let operations): operations.flatMap(\.keys)
        case .txn(let transaction): transaction.keys
        }
    }

    /// The key a single-key operation routes by: the first of `keys`.
    /// - Precondition: the operation touches at least one key (every operation a client
    ///   compiles does; `KeyOp.delete` with no keys is refused at parse).
    public var routingKey: Bytes {
        guard let first = keys.first else { preconditionFailure("operation \(self) touches no key") }
        return first
    }
}

/// A client operation with its exactly-once identity.
///
/// - Invariant: a client issues increasing `sequence` numbers, and reuses the same number
///   only when it retries the very same operation.
public struct ClientRequest: Hashable, Sendable, CustomStringConvertible {
    public var client: ClientID
    public var sequence: UInt64
    public var operation: Operation
    /// The applied slot of the node that first submitted the request, fixed for every retry of
    /// it: the request is refused as `.expired` in any slot more than
    /// `ClientSession.expirySlots` above it, which is what lets sessions expire without a late
    /// retry being applied twice (see `ClientSession.decide`). Nil in requests logged before
    /// sessions expired (command tag 0x01); those keep the rule of that time.
    /// - Invariant: set before the request is first proposed, never changed by a retry.
    public var origin: Slot?

    public init(client: ClientID, sequence: UInt64, operation: Operation, origin: Slot? = nil) {
        self.client = client
        self.sequence = sequence
        self.operation = operation
        self.origin = origin
    }

    public var description: String { "\(client)#\(sequence)" }
}

/// What a slot holds: a batch of client operations, a no-op that fills a hole found during
/// phase 1 recovery, or the next membership (see `Membership`: it governs the slots from this
/// one plus `Membership.activationDistance`).
public enum Command: Hashable, Sendable {
    case noop
    case batch([ClientRequest])
    case configure(Membership)
    /// A batch stamped with the leader's clock reading (tag 0x05). Applying it first raises
    /// the state machine's clock to `time` (never lowers it), and every operation of the slot
    /// judges deadlines by that clock (docs/design/coordination-api.md §3). Without requests it
    /// is a "clock slot": it only moves the clock and sweeps expired keys. Untimed runs (the
    /// simulator's plain seeds, tests) keep `.batch`, so their logs and digests do not change.
    case timedBatch(time: LeaderTime, requests: [ClientRequest])

    public var requests: [ClientRequest] {
        switch self {
        case .noop, .configure: []
        case .batch(let requests), .timedBatch(_, let requests): requests
        }
    }

    /// The leader's clock reading this command carries, if it is a timed batch.
    public var time: LeaderTime? {
        if case .timedBatch(let time, _) = self { time } else { nil }
    }

    /// The membership this command chooses, if it is a configuration change.
    public var membership: Membership? {
        if case .configure(let membership) = self { membership } else { nil }
    }
}

/// The result of applying one operation, or of a read.
public enum OperationResult: Hashable, Sendable {
    /// A put was applied.
    case ok
    /// A delete was applied; `existed` says whether the key was present (Redis `DEL` returns 1 or 0).
    case deleted(existed: Bool)
    /// The request's sequence is below the client's last applied one: it was applied long ago
    /// and its reply is no longer remembered.
    case superseded
    /// Refused, never applied: the request landed more than `ClientSession.expirySlots` slots
    /// after the slot its submitter had applied (`ClientRequest.origin`), so its session may
    /// have expired since an earlier copy was applied. Every later copy is refused too; the
    /// submitter may send the operation again with a fresh origin.
    case expired
    /// The reply of a `KeyOp` (stored as session result code 5 with the encoded reply).
    case reply(OpReply)
}
