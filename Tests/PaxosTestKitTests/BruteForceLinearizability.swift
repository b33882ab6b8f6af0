import PaxosCore
import PaxosTestKit

/// The definition of linearizability, checked by brute force: some subset of the
/// unknown-outcome operations together with every known one has an order that respects real
/// time (an operation that completed before another was invoked comes first) and that a
/// register accepts. Exponential, so only for histories of a few operations; it shares no
/// code with `LinearizabilityChecker` and serves as its oracle.
enum BruteForceLinearizability {
    static func isLinearizable(_ history: History) -> Bool {
        let byKey = Dictionary(grouping: history.operations, by: \.kind.key)
        return byKey.values.allSatisfy { operations in
            search(placed: [], remaining: operations, value: nil)
        }
    }

    private static func search(placed: [HistoryOperation], remaining: [HistoryOperation], value: Bytes?) -> Bool {
        if remaining.allSatisfy({ $0.outcome == .unknown }) { return true }
        for (index, operation) in remaining.enumerated() {
            let mustComeFirst = remaining.contains { other in
                guard other.outcome != .unknown, let completedAt = other.completedAt else { return false }
                return completedAt < operation.invokedAt
            }
            guard !mustComeFirst, let next = apply(operation, to: value) else { continue }
            var rest = remaining
            rest.remove(at: index)
            if search(placed: placed + [operation], remaining: rest, value: next) { return true }
        }
        return false
    }

    /// The register's value after `operation`, or `nil` (outer) if its outcome is impossible.
    private static func apply(_ operation: HistoryOperation, to value: Bytes?) -> Bytes?? {
        if !operation.kind.isRegisterOperation {
            // Key operations: the sequential key says what happens and what it answers.
            let (next, answer) = SequentialKey.apply(operation.kind, to: value)
            return operation.outcome == .unknown || operation.outcome == answer ? .some(next) : nil
        }
        switch (operation.kind, operation.outcome) {
        case (.put(_, let written), _): return .some(written)
        case (.delete, .deleted(let existed)): return existed == (value != nil) ? .some(nil) : nil
        case (.delete, _): return .some(nil)
        case (.get, .value(let observed)): return observed == value ? .some(value) : nil
        case (.get, _): return .some(value)
        default: preconditionFailure("brute force: register operations only, not \(operation.kind)")
        }
    }

    /// A random history of `count` operations on one key by 3 clients, with values from a
    /// two-letter alphabet so that puts repeat values and reads often see impossible ones.
    static func randomHistory(count: Int, using random: inout SeededGenerator) -> History {
        let key = Array("k".utf8)
        let values: [Bytes?] = [nil, Array("a".utf8), Array("b".utf8)]
        let operations = (0..<count).map { index -> HistoryOperation in
            let invokedAt = UInt64.random(in: 0..<20, using: &random)
            let completedAt = invokedAt + UInt64.random(in: 0...8, using: &random)
            let unknown = Int.random(in: 0..<4, using: &random) == 0
            let kind: HistoryOperation.Kind
            let outcome: HistoryOperation.Outcome
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                kind = .put(key: key, value: values[Int.random(in: 1...2, using: &random)] ?? [])
                outcome = .ok
            case 1:
                kind = .delete(key: key)
                outcome = .deleted(existed: Bool.random(using: &random))
            default:
                kind = .get(key: key)
                outcome = .value(values[Int.random(in: 0...2, using: &random)])
            }
            return HistoryOperation(
                id: .init(index), client: ClientID(UInt64(index % 3)), kind: kind, invokedAt: invokedAt,
                completedAt: unknown && Bool.random(using: &random) ? nil : completedAt,
                outcome: unknown ? .unknown : outcome
            )
        }
        return History(operations)
    }
}
