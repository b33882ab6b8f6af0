package import PaxosCore
package import PaxosStorage

/// The applied state rebuilt from chosen commands, for checking a node's `kv` and `sessions`
/// tables against its log (`verify`) and one node's tables against another's (`diff`).
///
/// The rows and sessions come from `KVStateMachine` itself, which applies through
/// `OperationExecutor`, so the replay makes exactly the decisions the simulator's state machine
/// and `SQLiteLogStore.apply` make, revisions included.
package struct KVReplay: Hashable, Sendable {
    private var machine: KVStateMachine

    /// The last slot applied.
    package var appliedThrough: Slot { machine.appliedThrough }
    /// The replayed log clock (`meta.log_clock` of a node that applied the same slots).
    package var clock: LeaderTime { machine.clock }

    /// An empty state machine, before slot 1.
    package init() {
        machine = KVStateMachine()
    }

    /// The state a node's tables hold at its applied slot. Rows with a column out of range and
    /// sessions with a result code `Schema` does not define are left out; `verify` reports them.
    package init(keys: [InspectedKey], sessions rows: [InspectedSession], appliedThrough: Slot,
                 clock: LeaderTime = LeaderTime(rawValue: 0)) {
        var table: [Bytes: KVRow] = [:]
        var sessions: [ClientID: ClientSession] = [:]
        for key in keys {
            guard let row = key.row else { continue }
            table[key.key] = row
        }
        for row in rows {
            guard let result = row.result else { continue }
            sessions[row.client] = ClientSession(lastSequence: row.lastSequence, lastResult: result, slot: row.slot)
        }
        machine = KVStateMachine(rows: table, sessions: sessions, appliedThrough: appliedThrough, clock: clock)
    }

    /// What each replayed slot changed (`KVChange`), for the slots that changed something: what
    /// the node's `kv_changes` must hold from its `meta.changes_from` on.
    package private(set) var changes: [Slot: [KVChange]] = [:]

    /// Applies the command chosen for `slot`.
    /// - Precondition: `slot` is the slot after `appliedThrough`; callers check first.
    package mutating func apply(slot: Slot, command: Command) {
        let (_, changed) = machine.applyRecordingChanges(slot: slot, command: command)
        if !changed.isEmpty { changes[slot] = changed }
    }

    /// The first way the stored `kv_changes` rows differ from the replay's changes of the slots
    /// from `from` on, naming the slot; nil when they are equal.
    package func firstChangesDifference(_ rows: [(slot: Slot, changes: Result<[KVChange], InspectionProblem>)], from: Slot) -> (Slot, String)? {
        var seen: Set<Slot> = []
        for row in rows {
            seen.insert(row.slot)
            let stored: [KVChange]
            switch row.changes {
            case .failure(let problem): return (row.slot, problem.description)
            case .success(let decoded): stored = decoded
            }
            guard row.slot >= from else { continue }
            let expected = changes[row.slot] ?? []
            guard stored == expected else {
                return (row.slot, "kv_changes records [\(stored.map(\.description).joined(separator: ", "))], but a replay of the "
                    + "chosen log gives [\(expected.map(\.description).joined(separator: ", "))]")
            }
        }
        if let slot = changes.keys.filter({ $0 >= from && !seen.contains($0) }).min() {
            return (slot, "kv_changes has no row, but a replay of the chosen log gives "
                + "[\(changes[slot]!.map(\.description).joined(separator: ", "))]")
        }
        return nil
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
            let actual = "\(BytesDisplay.preview(row.value)) at revision \(row.revisionText)\(Self.deadline(row.expireAt))"
            guard let cell = machine.rows[row.key] else {
                return "key \(key): \(stored) holds \(actual), but \(expected) has no such key"
            }
            guard row.row == cell else {
                return "key \(key): \(stored) holds \(actual), but \(expected) gives \(Self.describe(cell))"
            }
        }
        let absent = machine.rows.keys.filter { !seen.contains($0) }
        if let key = absent.min(by: { $0.lexicographicallyPrecedes($1) }), let cell = machine.rows[key] {
            return "key \(BytesDisplay.quoted(key)): \(stored) lacks it, but \(expected) gives \(Self.describe(cell))"
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

    static func describe(_ row: KVRow) -> String {
        "\(BytesDisplay.preview(row.value)) at revision \(row.revision)\(deadline(row.deadline.map { Int64(bitPattern: $0.rawValue) }))"
    }

    static func deadline(_ expireAt: Int64?) -> String { expireAt.map { " expiring at \($0) ms" } ?? "" }

    static func describe(_ result: OperationResult?, code: Int64?) -> String {
        switch result {
        case .ok: "ok"
        case .deleted(existed: false): "deleted, absent"
        case .deleted(existed: true): "deleted, existed"
        case .superseded: "superseded"
        case .expired: "expired (never stored)"
        case .reply(let reply): "reply \(reply)"
        case nil: "unknown code \(code ?? -1)"
        }
    }
}
