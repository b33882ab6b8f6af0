// Method: the linearizability checker on families of keys, which it judges with `FamilyModel`
// (docs/design/coordination-api.md §8), tested as a pure function from `History` to verdict:
// 1. Table-driven cases: small hand-written histories on the family {a, b} that MUST be
//    allowed (an MGET concurrent with an MSET seeing all of it or none; an EXEC that failed
//    because a write could come between it and its WATCH; an EXEC whose answer is lost) or
//    MUST be forbidden (an MGET seeing half an MSET; an EXEC that succeeded although a write
//    to a watched key is forced between its WATCH and it; a failed EXEC that nothing could
//    have conflicted with; MSETNX writing over a present key).
// 2. Differential against the definition: small random histories of every family operation,
//    produced by an atomic family (each operation takes effect at one instant of its window,
//    `SequentialFamily`) and then often corrupted, get the verdict of a brute-force search over
//    every order that respects real time.
import PaxosCore
import PaxosTestKit
import Testing

private func bytes(_ string: String) -> Bytes { Array(string.utf8) }
private let a = bytes("a")
private let b = bytes("b")

private func op(_ client: UInt64, _ kind: HistoryOperation.Kind, _ span: (UInt64, UInt64?),
                _ outcome: HistoryOperation.Outcome) -> OperationSpec {
    OperationSpec(client: client, kind: kind, invokedAt: span.0, completedAt: span.1, outcome: outcome)
}

private func mset(_ client: UInt64, _ value: String, _ span: (UInt64, UInt64?), nx: Bool = false, written: Bool? = true) -> OperationSpec {
    let kind = HistoryOperation.Kind.mset(keys: [a, b], values: [bytes(value), bytes(value)], ifNoneExist: nx)
    let reply: OpReply = nx ? .transaction(succeeded: written ?? false, written == true ? [.ok, .ok] : []) : .array([.ok, .ok])
    return op(client, kind, span, written == nil ? .unknown : .reply(reply))
}

private func read(_ values: [String?]) -> HistoryOperation.Outcome {
    .reply(.array(values.map { $0.map { .bulk(bytes($0)) } ?? .null }))
}

private func mget(_ client: UInt64, _ span: (UInt64, UInt64?), _ values: [String?]) -> OperationSpec {
    op(client, .mget(keys: [a, b]), span, read(values))
}

private func watch(_ client: UInt64, _ span: (UInt64, UInt64?), _ values: [String?]) -> OperationSpec {
    op(client, .watch(keys: [a, b]), span, read(values))
}

private func exec(_ client: UInt64, _ value: String, _ span: (UInt64, UInt64?), succeeded: Bool?) -> OperationSpec {
    let outcome: HistoryOperation.Outcome = succeeded.map { .reply(.transaction(succeeded: $0, $0 ? [.ok, .ok] : [])) } ?? .unknown
    return op(client, .exec(keys: [a, b], values: [bytes(value), bytes(value)]), span, outcome)
}

private func put(_ client: UInt64, _ key: Bytes, _ value: String, _ span: (UInt64, UInt64?)) -> OperationSpec {
    op(client, .put(key: key, value: bytes(value)), span, .ok)
}

private func delete(_ client: UInt64, _ key: Bytes, _ span: (UInt64, UInt64?), existed: Bool) -> OperationSpec {
    op(client, .delete(key: key), span, .deleted(existed: existed))
}

