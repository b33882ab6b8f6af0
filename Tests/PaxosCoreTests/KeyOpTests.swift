// Method: table tests of the single-key operations of docs/design/coordination-api.md §1.1–1.3
// and §7 ("PR 2"), applied through OperationExecutor to the in-memory state machine: each row is
// a starting value, an operation and the reply and value Redis gives; then exactly-once of
// replies across a retried request, the remembered-reply bound, Redis's integer and float
// rules, and the operation and reply encodings over round trips and truncated or garbage bytes.
import PaxosCore
import Testing

@Suite("key operations")
struct KeyOpTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var before: String?
        var op: KeyOp
        var reply: OpReply
        var after: String?
        var testDescription: String { name }
    }

    static let k = Array("k".utf8)
    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static func set(_ value: String, _ condition: SetCondition = .always, get: Bool = false) -> KeyOp {
        .set(key: k, value: b(value), SetOptions(condition: condition, returnsOld: get))
    }
    static func float(_ value: Double) -> KeyOp { .incrementByFloat(key: k, bits: value.bitPattern) }

    static let cases: [Case] = [
        Case(name: "SET on a missing key", before: nil, op: set("v"), reply: .ok, after: "v"),
        Case(name: "SET NX on a missing key sets", before: nil, op: set("v", .ifAbsent), reply: .ok, after: "v"),
        Case(name: "SET NX on a present key is nil", before: "old", op: set("v", .ifAbsent), reply: .null, after: "old"),
        Case(name: "SET XX on a missing key is nil", before: nil, op: set("v", .ifPresent), reply: .null, after: nil),
        Case(name: "SET XX on a present key sets", before: "old", op: set("v", .ifPresent), reply: .ok, after: "v"),
        Case(name: "SET IFEQ equal sets", before: "old", op: set("v", .ifEquals(b("old"))), reply: .ok, after: "v"),
        Case(name: "SET IFEQ different is nil", before: "old", op: set("v", .ifEquals(b("x"))), reply: .null, after: "old"),
        Case(name: "SET IFEQ on a missing key is nil", before: nil, op: set("v", .ifEquals(b("x"))), reply: .null, after: nil),
        Case(name: "SET GET returns the old value", before: "old", op: set("v", get: true), reply: .bulk(b("old")), after: "v"),
        Case(name: "SET GET of a missing key is nil", before: nil, op: set("v", get: true), reply: .null, after: "v"),
        Case(name: "SET NX GET on a present key returns the old value, sets nothing", before: "old",
             op: set("v", .ifAbsent, get: true), reply: .bulk(b("old")), after: "old"),
        Case(name: "SET XX GET on a missing key is nil", before: nil, op: set("v", .ifPresent, get: true), reply: .null, after: nil),
        Case(name: "DELIFEQ equal deletes", before: "tok", op: .delete(keys: [k], ifEquals: b("tok")), reply: .integer(1), after: nil),
        Case(name: "DELIFEQ different keeps", before: "tok", op: .delete(keys: [k], ifEquals: b("x")), reply: .integer(0), after: "tok"),
        Case(name: "DELIFEQ missing is 0", before: nil, op: .delete(keys: [k], ifEquals: b("x")), reply: .integer(0), after: nil),
        Case(name: "DEL of keys counts the present ones", before: "v", op: .delete(keys: [k, b("other")], ifEquals: nil),
             reply: .integer(1), after: nil),
        Case(name: "GETDEL returns and deletes", before: "v", op: .getDelete(key: k), reply: .bulk(b("v")), after: nil),
        Case(name: "GETDEL of a missing key is nil", before: nil, op: .getDelete(key: k), reply: .null, after: nil),
        Case(name: "INCR of a missing key is 1", before: nil, op: .incrementBy(key: k, 1), reply: .integer(1), after: "1"),
        Case(name: "INCRBY of a negative number", before: "-10", op: .incrementBy(key: k, 3), reply: .integer(-7), after: "-7"),
        Case(name: "DECRBY below zero", before: "2", op: .incrementBy(key: k, -5), reply: .integer(-3), after: "-3"),
        Case(name: "INCR of a non-integer", before: "abc", op: .incrementBy(key: k, 1), reply: .error(.notInteger), after: "abc"),
        Case(name: "INCR of a number with a space", before: " 1", op: .incrementBy(key: k, 1), reply: .error(.notInteger), after: " 1"),
        Case(name: "INCR of a number with a plus", before: "+1", op: .incrementBy(key: k, 1), reply: .error(.notInteger), after: "+1"),
        Case(name: "INCR of a leading zero", before: "01", op: .incrementBy(key: k, 1), reply: .error(.notInteger), after: "01"),
        Case(name: "INCR of a float", before: "1.5", op: .incrementBy(key: k, 1), reply: .error(.notInteger), after: "1.5"),
        Case(name: "INCR at Int64.max overflows", before: "9223372036854775807", op: .incrementBy(key: k, 1),
             reply: .error(.overflow), after: "9223372036854775807"),
        Case(name: "DECR at Int64.min overflows", before: "-9223372036854775808", op: .incrementBy(key: k, -1),
             reply: .error(.overflow), after: "-9223372036854775808"),
        Case(name: "INCR beyond Int64 is not an integer", before: "9223372036854775808", op: .incrementBy(key: k, 1),
             reply: .error(.notInteger), after: "9223372036854775808"),
        Case(name: "INCRBYFLOAT 10.5 + 0.1", before: "10.50", op: float(0.1), reply: .bulk(b("10.6")), after: "10.6"),
        Case(name: "INCRBYFLOAT of a missing key", before: nil, op: float(5), reply: .bulk(b("5")), after: "5"),
        Case(name: "INCRBYFLOAT with an exponent value", before: "5.0e3", op: float(2.0e2), reply: .bulk(b("5200")), after: "5200"),
        Case(name: "INCRBYFLOAT to a large number prints no exponent", before: "1e20", op: float(0),
             reply: .bulk(b("100000000000000000000")), after: "100000000000000000000"),
        Case(name: "INCRBYFLOAT to a small number prints no exponent", before: "0", op: float(0.00001),
             reply: .bulk(b("0.00001")), after: "0.00001"),
        Case(name: "INCRBYFLOAT to minus zero prints 0", before: "-0.5", op: float(0.5), reply: .bulk(b("0")), after: "0"),
        Case(name: "INCRBYFLOAT of a non-float", before: "abc", op: float(1), reply: .error(.notFloat), after: "abc"),
        Case(name: "INCRBYFLOAT to infinity", before: "1.7976931348623157e308", op: float(1.7976931348623157e308),
             reply: .error(.nanOrInfinity), after: "1.7976931348623157e308"),
        Case(name: "APPEND to a missing key", before: nil, op: .append(key: k, b("ab")), reply: .integer(2), after: "ab"),
        Case(name: "APPEND to a value", before: "ab", op: .append(key: k, b("cd")), reply: .integer(4), after: "abcd"),
    ]

    @Test("key operation: reply and resulting value as Redis", arguments: cases)
    func table(_ c: Case) {
        var machine = KVStateMachine()
        _ = machine.apply(slot: Slot(1), command: c.before.map { .batch([request(9, 1, .put(key: Self.k, value: Self.b($0)))]) } ?? .noop)
        let results = machine.apply(slot: Slot(2), command: .batch([request(1, 1, .key(c.op))]))
        #expect(results.map(\.result) == [.reply(c.reply)])
        #expect(machine.get(Self.k) == c.after.map(Self.b))
    }

    @Test("key operation: APPEND beyond the value limit is refused and changes nothing")
    func appendTooLong() {
        var machine = KVStateMachine(rules: KVRules(maxValueBytes: 4))
        _ = machine.apply(slot: Slot(1), command: .batch([request(1, 1, .key(.append(key: Self.k, Self.b("abc"))))]))
        let results = machine.apply(slot: Slot(2), command: .batch([request(1, 2, .key(.append(key: Self.k, Self.b("de"))))]))
        #expect(results.map(\.result) == [.reply(.error(.stringTooLong))])
        #expect(machine.get(Self.k) == Self.b("abc"))
    }

    @Test("key operation: SET clears a deadline, INCR and APPEND keep it, KEEPTTL keeps it")
    func deadlines() {
        let deadline = LeaderTime(rawValue: 1_000)
        func machine(_ op: KeyOp) -> KVRow? {
            var machine = KVStateMachine(rows: [Self.k: KVRow(value: Self.b("1"), revision: Revision(slot: Slot(1), position: 0), deadline: deadline)],
                                         sessions: [:], appliedThrough: Slot(1))
            _ = machine.apply(slot: Slot(2), command: .batch([request(1, 1, .key(op))]))
            return machine.row(Self.k)
        }
        #expect(machine(Self.set("2"))?.deadline == nil)
        #expect(machine(.set(key: Self.k, value: Self.b("2"), SetOptions(expiry: .keep)))?.deadline == deadline)
        #expect(machine(.incrementBy(key: Self.k, 1))?.deadline == deadline)
        #expect(machine(.incrementByFloat(key: Self.k, bits: (1.5).bitPattern))?.deadline == deadline)
        #expect(machine(.append(key: Self.k, Self.b("x")))?.deadline == deadline)
        #expect(machine(.incrementBy(key: Self.k, 1))?.revision == Revision(slot: Slot(2), position: 0))
    }

    @Test("exactly-once: a retried INCR or GETSET gets the original reply and is not applied twice",
          arguments: [KeyOp.incrementBy(key: k, 5), set("new", get: true)])
    func retriedReply(_ op: KeyOp) {
        var machine = KVStateMachine()
        _ = machine.apply(slot: Slot(1), command: .batch([request(9, 1, .put(key: Self.k, value: Self.b("10")))]))
        let first = machine.apply(slot: Slot(2), command: .batch([request(1, 7, .key(op))]))
        let value = machine.get(Self.k)
        _ = machine.apply(slot: Slot(3), command: .batch([request(9, 2, .put(key: Self.k, value: Self.b("20")))]))
        let retry = machine.apply(slot: Slot(4), command: .batch([request(1, 7, .key(op))]))
        #expect(first.map(\.result) == retry.map(\.result), "the retry gets the original reply")
        #expect(value != Self.b("10"))
        #expect(machine.get(Self.k) == Self.b("20"), "the retry did not apply again")
    }

    @Test("exactly-once: a reply over the bound is answered once, then remembered as notRemembered")
    func largeReplyNotRemembered() {
        var machine = KVStateMachine(rules: KVRules(maxRememberedReplyBytes: 16))
        let big = Self.b(String(repeating: "x", count: 32))
        _ = machine.apply(slot: Slot(1), command: .batch([request(9, 1, .put(key: Self.k, value: big))]))
        let getset = request(1, 1, .key(Self.set("small", get: true)))
        let first = machine.apply(slot: Slot(2), command: .batch([getset]))
        let retry = machine.apply(slot: Slot(3), command: .batch([getset]))
        #expect(first.map(\.result) == [.reply(.bulk(big))])
        #expect(retry.map(\.result) == [.reply(.notRemembered)])
        #expect(machine.get(Self.k) == Self.b("small"))
        #expect(ClientSession.remembered(.reply(.integer(1)), limit: 16) == .reply(.integer(1)))
    }

    @Test("Redis integers: string2ll's rules", arguments: [
        ("0", 0), ("-1", -1), ("123", 123), ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
        ("", nil), ("-", nil), ("-0", nil), ("+1", nil), ("01", nil), (" 1", nil), ("1 ", nil), ("1a", nil),
        ("9223372036854775808", nil), ("-9223372036854775809", nil), ("100000000000000000000", nil),
    ] as [(String, Int64?)])
    func redisIntegers(_ text: String, _ value: Int64?) {
        #expect(RedisInteger.parse(Array(text.utf8)) == value)
    }

    @Test("INCRBYFLOAT text: shortest round trip, positional, no trailing zeros", arguments: [
        (0.1, "0.1"), (1.0, "1"), (-2.5, "-2.5"), (1e21, "1000000000000000000000"), (1.5e-7, "0.00000015"),
        (123456.789, "123456.789"), (0.1 + 0.2, "0.30000000000000004"), (-0.0, "0"),
    ] as [(Double, String)])
    func floatText(_ value: Double, _ text: String) {
        #expect(DecimalText.format(value) == text)
        #expect(DecimalText.parse(Array(text.utf8)) == value)
    }

    @Test("float parsing refuses what string2ld refuses", arguments: ["", " 1", "1 ", "nan", "abc", "1.2.3"])
    func floatRefusals(_ text: String) {
        #expect(DecimalText.parse(Array(text.utf8)) == nil)
    }

    static let operations: [Operation] = [
        .put(key: [1], value: [2]), .delete(key: []),
        .key(set("v")), .key(set("v", .ifAbsent, get: true)), .key(set("v", .ifPresent)), .key(set("", .ifEquals([0, 255]))),
        .key(.set(key: k, value: [], SetOptions(expiry: .keep))),
        .key(.delete(keys: [k, [], [0xFF]], ifEquals: nil)), .key(.delete(keys: [k], ifEquals: [])),
        .key(.getDelete(key: k)), .key(.incrementBy(key: k, .min)), .key(.incrementBy(key: [], -1)),
        .key(float(-0.25)), .key(.append(key: k, [13, 10])),
    ]

    @Test("encoding: every operation round-trips inside a command, and every truncation is refused",
          arguments: operations)
    func operationRoundTrip(_ operation: Operation) throws {
        let command = Command.batch([request(3, 4, operation, origin: Slot(2))])
        let bytes = command.encoded()
        #expect(try Command.decode(bytes) == command)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try Command.decode(Array(bytes.prefix(length))) }
        }
        #expect(operation.keys.isEmpty == false)
    }

    @Test("encoding: put and delete keep their bytes")
    func oldOperationsUnchanged() {
        var writer = ByteWriter()
        Operation.put(key: [7], value: [8, 9]).encode(into: &writer)
        #expect(writer.bytes == [1, 0, 0, 0, 1, 7, 0, 0, 0, 2, 8, 9])
        writer = ByteWriter()
        Operation.delete(key: [7]).encode(into: &writer)
        #expect(writer.bytes == [2, 0, 0, 0, 1, 7])
    }

    @Test("encoding: garbage key operations are refused, never a crash", arguments: [
        [3], [3, 0], [3, 7], [3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0],           // unknown tags, bad condition
        [3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0],                                 // GET flag 2
        [3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9],                                 // unknown expiry
        [3, 2, 0, 0, 0, 0, 0],                                                   // delete of no keys
        [3, 2, 0xFF, 0xFF, 0xFF, 0xFF],                                          // delete of 4 billion keys
        [3, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],               // DELIFEQ of two keys
        [3, 6, 0xFF, 0xFF, 0xFF, 0xFF],                                          // key length over the limit
    ] as [[UInt8]])
    func garbage(_ operation: [UInt8]) {
        let bytes: [UInt8] = [1, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 16) + operation
        #expect(throws: DecodingError.self) { try Command.decode(bytes) }
    }

    static let replies: [OpReply] = [.ok, .null, .integer(.min), .integer(0), .bulk([]), .bulk([0, 13, 10]),
                                      .notRemembered] + OpError.allCases.map { .error($0) }

    @Test("encoding: every reply round-trips, every truncation and unknown tag is refused", arguments: replies)
    func replyRoundTrip(_ reply: OpReply) throws {
        let bytes = reply.encoded()
        #expect(bytes.count == reply.encodedBytes)
        #expect(try OpReply.decode(bytes) == reply)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try OpReply.decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: DecodingError.self) { try OpReply.decode(bytes + [0]) }
    }

    @Test("encoding: unknown reply and error tags are refused", arguments: [[6], [4, 0], [4, 99], [0xFF]] as [[UInt8]])
    func replyGarbage(_ bytes: [UInt8]) {
        #expect(throws: DecodingError.self) { try OpReply.decode(bytes) }
    }

    @Test("encoding problems mirror the decoder's limits")
    func encodingProblems() {
        #expect(KeyOp.delete(keys: [], ifEquals: nil).encodingProblem != nil)
        #expect(KeyOp.delete(keys: [[1], [2]], ifEquals: [1]).encodingProblem != nil)
        #expect(KeyOp.append(key: Bytes(repeating: 0, count: Command.maxKeyBytes + 1), []).encodingProblem != nil)
        #expect(Self.set("v").encodingProblem == nil)
    }

    func request(_ client: UInt64, _ sequence: UInt64, _ operation: Operation, origin: Slot? = nil) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: operation, origin: origin)
    }
}
