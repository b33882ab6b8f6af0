// Method: table tests of the TTL operations of docs/design/coordination-api.md §1.3 and §3,
// applied through OperationExecutor to the in-memory state machine with timed batches: each row
// is a starting row (value and deadline), the slot's clock, an operation, and the reply and row
// Redis leaves (deadlines in Unix ms of the log's clock). Then the rules around them: expiry at
// the clock for every operation, the clock's max, positions of timed batches, and the sweep.
import PaxosCore
import Testing

@Suite("TTL operations")
struct TTLTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var before: (value: String, deadline: UInt64?)?
        var op: KeyOp
        var reply: OpReply
        var after: (value: String, deadline: UInt64?)?
        var testDescription: String { name }
    }

    static let k = Array("k".utf8)
    static let clock: UInt64 = 10_000
    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static func t(_ ms: UInt64) -> LeaderTime { LeaderTime(rawValue: ms) }
    static func set(_ expiry: Expiry, _ condition: SetCondition = .always) -> KeyOp {
        .set(key: k, value: b("v"), SetOptions(condition: condition, expiry: expiry))
    }
    static func expire(_ expiry: Expiry, _ condition: ExpireCondition = .always, ifEquals: String? = nil) -> KeyOp {
        .expire(key: k, expiry, condition, ifEquals: ifEquals.map(b))
    }

    static let cases: [Case] = [
        Case(name: "SET PX sets the deadline from the slot's clock", before: nil, op: set(.after(milliseconds: 500)),
             reply: .ok, after: ("v", 10_500)),
        Case(name: "SET PXAT sets that deadline", before: nil, op: set(.at(t(20_000))), reply: .ok, after: ("v", 20_000)),
        Case(name: "SET PXAT in the past leaves no key", before: ("old", nil), op: set(.at(t(9_000))), reply: .ok, after: nil),
        Case(name: "SET KEEPTTL keeps the deadline", before: ("old", 12_000), op: set(.keep), reply: .ok, after: ("v", 12_000)),
        Case(name: "SET clears the deadline", before: ("old", 12_000), op: set(.clear), reply: .ok, after: ("v", nil)),
        Case(name: "SET PX overflowing is refused", before: ("old", nil), op: set(.after(milliseconds: Int64.max)),
             reply: .error(.invalidExpireTime), after: ("old", nil)),
        Case(name: "SET NX on an expired key sets", before: ("old", 10_000), op: set(.clear, .ifAbsent), reply: .ok, after: ("v", nil)),
        Case(name: "EXPIRE of a missing key is 0", before: nil, op: expire(.after(milliseconds: 100)), reply: .integer(0), after: nil),
        Case(name: "EXPIRE of an expired key is 0", before: ("v", 9_999), op: expire(.after(milliseconds: 100)), reply: .integer(0), after: nil),
        Case(name: "EXPIRE sets a deadline", before: ("v", nil), op: expire(.after(milliseconds: 100)), reply: .integer(1), after: ("v", 10_100)),
        Case(name: "EXPIRE with 0 deletes", before: ("v", nil), op: expire(.after(milliseconds: 0)), reply: .integer(1), after: nil),
        Case(name: "EXPIRE negative deletes", before: ("v", 20_000), op: expire(.after(milliseconds: -5_000)), reply: .integer(1), after: nil),
        Case(name: "EXPIREAT in the past deletes", before: ("v", nil), op: expire(.at(t(1))), reply: .integer(1), after: nil),
        Case(name: "EXPIRE overflowing is refused", before: ("v", nil), op: expire(.after(milliseconds: Int64.max)),
             reply: .error(.invalidExpireTime), after: ("v", nil)),
        Case(name: "EXPIRE NX without a deadline sets", before: ("v", nil), op: expire(.after(milliseconds: 5), .ifNoDeadline),
             reply: .integer(1), after: ("v", 10_005)),
        Case(name: "EXPIRE NX with a deadline is 0", before: ("v", 11_000), op: expire(.after(milliseconds: 5), .ifNoDeadline),
             reply: .integer(0), after: ("v", 11_000)),
        Case(name: "EXPIRE XX without a deadline is 0", before: ("v", nil), op: expire(.after(milliseconds: 5), .ifHasDeadline),
             reply: .integer(0), after: ("v", nil)),
        Case(name: "EXPIRE XX with a deadline sets", before: ("v", 11_000), op: expire(.after(milliseconds: 5), .ifHasDeadline),
             reply: .integer(1), after: ("v", 10_005)),
        Case(name: "EXPIRE GT without a deadline is 0 (infinity)", before: ("v", nil), op: expire(.after(milliseconds: 5), .ifGreater),
             reply: .integer(0), after: ("v", nil)),
        Case(name: "EXPIRE GT later sets", before: ("v", 11_000), op: expire(.after(milliseconds: 5_000), .ifGreater),
             reply: .integer(1), after: ("v", 15_000)),
        Case(name: "EXPIRE GT earlier is 0", before: ("v", 11_000), op: expire(.after(milliseconds: 5), .ifGreater),
             reply: .integer(0), after: ("v", 11_000)),
        Case(name: "EXPIRE LT without a deadline sets", before: ("v", nil), op: expire(.after(milliseconds: 5), .ifLess),
             reply: .integer(1), after: ("v", 10_005)),
        Case(name: "EXPIRE LT later is 0", before: ("v", 11_000), op: expire(.after(milliseconds: 5_000), .ifLess),
             reply: .integer(0), after: ("v", 11_000)),
        Case(name: "PERSIST removes a deadline", before: ("v", 11_000), op: expire(.clear), reply: .integer(1), after: ("v", nil)),
        Case(name: "PERSIST without a deadline is 0", before: ("v", nil), op: expire(.clear), reply: .integer(0), after: ("v", nil)),
        Case(name: "PERSIST of a missing key is 0", before: nil, op: expire(.clear), reply: .integer(0), after: nil),
        Case(name: "Lock extend: old deadline plus ms when the token matches", before: ("tok", 11_000),
             op: expire(.extend(milliseconds: 2_000), .ifHasDeadline, ifEquals: "tok"), reply: .integer(1), after: ("tok", 13_000)),
        Case(name: "Lock extend: another token is 0", before: ("tok", 11_000),
             op: expire(.extend(milliseconds: 2_000), .ifHasDeadline, ifEquals: "other"), reply: .integer(0), after: ("tok", 11_000)),
        Case(name: "Lock extend: no deadline is 0", before: ("tok", nil),
             op: expire(.extend(milliseconds: 2_000), .ifHasDeadline, ifEquals: "tok"), reply: .integer(0), after: ("tok", nil)),
        Case(name: "Lock reacquire: the token's deadline is set anew", before: ("tok", 10_001),
             op: expire(.after(milliseconds: 2_000), ifEquals: "tok"), reply: .integer(1), after: ("tok", 12_000)),
        Case(name: "GETEX without options reads", before: ("v", 11_000), op: .getExpire(key: k, .keep), reply: .bulk(b("v")), after: ("v", 11_000)),
        Case(name: "GETEX PX sets the deadline", before: ("v", nil), op: .getExpire(key: k, .after(milliseconds: 50)),
             reply: .bulk(b("v")), after: ("v", 10_050)),
        Case(name: "GETEX PERSIST clears", before: ("v", 11_000), op: .getExpire(key: k, .clear), reply: .bulk(b("v")), after: ("v", nil)),
        Case(name: "GETEX of a missing key is nil", before: nil, op: .getExpire(key: k, .after(milliseconds: 50)), reply: .null, after: nil),
        Case(name: "PTTL of a missing key is -2", before: nil, op: .deadline(key: k, remaining: true), reply: .integer(-2), after: nil),
        Case(name: "PTTL of an expired key is -2", before: ("v", 10_000), op: .deadline(key: k, remaining: true), reply: .integer(-2), after: nil),
        Case(name: "PTTL without a deadline is -1", before: ("v", nil), op: .deadline(key: k, remaining: true), reply: .integer(-1), after: ("v", nil)),
        Case(name: "PTTL is the deadline less the clock", before: ("v", 10_250), op: .deadline(key: k, remaining: true),
             reply: .integer(250), after: ("v", 10_250)),
        Case(name: "PEXPIRETIME is the deadline", before: ("v", 10_250), op: .deadline(key: k, remaining: false),
             reply: .integer(10_250), after: ("v", 10_250)),
        Case(name: "INCR of an expired key starts from 0, with no deadline", before: ("41", 10_000), op: .incrementBy(key: k, 1),
             reply: .integer(1), after: ("1", nil)),
        Case(name: "DELIFEQ of an expired key is 0", before: ("tok", 5), op: .delete(keys: [k], ifEquals: b("tok")), reply: .integer(0), after: nil),
        Case(name: "DEL of an expired key counts 0", before: ("tok", 5), op: .delete(keys: [k], ifEquals: nil), reply: .integer(0), after: nil),
    ]

    /// A machine whose clock is `clock` after slot 2, holding `before` written in slot 1.
    static func machine(before: (value: String, deadline: UInt64?)?) -> KVStateMachine {
        var rows: [Bytes: KVRow] = [:]
        if let before {
            rows[k] = KVRow(value: b(before.value), revision: Revision(slot: Slot(1), position: 0), deadline: before.deadline.map(t))
        }
        var machine = KVStateMachine(rows: rows, sessions: [:], appliedThrough: Slot(1), clock: t(1_000))
        _ = machine.apply(slot: Slot(2), command: .timedBatch(time: t(clock), requests: []))
        return machine
    }

    @Test("TTL operation: reply and resulting row as Redis", arguments: cases)
    func table(_ c: Case) {
        var machine = Self.machine(before: c.before.map { ($0.value, $0.deadline) })
        // Keep a live `before` in place through slot 2's sweep; an expired one is already gone to every operation.
        let results = machine.apply(slot: Slot(3), command: .timedBatch(time: Self.t(Self.clock), requests: [request(1, 1, .key(c.op))]))
        #expect(results.map(\.result) == [.reply(c.reply)])
        let row = machine.row(Self.k)
        #expect(row?.value == c.after.map { Self.b($0.value) })
        #expect(row?.deadline == c.after?.deadline.map(Self.t))
    }

    @Test("clock: the max of the stamps applied; an older stamp leaves it, and no key comes back")
    func clockIsMaximum() {
        var machine = KVStateMachine()
        _ = machine.apply(slot: Slot(1), command: .timedBatch(time: Self.t(1_000), requests: [request(1, 1, .key(Self.set(.after(milliseconds: 100))))]))
        #expect(machine.get(Self.k) == Self.b("v"))
        _ = machine.apply(slot: Slot(2), command: .timedBatch(time: Self.t(1_100), requests: []))
        #expect(machine.clock == Self.t(1_100))
        #expect(machine.get(Self.k) == nil)
        _ = machine.apply(slot: Slot(3), command: .timedBatch(time: Self.t(500), requests: []))
        _ = machine.apply(slot: Slot(4), command: .batch([]))
        #expect(machine.clock == Self.t(1_100))
        #expect(machine.get(Self.k) == nil)
    }

    @Test("revisions: a timed batch's requests write at their index; legacy batches at 0")
    func positions() {
        var machine = KVStateMachine()
        let puts = (0..<3).map { request(UInt64($0 + 1), 1, .put(key: Self.b("k\($0)"), value: Self.b("v"))) }
        _ = machine.apply(slot: Slot(1), command: .timedBatch(time: Self.t(1), requests: puts))
        #expect((0..<3).map { machine.row(Self.b("k\($0)"))?.revision } == (0..<3).map { Revision(slot: Slot(1), position: UInt16($0)) })
        _ = machine.apply(slot: Slot(2), command: .batch(puts.map { ClientRequest(client: $0.client, sequence: 2, operation: $0.operation) }))
        #expect(machine.row(Self.b("k2"))?.revision == Revision(slot: Slot(2), position: 0))
    }

    @Test("sweep: each timed batch removes at most sweepKeysPerSlot expired rows, in (deadline, key) order")
    func sweep() {
        let perSlot = KVRules().sweepKeysPerSlot
        var rows: [Bytes: KVRow] = [:]
        // Two rows per deadline, so the key breaks ties; names count down as deadlines rise.
        for i in 0..<(perSlot + 10) {
            rows[Self.b("k\(10_000 - i)")] = KVRow(value: [1], revision: Revision(slot: Slot(1), position: 0), deadline: Self.t(UInt64(100 + i / 2)))
        }
        rows[Self.b("live")] = KVRow(value: [1], revision: Revision(slot: Slot(1), position: 0), deadline: Self.t(100_000))
        var machine = KVStateMachine(rows: rows, sessions: [:], appliedThrough: Slot(1))
        _ = machine.apply(slot: Slot(2), command: .batch([]))
        #expect(machine.rows.count == perSlot + 11, "an untimed batch sweeps nothing")
        _ = machine.apply(slot: Slot(3), command: .timedBatch(time: Self.t(50_000), requests: []))
        let expected = rows.filter { $0.key != Self.b("live") }
            .sorted { $0.value.deadline! != $1.value.deadline! ? $0.value.deadline! < $1.value.deadline! : $0.key.lexicographicallyPrecedes($1.key) }
            .dropFirst(perSlot).map(\.key) + [Self.b("live")]
        #expect(Set(machine.rows.keys) == Set(expected))
        _ = machine.apply(slot: Slot(4), command: .timedBatch(time: Self.t(50_000), requests: []))
        #expect(Array(machine.rows.keys) == [Self.b("live")])
        #expect(machine.nextDeadline == Self.t(100_000))
    }

    @Test("TTL operation encoding: every case round-trips; bad tags are refused")
    func encoding() throws {
        let ops: [KeyOp] = [
            Self.expire(.after(milliseconds: -3)), Self.expire(.at(Self.t(77)), .ifLess, ifEquals: "tok"),
            Self.expire(.extend(milliseconds: 9), .ifHasDeadline), Self.expire(.clear), .getExpire(key: Self.k, .keep),
            .getExpire(key: Self.k, .after(milliseconds: 5)), .deadline(key: Self.k, remaining: true), .deadline(key: Self.k, remaining: false),
            Self.set(.after(milliseconds: 1)), Self.set(.at(Self.t(2))), Self.set(.extend(milliseconds: 3)),
        ]
        for op in ops {
            var writer = ByteWriter(capacity: 64)
            Operation.key(op).encode(into: &writer)
            var reader = ByteReader(writer.bytes)
            #expect(try Operation.decode(from: &reader) == .key(op))
            #expect(op.encodingProblem == nil)
        }
        #expect(throws: DecodingError.self) {
            var reader = ByteReader([3, 8, 0, 0, 0, 1, 0x6B, 2, 0, 0, 0, 0, 0, 0, 0, 1, 9, 0])
            _ = try Operation.decode(from: &reader)
        }
        #expect(try OpReply.decode([4, 6]) == .error(.invalidExpireTime))
    }

    @Test("reads as of the leader's time: a key live by the log but due by the read time is expiryDue, with the latest such deadline")
    func readExpiryDue() {
        var rows: [Bytes: KVRow] = [:]
        for (name, deadline) in [("a", 1_500), ("b", 1_800), ("c", 5_000)] as [(String, UInt64)] {
            rows[Self.b(name)] = KVRow(value: Self.b(name), revision: Revision(slot: Slot(1), position: 0), deadline: Self.t(deadline))
        }
        rows[Self.b("p")] = KVRow(value: Self.b("p"), revision: Revision(slot: Slot(1), position: 0))
        var machine = KVStateMachine(rows: rows, sessions: [:], appliedThrough: Slot(1))
        _ = machine.apply(slot: Slot(2), command: .timedBatch(time: Self.t(1_000), requests: []))
        let query = ReadQuery.keys([Self.b("a"), Self.b("b"), Self.b("c"), Self.b("p")], fields: .value)
        #expect(machine.read(query, at: Self.t(2_000)) == .expiryDue(Self.t(1_800)))
        #expect(machine.read(.keys([Self.b("c"), Self.b("p"), Self.b("x")], fields: .both), at: Self.t(2_000))
                == .answer(machine.answer(.keys([Self.b("c"), Self.b("p"), Self.b("x")], fields: .both))), "no key due: the answer")
        #expect(machine.read(query, at: Self.t(1_499)) == .answer(machine.answer(query)))
        #expect(machine.read(query, at: nil) == .answer(machine.answer(query)), "stale reads go by the log's clock")
        #expect(machine.read(.keyCount, at: Self.t(9_000)) == .answer(ReadAnswer(keyspace: .count(4))), "keyspace queries too")
        // Once the log's clock passes a deadline the key is absent, whatever the read time.
        _ = machine.apply(slot: Slot(3), command: .timedBatch(time: Self.t(1_800), requests: []))
        #expect(machine.read(.value(of: Self.b("b")), at: Self.t(2_000)) == .answer(.value(nil)))
        #expect(machine.read(.value(of: Self.b("c")), at: Self.t(5_000)) == .expiryDue(Self.t(5_000)), "due at exactly its deadline")
    }

    func request(_ client: UInt64, _ sequence: UInt64, _ operation: Operation) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: operation)
    }
}