private let mustAccept: [HistoryCase] = [
    HistoryCase(description: "an MGET after an MSET sees all of it", operations: [
        mset(1, "1", (0, 10)), mget(2, (20, 30), ["1", "1"]),
    ]),
    HistoryCase(description: "an MGET concurrent with an MSET sees none of it", operations: [
        mset(1, "1", (0, 10)), mget(2, (5, 15), [nil, nil]),
    ]),
    HistoryCase(description: "an MGET concurrent with an MSET sees all of it", operations: [
        mset(1, "1", (0, 10)), mget(2, (5, 15), ["1", "1"]),
    ]),
    HistoryCase(description: "a WATCH and EXEC alone succeed, and an MGET sees the EXEC's writes", operations: [
        watch(1, (0, 5), [nil, nil]), exec(1, "x", (10, 15), succeeded: true), mget(2, (20, 25), ["x", "x"]),
    ]),
    HistoryCase(description: "an EXEC fails when a concurrent MSET may come between it and its WATCH", operations: [
        watch(1, (0, 5), [nil, nil]), mset(2, "1", (3, 12)), exec(1, "x", (10, 15), succeeded: false),
        mget(3, (20, 25), ["1", "1"]),
    ]),
    HistoryCase(description: "an EXEC succeeds when a concurrent MSET may come after it", operations: [
        watch(1, (0, 5), [nil, nil]), mset(2, "1", (3, 16)), exec(1, "x", (10, 15), succeeded: true),
        mget(3, (20, 25), ["1", "1"]),
    ]),
    HistoryCase(description: "an EXEC whose answer was lost may have written", operations: [
        watch(1, (0, 5), [nil, nil]), exec(1, "x", (10, nil), succeeded: nil), mget(2, (20, 25), ["x", "x"]),
    ]),
    HistoryCase(description: "an EXEC whose answer was lost may not have written", operations: [
        watch(1, (0, 5), [nil, nil]), exec(1, "x", (10, nil), succeeded: nil), mget(2, (20, 25), [nil, nil]),
    ]),
    HistoryCase(description: "a key created and deleted again between WATCH and EXEC still compares as absent", operations: [
        watch(1, (0, 5), [nil, nil]), put(2, a, "1", (6, 7)), delete(2, a, (8, 9), existed: true),
        exec(1, "x", (10, 15), succeeded: true),
    ]),
    HistoryCase(description: "a DEL of the family lets MSETNX write again", operations: [
        mset(1, "1", (0, 5)), op(2, .mdelete(keys: [a, b]), (6, 9), .reply(.integer(2))),
        mset(1, "2", (10, 15), nx: true, written: true), mget(3, (20, 25), ["2", "2"]),
    ]),
    HistoryCase(description: "MSETNX writes on an empty family and refuses after", operations: [
        mset(1, "1", (0, 5), nx: true, written: true), mset(2, "2", (10, 15), nx: true, written: false),
        mget(3, (20, 25), ["1", "1"]),
    ]),
    HistoryCase(description: "a single-key write inside the family and a plain key beside it", operations: [
        mset(1, "1", (0, 5)), put(2, a, "2", (10, 15)), mget(3, (20, 25), ["2", "1"]),
        put(1, bytes("c"), "9", (0, 1)), op(2, .get(key: bytes("c")), (2, 3), .value(bytes("9"))),
    ]),
]

private let mustReject: [HistoryCase] = [
    HistoryCase(description: "an MGET after an MSET sees half of it", operations: [
        mset(1, "1", (0, 10)), mget(2, (20, 30), ["1", nil]),
    ]),
    HistoryCase(description: "an MGET concurrent with an MSET sees half of it", operations: [
        mset(1, "1", (0, 10)), mget(2, (5, 15), [nil, "1"]),
    ]),
    HistoryCase(description: "an EXEC succeeds although a put of a watched key is forced between WATCH and EXEC", operations: [
        watch(1, (0, 5), [nil, nil]), put(2, a, "2", (6, 8)), exec(1, "x", (10, 15), succeeded: true),
    ]),
    HistoryCase(description: "an EXEC succeeds although a put of the same value is forced between WATCH and EXEC", operations: [
        put(2, a, "1", (0, 1)), watch(1, (2, 5), ["1", nil]), put(2, a, "1", (6, 8)), exec(1, "x", (10, 15), succeeded: true),
    ]),
    HistoryCase(description: "an EXEC fails although nothing could write between WATCH and EXEC", operations: [
        watch(1, (0, 5), [nil, nil]), exec(1, "x", (10, 15), succeeded: false),
    ]),
    HistoryCase(description: "an EXEC fails although the only other write came before its WATCH", operations: [
        mset(2, "1", (0, 2)), watch(1, (3, 5), ["1", "1"]), exec(1, "x", (10, 15), succeeded: false),
    ]),
    HistoryCase(description: "a WATCH reads a value an earlier MSET overwrote", operations: [
        mset(1, "1", (0, 5)), watch(2, (10, 15), [nil, nil]),
    ]),
    HistoryCase(description: "a failed EXEC wrote all the same", operations: [
        watch(1, (0, 5), [nil, nil]), mset(2, "1", (3, 12)), exec(1, "x", (10, 15), succeeded: false),
        mget(3, (20, 25), ["x", "x"]),
    ]),
    HistoryCase(description: "a DEL of the family counts a key an MSET wrote before as absent", operations: [
        mset(1, "1", (0, 5)), op(2, .mdelete(keys: [a, b]), (6, 9), .reply(.integer(1))),
    ]),
    HistoryCase(description: "MSETNX answers written over a present key", operations: [
        put(1, a, "1", (0, 5)), mset(2, "2", (10, 15), nx: true, written: true),
    ]),
]

