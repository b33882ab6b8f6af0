// Method: the linearizability checker is tested as a pure function from `History` to verdict.
//
// 1. Table-driven cases (`@Test(arguments:)`): small hand-written histories, each a classic
//    shape that a correct register MUST allow (sequential use, overlapping put/get seeing
//    either value, unknown-outcome writes observed or never observed, delete's existed flag)
//    or MUST forbid (stale read, read of a value never written, reads going backwards, wrong
//    existed flag, an unknown write observed and then lost). Herlihy & Wing 1990 defines
//    the property; the unknown-outcome cases follow Porcupine's and Knossos's treatment of
//    indeterminate operations (return at +∞).
// 2. Differential against construction: a seeded generator simulates clients against a real
//    atomic map, applying each operation at an instant inside its [invocation, completion]
//    window (and abandoning some with unknown outcomes that apply later or never), so every
//    generated history is linearizable by construction and MUST be accepted; changing one
//    read to a value nobody wrote MUST be rejected.
// 3. Differential against the definition: small random histories (repeated values, wrong
//    outcomes, unknown outcomes) are checked both by the checker and by a brute-force search
//    over orders and subsets of unknown operations; the verdicts MUST agree. This guards the
//    checker's deviations from plain Wing & Gong (floating-write symmetry and enabling).
// 4. Scale: ~500 operations on one key from 8 clients finish within the search budget
//    (Lowe 2017's memoisation keeps this near-linear), as does finding one phantom read in
//    such a history, with and without timed-out writes; a tiny budget yields `.inconclusive`
//    rather than a hang. Timings are printed, not asserted.
import PaxosCore
import PaxosTestKit
import Testing

// MARK: - Table-driven cases

/// One operation of a table case: IDs come from its position in the case.
struct OperationSpec: Sendable {
    var client: UInt64
    var kind: HistoryOperation.Kind
    var invokedAt: UInt64
    var completedAt: UInt64?
    var outcome: HistoryOperation.Outcome
}

struct HistoryCase: Sendable, CustomStringConvertible {
    var description: String
    var operations: [OperationSpec]

    var history: History {
        History(operations.enumerated().map { index, spec in
            HistoryOperation(
                id: .init(index), client: ClientID(spec.client), kind: spec.kind,
                invokedAt: spec.invokedAt, completedAt: spec.completedAt, outcome: spec.outcome
            )
        })
    }
}

private func bytes(_ string: String) -> Bytes { Array(string.utf8) }

private func put(
    _ client: UInt64, _ key: String, _ value: String, _ span: (UInt64, UInt64?),
    _ outcome: HistoryOperation.Outcome = .ok
) -> OperationSpec {
    OperationSpec(
        client: client, kind: .put(key: bytes(key), value: bytes(value)),
        invokedAt: span.0, completedAt: span.1, outcome: outcome
    )
}

private func delete(
    _ client: UInt64, _ key: String, _ span: (UInt64, UInt64?), existed: Bool?
) -> OperationSpec {
    OperationSpec(
        client: client, kind: .delete(key: bytes(key)), invokedAt: span.0, completedAt: span.1,
        outcome: existed.map { .deleted(existed: $0) } ?? .unknown
    )
}

private func get(_ client: UInt64, _ key: String, _ span: (UInt64, UInt64?), _ value: String?) -> OperationSpec {
    OperationSpec(
        client: client, kind: .get(key: bytes(key)), invokedAt: span.0, completedAt: span.1,
        outcome: .value(value.map(bytes))
    )
}

private func unknownGet(_ client: UInt64, _ key: String, _ span: (UInt64, UInt64?)) -> OperationSpec {
    OperationSpec(client: client, kind: .get(key: bytes(key)), invokedAt: span.0, completedAt: span.1, outcome: .unknown)
}

