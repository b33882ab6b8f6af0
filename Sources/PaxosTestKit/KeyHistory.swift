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
struct KeyHistory {
    let key: Bytes
    let operations: [HistoryOperation]
    let steps: [RegisterModel.Step]
    let returnTimes: [UInt64?]
    let model: RegisterModel
    let symmetryClass: [Int?]
    let classMembers: [[Int]]
    /// How many operations are not floating writes: a linearization must contain them all.
    let boundedCount: Int

    init(key: Bytes, operations unsorted: [HistoryOperation]) {
        let sorted = unsorted.sorted { ($0.invokedAt, $0.id) < ($1.invokedAt, $1.id) }
        var observed = Set<Bytes>()
        for case .value(let value?) in sorted.map(\.outcome) { observed.insert(value) }
        var model = RegisterModel(observed: observed)
        var kept: [HistoryOperation] = []
        var steps: [RegisterModel.Step] = []
        for operation in sorted {
            guard let step = model.step(for: operation) else { continue }
            kept.append(operation)
            steps.append(step)
        }
        let returnTimes = Self.returnTimes(of: kept)
        var classOfStep: [RegisterModel.Step: Int] = [:]
        var classMembers: [[Int]] = []
        var symmetryClass: [Int?] = []
        for (operation, (step, returnTime)) in zip(steps, returnTimes).enumerated() {
            guard returnTime == nil else {
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
    }

    /// Each operation's return time for the search: its completion if its outcome is known,
    /// the first completion of a get that saw its value if it is the only put of an observed
    /// value, and otherwise `nil` for +∞.
    private static func returnTimes(of operations: [HistoryOperation]) -> [UInt64?] {
        var putsOfValue: [Bytes: Int] = [:]
        var firstObservedAt: [Bytes: UInt64] = [:]
        for operation in operations {
            switch (operation.kind, operation.outcome, operation.completedAt) {
            case (.put(_, let value), _, _):
                putsOfValue[value, default: 0] += 1
            case (.get, .value(let value?), let completedAt?):
                firstObservedAt[value] = min(firstObservedAt[value] ?? .max, completedAt)
            default:
                break
            }
        }
        return operations.map { operation in
            guard operation.outcome == .unknown else { return operation.completedAt }
            guard case .put(_, let value) = operation.kind, putsOfValue[value] == 1,
                let observedAt = firstObservedAt[value]
            else { return nil }
            // A get that completed before this put was invoked cannot have seen it; clamping
            // keeps call before return, and the search then rejects that get.
            return max(operation.invokedAt, observedAt)
        }
    }
}
