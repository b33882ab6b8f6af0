// Method: apply one seeded workload of requests with origins (new clients arriving, retries
// and stale copies held back for many slots) to SQLiteLogStore and to KVStateMachine, both with
// a short session expiry window, and require the same results, table and sessions after every
// slot that prunes, and at the end; reopen now and then so sessions come back from disk.
// Covers ClientSession's rule in the store (ARCHITECTURE.md "Client sessions").
import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: session expiry")
struct SessionExpiryStorageTests {
    static let window: UInt64 = 25

    @Test("storage: session expiry and pruning decide as KVStateMachine does", arguments: 1...4 as ClosedRange<UInt64>)
    func expiryMatchesStateMachine(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var options = SQLiteLogStore.Options()
            options.sessionExpirySlots = Self.window
            var store = try SQLiteLogStore.open(path: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID, options: options)
            defer { store.close() }
            var machine = KVStateMachine(sessionExpirySlots: Self.window)
            var workload = ExpiringWorkload(seed: seed)
            var results: [OperationResult: Int] = [:]
            let slots = 2 * ClientSession.pruneInterval + 100
            for number in 1...slots {
                let slot = Slot(number)
                if number % 500 == 0 {
                    store.close()
                    store = try SQLiteLogStore.open(path: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID, options: options)
                }
                let command = workload.command(at: slot)
                let expected = machine.apply(slot: slot, command: command)
                let actual = try store.apply(slot: slot, command: command)
                #expect(actual.map(\.result) == expected.map(\.result), "PAXOS_SEED=\(seed) slot \(slot): \(command)")
                for result in expected.map(\.result) { results[result, default: 0] += 1 }
                if ClientSession.prunes(after: slot) || number == slots {
                    #expect(try Fixture.table(store) == machine.table, "PAXOS_SEED=\(seed) slot \(slot)")
                    let stored = try store.sessionTable().map { ($0.client, $0.lastSequence, $0.slot) }
                    let modelled = machine.sessions.sorted { $0.key < $1.key }.map { ($0.key, $0.value.lastSequence, $0.value.slot) }
                    #expect(stored.elementsEqual(modelled) { $0 == $1 }, "PAXOS_SEED=\(seed) slot \(slot): sessions differ")
                    if ClientSession.prunes(after: slot) {
                        // Only sessions written in the last window remain: at most 4 requests a slot.
                        #expect(stored.count <= Int(Self.window + 1) * 4, "PAXOS_SEED=\(seed) slot \(slot): \(stored.count) sessions")
                    }
                }
            }
            // The workload must have exercised every branch, or the comparison proves little.
            #expect(results[.expired, default: 0] > 0 && results[.ok, default: 0] > 0, "PAXOS_SEED=\(seed): \(results)")
        }
    }
}

/// Requests with origins: a few long-lived clients, a new client now and then, retries of the
/// last request (sometimes held back far past the window), and stale sequences.
struct ExpiringWorkload {
    private var generator: SeededGenerator
    private var clients: [(id: ClientID, next: UInt64, last: ClientRequest?)] = []

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func command(at slot: Slot) -> Command {
        if Int.random(in: 0..<10, using: &generator) == 0 { return .noop }
        return .batch((0..<Int.random(in: 1...4, using: &generator)).map { _ in request(at: slot) })
    }

    private mutating func request(at slot: Slot) -> ClientRequest {
        if clients.isEmpty || Int.random(in: 0..<8, using: &generator) == 0 {
            clients.append((ClientID(UInt64(clients.count) + 1), 1, nil))
        }
        let index = Int.random(in: 0..<clients.count, using: &generator)
        let roll = Int.random(in: 0..<10, using: &generator)
        if roll < 3, let last = clients[index].last { return last }  // a retry, however late
        let sequence = roll < 4 && clients[index].next > 2
            ? UInt64.random(in: 1..<clients[index].next - 1, using: &generator) : clients[index].next
        if sequence == clients[index].next { clients[index].next += 1 }
        // The submitter's chosen frontier: a little behind, now and then far behind.
        let lag = Int.random(in: 0..<5, using: &generator) == 0
            ? UInt64.random(in: 1...(3 * SessionExpiryStorageTests.window), using: &generator)
            : UInt64.random(in: 1...3, using: &generator)
        let origin = Slot(slot.rawValue > lag ? slot.rawValue - lag : 0)
        let key = Array("k\(Int.random(in: 0..<4, using: &generator))".utf8)
        let operation: Operation = Bool.random(using: &generator)
            ? .delete(key: key) : .put(key: key, value: Array("\(slot)".utf8))
        let request = ClientRequest(client: clients[index].id, sequence: sequence, operation: operation, origin: origin)
        if sequence + 1 == clients[index].next { clients[index].last = request }
        return request
    }
}
