import PaxosCore

/// One key's operations, reduced to what the search needs.
///
/// Unknown-outcome gets are dropped here: they observed nothing, so every linearization of
/// the rest extends to one that includes them.
///
/// **Unknown writes.** An unknown-outcome write that stays unbounded (return at +∞) is a
/// *floating* write: it may take effect at any instant after its invocation, or never. Two
/// facts keep floating writes from multiplying the search space by 2^k:
///
/// - *Symmetry.* Floating writes with the same register step (every unknown delete; unknown
///   puts of one value, or of values no get observed) are interchangeable, so if a
///   linearization uses some of them, swapping them so that those used are the earliest
///   invoked, in invocation order, is again one. The search uses each class in order.
/// - *Enabling.* A floating write that is not immediately followed by an operation it lets
///   succeed (one that would fail without it) can be removed from a linearization, which
///   stays one: it observes nothing and has no deadline. So the search only ever places a
///   floating write directly before an operation it enables (see `LinearizationSearch`).
///
/// **Observed unknown puts.** An unknown-outcome put that is the only put of its value,
/// when some get returned that value, did take effect, and before the first such get
/// completed. Its return is placed there instead of at +∞. This loses no linearization (in
/// any linearization it precedes every get that saw its value) and bounds the operation, so
/// it does not stay concurrent with the rest of the history. Recorders SHOULD write a fresh
/// value with every put so that this applies.
///
/// - Invariant: `operations` is sorted by invocation time, then ID, and `steps[i]` is the
///   register step of `operations[i]`.
/// - Invariant: `returnTimes[i]` is `nil` (+∞) only for unknown-outcome operations, and not
///   before `operations[i].invokedAt`.
/// - Invariant: `symmetryClass[i]` is non-nil exactly for floating writes; members of one
///   class have equal steps, and `classMembers[c]` lists class `c` in invocation order.
struct KeyHistory<Model: SequentialSpec> {
    let key: Bytes
    let operations: [HistoryOperation]
    let steps: [Model.Step]
    let returnTimes: [UInt64?]
    let model: Model
    let symmetryClass: [Int?]
    let classMembers: [[Int]]
    /// How many operations are not floating writes: a linearization must contain them all.
    let boundedCount: Int
    /// For an unknown-outcome operation that does not float (its model's steps do not allow
    /// it), the previous such operation with an equal step, if any. Such operations are
    /// interchangeable too (equal effects, both pending to +∞), so a linearization may use
    /// them in invocation order: the search takes one only after its predecessor. An expiry's
    /// predecessor is the operation that scheduled it (`TTLWindow`).
    let predecessor: [Int?]

    init(key: Bytes, operations unsorted: [HistoryOperation]) {
        let sorted = unsorted.sorted { ($0.invokedAt, $0.id) < ($1.invokedAt, $1.id) }
        var model = Model(operations: sorted)
        var kept: [HistoryOperation] = []
        var steps: [Model.Step] = []
        for operation in sorted {
            guard let step = model.step(for: operation) else { continue }
            kept.append(operation)
            steps.append(step)
        }
        let returnTimes = Self.returnTimes(of: kept)
        var classOfStep: [Model.Step: Int] = [:]
        var classMembers: [[Int]] = []
        var symmetryClass: [Int?] = []
        for (operation, (step, returnTime)) in zip(steps, returnTimes).enumerated() {
            guard returnTime == nil, model.floats(step) else {
                symmetryClass.append(nil)
                continue
            }
            let symmetry = classOfStep[step] ?? classMembers.count
            if symmetry == classMembers.count {
                classOfStep[step] = symmetry
                classMembers.append([])
            }
            symmetryClass.append(symmetry)
            classMembers[symmetry].append(operation)
        }
        self.key = key
        self.operations = kept
        self.steps = steps
        self.returnTimes = returnTimes
        self.model = model
        self.symmetryClass = symmetryClass
        self.classMembers = classMembers
        self.boundedCount = symmetryClass.count { $0 == nil }
        var lastPending: [Model.Step: Int] = [:]
        let indexOfID = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1.id, $0) })
        self.predecessor = steps.indices.map { operation in
            // An expiry comes after the SET PX or PEXPIRE that scheduled it (`TTLRegisterModel`).
            if let cause = kept[operation].kind.expiryCause { return indexOfID[cause] }
            guard returnTimes[operation] == nil, symmetryClass[operation] == nil else { return nil }
            defer { lastPending[steps[operation]] = operation }
            return lastPending[steps[operation]]
        }
    }

    /// Each operation's return time for the search: its completion if its outcome is known,
    /// the first completion of an operation that saw its value if it is the only write of an
    /// observed value, and otherwise `nil` for +∞.
    ///
    /// Writes are puts and the key operations that write a value they carry (SET NX/XX/IFEQ,
    /// GETSET); observers are gets and the key operations that return the old value (GETSET,
    /// GETDEL). An INCR writes a value it does not carry, so on a key with INCRs a value that
    /// is an integer has no single known writer and is never bounded this way. In a family,
    /// MSET, MSETNX and EXEC write one value per key and MGET and WATCH observe one per key: a
    /// lost multi-key write is bounded by the first observation of any of its values that
    /// nothing else writes.
    private static func returnTimes(of operations: [HistoryOperation]) -> [UInt64?] {
        let increments = operations.contains { if case .incrementBy = $0.kind { true } else { false } }
        var writesOfValue: [Bytes: Int] = [:]
        var firstObservedAt: [Bytes: UInt64] = [:]
        for operation in operations {
            for value in operation.kind.writtenValues { writesOfValue[value, default: 0] += 1 }
            guard let completedAt = operation.completedAt else { continue }
            for value in operation.observedValues {
                firstObservedAt[value] = min(firstObservedAt[value] ?? .max, completedAt)
            }
        }
        return operations.map { operation in
            guard operation.outcome == .unknown else { return operation.completedAt }
            let bounds = operation.kind.writtenValues.compactMap { value -> UInt64? in
                guard writesOfValue[value] == 1, !(increments && RedisInteger.parse(value) != nil) else { return nil }
                return firstObservedAt[value]
            }
            guard let observedAt = bounds.min() else { return nil }
            // A get that completed before this put was invoked cannot have seen it; clamping
            // keeps call before return, and the search then rejects that get.
            return max(operation.invokedAt, observedAt)
        }
    }
}

extension HistoryOperation.Kind {
    /// The value this operation writes when it writes, if it carries one.
    var writtenValue: Bytes? {
        switch self {
        case .put(_, let value), .setIf(_, let value, _), .getSet(_, let value): value
        case .delete, .get, .incrementBy, .deleteIfEquals, .getDelete: nil
        // Multi-key writes carry several values; the bound above is for one key's writes.
        case .mset, .mget, .mdelete, .watch, .exec: nil
        case .setExpiring(_, let value, _): value
        case .expire, .expiry: nil
        }
    }
}

extension HistoryOperation {
    /// The value this operation saw the key hold, if its outcome names one.
    var observedValue: Bytes? {
        switch (kind, outcome) {
        case (.get, .value(let value?)), (.getSet, .reply(.bulk(let value))), (.getDelete, .reply(.bulk(let value))): value
        default: nil
        }
    }
}
