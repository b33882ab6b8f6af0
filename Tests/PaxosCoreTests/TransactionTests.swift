// Method: table tests of the composite operations of docs/design/coordination-api.md §1.1, §1.3
// and §4 ("PR 4"), applied through OperationExecutor to the in-memory state machine: each row is
// a starting table, one request, the reply and the table Redis (or etcd's Txn) leaves; then the
// shared revision of one request's writes, exactly-once of a whole EXEC reply, and the encodings
// of `all`, `txn`, compares, reads and composite replies over round trips, truncations, garbage
// and the nesting and count bounds.
import PaxosCore
import Testing

@Suite("transactions and multi-key operations")
struct TransactionTests {
    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static func put(_ key: String, _ value: String) -> Operation { .put(key: b(key), value: b(value)) }
    static func read(_ op: ReadOp, _ key: String) -> Operation { .key(.read(op, key: b(key))) }
    static func compare(_ key: String, _ target: Compare.Target) -> Compare { Compare(key: b(key), target) }
    /// The revision every key written before the request has: slot 1 (legacy batches write position 0).
    static let before = Revision(slot: Slot(1), position: 0)

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var before: [String: String]
        var operation: Operation
        var reply: OpReply
        var after: [String: String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "MSET writes every key", before: ["a": "0"], operation: .all([put("a", "1"), put("b", "2")]),
             reply: .array([.ok, .ok]), after: ["a": "1", "b": "2"]),
        Case(name: "EXEC body: SET, GET, DEL, INCR reply as Redis", before: ["c": "9"],
             operation: .all([put("a", "1"), read(.value, "a"), .delete(key: b("c")), .delete(key: b("c")),
                              .key(.incrementBy(key: b("n"), 2))]),
             reply: .array([.ok, .bulk(b("1")), .integer(1), .integer(0), .integer(2)]), after: ["a": "1", "n": "2"]),
        Case(name: "an error in one does not undo the others", before: ["s": "abc"],
             operation: .all([put("a", "1"), .key(.incrementBy(key: b("s"), 1)), put("b", "2")]),
             reply: .array([.ok, .error(.notInteger), .ok]), after: ["s": "abc", "a": "1", "b": "2"]),
        Case(name: "reads see the writes before them in the same request", before: [:],
             operation: .all([read(.exists, "a"), put("a", "xyz"), read(.exists, "a"), read(.length, "a"), read(.length, "z")]),
             reply: .array([.integer(0), .ok, .integer(1), .integer(3), .integer(0)]), after: ["a": "xyz"]),
        Case(name: "MSETNX of absent keys sets them all", before: ["x": "0"],
             operation: .txn(Transaction(compares: [compare("a", .exists(false)), compare("b", .exists(false))],
                                         success: [.all([put("a", "1"), put("b", "2")])])),
             reply: .transaction(succeeded: true, [.array([.ok, .ok])]), after: ["x": "0", "a": "1", "b": "2"]),
        Case(name: "MSETNX with one present key sets none", before: ["b": "0"],
             operation: .txn(Transaction(compares: [compare("a", .exists(false)), compare("b", .exists(false))],
                                         success: [put("a", "1"), put("b", "2")])),
             reply: .transaction(succeeded: false, []), after: ["b": "0"]),
        Case(name: "WATCH unchanged: EXEC applies the queue", before: ["k": "1"],
             operation: .txn(Transaction(compares: [compare("k", .revision(before)), compare("w", .revision(.none))],
                                         success: [put("k", "2")])),
             reply: .transaction(succeeded: true, [.ok]), after: ["k": "2"]),
        Case(name: "WATCH of a key changed since: nothing applies", before: ["k": "1"],
             operation: .txn(Transaction(compares: [compare("k", .revision(Revision(slot: Slot(1), position: 1)))],
                                         success: [put("k", "2")])),
             reply: .transaction(succeeded: false, []), after: ["k": "1"]),
        Case(name: "WATCH of a missing key that was created since fails", before: ["k": "1"],
             operation: .txn(Transaction(compares: [compare("k", .revision(.none))], success: [put("k", "2")])),
             reply: .transaction(succeeded: false, []), after: ["k": "1"]),
        Case(name: "the failure branch runs when a compare fails", before: ["k": "1"],
             operation: .txn(Transaction(compares: [compare("k", .value(equals: b("2")))], success: [put("k", "3")],
                                         failure: [read(.value, "k"), .delete(key: b("k"))])),
             reply: .transaction(succeeded: false, [.bulk(b("1")), .integer(1)]), after: [:]),
        Case(name: "value compare on a missing key fails", before: [:],
             operation: .txn(Transaction(compares: [compare("k", .value(equals: []))], success: [put("k", "3")])),
             reply: .transaction(succeeded: false, []), after: [:]),
        Case(name: "no compares: success", before: [:],
             operation: .txn(Transaction(compares: [], success: [put("k", "3")])),
             reply: .transaction(succeeded: true, [.ok]), after: ["k": "3"]),
        Case(name: "DELIFREV at the key's revision deletes", before: ["k": "1"],
             operation: .txn(Transaction(compares: [compare("k", .revision(before))], success: [.delete(key: b("k"))])),
             reply: .transaction(succeeded: true, [.integer(1)]), after: [:]),
        Case(name: "revision read: the integer slot << 16 | position, nil when absent", before: ["k": "1"],
             operation: .all([read(.revision, "k"), read(.revision, "none")]),
             reply: .array([.integer(1 << 16), .null]), after: ["k": "1"]),
    ]

    @Test("composite operation: reply and resulting table", arguments: cases)
    func table(_ c: Case) {
        var machine = KVStateMachine()
        let writes = c.before.sorted { $0.key < $1.key }.enumerated().map { index, entry in
            request(9, UInt64(index + 1), Self.put(entry.key, entry.value))
        }
        _ = machine.apply(slot: Slot(1), command: writes.isEmpty ? .noop : .batch(writes))
        let results = machine.apply(slot: Slot(2), command: .batch([request(1, 1, c.operation)]))
        #expect(results.map(\.result) == [.reply(c.reply)])
        #expect(machine.table == Dictionary(uniqueKeysWithValues: c.after.map { (Self.b($0.key), Self.b($0.value)) }))
    }

    @Test("revision: every write of one request shares its revision, a later request's is higher")
    func sharedRevision() {
        var machine = KVStateMachine()
        _ = machine.apply(slot: Slot(1), command: .noop)
        _ = machine.apply(slot: Slot(2), command: .noop)
        _ = machine.apply(slot: Slot(3), command: .batch([request(1, 1, .all([Self.put("a", "1"), .key(.incrementBy(key: Self.b("n"), 1))]))]))
        let a = machine.row(Self.b("a"))?.revision, n = machine.row(Self.b("n"))?.revision
        #expect(a == Revision(slot: Slot(3), position: 0))
        #expect(a == n)
        _ = machine.apply(slot: Slot(4), command: .batch([request(1, 2, Self.put("a", "2"))]))
        #expect(machine.row(Self.b("a"))!.revision > a!)
    }

    @Test("exactly-once: a retried EXEC gets the whole original reply and applies nothing again")
    func retriedTransaction() {
        var machine = KVStateMachine()
        let exec = request(1, 5, .txn(Transaction(compares: [Self.compare("k", .revision(.none))],
                                                  success: [.key(.incrementBy(key: Self.b("n"), 1)), Self.put("k", "x")])))
        let first = machine.apply(slot: Slot(1), command: .batch([exec]))
        let retry = machine.apply(slot: Slot(2), command: .batch([exec]))
        #expect(first.map(\.result) == [.reply(.transaction(succeeded: true, [.integer(1), .ok]))])
        #expect(retry.map(\.result) == first.map(\.result))
        #expect(machine.get(Self.b("n")) == Self.b("1"))
    }

    @Test("exactly-once: an EXEC reply over the session bound is answered once, then remembered as notRemembered")
    func largeArrayNotRemembered() {
        var machine = KVStateMachine(rules: KVRules(maxRememberedReplyBytes: 64))
        let big = Array(repeating: UInt8(ascii: "x"), count: 40)
        _ = machine.apply(slot: Slot(1), command: .batch([request(9, 1, .put(key: Self.b("k"), value: big))]))
        let exec = request(1, 1, .txn(Transaction(compares: [], success: [Self.read(.value, "k"), Self.read(.value, "k")])))
        let first = machine.apply(slot: Slot(2), command: .batch([exec]))
        let retry = machine.apply(slot: Slot(3), command: .batch([exec]))
        #expect(first.map(\.result) == [.reply(.transaction(succeeded: true, [.bulk(big), .bulk(big)]))])
        #expect(retry.map(\.result) == [.reply(.notRemembered)])
        let small = request(1, 2, .all([Self.read(.exists, "k")]))
        _ = machine.apply(slot: Slot(4), command: .batch([small]))
        #expect(machine.apply(slot: Slot(5), command: .batch([small])).map(\.result) == [.reply(.array([.integer(1)]))],
                "a reply under the bound is remembered whole")
    }

    @Test("routing: keys of composites are every compared and touched key")
    func keys() {
        let operation = Operation.txn(Transaction(compares: [Self.compare("w", .exists(true))],
                                                  success: [.all([Self.put("a", "1")])], failure: [.delete(key: Self.b("f"))]))
        #expect(operation.keys == [Self.b("w"), Self.b("a"), Self.b("f")])
        #expect(operation.nestingDepth == 2)
        #expect(operation.operationCount == 4)
        #expect(operation.payloadBytes == 1 + 10 + 2 + 1)
    }

    static let operations: [Operation] = [
        .all([]), .all([put("a", "1"), read(.value, "a"), .delete(key: b("z"))]),
        .all(ReadOp.allCases.map { read($0, "k") }),
        .txn(Transaction(compares: [], success: [], failure: [])),
        .txn(Transaction(compares: [compare("a", .exists(true)), compare("b", .exists(false)), compare("c", .value(equals: [0, 255])),
                                    compare("d", .revision(.none)), compare("e", .revision(Revision(slot: Slot(1 << 40), position: 7)))],
                         success: [.all([put("a", "1")]), .key(.incrementBy(key: b("n"), 1))], failure: [put("f", "")])),
    ]

    @Test("encoding: composites round-trip inside a command, and every truncation is refused", arguments: operations)
    func roundTrip(_ operation: Operation) throws {
        let command = Command.batch([request(3, 4, operation, origin: Slot(2))])
        let bytes = command.encoded()
        #expect(try Command.decode(bytes) == command)
        #expect(operation.encodingProblem == nil)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try Command.decode(Array(bytes.prefix(length))) }
        }
    }

    @Test("encoding: nesting deeper than two composites is refused by the encoder check and the decoder")
    func nestingBound() throws {
        let two = Operation.txn(Transaction(compares: [], success: [.all([Self.put("a", "1")])]))
        #expect(two.encodingProblem == nil)
        #expect(try Command.decode(Command.batch([request(1, 1, two)]).encoded()) == .batch([request(1, 1, two)]))
        let three = Operation.all([two])
        #expect(three.encodingProblem != nil)
        #expect(throws: DecodingError.self) { try Command.decode(Command.batch([request(1, 1, three)]).encoded()) }
        let deepReply = OpReply.array([.transaction(succeeded: true, [.array([])])])
        #expect(throws: DecodingError.self) { try OpReply.decode(deepReply.encoded()) }
    }

    @Test("encoding: more operations than one request may hold are refused")
    func countBound() {
        let many = Operation.all(Array(repeating: .delete(key: []), count: Command.maxOperationsPerRequest))
        #expect(many.encodingProblem != nil)
        #expect(throws: DecodingError.self) { try Command.decode(Command.batch([request(1, 1, many)]).encoded()) }
        // A count claiming more operations than allowed fails before reading them.
        #expect(throws: DecodingError.self) { try Command.decode([1, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 16) + [4, 0xFF, 0xFF, 0xFF, 0xFF]) }
    }

    @Test("encoding: garbage composites are refused, never a crash", arguments: [
        [4], [4, 0, 0, 0, 1], [4, 0, 0, 0, 1, 9],                                  // truncated, unknown inner tag
        [5, 0, 0, 0, 1, 0, 0, 0, 0, 7],                                            // unknown compare kind
        [5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2],                                         // exists flag 2
        [5, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0], // revision slot out of range
        [3, 7, 9, 0, 0, 0, 0],                                                     // unknown read
    ] as [[UInt8]])
    func garbage(_ operation: [UInt8]) {
        let bytes: [UInt8] = [1, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 16) + operation
        #expect(throws: DecodingError.self) { try Command.decode(bytes) }
    }

    static let replies: [OpReply] = [.array([]), .array([.ok, .null, .bulk([1]), .array([.integer(3)])]),
                                      .transaction(succeeded: false, []), .transaction(succeeded: true, [.error(.overflow), .array([])])]

    @Test("encoding: composite replies round-trip, truncations and bad flags are refused", arguments: replies)
    func replyRoundTrip(_ reply: OpReply) throws {
        let bytes = reply.encoded()
        #expect(bytes.count == reply.encodedBytes)
        #expect(try OpReply.decode(bytes) == reply)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try OpReply.decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: DecodingError.self) { try OpReply.decode([7, 2, 0, 0, 0, 0]) }
    }

    func request(_ client: UInt64, _ sequence: UInt64, _ operation: Operation, origin: Slot? = nil) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: operation, origin: origin)
    }
}
