import PaxosCore
import PaxosTestKit

/// Generates client histories that are linearizable by construction, for differential tests
/// of `LinearizabilityChecker`.
///
/// Clients run against one in-memory map that applies each operation atomically. Every
/// operation is invoked, then applied at a strictly later instant, then completed at a
/// strictly later one, with other clients' events interleaved at random, so its linearization
/// point lies inside its real-time window. Some clients give up before their operation was
/// applied (outcome `.unknown`); such a write becomes a *zombie* that the map applies at a
/// random later instant or never, which is exactly the freedom `.unknown` grants. Some
/// completed operations are also recorded as `.unknown`, as if the reply were lost.
///
/// Every put writes a fresh value, so a read of any other value cannot be explained.
///
/// - Invariant: each client has at most one operation in flight.
struct AtomicMapSimulation {
    private struct InFlight {
        var handle: OperationHandle
        var kind: HistoryOperation.Kind
        /// What the map returned, once the operation has been applied.
        var result: HistoryOperation.Outcome?
    }

    private var random: SeededGenerator
    private let keys: [Bytes]
    private let operationsMax: Int
    private var history = History()
    private var map: [Bytes: Bytes] = [:]
    private var inFlight: [InFlight?]
    private var zombies: [HistoryOperation.Kind] = []
    private var time: UInt64 = 0
    private var invoked = 0
    /// One operation in `unknownOneIn` is abandoned, and one reply in `unknownOneIn` is lost;
    /// `0` turns both off.
    private let unknownOneIn: Int

    private init(seed: UInt64, clients: Int, keys: Int, operations: Int, unknownOneIn: Int) {
        self.unknownOneIn = unknownOneIn
        self.random = SeededGenerator(seed: seed)
        self.keys = (0..<keys).map { Array("k\($0)".utf8) }
        self.operationsMax = operations
        self.inFlight = Array(repeating: nil, count: clients)
    }

    /// A history of `operations` operations by `clients` clients over `keys` keys.
    static func run(seed: UInt64, clients: Int, keys: Int, operations: Int, unknownOneIn: Int = 20) -> History {
        var simulation = AtomicMapSimulation(
            seed: seed, clients: clients, keys: keys, operations: operations, unknownOneIn: unknownOneIn
        )
        while simulation.invoked < operations || simulation.inFlight.contains(where: { $0 != nil }) {
            simulation.step()
        }
        return simulation.history
    }

    /// `history` with one randomly chosen completed read changed to have returned `value`,
    /// and that read's ID; `nil` if the history has no completed read.
    static func replacingOneRead(
        of history: History, with value: Bytes, using random: inout SeededGenerator
    ) -> (history: History, id: HistoryOperation.ID)? {
        var operations = history.operations
        let reads = operations.indices.filter {
            if case .value = operations[$0].outcome { true } else { false }
        }
        guard let index = reads.randomElement(using: &random) else { return nil }
        let read = operations[index]
        operations[index] = HistoryOperation(
            id: read.id, client: read.client, kind: read.kind,
            invokedAt: read.invokedAt, completedAt: read.completedAt, outcome: .value(value)
        )
        return (History(operations), read.id)
    }

    /// Advances time and makes one event happen: a zombie resolves, or one client invokes,
    /// applies, completes or abandons its operation.
    private mutating func step() {
        time += UInt64.random(in: 1...3, using: &random)
        if !zombies.isEmpty, Int.random(in: 0..<10, using: &random) == 0 {
            let zombie = zombies.remove(at: Int.random(in: zombies.indices, using: &random))
            if Bool.random(using: &random) { _ = apply(zombie) }
            return
        }
        let client = Int.random(in: inFlight.indices, using: &random)
        guard var operation = inFlight[client] else {
            if invoked < operationsMax { invoke(client: client) }
            return
        }
        if let result = operation.result {
            let lostReply = chance(oneIn: unknownOneIn)
            history.complete(operation.handle, outcome: lostReply ? .unknown : result, at: time)
            inFlight[client] = nil
        } else if chance(oneIn: unknownOneIn) {
            history.complete(operation.handle, outcome: .unknown, at: time)
            if case .get = operation.kind {} else { zombies.append(operation.kind) }
            inFlight[client] = nil
        } else {
            operation.result = apply(operation.kind)
            inFlight[client] = operation
        }
    }

    private mutating func chance(oneIn odds: Int) -> Bool {
        odds > 0 && Int.random(in: 0..<odds, using: &random) == 0
    }

    private mutating func invoke(client: Int) {
        let key = keys[Int.random(in: keys.indices, using: &random)]
        let kind: HistoryOperation.Kind
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<45: kind = .put(key: key, value: Array("v\(invoked)".utf8))
        case 45..<60: kind = .delete(key: key)
        default: kind = .get(key: key)
        }
        let handle = history.invoke(client: ClientID(UInt64(client)), kind: kind, at: time)
        inFlight[client] = InFlight(handle: handle, kind: kind, result: nil)
        invoked += 1
    }

    /// The atomic map: the single instant at which an operation takes effect.
    private mutating func apply(_ kind: HistoryOperation.Kind) -> HistoryOperation.Outcome {
        switch kind {
        case .put(let key, let value):
            map[key] = value
            return .ok
        case .delete(let key):
            return .deleted(existed: map.removeValue(forKey: key) != nil)
        case .get(let key):
            return .value(map[key])
        default:
            preconditionFailure("atomic map: register operations only, not \(kind)")
        }
    }
}
