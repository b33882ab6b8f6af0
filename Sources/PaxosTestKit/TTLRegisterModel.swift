import PaxosCore

/// The sequential specification of one key with deadlines: `CounterRegisterModel`'s register
/// plus SET PX, PEXPIRE and the *expiries* they schedule (`TTLWindow`), used only for keys
/// that have SET PX or PEXPIRE, so every other key is checked exactly as before.
///
/// **Whose deadline.** The state is the register's plus the *owner* of the key's deadline: the
/// SET PX or PEXPIRE that set it, or none. An expiry of operation `o` deletes the key exactly
/// when `o` still owns the deadline, and changes nothing otherwise (the key was overwritten,
/// deleted, or given another deadline since: only the newest deadline runs). Who keeps the
/// owner follows the executor (`OperationExecutor.execute`): SET, SET NX/XX/IFEQ when they
/// write and GETSET clear the deadline; INCR keeps it (Redis's rule); a delete removes the key
/// and with it the deadline; failed and read-only steps change nothing.
///
/// **An expiry after its cause.** `KeyHistory.predecessor` makes the search take an expiry
/// only once its SET PX or PEXPIRE is linearized: taken before it, the expiry would be a
/// no-op that used up the obligation to delete, and a key that never expired would pass.
///
/// No step floats (`floats`): an expiry's effect depends on the state, and an unknown SET PX
/// sets an owner only it has. Unknown operations stay pending to +∞, as in the counter model.
///
/// - Invariant: `owner != nil` implies `value != .absent`.
struct TTLRegisterModel: SequentialSpec {
    struct State: Hashable {
        var value: CounterRegisterModel.State
        var owner: HistoryOperation.ID?
    }

    enum Step: Hashable {
        /// A counter-register step; `keepsDeadline` for INCR, which keeps the key's deadline.
        case register(CounterRegisterModel.Step, keepsDeadline: Bool)
        /// SET PX by `owner`: the put, then the key's deadline is `owner`'s.
        case setExpiring(CounterRegisterModel.Step, owner: HistoryOperation.ID)
        /// PEXPIRE by `owner`, which answered whether the key existed (nil: unknown).
        case expire(owner: HistoryOperation.ID, existed: Bool?)
        /// The expiry `of` scheduled: deletes the key if `of` still owns its deadline.
        case expiry(of: HistoryOperation.ID)
    }

    static let initial = State(value: CounterRegisterModel.initial, owner: nil)

    private var register: CounterRegisterModel

    init(operations: [HistoryOperation]) {
        register = CounterRegisterModel(operations: operations)
    }

    mutating func step(for operation: HistoryOperation) -> Step? {
        switch (operation.kind, operation.outcome) {
        case (.setExpiring(let key, let value, _), let outcome):
            // The register sees a put of the same value (interned, or unobserved if unknown).
            let put = HistoryOperation(id: operation.id, client: operation.client, kind: .put(key: key, value: value),
                                       invokedAt: operation.invokedAt, completedAt: operation.completedAt,
                                       outcome: outcome == .unknown ? .unknown : .ok)
            guard let step = register.step(for: put) else { preconditionFailure("ttl register: a put always has a step") }
            return .setExpiring(step, owner: operation.id)
        case (.expire, .reply(.integer(let count))): return .expire(owner: operation.id, existed: count == 1)
        case (.expire, _): return .expire(owner: operation.id, existed: nil)
        case (.expiry(_, let of), _): return .expiry(of: of)
        case (.incrementBy, _): return register.step(for: operation).map { .register($0, keepsDeadline: true) }
        default: return register.step(for: operation).map { .register($0, keepsDeadline: false) }
        }
    }

    func apply(_ step: Step, to state: State) -> State? {
        switch step {
        case .register(let step, let keepsDeadline):
            guard let value = register.apply(step, to: state.value) else { return nil }
            if value == .absent { return State(value: .absent, owner: nil) }
            let wrote = !keepsDeadline && Self.writes(step, in: state.value)
            return State(value: value, owner: wrote ? nil : state.owner)
        case .setExpiring(let put, let owner):
            guard let value = register.apply(put, to: state.value) else { return nil }
            return State(value: value, owner: owner)
        case .expire(let owner, let existed):
            let exists = state.value != .absent
            if let existed, existed != exists { return nil }
            return exists ? State(value: state.value, owner: owner) : state
        case .expiry(let of):
            return state.owner == of ? State(value: .absent, owner: nil) : state
        }
    }

    /// Whether `step`, accepted in `state`, rewrites the key's row (and so clears its deadline,
    /// for every write but INCR). The conditions are `CounterRegisterModel`'s.
    private static func writes(_ step: CounterRegisterModel.Step, in state: CounterRegisterModel.State) -> Bool {
        switch step {
        case .put, .getSet: true
        case .get, .increment, .delete, .deleteIfEquals, .getDelete: false
        case .setIf(let condition, _, _): CounterRegisterModel.holds(condition, in: state)
        }
    }

    /// No step floats: see the type's comment.
    func floats(_ step: Step) -> Bool { false }

    func render(_ state: State) -> String {
        register.render(state.value) + (state.owner.map { " with the deadline of \($0)" } ?? "")
    }

    func explain(_ step: Step, in state: State) -> String {
        guard apply(step, to: state) == nil else {
            return "could take effect here, but every order of the remaining operations fails"
        }
        switch step {
        case .register(let step, _): return register.explain(step, in: state.value)
        case .expire(_, let existed):
            return "reported existed=\(existed.map { "\($0)" } ?? "unknown") but the key holds \(render(state))"
        case .setExpiring, .expiry: preconditionFailure("ttl register: SET PX and expiries are accepted in every state")
        }
    }
}
