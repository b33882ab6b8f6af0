package import PaxosCore
package import PaxosStorage

/// The applied state rebuilt from chosen commands, for checking a node's `kv` and `sessions`
/// tables against its log (`verify`) and one node's tables against another's (`diff`).
///
/// The values and sessions come from `KVStateMachine` itself, so the replay makes exactly the
/// decisions the core's state machine and `SQLiteLogStore.apply` make. Beside it, the replay
/// remembers what the `kv` table stores and the state machine does not: the slot that last
/// wrote each key.
///
/// - Invariant: `keySlots` has exactly the keys of `machine.table`.
package struct KVReplay: Hashable, Sendable {
    private var machine: KVStateMachine
    private var keySlots: [Bytes: Slot]

    /// The last slot applied.
    package var appliedThrough: Slot { machine.appliedThrough }

    /// An empty state machine, before slot 1.
    package init() {
        machine = KVStateMachine()
        keySlots = [:]
    }

    /// The state a node's tables hold at its applied slot. Sessions with a result code `Schema`
    /// does not define are left out; `verify` reports them.
    package init(keys: [InspectedKey], sessions rows: [InspectedSession], appliedThrough: Slot) {
        var table: [Bytes: Bytes] = [:]
        var sessions: [ClientID: ClientSession] = [:]
        keySlots = [:]
        for row in keys {
            table[row.key] = row.value
            keySlots[row.key] = row.slot
        }
        for row in rows {
            guard let result = row.result else { continue }
            sessions[row.client] = ClientSession(lastSequence: row.lastSequence, lastResult: result, slot: row.slot)
        }
        machine = KVStateMachine(table: table, sessions: sessions, appliedThrough: appliedThrough)
    }

    /// Applies the command chosen for `slot`.
    /// - Precondition: `slot` is the slot after `appliedThrough`; callers check first.
    package mutating func apply(slot: Slot, command: Command) {
        // Which requests the state machine will execute (rather than answer from a session) is
        // decided request by request, each seeing the sessions the earlier ones left.
        var sessions = machine.sessions
        var executed: [ClientRequest] = []
        for request in command.requests {
            guard case .execute = ClientSession.decide(sessions[request.client], request: request, at: slot,
                                                       expirySlots: machine.sessionExpirySlots) else { continue }
            // The result does not matter to later decisions, only the sequence and slot do.
            sessions[request.client] = ClientSession(lastSequence: request.sequence, lastResult: .ok, slot: slot)
            executed.append(request)
        }
        _ = machine.apply(slot: slot, command: command)
        for request in executed {
            switch request.operation {
            case .put(let key, _): keySlots[key] = slot
            case .delete(let key): keySlots[key] = nil
            }
        }
    }

    private struct Cell {
        var value: Bytes
        var slot: Slot
    }

    private func cell(_ key: Bytes) -> Cell? {
        guard let value = machine.get(key), let slot = keySlots[key] else { return nil }
        return Cell(value: value, slot: slot)
    }

    /// The first way the stored tables differ from this state, in key order then client order,
    /// as a sentence naming the key or client; nil when they are equal. `stored` names the
    /// tables' owner in the sentence ("the kv table", "node 3's kv table").
    package func firstDifference(keys: [InspectedKey], sessions rows: [InspectedSession], stored: String,
                                 expected: String) -> String? {
        var seen: Set<Bytes> = []
        for row in keys {
            seen.insert(row.key)
            let key = BytesDisplay.quoted(row.key)
            guard let cell = cell(row.key) else {
                return "key \(key): \(stored) holds \(BytesDisplay.preview(row.value)) written at slot \(row.slot), "
                    + "but \(expected) has no such key"
            }
            guard cell.value == row.value, cell.slot == row.slot else {
                return "key \(key): \(stored) holds \(BytesDisplay.preview(row.value)) written at slot \(row.slot), "
                    + "but \(expected) gives \(BytesDisplay.preview(cell.value)) written at slot \(cell.slot)"
            }
        }
        let absent = keySlots.keys.filter { !seen.contains($0) }
        if let key = absent.min(by: { $0.lexicographicallyPrecedes($1) }), let cell = cell(key) {
            return "key \(BytesDisplay.quoted(key)): \(stored) lacks it, but \(expected) gives "
                + "\(BytesDisplay.preview(cell.value)) written at slot \(cell.slot)"
        }
        return firstSessionDifference(sessions: rows, stored: stored, expected: expected)
    }

    private func firstSessionDifference(sessions rows: [InspectedSession], stored: String, expected: String) -> String? {
        var seen: Set<ClientID> = []
        for row in rows {
            seen.insert(row.client)
            let actual = "sequence \(row.lastSequence) (result \(Self.describe(row.result, code: row.resultCode))) at slot \(row.slot)"
            guard let session = machine.sessions[row.client] else {
                return "client \(row.client.rawValue): \(stored) records \(actual), but \(expected) has no session for it"
            }
            guard session.lastSequence == row.lastSequence, session.lastResult == row.result, session.slot == row.slot else {
                return "client \(row.client.rawValue): \(stored) records \(actual), but \(expected) gives sequence "
                    + "\(session.lastSequence) (result \(Self.describe(session.lastResult, code: nil))) at slot \(session.slot)"
            }
        }
        let absent = machine.sessions.filter { !seen.contains($0.key) }
        if let (client, session) = absent.min(by: { $0.key < $1.key }) {
            return "client \(client.rawValue): \(stored) has no session, but \(expected) gives sequence "
                + "\(session.lastSequence) at slot \(session.slot)"
        }
        return nil
    }

    static func describe(_ result: OperationResult?, code: Int64?) -> String {
        switch result {
        case .ok: "ok"
        case .deleted(existed: false): "deleted, absent"
        case .deleted(existed: true): "deleted, existed"
        case .superseded: "superseded"
        case .expired: "expired (never stored)"
        case nil: "unknown code \(code ?? -1)"
        }
    }
}
