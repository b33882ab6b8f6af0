/// The sequential specification of one key, as `KeyHistory` and `LinearizationSearch` need
/// it: a state, each recorded operation reduced to a step, and a partial function from a step
/// and a state to the next state, defined where the step's recorded outcome is what the
/// object would have answered there (Herlihy & Wing 1990's sequential specification).
///
/// Two models conform: `RegisterModel` (put, delete, get), which every key of a plain history
/// uses, and `CounterRegisterModel`, which adds INCR and the conditional writes and is used
/// only for keys that have such operations, so plain histories are checked exactly as before.
///
/// - Invariant: `apply` is a pure function of its arguments, so the search may memoise
///   (linearized set, state) pairs.
protocol SequentialSpec {
    associatedtype State: Hashable
    associatedtype Step: Hashable

    /// The state of a key that was never written.
    static var initial: State { get }

    /// A model for one key's operations, which it may read first (to learn which values were
    /// ever observed, and to intern them).
    init(operations: [HistoryOperation])

    /// The step for `operation`, or `nil` for an operation that constrains nothing and
    /// changes nothing (a get with an unknown outcome).
    mutating func step(for operation: HistoryOperation) -> Step?

    /// The state after `step` in `state`, or `nil` if the step's recorded outcome is not what
    /// the object would have answered there.
    func apply(_ step: Step, to state: State) -> State?

    /// Whether an unknown-outcome operation with this step may be a *floating write*, placed
    /// only directly before an operation it enables (`KeyHistory`, `LinearizationSearch`).
    /// That shortcut is sound only when a step that succeeds leaves a state its step alone
    /// determines, whatever the state before; a model with steps that do not (an INCR of
    /// unknown outcome, a conditional write) MUST answer false, and its unknown operations
    /// then stay pending to +∞, as in Porcupine.
    func floats(_ step: Step) -> Bool

    /// How a failure report shows `state`.
    func render(_ state: State) -> String

    /// Why `step` cannot take effect in `state`, in one clause for a failure report.
    func explain(_ step: Step, in state: State) -> String
}
