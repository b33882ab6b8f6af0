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
    /// `ClientSession.expirySlots` outside tests, which shorten it to exercise expiry.
    public let sessionExpirySlots: UInt64

    public init(sessionExpirySlots: UInt64 = ClientSession.expirySlots) {
        self.sessionExpirySlots = sessionExpirySlots
    }

    /// A state machine restored from tables that were taken at `appliedThrough`: a snapshot, or
    /// a node's stored `kv` and `sessions` tables (`paxos-inspect` replays a node's log on top
    /// of another node's tables this way).
    /// - Precondition: the tables are the state after applying every slot ≤ `appliedThrough`.
    public init(table: [Bytes: Bytes], sessions: [ClientID: ClientSession], appliedThrough: Slot,
                sessionExpirySlots: UInt64 = ClientSession.expirySlots) {
        self.table = table
        self.sessions = sessions
        self.appliedThrough = appliedThrough
        self.sessionExpirySlots = sessionExpirySlots
    }

    /// Applies the command chosen for `slot` and returns one result per request in the batch.
    /// - Precondition: `slot == appliedThrough.next` (the core emits applies in order).
    public mutating func apply(slot: Slot, command: Command) -> [(request: ClientRequest, result: OperationResult)] {
        precondition(slot == appliedThrough.next, "apply of slot \(slot) after \(appliedThrough): out of order")
        appliedThrough = slot
        let results = command.requests.map { request in (request, apply(request, slot: slot)) }
        if ClientSession.prunes(after: slot) {
            sessions = sessions.filter { $0.value.isLive(at: slot, expirySlots: sessionExpirySlots) }
        }
        return results
    }

    private mutating func apply(_ request: ClientRequest, slot: Slot) -> OperationResult {
        switch ClientSession.decide(sessions[request.client], request: request, at: slot, expirySlots: sessionExpirySlots) {
        case .duplicate(let result): return result
        case .superseded: return .superseded
        case .expired: return .expired
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
        sessions[request.client] = ClientSession(lastSequence: request.sequence, lastResult: result, slot: slot)
        return result
    }

    public func get(_ key: Bytes) -> Bytes? { table[key] }
}