private let mustAccept: [HistoryCase] = [
    HistoryCase(description: "sequential put, get, delete, get", operations: [
        put(1, "x", "1", (0, 1)), get(1, "x", (2, 3), "1"), put(2, "x", "2", (4, 5)),
        get(1, "x", (6, 7), "2"), delete(2, "x", (8, 9), existed: true), get(1, "x", (10, 11), nil),
        delete(1, "x", (12, 13), existed: false),
    ]),
    HistoryCase(description: "get overlapping a put sees the old value", operations: [
        put(1, "x", "1", (0, 1)), put(1, "x", "2", (2, 10)), get(2, "x", (3, 5), "1"),
    ]),
    HistoryCase(description: "get overlapping a put sees the new value", operations: [
        put(1, "x", "1", (0, 1)), put(1, "x", "2", (2, 10)), get(2, "x", (3, 5), "2"),
    ]),
    HistoryCase(description: "concurrent gets see old then new during one put", operations: [
        put(1, "x", "2", (0, 20)), get(2, "x", (1, 3), nil), get(3, "x", (4, 6), "2"), get(2, "x", (7, 9), "2"),
    ]),
    HistoryCase(description: "concurrent puts may take effect in either order", operations: [
        put(1, "x", "1", (0, 10)), put(2, "x", "2", (1, 9)), get(3, "x", (11, 12), "1"),
    ]),
    HistoryCase(description: "unknown-outcome put that is later observed", operations: [
        put(1, "x", "1", (0, nil), .unknown), get(2, "x", (5, 6), "1"), get(2, "x", (7, 8), "1"),
    ]),
    HistoryCase(description: "unknown-outcome put observed long after its client gave up", operations: [
        put(1, "x", "1", (0, 2), .unknown), get(2, "x", (3, 4), nil), get(2, "x", (50, 51), "1"),
    ]),
    HistoryCase(description: "unknown-outcome put never observed", operations: [
        put(1, "x", "1", (0, nil), .unknown), get(2, "x", (5, 6), nil), get(2, "x", (7, 8), nil),
    ]),
    HistoryCase(description: "delete reports existed correctly", operations: [
        delete(1, "x", (0, 1), existed: false), put(1, "x", "1", (2, 3)),
        delete(2, "x", (4, 5), existed: true), delete(2, "x", (6, 7), existed: false),
    ]),
    HistoryCase(description: "concurrent deletes: exactly one saw the key", operations: [
        put(1, "x", "1", (0, 1)), delete(2, "x", (2, 6), existed: false), delete(3, "x", (3, 5), existed: true),
    ]),
    HistoryCase(description: "unknown-outcome delete explains a missing key", operations: [
        put(1, "x", "1", (0, 1)), delete(2, "x", (2, nil), existed: nil), get(3, "x", (5, 6), nil),
    ]),
    HistoryCase(description: "unknown-outcome put explains a delete that found the key", operations: [
        put(1, "x", "1", (0, nil), .unknown), delete(2, "x", (5, 6), existed: true), get(2, "x", (7, 8), nil),
    ]),
    HistoryCase(description: "unknown-outcome puts of one value, observed twice across a delete", operations: [
        put(1, "x", "1", (0, nil), .unknown), put(2, "x", "1", (1, nil), .unknown), get(3, "x", (2, 3), "1"),
        delete(3, "x", (4, 5), existed: true), get(3, "x", (6, 7), "1"),
    ]),
    HistoryCase(description: "unknown-outcome get constrains nothing", operations: [
        put(1, "x", "1", (0, 1)), unknownGet(2, "x", (2, nil)), get(3, "x", (5, 6), "1"),
    ]),
    HistoryCase(description: "operations touching at one instant count as concurrent", operations: [
        put(1, "x", "1", (0, 5)), get(2, "x", (5, 6), nil),
    ]),
    HistoryCase(description: "keys are independent", operations: [
        put(1, "x", "1", (0, 1)), put(1, "y", "2", (2, 3)), get(2, "x", (4, 5), "1"),
        get(2, "y", (6, 7), "2"), delete(1, "x", (8, 9), existed: true), get(2, "y", (10, 11), "2"),
    ]),
    HistoryCase(description: "empty history", operations: []),
]

