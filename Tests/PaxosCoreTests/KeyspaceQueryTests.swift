// Method: keyspace queries (SCAN pages, key counts) answered from the in-memory state machine,
// and the shape check the shell applies to every answer it is handed. What it must guarantee:
// pages walk every key once, counts count live keys, and an answer of another kind (a forged
// or confused forward reply) is never taken for the answer to a query.
import PaxosCore
import Testing

@Suite("keyspace queries")
struct KeyspaceQueryTests {
    static func machine(keys: Int) -> KVStateMachine {
        var machine = KVStateMachine()
        let requests = (0..<keys).map { n in
            ClientRequest(client: ClientID(1), sequence: UInt64(n + 1), operation: .put(key: Array("k\(n)".utf8), value: [1]))
        }
        _ = machine.apply(slot: Slot(1), command: .batch(requests))
        return machine
    }

    @Test("query: pages of a group's keyspace list every key once; the count counts them")
    func pagesAndCount() {
        let machine = Self.machine(keys: 57)
        var cursor: ScanCursor? = .start
        var seen: [Bytes] = []
        while let current = cursor {
            let answer = machine.answer(.scan(position: current.position, count: 5))
            guard case .page(let page)? = answer.keyspace else {
                Issue.record("not a page: \(answer)")
                return
            }
            #expect(ReadQuery.scan(position: current.position, count: 5).accepts(answer))
            seen += page.keys
            cursor = page.next(after: current, groups: 1)
        }
        #expect(seen.count == 57 && Set(seen) == Set(machine.table.keys))
        #expect(machine.answer(.keyCount).keyspace == .count(57))
        #expect(ReadQuery.keyCount.isKeyspace && !ReadQuery.value(of: [1]).isKeyspace)
    }

    @Test("query: an answer of another kind is not an answer to the query")
    func answerShapes() {
        let page = ReadAnswer(keyspace: .page(ScanPage(keys: [[1]], lastHash: 3, isGroupDone: false)))
        let count = ReadAnswer(keyspace: .count(3))
        let value = ReadAnswer.value([1])
        #expect(!ReadQuery.scan(position: 0, count: 10).accepts(count) && !ReadQuery.scan(position: 0, count: 10).accepts(value))
        #expect(!ReadQuery.keyCount.accepts(page) && !ReadQuery.keyCount.accepts(value))
        #expect(!ReadQuery.value(of: [1]).accepts(page) && ReadQuery.value(of: [1]).accepts(value))
        let huge = ReadAnswer(keyspace: .page(ScanPage(keys: Array(repeating: [1], count: 10 + ReadAnswer.maxTiedKeys + 1),
                                                       lastHash: 3, isGroupDone: false)))
        #expect(!ReadQuery.scan(position: 0, count: 10).accepts(huge), "more rows than asked, beyond any tie")
    }
}