@Suite("linearizability checker: families (FamilyModel)")
struct FamilyModelTests {
    @Test("family: accepts", arguments: mustAccept)
    func accepts(_ historyCase: HistoryCase) {
        let result = LinearizabilityChecker().check(historyCase.history)
        #expect(result == .linearizable, "\(historyCase): \(result)")
    }

    @Test("family: rejects", arguments: mustReject)
    func rejects(_ historyCase: HistoryCase) {
        guard case .violation(let violation) = LinearizabilityChecker().check(historyCase.history) else {
            Issue.record("\(historyCase) was not rejected")
            return
        }
        #expect(violation.key == a, "the family is named by its first key: \(violation)")
    }

    @Test("family: verdicts agree with a brute-force search over every order, on random histories",
          arguments: [0xFA31, 0xBEEF, 0x5EED] as [UInt64])
    func differential(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var verdicts: [Bool: Int] = [:]
        for round in 0..<400 {
            let history = RandomFamilyHistory.make(using: &random)
            let expected = RandomFamilyHistory.bruteForce(history)
            let result = LinearizabilityChecker().check(history)
            verdicts[expected, default: 0] += 1
            #expect(result.isLinearizable == expected, "round \(round): brute force says \(expected), checker \(result)\n\(history)")
            if case .inconclusive = result { Issue.record("round \(round): inconclusive on a tiny history") }
        }
        // Both verdicts must be common, or the comparison tests little.
        #expect(verdicts[true, default: 0] > 80 && verdicts[false, default: 0] > 80, "\(verdicts)")
    }
}