private let mustReject: [HistoryCase] = [
    HistoryCase(description: "stale read after a completed write", operations: [
        put(1, "x", "1", (0, 1)), put(1, "x", "2", (2, 3)), get(2, "x", (4, 5), "1"),
    ]),
    HistoryCase(description: "read of a value never written", operations: [
        put(1, "x", "1", (0, 1)), get(2, "x", (2, 3), "9"),
    ]),
    HistoryCase(description: "sequential gets observe values going backwards", operations: [
        put(1, "x", "1", (0, 1)), put(1, "x", "2", (2, 20)), get(2, "x", (3, 4), "2"), get(3, "x", (5, 6), "1"),
    ]),
    HistoryCase(description: "delete reports existed=false when the key must exist", operations: [
        put(1, "x", "1", (0, 1)), delete(2, "x", (2, 3), existed: false),
    ]),
    HistoryCase(description: "delete reports existed=true on a key never written", operations: [
        delete(1, "x", (0, 1), existed: true),
    ]),
    HistoryCase(description: "read observes an unknown write, a later read does not", operations: [
        put(1, "x", "1", (0, nil), .unknown), get(2, "x", (2, 3), "1"), get(2, "x", (4, 5), nil),
    ]),
    HistoryCase(description: "unknown-outcome put invoked after the read that saw its value", operations: [
        get(2, "x", (0, 1), "1"), put(1, "x", "1", (5, nil), .unknown),
    ]),
    HistoryCase(description: "one unknown-outcome put observed across a delete", operations: [
        put(1, "x", "1", (0, nil), .unknown), get(3, "x", (2, 3), "1"),
        delete(3, "x", (4, 5), existed: true), get(3, "x", (6, 7), "1"),
    ]),
    HistoryCase(description: "violation on one key among linearizable ones", operations: [
        put(1, "a", "1", (0, 1)), get(2, "a", (2, 3), "1"),
        put(1, "b", "1", (4, 5)), get(2, "b", (6, 7), nil),
    ]),
]

@Test("linearizability: accepts a history a register allows", arguments: mustAccept)
func acceptsLinearizable(_ historyCase: HistoryCase) {
    let result = LinearizabilityChecker().check(historyCase.history)
    #expect(result.isLinearizable, "\(result)")
}

@Test("linearizability: rejects a history no register allows", arguments: mustReject)
func rejectsNonLinearizable(_ historyCase: HistoryCase) {
    let result = LinearizabilityChecker().check(historyCase.history)
    guard case .violation(let violation) = result else {
        Issue.record("expected a violation, got \(result)")
        return
    }
    #expect(!violation.rejections.isEmpty)
    #expect(violation.description.contains(violation.blockingOperation.description))
}

@Test("linearizability: a stale read's report names the key, the read and the register's value")
func staleReadReport() {
    let history = HistoryCase(description: "stale", operations: [
        put(1, "x", "1", (0, 1)), put(1, "x", "2", (2, 3)), get(2, "x", (4, 5), "1"),
    ]).history
    guard case .violation(let violation) = LinearizabilityChecker().check(history) else {
        Issue.record("expected a violation")
        return
    }
    #expect(violation.key == bytes("x"))
    #expect(violation.blockingOperation.id == .init(2))
    #expect(violation.longestLinearization.map(\.id) == [.init(0), .init(1)])
    #expect(violation.valueAfterLinearization == bytes("2"))
    #expect(violation.description.contains("observed \"1\" but the register holds \"2\""))
}

// MARK: - Recording

@Test("linearizability: history records as it goes and counts never-completed operations as unknown")
func recordingHistory() {
    var history = History()
    let first = history.invoke(client: ClientID(1), kind: .put(key: bytes("x"), value: bytes("1")), at: 0)
    let lost = history.invoke(client: ClientID(2), kind: .put(key: bytes("x"), value: bytes("2")), at: 1)
    history.complete(first, outcome: .ok, at: 2)
    let read = history.invoke(client: ClientID(1), kind: .get(key: bytes("x")), at: 3)
    history.complete(read, outcome: .value(bytes("2")), at: 4)

    #expect(history.operations.count == 3)
    #expect(history.operations[1].id == lost.id)
    #expect(history.operations[1].outcome == .unknown)
    #expect(history.operations[1].completedAt == nil)
    #expect(LinearizabilityChecker().check(history).isLinearizable)
}

