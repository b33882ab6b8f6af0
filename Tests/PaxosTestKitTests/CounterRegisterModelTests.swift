// Method: the linearizability checker on keys with INCR and conditional writes, which it
// judges with `CounterRegisterModel` (docs/design/coordination-api.md §8), tested as a pure
// function from `History` to verdict, as LinearizabilityTests does for the plain register:
// 1. Table-driven cases: small hand-written histories a register with INCR, SET NX/XX/IFEQ,
//    GETSET, DELIFEQ and GETDEL MUST allow (overlapping INCRs in either order, a timed-out
//    INCR counted or not, a failed condition) or MUST forbid (two INCRs both answering 1, a
//    SET NX answering OK on a present key, a retried INCR counted twice, a GETSET's old value
//    that was never there).
// 2. Differential against the definition: small random histories of every operation, with
//    random and unknown outcomes, get the brute-force oracle's verdict (BruteForceLinearizability,
//    which applies operations one at a time with `SequentialKey`).
// 3. Construction: histories of clients running against an atomic key (each operation takes
//    effect at one instant of its window; some are abandoned and take effect later or never)
//    MUST be accepted, within the budget.
import PaxosCore
import PaxosTestKit
import Testing

private func bytes(_ string: String) -> Bytes { Array(string.utf8) }

private func op(_ client: UInt64, _ kind: HistoryOperation.Kind, _ span: (UInt64, UInt64?),
                _ outcome: HistoryOperation.Outcome) -> OperationSpec {
    OperationSpec(client: client, kind: kind, invokedAt: span.0, completedAt: span.1, outcome: outcome)
}

private func incr(_ client: UInt64, _ by: Int64, _ span: (UInt64, UInt64?), _ sum: Int64?) -> OperationSpec {
    op(client, .incrementBy(key: bytes("k"), by: by), span, sum.map { .reply(.integer($0)) } ?? .unknown)
}

private func incrFails(_ client: UInt64, _ span: (UInt64, UInt64?), _ error: OpError) -> OperationSpec {
    op(client, .incrementBy(key: bytes("k"), by: 1), span, .reply(.error(error)))
}

private func put(_ client: UInt64, _ value: String, _ span: (UInt64, UInt64?)) -> OperationSpec {
    op(client, .put(key: bytes("k"), value: bytes(value)), span, .ok)
}

private func get(_ client: UInt64, _ span: (UInt64, UInt64?), _ value: String?) -> OperationSpec {
    op(client, .get(key: bytes("k")), span, .value(value.map(bytes)))
}

private func setIf(_ client: UInt64, _ value: String, _ condition: SetCondition, _ span: (UInt64, UInt64?),
                   written: Bool?) -> OperationSpec {
    op(client, .setIf(key: bytes("k"), value: bytes(value), condition: condition), span,
       written.map { $0 ? .reply(.ok) : .reply(.null) } ?? .unknown)
}

private func getSet(_ client: UInt64, _ value: String, _ span: (UInt64, UInt64?), old: String??) -> OperationSpec {
    op(client, .getSet(key: bytes("k"), value: bytes(value)), span,
       old.map { $0.map { .reply(.bulk(bytes($0))) } ?? .reply(.null) } ?? .unknown)
}

private func deleteIfEquals(_ client: UInt64, _ value: String, _ span: (UInt64, UInt64?), deleted: Bool?) -> OperationSpec {
    op(client, .deleteIfEquals(key: bytes("k"), value: bytes(value)), span,
       deleted.map { .reply(.integer($0 ? 1 : 0)) } ?? .unknown)
}

private func getDelete(_ client: UInt64, _ span: (UInt64, UInt64?), old: String?) -> OperationSpec {
    op(client, .getDelete(key: bytes("k")), span, .reply(old.map { .bulk(bytes($0)) } ?? .null))
}

