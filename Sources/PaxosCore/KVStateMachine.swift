/// The replicated state: a key-value table plus the exactly-once session table.
///
/// This in-memory version is what the simulator applies to; PaxosStorage keeps the same
/// state in SQLite and MUST make the same decisions, which is why the session rule lives in
/// `ClientSession.decide(sequence:)` for both to call.
public struct KVStateMachine: Hashable, Sendable {
    public private(set) var table: [Bytes: Bytes] = [:]
    public private(set) var sessions: [ClientID: ClientSession] = [:]
    /// - Invariant: every chosen slot ≤ `appliedThrough` has been applied exactly once, in order.
    public private(set) var appliedThrough: Slot = .zero

    public init() {}

    /// A state machine restored from tables that were taken at `appliedThrough`: a snapshot, or
    /// a node's stored `kv` and `sessions` tables (`paxos-inspect` replays a node's log on top
    /// of another node's tables this way).
    /// - Precondition: the tables are the state after applying every slot ≤ `appliedThrough`.
    public init(table: [Bytes: Bytes], sessions: [ClientID: ClientSession], appliedThrough: Slot) {
        self.table = table
        self.sessions = sessions
        self.appliedThrough = appliedThrough
    }

    /// Applies the command chosen for `slot` and returns one result per request in the batch.
    /// - Precondition: `slot == appliedThrough.next` (the core emits applies in order).
    public mutating func apply(slot: Slot, command: Command) -> [(request: ClientRequest, result: OperationResult)] {
        precondition(slot == appliedThrough.next, "apply of slot \(slot) after \(appliedThrough): out of order")
        appliedThrough = slot
        return command.requests.map { request in (request, apply(request)) }
    }

    private mutating func apply(_ request: ClientRequest) -> OperationResult {
        switch ClientSession.decide(sessions[request.client], sequence: request.sequence) {
        case .duplicate(let result): return result
        case .superseded: return .superseded
        case .execute: break
        }
        let result: OperationResult
        switch request.operation {
        case .put(let key, let value):
            table[key] = value
            result = .ok
        case .delete(let key):
            result = .deleted(existed: table.removeValue(forKey: key) != nil)
        }
        sessions[request.client] = ClientSession(lastSequence: request.sequence, lastResult: result)
        return result
    }

    public func get(_ key: Bytes) -> Bytes? { table[key] }
}

/// The last request applied for one client, remembered so a retry is answered, not re-applied.
public struct ClientSession: Hashable, Sendable {
    public var lastSequence: UInt64
    public var lastResult: OperationResult

    public init(lastSequence: UInt64, lastResult: OperationResult) {
        self.lastSequence = lastSequence
        self.lastResult = lastResult
    }

    public enum Decision: Hashable, Sendable {
        /// First time this request is seen: apply it.
        case execute
        /// A retry of the last applied request: answer with the remembered result.
        case duplicate(OperationResult)
        /// Older than the last applied request: it was applied before; its reply is gone.
        case superseded
    }

    /// The exactly-once rule, shared by every state machine implementation.
    public static func decide(_ session: ClientSession?, sequence: UInt64) -> Decision {
        guard let session else { return .execute }
        if sequence > session.lastSequence { return .execute }
        if sequence == session.lastSequence { return .duplicate(session.lastResult) }
        return .superseded
    }
}
