// Method: the linearizability checker on keys with SET PX and PEXPIRE (docs/design/coordination-api.md
// §3 "Expiry", §8 "TTL"), tested as a pure function from `History` and slack to verdict, as
// LinearizabilityTests does for the plain register. Each SET PX or PEXPIRE schedules an expiry
// that may take effect anywhere in [invoke + ms − slack, complete + ms + slack] and MUST have
// by its end, deleting the key only if that operation's deadline is still the key's
// (`TTLWindow`, `TTLRegisterModel`). Hand-written histories, each with the reason it MUST be
// accepted or rejected: reads before, inside and after the window; a key overwritten, given a
// new deadline, or incremented (INCR keeps the deadline); an expiry that may not run before its
// own SET; unknown outcomes.
import PaxosCore
import PaxosTestKit
import Testing

private func bytes(_ string: String) -> Bytes { Array(string.utf8) }

private func op(_ client: UInt64, _ kind: HistoryOperation.Kind, _ span: (UInt64, UInt64?),
                _ outcome: HistoryOperation.Outcome) -> OperationSpec {
    OperationSpec(client: client, kind: kind, invokedAt: span.0, completedAt: span.1, outcome: outcome)
}

private func setPX(_ client: UInt64, _ value: String, _ ms: Int64, _ span: (UInt64, UInt64?), known: Bool = true) -> OperationSpec {
    op(client, .setExpiring(key: bytes("k"), value: bytes(value), milliseconds: ms), span, known ? .reply(.ok) : .unknown)
}

private func pexpire(_ client: UInt64, _ ms: Int64, _ span: (UInt64, UInt64?), existed: Bool?) -> OperationSpec {
    op(client, .expire(key: bytes("k"), milliseconds: ms), span, existed.map { .reply(.integer($0 ? 1 : 0)) } ?? .unknown)
}

private func put(_ client: UInt64, _ value: String, _ span: (UInt64, UInt64?)) -> OperationSpec {
    op(client, .put(key: bytes("k"), value: bytes(value)), span, .ok)
}

private func get(_ client: UInt64, _ span: (UInt64, UInt64?), _ value: String?) -> OperationSpec {
    op(client, .get(key: bytes("k")), span, .value(value.map(bytes)))
}

private func incr(_ client: UInt64, _ span: (UInt64, UInt64?), _ sum: Int64) -> OperationSpec {
    op(client, .incrementBy(key: bytes("k"), by: 1), span, .reply(.integer(sum)))
}

/// A case and the slack its windows get.
private struct TTLCase: Sendable, CustomStringConvertible {
    var description: String
    var slack: UInt64
    var operations: [OperationSpec]

    func verdict() -> LinearizabilityResult {
        var checker = LinearizabilityChecker()
        checker.expirySlackUnits = slack
        return checker.check(HistoryCase(description: description, operations: operations).history)
    }
}

// SET PX 1000 at [0, 10] with slack 100: the expiry's window is [900, 1110].
private let mustAccept: [TTLCase] = [
    TTLCase(description: "a read before the window sees the value", slack: 100, operations: [
        setPX(1, "a", 1_000, (0, 10)), get(2, (850, 860), "a"),
    ]),
    TTLCase(description: "a read after the window sees no key", slack: 100, operations: [
        setPX(1, "a", 1_000, (0, 10)), get(2, (1_200, 1_210), nil),
    ]),
    TTLCase(description: "inside the window a read may see the value or not, in that order", slack: 100, operations: [
        setPX(1, "a", 1_000, (0, 10)), get(2, (950, 960), "a"), get(3, (1_000, 1_010), nil), get(2, (1_050, 1_060), nil),
    ]),
    TTLCase(description: "a later plain SET is not deleted by the earlier SET PX's expiry", slack: 100, operations: [
        setPX(1, "a", 1_000, (0, 10)), put(2, "b", (100, 110)), get(3, (2_000, 2_010), "b"),
    ]),
    TTLCase(description: "a later SET PX runs its own deadline, not the first one's", slack: 0, operations: [
        setPX(1, "a", 300, (0, 10)), setPX(2, "b", 1_000, (100, 110)), get(3, (600, 610), "b"), get(3, (1_200, 1_210), nil),
    ]),
    TTLCase(description: "PEXPIRE on a present key makes it expire", slack: 50, operations: [
        put(1, "a", (0, 10)), pexpire(2, 500, (20, 30), existed: true), get(3, (400, 410), "a"), get(3, (700, 710), nil),
    ]),
    TTLCase(description: "PEXPIRE replaces a SET PX's deadline with a later one", slack: 0, operations: [
        setPX(1, "a", 300, (0, 10)), pexpire(2, 2_000, (100, 110), existed: true), get(3, (600, 610), "a"),
        get(3, (2_200, 2_210), nil),
    ]),
    TTLCase(description: "PEXPIRE on an absent key schedules nothing", slack: 0, operations: [
        pexpire(1, 200, (0, 10), existed: false), put(2, "a", (20, 30)), get(3, (1_000, 1_010), "a"),
    ]),
    TTLCase(description: "INCR keeps the deadline: the counter expires", slack: 0, operations: [
        incr(1, (0, 10), 1), pexpire(2, 500, (20, 30), existed: true), incr(1, (40, 50), 2), get(3, (100, 110), "2"),
        get(3, (700, 710), nil), incr(1, (720, 730), 1),
    ]),
    TTLCase(description: "an unknown SET PX may land late, and expire late", slack: 0, operations: [
        put(1, "a", (0, 10)), setPX(2, "b", 300, (20, nil), known: false), get(3, (2_000, 2_010), "a"),
        get(3, (3_000, 3_010), "b"),
    ]),
    TTLCase(description: "a long SET PX: the expiry is measured from its completion", slack: 0, operations: [
        setPX(1, "a", 100, (0, 1_000)), get(2, (1_050, 1_060), "a"), get(2, (1_200, 1_210), nil),
    ]),
]