private let mustAccept: [HistoryCase] = [
    HistoryCase(description: "sequential INCRs count from an absent key", operations: [
        incr(1, 1, (0, 1), 1), incr(2, 2, (2, 3), 3), get(1, (4, 5), "3"), incr(1, -4, (6, 7), -1),
    ]),
    HistoryCase(description: "overlapping INCRs answer in either order", operations: [
        incr(1, 1, (0, 10), 2), incr(2, 1, (1, 9), 1), get(3, (11, 12), "2"),
    ]),
    HistoryCase(description: "a timed-out INCR may have counted", operations: [
        incr(1, 1, (0, 1), 1), incr(2, 5, (2, nil), nil), incr(1, 1, (10, 11), 7),
    ]),
    HistoryCase(description: "a timed-out INCR may never have counted", operations: [
        incr(1, 1, (0, 1), 1), incr(2, 5, (2, nil), nil), incr(1, 1, (10, 11), 2),
    ]),
    HistoryCase(description: "two timed-out INCRs both counted before a read", operations: [
        incr(1, 1, (0, nil), nil), incr(2, 1, (1, nil), nil), get(3, (5, 6), "2"),
    ]),
    HistoryCase(description: "a timed-out INCR lands after a later put", operations: [
        incr(1, 1, (0, nil), nil), put(2, "10", (5, 6)), get(3, (7, 8), "11"),
    ]),
    HistoryCase(description: "INCR on a value that is not an integer fails and changes nothing", operations: [
        put(1, "a", (0, 1)), incrFails(2, (2, 3), .notInteger), get(1, (4, 5), "a"),
    ]),
    HistoryCase(description: "INCR past Int64.max overflows and changes nothing", operations: [
        put(1, "\(Int64.max)", (0, 1)), incrFails(2, (2, 3), .overflow), get(1, (4, 5), "\(Int64.max)"),
    ]),
    HistoryCase(description: "SET NX writes once; the second is refused", operations: [
        setIf(1, "a", .ifAbsent, (0, 1), written: true), setIf(2, "b", .ifAbsent, (2, 3), written: false),
        get(1, (4, 5), "a"),
    ]),
    HistoryCase(description: "concurrent SET NX: exactly one wins, either", operations: [
        setIf(1, "a", .ifAbsent, (0, 10), written: false), setIf(2, "b", .ifAbsent, (1, 9), written: true),
        get(3, (11, 12), "b"),
    ]),
    HistoryCase(description: "SET XX needs a present key; IFEQ needs the compared value", operations: [
        setIf(1, "a", .ifPresent, (0, 1), written: false), put(2, "b", (2, 3)),
        setIf(1, "c", .ifEquals(bytes("a")), (4, 5), written: false), setIf(1, "c", .ifEquals(bytes("b")), (6, 7), written: true),
        setIf(2, "d", .ifPresent, (8, 9), written: true), get(1, (10, 11), "d"),
    ]),
    HistoryCase(description: "IFEQ holds on a value only an unknown put wrote", operations: [
        op(1, .put(key: bytes("k"), value: bytes("a")), (0, nil), .unknown),
        setIf(2, "b", .ifEquals(bytes("a")), (5, 6), written: true),
    ]),
    HistoryCase(description: "GETSET answers the old value; GETDEL takes it away", operations: [
        getSet(1, "a", (0, 1), old: .some(nil)), getSet(2, "b", (2, 3), old: "a"), getDelete(1, (4, 5), old: "b"),
        getDelete(2, (6, 7), old: nil), get(1, (8, 9), nil),
    ]),
    HistoryCase(description: "DELIFEQ deletes only the compared value", operations: [
        put(1, "a", (0, 1)), deleteIfEquals(2, "b", (2, 3), deleted: false), get(1, (4, 5), "a"),
        deleteIfEquals(2, "a", (6, 7), deleted: true), get(1, (8, 9), nil),
        deleteIfEquals(2, "a", (10, 11), deleted: false),
    ]),
    HistoryCase(description: "DELIFEQ on a counter's number", operations: [
        incr(1, 5, (0, 1), 5), deleteIfEquals(2, "5", (2, 3), deleted: true), incr(1, 1, (4, 5), 1),
    ]),
    HistoryCase(description: "an unknown GETSET's value is seen later", operations: [
        put(1, "a", (0, 1)), getSet(2, "b", (2, nil), old: nil), get(1, (10, 11), "b"), getSet(3, "c", (12, 13), old: "b"),
    ]),
]