// MARK: - Differential: linearizable by construction

@Test("linearizability: random histories of an atomic map are accepted", arguments: 0..<40)
func randomHistoriesAccepted(seed: UInt64) {
    let history = AtomicMapSimulation.run(seed: seed, clients: 5, keys: 3, operations: 150)
    let result = LinearizabilityChecker().check(history)
    #expect(result.isLinearizable, "seed \(seed): \(result)")
}

@Test("linearizability: a random history with one read of a never-written value is rejected", arguments: 0..<40)
func randomHistoryWithPhantomReadRejected(seed: UInt64) throws {
    let history = AtomicMapSimulation.run(seed: seed, clients: 5, keys: 3, operations: 150)
    var random = SeededGenerator(seed: seed ^ 0xDEAD_BEEF)
    let mutated = try #require(AtomicMapSimulation.replacingOneRead(of: history, with: bytes("never-written"), using: &random))
    guard case .violation(let violation) = LinearizabilityChecker().check(mutated.history) else {
        Issue.record("seed \(seed): mutated read \(mutated.id) was not rejected")
        return
    }
    #expect(violation.operations.contains { $0.id == mutated.id })
}

// MARK: - Differential: against the definition

@Test("linearizability: agrees with a brute-force check of the definition on small random histories", arguments: 0..<8)
func agreesWithBruteForce(batch: UInt64) {
    var random = SeededGenerator(seed: batch)
    var verdicts = (linearizable: 0, violation: 0)
    for _ in 0..<250 {
        let history = BruteForceLinearizability.randomHistory(count: Int.random(in: 1...7, using: &random), using: &random)
        let expected = BruteForceLinearizability.isLinearizable(history)
        let result = LinearizabilityChecker().check(history)
        #expect(result.isLinearizable == expected, "brute force says \(expected), checker says \(result) for\n\(history)")
        if expected { verdicts.linearizable += 1 } else { verdicts.violation += 1 }
    }
    // Both verdicts must be exercised, or the comparison proves little.
    #expect(verdicts.linearizable > 20 && verdicts.violation > 20, "\(verdicts)")
}

// MARK: - Scale

@Test("linearizability: 500 operations on one key from 8 clients check within the budget")
func fiveHundredOperationsOneKey() {
    let history = AtomicMapSimulation.run(seed: 7, clients: 8, keys: 1, operations: 500)
    let clock = ContinuousClock()
    var result = LinearizabilityResult.linearizable
    let elapsed = clock.measure { result = LinearizabilityChecker().check(history) }
    print("linearizability: \(history.operations.count) operations, 8 clients, 1 key: \(result) in \(elapsed)")
    #expect(result.isLinearizable, "\(result)")
}

@Test("linearizability: 500 operations on one key with a phantom read are rejected within the budget", arguments: [0, 20])
func fiveHundredOperationsOneKeyRejected(unknownOneIn: Int) throws {
    let history = AtomicMapSimulation.run(seed: 7, clients: 8, keys: 1, operations: 500, unknownOneIn: unknownOneIn)
    var random = SeededGenerator(seed: 11)
    let mutated = try #require(AtomicMapSimulation.replacingOneRead(of: history, with: bytes("never-written"), using: &random))
    let clock = ContinuousClock()
    var result = LinearizabilityResult.linearizable
    let elapsed = clock.measure { result = LinearizabilityChecker().check(mutated.history) }
    print("linearizability: 500 operations with a phantom read (unknown 1/\(unknownOneIn)): \(result.isLinearizable ? "accepted" : "rejected") in \(elapsed)")
    guard case .violation = result else {
        Issue.record("expected a violation, got \(result)")
        return
    }
}

@Test("linearizability: a search over its budget is inconclusive, not a hang")
func budgetExceededIsInconclusive() {
    let history = AtomicMapSimulation.run(seed: 7, clients: 8, keys: 1, operations: 500)
    let result = LinearizabilityChecker(maxStatesPerKey: 10).check(history)
    guard case .inconclusive(let reason) = result else {
        Issue.record("expected inconclusive, got \(result)")
        return
    }
    #expect(reason.contains("budget"))
}