private let mustReject: [TTLCase] = [
    TTLCase(description: "a read after the window still sees the value", slack: 100, operations: [
        setPX(1, "a", 1_000, (0, 10)), get(2, (1_200, 1_210), "a"),
    ]),
    TTLCase(description: "a read before the window sees no key", slack: 100, operations: [
        setPX(1, "a", 1_000, (0, 10)), get(2, (500, 510), nil),
    ]),
    TTLCase(description: "a key comes back after it expired", slack: 100, operations: [
        setPX(1, "a", 1_000, (0, 10)), get(2, (1_000, 1_010), nil), get(2, (1_050, 1_060), "a"),
    ]),
    TTLCase(description: "the expiry cannot run before its own SET (and so be spent)", slack: 0, operations: [
        setPX(1, "a", 100, (0, 1_000)), get(2, (1_200, 1_210), "a"),
    ]),
    TTLCase(description: "PEXPIRE answered 1 on a key that was never written", slack: 0, operations: [
        pexpire(1, 500, (0, 10), existed: true),
    ]),
    TTLCase(description: "a key given a deadline by PEXPIRE outlives it", slack: 50, operations: [
        put(1, "a", (0, 10)), pexpire(2, 500, (20, 30), existed: true), get(3, (700, 710), "a"),
    ]),
    TTLCase(description: "INCR keeps the deadline: a counter read after it still counting is wrong", slack: 0, operations: [
        incr(1, (0, 10), 1), pexpire(2, 500, (20, 30), existed: true), incr(1, (700, 710), 2),
    ]),
]

@Suite("TTL window checker")
struct TTLWindowTests {
    @Test("ttl: histories a key with deadlines allows are accepted", arguments: mustAccept)
    fileprivate func accepts(_ testCase: TTLCase) {
        #expect(testCase.verdict() == .linearizable, "\(testCase)")
    }

    @Test("ttl: histories a key with deadlines forbids are rejected", arguments: mustReject)
    fileprivate func rejects(_ testCase: TTLCase) {
        guard case .violation(let violation) = testCase.verdict() else {
            Issue.record("\(testCase): accepted")
            return
        }
        #expect(violation.key == bytes("k"))
    }

    @Test("ttl: the slack widens the window: a read just after the deadline passes with slack, not without")
    func slackWidens() {
        let operations = [setPX(1, "a", 1_000, (0, 10)), get(2, (1_050, 1_060), "a")]
        #expect(TTLCase(description: "slack 100", slack: 100, operations: operations).verdict() == .linearizable)
        #expect(TTLCase(description: "slack 0", slack: 0, operations: operations).verdict() != .linearizable)
    }

    @Test("ttl: a violation report replays the expiry into the value it shows")
    func reportShowsExpiry() {
        let verdict = TTLCase(description: "", slack: 0, operations: [
            setPX(1, "a", 100, (0, 10)), get(2, (200, 210), nil), get(2, (300, 310), "a"),
        ]).verdict()
        guard case .violation(let violation) = verdict else {
            Issue.record("accepted")
            return
        }
        #expect(violation.valueAfterLinearization == nil, "\(violation)")
        #expect(violation.description.contains("expiry(\"k\" of #0)"), "\(violation)")
    }
}
