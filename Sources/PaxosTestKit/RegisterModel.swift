import PaxosCore

/// The sequential specification of one key: a register that holds a value or is absent.
///
/// `put` sets the value and returns ok; `delete` removes it and returns whether it existed;
/// `get` returns it. Values are interned to small integers so a search state is one `Int`
/// and the memo hashes no byte arrays.
///
/// Unknown-outcome puts of values that no get observed all write one shared state,
/// `unobserved`: no operation can tell those values apart, and giving such puts one effect
/// lets the search treat them as interchangeable (see `KeyHistory.symmetryClass`).
///
/// - Invariant: state `0` is "absent", state `1` is "unobserved", and state `v >= 2` holds
///   `values[v - 2]`.
struct RegisterModel: SequentialSpec {
    typealias State = Int

    static let initial: State = absent
    static let absent: State = 0
    static let unobserved: State = 1
    private static let firstValue: State = 2

    /// One operation, reduced to what the specification needs to accept or reject it.
    enum Step: Hashable {
        case put(value: State)
        /// `existed == nil` when the outcome is unknown: any state accepts it.
        case delete(existed: Bool?)
        case get(value: State)
    }

    private var values: [Bytes] = []
    private var stateOfValue: [Bytes: State] = [:]
    /// Values some get returned.
    private let observed: Set<Bytes>

    /// A model for a key whose gets returned `observed` values.
    init(observed: Set<Bytes>) {
        self.observed = observed
    }

    /// A model for a key with these operations: the values its gets returned are observed.
    init(operations: [HistoryOperation]) {
        var observed = Set<Bytes>()
        for case .value(let value?) in operations.map(\.outcome) { observed.insert(value) }
        self.init(observed: observed)
    }

    /// The state that holds `bytes`, allocating one on first sight.
    private mutating func intern(_ bytes: Bytes?) -> State {
        guard let bytes else { return Self.absent }
        if let state = stateOfValue[bytes] { return state }
        values.append(bytes)
        stateOfValue[bytes] = values.count - 1 + Self.firstValue
        return values.count - 1 + Self.firstValue
    }

    /// The step for `operation`, or `nil` for a get with an unknown outcome, which observed
    /// nothing and so constrains nothing.
    mutating func step(for operation: HistoryOperation) -> Step? {
        switch (operation.kind, operation.outcome) {
        case (.put(_, let value), .unknown) where !observed.contains(value): return .put(value: Self.unobserved)
        case (.put(_, let value), _): return .put(value: intern(value))
        case (.delete, .deleted(let existed)): return .delete(existed: existed)
        case (.delete, _): return .delete(existed: nil)
        case (.get, .value(let value)): return .get(value: intern(value))
        case (.get, _): return nil
        case (.incrementBy, _), (.setIf, _), (.getSet, _), (.deleteIfEquals, _), (.getDelete, _):
            preconditionFailure("register: \(operation.kind) needs CounterRegisterModel")
        case (.mset, _), (.mget, _), (.mdelete, _), (.watch, _), (.exec, _):
            preconditionFailure("register: \(operation.kind) needs FamilyModel")
        case (.setExpiring, _), (.expire, _), (.expiry, _):
            preconditionFailure("register: \(operation.kind) needs TTLRegisterModel")
        }
    }

    /// Every unknown-outcome register step is a put or a delete, whose state after does not
    /// depend on the state before.
    func floats(_ step: Step) -> Bool { true }

    /// The state after `step` in `state`, or `nil` if the step's recorded outcome is not what
    /// the register would have returned there.
    func apply(_ step: Step, to state: State) -> State? {
        switch step {
        case .put(let value):
            return value
        case .delete(let existed):
            if let existed, existed != (state != Self.absent) { return nil }
            return Self.absent
        case .get(let value):
            return value == state ? state : nil
        }
    }

    /// How a failure report shows `state`.
    func render(_ state: State) -> String {
        switch state {
        case Self.absent: "absent"
        case Self.unobserved: "a value no get observed (from an unknown-outcome put)"
        default: BytesFormat.render(values[state - Self.firstValue])
        }
    }

    /// Why `step` cannot take effect in `state`, in one clause for a failure report.
    func explain(_ step: Step, in state: State) -> String {
        let holding = "the register holds \(render(state))"
        guard apply(step, to: state) == nil else {
            return "could take effect here, but every order of the remaining operations fails"
        }
        switch step {
        case .put:
            preconditionFailure("register: a put is accepted in every state")
        case .delete(let existed):
            return "reported existed=\(existed.map { "\($0)" } ?? "unknown") but \(holding)"
        case .get(let observed):
            return "observed \(render(observed)) but \(holding)"
        }
    }
}