/// Random small histories on the family {a, b} by three clients, and the brute-force verdict.
private enum RandomFamilyHistory {
    static func make(using random: inout SeededGenerator) -> History {
        // Each client runs operations one after another; a WATCH is always followed by its EXEC.
        var specs: [(client: UInt64, kind: HistoryOperation.Kind, start: UInt64, end: UInt64, unknown: Bool)] = []
        let total = Int.random(in: 3...6, using: &random)
        var clientTime: [UInt64] = [0, 0, 0]
        var pendingExec: [Int: Bool] = [:]
        var value = 0
        while specs.count < total || !pendingExec.isEmpty {
            let client = pendingExec.keys.first ?? Int.random(in: 0..<3, using: &random)
            let start = clientTime[client] + UInt64.random(in: 0...4, using: &random)
            let end = start + UInt64.random(in: 1...8, using: &random)
            value += 1
            let kind: HistoryOperation.Kind
            if pendingExec.removeValue(forKey: client) != nil {
                kind = .exec(keys: [a, b], values: [bytes("x\(value)"), bytes("y\(value)")])
            } else {
                let key = Bool.random(using: &random) ? a : b
                switch Int.random(in: 0..<9, using: &random) {
                case 0: kind = .put(key: key, value: bytes("p\(value)"))
                case 1: kind = .delete(key: key)
                case 2: kind = .get(key: key)
                case 3: kind = .mset(keys: [a, b], values: [bytes("m\(value)"), bytes("n\(value)")], ifNoneExist: false)
                case 4: kind = .mset(keys: [a, b], values: [bytes("m\(value)"), bytes("n\(value)")], ifNoneExist: true)
                case 5: kind = .mget(keys: [a, b])
                case 6: kind = .mdelete(keys: [a, b])
                default:
                    kind = .watch(keys: [a, b])
                    pendingExec[client] = true
                }
            }
            // A WATCH is answered (its EXEC used the answer); other operations may be lost.
            let unknown: Bool
            if case .watch = kind { unknown = false } else { unknown = Int.random(in: 0..<6, using: &random) == 0 }
            specs.append((UInt64(client + 1), kind, start, end, unknown))
            clientTime[client] = end + 1
        }
        // Take effect at one instant of each window (a lost one may also take effect later or
        // never), in instant order, on the atomic family.
        let skeleton = specs.enumerated().map { index, spec in
            HistoryOperation(id: .init(index), client: ClientID(spec.client), kind: spec.kind, invokedAt: spec.start,
                             completedAt: nil, outcome: .unknown)
        }
        var family = SequentialFamily(operations: skeleton)
        let instants = specs.map { spec in
            spec.unknown ? UInt64.random(in: spec.start...(spec.end + 20), using: &random) : UInt64.random(in: spec.start...spec.end, using: &random)
        }
        var outcomes = [HistoryOperation.Outcome](repeating: .unknown, count: specs.count)
        for index in specs.indices.sorted(by: { (instants[$0], $0) < (instants[$1], $1) }) {
            if specs[index].unknown && Bool.random(using: &random) { continue }
            outcomes[index] = family.apply(skeleton[index])
        }
        // Corrupt one answer in about half the histories.
        if Bool.random(using: &random), let victim = specs.indices.filter({ !specs[$0].unknown }).randomElement(using: &random) {
            outcomes[victim] = corrupted(outcomes[victim], using: &random)
        }
        return History(specs.indices.map { index in
            let spec = specs[index]
            return HistoryOperation(id: .init(index), client: ClientID(spec.client), kind: spec.kind, invokedAt: spec.start,
                                    completedAt: spec.unknown ? nil : spec.end, outcome: spec.unknown ? .unknown : outcomes[index])
        })
    }

    /// Another answer of the same shape.
    private static func corrupted(_ outcome: HistoryOperation.Outcome, using random: inout SeededGenerator) -> HistoryOperation.Outcome {
        let other: Bytes? = [nil, bytes("p1"), bytes("m3")].randomElement(using: &random) ?? nil
        switch outcome {
        case .deleted(let existed): return .deleted(existed: !existed)
        case .reply(.integer(let removed)): return .reply(.integer((removed + 1) % 3))
        case .value(let value): return .value(value == nil ? bytes("p1") : nil)
        case .reply(.transaction(let succeeded, _)): return .reply(.transaction(succeeded: !succeeded, succeeded ? [] : [.ok, .ok]))
        case .reply(.array(var replies)) where !replies.isEmpty && replies.allSatisfy({ $0 != .ok }):
            let index = Int.random(in: 0..<replies.count, using: &random)
            replies[index] = replies[index] == .null ? .bulk(bytes("m3")) : other.map(OpReply.bulk) ?? .null
            return .reply(.array(replies))
        default: return outcome
        }
    }

    /// Whether some order of the operations that respects real time (an operation that
    /// completed before another was invoked comes first; a lost one is never bounded) and
    /// leaves out or places anywhere the lost ones gives every known answer.
    static func bruteForce(_ history: History) -> Bool {
        let operations = history.operations
        return search(operations, done: Set(), family: SequentialFamily(operations: operations))
    }

    private static func search(_ operations: [HistoryOperation], done: Set<Int>, family: SequentialFamily) -> Bool {
        let open = operations.indices.filter { !done.contains($0) }
        // Lost operations left at the end take effect unobserved, as if never.
        if open.allSatisfy({ operations[$0].outcome == .unknown }) { return true }
        for index in open {
            let operation = operations[index]
            let blocked = open.contains { other in
                other != index && operations[other].outcome != .unknown && (operations[other].completedAt ?? .max) < operation.invokedAt
            }
            if blocked { continue }
            var next = family
            let answer = next.apply(operation)
            if operation.outcome != .unknown && answer != operation.outcome { continue }
            if search(operations, done: done.union([index]), family: next) { return true }
        }
        return false
    }
}
