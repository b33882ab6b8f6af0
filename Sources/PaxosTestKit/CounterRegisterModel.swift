import PaxosCore

/// The sequential specification of one key that also takes INCR and the conditional writes:
/// a register (absent, or holding a value) with
/// - `incrementBy(n)`: absent counts as 0; a value that is not a Redis integer
///   (`RedisInteger.parse`) answers `.error(.notInteger)` and a sum outside Int64
///   `.error(.overflow)`, both changing nothing; otherwise the key holds the sum's text and
///   the answer is `.integer(sum)`;
/// - `setIf(value, NX | XX | IFEQ old)`: writes and answers `.ok` if the condition holds
///   (IFEQ never holds on an absent key), else `.null`;
/// - `getSet(value)`: writes, answers the old value (`.bulk`) or `.null`;
/// - `deleteIfEquals(value)`: deletes and answers 1 if the key holds exactly `value`, else 0;
/// - `getDelete`: deletes, answers the old value or `.null`;
/// plus put, delete and get as in `RegisterModel`. These are `OperationExecutor`'s rules
/// for the same operations (docs/design/coordination-api.md §1.3), restated independently.
///
/// **States.** A value that is a Redis integer is its number (`.integer`), so an INCR's state
/// needs no interning; other values are interned (`.value`). Unknown-outcome writes of values
/// that no operation ever observed or compared with share `.unobserved`, as in
/// `RegisterModel`; a value that is an integer is never `.unobserved`, since an INCR can tell
/// it from another.
///
/// **Unknown outcomes.** An operation whose client never heard back steps without a recorded
/// outcome: it is accepted in every state, and the state after it is what the operation does
/// there (an unknown INCR adds, or changes nothing on a non-integer). That state depends on
/// the state before, so no step floats (`floats`): each unknown operation stays pending to
/// +∞ and may be linearized anywhere after its invocation, where at the very end it is
/// invisible (Porcupine's and Knossos's treatment).
///
/// - Invariant: `.value(i)` indexes `values`, and `values` holds no Redis integer.
struct CounterRegisterModel: SequentialSpec {
    enum State: Hashable {
        case absent
        case unobserved
        case value(Int)
        case integer(Int64)
    }

    /// What an INCR answered.
    enum IncrementReply: Hashable {
        case sum(Int64)
        case notInteger
        case overflow
    }

    enum Condition: Hashable {
        case always
        case absent
        case present
        case equals(State)
    }

    /// One operation, reduced to what the specification needs; a `nil` outcome is unknown.
    enum Step: Hashable {
        case put(value: State)
        case delete(existed: Bool?)
        case get(value: State)
        case increment(by: Int64, reply: IncrementReply?)
        case setIf(Condition, value: State, written: Bool?)
        case getSet(value: State, old: State?)
        case deleteIfEquals(State, deleted: Bool?)
        case getDelete(old: State?)
    }

    static let initial: State = .absent

    private var values: [Bytes] = []
    private var stateOfValue: [Bytes: State] = [:]
    /// Values some operation returned or compared the key with.
    private let observed: Set<Bytes>

    init(operations: [HistoryOperation]) {
        var observed = Set<Bytes>()
        for operation in operations {
            if let value = operation.observedValue { observed.insert(value) }
            switch operation.kind {
            case .setIf(_, _, .ifEquals(let compared)), .deleteIfEquals(_, let compared): observed.insert(compared)
            default: break
            }
        }
        self.observed = observed
    }

    /// The state that holds `bytes`, allocating one on first sight.
    private mutating func intern(_ bytes: Bytes?) -> State {
        guard let bytes else { return .absent }
        if let number = RedisInteger.parse(bytes) { return .integer(number) }
        if let state = stateOfValue[bytes] { return state }
        values.append(bytes)
        stateOfValue[bytes] = .value(values.count - 1)
        return .value(values.count - 1)
    }

    /// The state a write of `value` leaves, when the write's outcome is `unknown`.
    private mutating func written(_ value: Bytes, unknown: Bool) -> State {
        unknown && !observed.contains(value) && RedisInteger.parse(value) == nil ? .unobserved : intern(value)
    }

