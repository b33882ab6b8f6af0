public import PaxosCore

/// Evidence that one key's operations have no linearization, shaped for a failure report.
///
/// The search reports the deepest point it reached: the longest order of the key's
/// operations that respects real time and the register, the register's value after it,
/// and the operation whose completion came next but which could not take effect by then,
/// together with why each operation that might have come next was rejected. The bug is
/// almost always among those few operations, so `description` leads with them and then
/// lists the key's operations around the failure by invocation time.
///
/// - Invariant: `blockingOperation` and every operation of `longestLinearization` are in
///   `operations`.
public struct LinearizabilityViolation: Hashable, Sendable, CustomStringConvertible {
    /// How many operations `description` lists at most.
    static let listedOperationsMax = 40
    /// How many operations of the longest linearization `description` names at most.
    static let listedLinearizationMax = 12

    public let key: Bytes
    /// The key's operations that the search considered (unknown-outcome gets are dropped),
    /// sorted by invocation time.
    public let operations: [HistoryOperation]
    /// The longest order of operations the search could linearize, in that order.
    public let longestLinearization: [HistoryOperation]
    /// The register's value after `longestLinearization`.
    public let valueAfterLinearization: Bytes?
    /// The operation that had to take effect before its completion but could not, whatever
    /// the order of the operations before it.
    public let blockingOperation: HistoryOperation
    /// For each operation that could have come next, why the register rejected it.
    public let rejections: [String]

    init<Model: SequentialSpec>(_ history: KeyHistory<Model>, _ diagnosis: LinearizationSearch<Model>.Diagnosis) {
        self.key = history.key
        self.operations = history.operations
        self.longestLinearization = diagnosis.linearization.map { history.operations[$0] }
        self.valueAfterLinearization = Self.value(after: longestLinearization, key: history.key)
        self.blockingOperation = history.operations[diagnosis.blocking]
        self.rejections = diagnosis.candidates.map { candidate in
            let reason = history.model.explain(history.steps[candidate], in: diagnosis.state)
            return "\(history.operations[candidate]): \(reason)"
        }
    }

    /// The register's value after `linearization`. Replaying the operations, not reading the
    /// model's state, recovers the actual bytes of a write that the model only knew as
    /// "unobserved". A family's operations replay on the whole family (`SequentialFamily`), a
    /// key with expiries through `TTLWindow.replay`.
    private static func value(after linearization: [HistoryOperation], key: Bytes) -> Bytes? {
        if linearization.contains(where: \.kind.schedulesExpiry) { return TTLWindow.replay(linearization) }
        var family = SequentialFamily(operations: linearization)
        for operation in linearization { _ = family.apply(operation) }
        return family.values[key]
    }

    public var description: String {
        var lines = [
            "linearizability violation on key \(BytesFormat.render(key)): "
                + "\(blockingOperation) cannot take effect before it completed.",
            "After linearizing \(longestLinearization.count) of \(operations.count) operations "
                + "(\(linearizationSummary)) the register holds \(BytesFormat.render(valueAfterLinearization)), "
                + "and no operation can come next:",
        ]
        lines += rejections.map { "  - \($0)" }
        lines += operationListing
        return lines.joined(separator: "\n")
    }

    /// The last few operations of the longest linearization, in order.
    private var linearizationSummary: String {
        let shown = longestLinearization.suffix(Self.listedLinearizationMax).map(\.id.description)
        let omitted = longestLinearization.count - shown.count
        if shown.isEmpty { return "none" }
        return (omitted > 0 ? "…, " : "") + shown.joined(separator: ", ")
    }

    /// The key's operations by invocation, windowed around the blocking operation: a few
    /// after it, the rest before, since the operations that should have made it possible
    /// were invoked earlier. `*` marks linearized operations, `!` the blocking one.
    private var operationListing: [String] {
        let blockingPosition = operations.firstIndex { $0.id == blockingOperation.id } ?? 0
        let end = min(operations.count, max(blockingPosition + 8, Self.listedOperationsMax))
        let start = max(0, end - Self.listedOperationsMax)
        let linearizedIDs = Set(longestLinearization.map(\.id))
        var lines = ["Operations on \(BytesFormat.render(key)) by invocation (\(start)..<\(end) of \(operations.count); * linearized, ! blocking):"]
        if start > 0 { lines.append("    … \(start) earlier operations") }
        for operation in operations[start..<end] {
            let mark = operation.id == blockingOperation.id ? "!" : linearizedIDs.contains(operation.id) ? "*" : " "
            lines.append("  \(mark) \(operation)")
        }
        if end < operations.count { lines.append("    … \(operations.count - end) later operations") }
        return lines
    }
}