private let mustReject: [HistoryCase] = [
    HistoryCase(description: "two INCRs both answer 1", operations: [
        incr(1, 1, (0, 10), 1), incr(2, 1, (1, 9), 1),
    ]),
    HistoryCase(description: "a retried INCR counted twice (the planted bug's shape)", operations: [
        incr(1, 1, (0, 1), 1), incr(2, 1, (2, 3), 3),
    ]),
    HistoryCase(description: "SET NX answers OK on a present key", operations: [
        put(1, "a", (0, 1)), setIf(2, "b", .ifAbsent, (2, 3), written: true),
    ]),
    HistoryCase(description: "two concurrent SET NX both win", operations: [
        setIf(1, "a", .ifAbsent, (0, 10), written: true), setIf(2, "b", .ifAbsent, (1, 9), written: true),
    ]),
    HistoryCase(description: "IFEQ writes though the key holds another value", operations: [
        put(1, "a", (0, 1)), setIf(2, "c", .ifEquals(bytes("b")), (2, 3), written: true),
    ]),
    HistoryCase(description: "a refused SET NX still wrote", operations: [
        setIf(1, "a", .ifAbsent, (0, 1), written: true), setIf(2, "b", .ifAbsent, (2, 3), written: false),
        get(1, (4, 5), "b"),
    ]),
    HistoryCase(description: "GETSET answers an old value the key never held", operations: [
        put(1, "a", (0, 1)), getSet(2, "b", (2, 3), old: "z"),
    ]),
    HistoryCase(description: "GETDEL leaves the value behind", operations: [
        put(1, "a", (0, 1)), getDelete(2, (2, 3), old: "a"), get(1, (4, 5), "a"),
    ]),
    HistoryCase(description: "DELIFEQ deletes on a mismatch", operations: [
        put(1, "a", (0, 1)), deleteIfEquals(2, "b", (2, 3), deleted: true),
    ]),
    HistoryCase(description: "INCR answers a number on a value that is not an integer", operations: [
        put(1, "a", (0, 1)), incr(2, 1, (2, 3), 1),
    ]),
    HistoryCase(description: "INCR claims 'not an integer' on a counter", operations: [
        incr(1, 1, (0, 1), 1), incrFails(2, (2, 3), .notInteger),
    ]),
    HistoryCase(description: "a read sees a count no order of the INCRs gives", operations: [
        incr(1, 2, (0, 1), 2), incr(2, 2, (2, nil), nil), get(3, (5, 6), "3"),
    ]),
]

@Test("counter register: accepts a history a register with INCR and conditional writes allows", arguments: mustAccept)
func counterAccepts(_ testCase: HistoryCase) {
    let result = LinearizabilityChecker().check(testCase.history)
    #expect(result == .linearizable, "\(testCase): \(result)")
}

@Test("counter register: rejects a history no register with INCR and conditional writes allows", arguments: mustReject)
func counterRejects(_ testCase: HistoryCase) {
    guard case .violation(let violation) = LinearizabilityChecker().check(testCase.history) else {
        Issue.record("\(testCase) was not rejected")
        return
    }
    #expect(violation.key == bytes("k"))
    #expect(!violation.rejections.isEmpty, "the report must say why: \(violation)")
}

@Test("counter register: a report shows the counter's value after the longest linearization")
func counterReport() {
    let history = HistoryCase(description: "", operations: [incr(1, 1, (0, 1), 1), incr(2, 1, (2, 3), 3)]).history
    guard case .violation(let violation) = LinearizabilityChecker().check(history) else {
        Issue.record("not rejected")
        return
    }
    #expect(violation.valueAfterLinearization == bytes("1"))
    #expect(violation.description.contains("INCRBY 1 answers sum(2)"), "\(violation)")
}

// MARK: - Differential: against the definition

/// A random history of `count` operations of every kind on one key by 3 clients, with a few
/// values (two of them integers) so conditions often hold and outcomes often contradict.
private func randomCounterHistory(count: Int, using random: inout SeededGenerator) -> History {
    let key = bytes("k")
    let values = ["a", "b", "1", "2"].map(bytes)
    let operations = (0..<count).map { index -> HistoryOperation in
        let invokedAt = UInt64.random(in: 0..<20, using: &random)
        let completedAt = invokedAt + UInt64.random(in: 0...8, using: &random)
        let value = values.randomElement(using: &random)!
        let kind: HistoryOperation.Kind
        let answers: [HistoryOperation.Outcome]
        switch Int.random(in: 0..<8, using: &random) {
        case 0: kind = .put(key: key, value: value); answers = [.ok]
        case 1: kind = .get(key: key); answers = [.value(nil)] + values.map { .value($0) }
        case 2: kind = .incrementBy(key: key, by: 1); answers = (1...3).map { .reply(.integer($0)) } + [.reply(.error(.notInteger))]
        case 3:
            let conditions: [SetCondition] = [.ifAbsent, .ifPresent, .ifEquals(values.randomElement(using: &random)!)]
            kind = .setIf(key: key, value: value, condition: conditions.randomElement(using: &random)!); answers = [.reply(.ok), .reply(.null)]
        case 4: kind = .getSet(key: key, value: value); answers = [.reply(.null)] + values.map { .reply(.bulk($0)) }
        case 5: kind = .deleteIfEquals(key: key, value: value); answers = [.reply(.integer(0)), .reply(.integer(1))]
        case 6: kind = .getDelete(key: key); answers = [.reply(.null)] + values.map { .reply(.bulk($0)) }
        default: kind = .delete(key: key); answers = [.deleted(existed: true), .deleted(existed: false)]
        }
        let unknown = Int.random(in: 0..<4, using: &random) == 0
        return HistoryOperation(
            id: .init(index), client: ClientID(UInt64(index % 3)), kind: kind, invokedAt: invokedAt,
            completedAt: unknown && Bool.random(using: &random) ? nil : completedAt,
            outcome: unknown ? .unknown : answers.randomElement(using: &random)!)
    }
    return History(operations)
}