    mutating func step(for operation: HistoryOperation) -> Step? {
        let unknown = operation.outcome == .unknown
        switch (operation.kind, operation.outcome) {
        case (.put(_, let value), _): return .put(value: written(value, unknown: unknown))
        case (.delete, .deleted(let existed)): return .delete(existed: existed)
        case (.delete, _): return .delete(existed: nil)
        case (.get, .value(let value)): return .get(value: intern(value))
        case (.get, _): return nil
        case (.incrementBy(_, let by), .reply(.integer(let sum))): return .increment(by: by, reply: .sum(sum))
        case (.incrementBy(_, let by), .reply(.error(.notInteger))): return .increment(by: by, reply: .notInteger)
        case (.incrementBy(_, let by), .reply(.error(.overflow))): return .increment(by: by, reply: .overflow)
        case (.incrementBy(_, let by), _): return .increment(by: by, reply: nil)
        case (.setIf(_, let value, let condition), _):
            let written: Bool? = switch operation.outcome { case .reply(.ok): true; case .reply(.null): false; default: nil }
            return .setIf(self.condition(condition), value: self.written(value, unknown: unknown), written: written)
        case (.getSet(_, let value), _): return .getSet(value: written(value, unknown: unknown), old: old(operation.outcome))
        case (.deleteIfEquals(_, let value), .reply(.integer(let count))): return .deleteIfEquals(intern(value), deleted: count == 1)
        case (.deleteIfEquals(_, let value), _): return .deleteIfEquals(intern(value), deleted: nil)
        case (.getDelete, _): return .getDelete(old: old(operation.outcome))
        case (.mset, _), (.mget, _), (.mdelete, _), (.watch, _), (.exec, _):
            preconditionFailure("counter register: \(operation.kind) needs FamilyModel")
        case (.setExpiring, _), (.expire, _), (.expiry, _):
            preconditionFailure("counter register: \(operation.kind) needs TTLRegisterModel")
        }
    }

    private mutating func condition(_ condition: SetCondition) -> Condition {
        switch condition {
        case .always: .always
        case .ifAbsent: .absent
        case .ifPresent: .present
        case .ifEquals(let old): .equals(intern(old))
        }
    }

    /// The old value a GETSET or GETDEL answered, or nil if unknown.
    private mutating func old(_ outcome: HistoryOperation.Outcome) -> State? {
        switch outcome {
        case .reply(.bulk(let value)): intern(value)
        case .reply(.null): .absent
        default: nil
        }
    }

    func apply(_ step: Step, to state: State) -> State? {
        switch step {
        case .put(let value):
            return value
        case .delete(let existed):
            if let existed, existed != (state != .absent) { return nil }
            return .absent
        case .get(let value):
            return value == state ? state : nil
        case .increment(let by, let reply):
            let (next, actual) = increment(state, by: by)
            if let reply, reply != actual { return nil }
            return next
        case .setIf(let condition, let value, let written):
            let holds = Self.holds(condition, in: state)
            if let written, written != holds { return nil }
            return holds ? value : state
        case .getSet(let value, let old):
            if let old, old != state { return nil }
            return value
        case .deleteIfEquals(let expected, let deleted):
            let holds = state == expected
            if let deleted, deleted != holds { return nil }
            return holds ? .absent : state
        case .getDelete(let old):
            if let old, old != state { return nil }
            return .absent
        }
    }

    /// INCR's state after and answer in `state`.
    private func increment(_ state: State, by: Int64) -> (State, IncrementReply) {
        let current: Int64
        switch state {
        case .absent: current = 0
        case .integer(let number): current = number
        // Interned and unobserved values are never Redis integers (see the type's invariant).
        case .value, .unobserved: return (state, .notInteger)
        }
        let (sum, overflow) = current.addingReportingOverflow(by)
        return overflow ? (state, .overflow) : (.integer(sum), .sum(sum))
    }

    /// Whether SET's condition holds on `state` (also `TTLRegisterModel`'s rule).
    static func holds(_ condition: Condition, in state: State) -> Bool {
        switch condition {
        case .always: true
        case .absent: state == .absent
        case .present: state != .absent
        case .equals(let expected): state == expected
        }
    }

    /// No step floats: see the type's comment.
    func floats(_ step: Step) -> Bool { false }

    func render(_ state: State) -> String {
        switch state {
        case .absent: "absent"
        case .unobserved: "a value no operation observed (from an unknown-outcome write)"
        case .value(let index): BytesFormat.render(values[index])
        case .integer(let number): "\"\(number)\""
        }
    }

    func explain(_ step: Step, in state: State) -> String {
        let holding = "the key holds \(render(state))"
        guard apply(step, to: state) == nil else {
            return "could take effect here, but every order of the remaining operations fails"
        }
        switch step {
        case .put:
            preconditionFailure("counter register: a put is accepted in every state")
        case .delete(let existed):
            return "reported existed=\(existed.map { "\($0)" } ?? "unknown") but \(holding)"
        case .get(let observed):
            return "observed \(render(observed)) but \(holding)"
        case .increment(let by, let reply):
            let (_, actual) = increment(state, by: by)
            return "answered \(reply.map { "\($0)" } ?? "unknown") but \(holding), so INCRBY \(by) answers \(actual)"
        case .setIf(_, _, let written):
            return "reported written=\(written.map { "\($0)" } ?? "unknown") but \(holding)"
        case .getSet(_, let old), .getDelete(let old):
            return "answered the old value \(old.map(render) ?? "unknown") but \(holding)"
        case .deleteIfEquals(let expected, let deleted):
            return "compared with \(render(expected)), reported deleted=\(deleted.map { "\($0)" } ?? "unknown") but \(holding)"
        }
    }
}