@Test("counter register: agrees with a brute-force check of the definition on small random histories", arguments: 0..<8)
func counterAgreesWithBruteForce(batch: UInt64) {
    var random = SeededGenerator(seed: 0xC0DE + batch)
    var verdicts = (linearizable: 0, violation: 0)
    for _ in 0..<250 {
        let history = randomCounterHistory(count: Int.random(in: 1...7, using: &random), using: &random)
        let expected = BruteForceLinearizability.isLinearizable(history)
        let result = LinearizabilityChecker().check(history)
        #expect(result.isLinearizable == expected, "brute force says \(expected), checker says \(result) for\n\(history)")
        if expected { verdicts.linearizable += 1 } else { verdicts.violation += 1 }
    }
    #expect(verdicts.linearizable > 20 && verdicts.violation > 20, "\(verdicts)")
}

// MARK: - Construction: histories of an atomic key are accepted

/// Clients run operations on one atomic key, each taking effect at one random instant of its
/// window; a quarter are abandoned (unknown outcome) and take effect later or never.
private func atomicCounterHistory(seed: UInt64, clients: Int, operations: Int) -> History {
    var random = SeededGenerator(seed: seed)
    var value: Bytes?
    var effects: [(at: UInt64, index: Int)] = []
    var specs: [(client: Int, kind: HistoryOperation.Kind, invokedAt: UInt64, completedAt: UInt64, abandoned: Bool, never: Bool)] = []
    var clock = [UInt64](repeating: 0, count: clients)
    let key = bytes("k")
    for index in 0..<operations {
        let client = index % clients
        let invokedAt = clock[client] + UInt64.random(in: 0...3, using: &random)
        let completedAt = invokedAt + UInt64.random(in: 1...12, using: &random)
        clock[client] = completedAt
        let fresh = bytes("c\(client)-\(index)")
        let kind: HistoryOperation.Kind = switch Int.random(in: 0..<8, using: &random) {
        case 0: .put(key: key, value: fresh)
        case 1, 2: .incrementBy(key: key, by: Int64.random(in: -1...3, using: &random))
        case 3: .get(key: key)
        case 4: .setIf(key: key, value: fresh, condition: [.ifAbsent, .ifPresent].randomElement(using: &random)!)
        case 5: .getSet(key: key, value: fresh)
        case 6: .deleteIfEquals(key: key, value: bytes("\(Int.random(in: 0...6, using: &random))"))
        default: .getDelete(key: key)
        }
        let abandoned = Int.random(in: 0..<4, using: &random) == 0
        let never = abandoned && Bool.random(using: &random)
        // An abandoned operation may take effect after its client gave up.
        let effectAt = abandoned ? invokedAt + UInt64.random(in: 0...40, using: &random) : UInt64.random(in: invokedAt...completedAt, using: &random)
        specs.append((client, kind, invokedAt, completedAt, abandoned, never))
        if !never { effects.append((effectAt, index)) }
    }
    var outcomes = [HistoryOperation.Outcome](repeating: .unknown, count: operations)
    for effect in effects.sorted(by: { ($0.at, $0.index) < ($1.at, $1.index) }) {
        let (next, outcome) = SequentialKey.apply(specs[effect.index].kind, to: value)
        value = next
        outcomes[effect.index] = outcome
    }
    return History(specs.enumerated().map { index, spec in
        HistoryOperation(id: .init(index), client: ClientID(UInt64(spec.client)), kind: spec.kind, invokedAt: spec.invokedAt,
                         completedAt: spec.abandoned ? nil : spec.completedAt, outcome: spec.abandoned ? .unknown : outcomes[index])
    })
}

@Test("counter register: histories of an atomic key are accepted", arguments: 0..<10)
func counterAcceptsAtomicHistories(seed: UInt64) {
    let history = atomicCounterHistory(seed: seed, clients: 4, operations: 120)
    let result = LinearizabilityChecker(maxStatesPerKey: 200_000).check(history)
    #expect(result == .linearizable, "seed \(seed): \(result)")
}
