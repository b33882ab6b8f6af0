import Logging
public import PaxosCore

/// A whole PaxosKV cluster, its clients, network and disks, in one deterministic process.
///
/// Everything, the configuration included, derives from one `UInt64` seed, and events are
/// processed in (time, insertion) order, so `Simulation(seed: n).run()` replays a run exactly
/// (TigerBeetle's VOPR; FoundationDB's simulation). A run has two phases: *chaos*, with the
/// faults the swarm configuration enabled (loss, duplication, reordering by random delay,
/// partitions, crashes that lose unflushed writes), then *heal*, where every fault stops and the
/// cluster must converge and finish every client operation within a bounded time.
///
/// Checkers run as events happen (one command chosen per slot; applies in slot order; the
/// replicas' own invariants after every step) and at the end (linearizable client history,
/// convergence, liveness). The first violation stops the run; the report names the seed.
public final class Simulation {
    public let seed: UInt64
    public let configuration: SimConfiguration
    var random: SeededGenerator
    var queue = EventQueue<SimEvent>()
    var now: UInt64 = 0
    var nodes: [SimNode]
    var clients: [SimClient]
    var records: [SimRecord] = []
    /// Links cut by a partition, stored as (lower id, higher id).
    var cut: Set<[UInt32]> = []
    var dropRate: Double
    var duplicateRate: Double
    var healed = false
    var healedAt: UInt64 = 0
    /// Every command known chosen, by slot: the agreement checker's memory.
    var chosen: [Slot: Command] = [:]
    var violations: [String] = []
    var stats = SimulationStats()
    /// A running digest of processed events; equal digests mean identical runs.
    var trace: UInt64 = 0xcbf2_9ce4_8422_2325
    let logger = Logger(label: "paxos.sim", factory: { _ in SwiftLogNoOpLogHandler() })

    /// - Parameters:
    ///   - replicas: forces the cluster size instead of drawing it.
    ///   - plantedBug: runs every replica with this deliberate bug (checker self-tests).
    /// - Parameter compaction: false keeps every log entry, whatever the seed draws (for tools
    ///   that read the replicas' full logs afterwards).
    public init(seed: UInt64, replicas: Int? = nil, plantedBug: PlantedBug? = nil, compaction: Bool = true) {
        self.seed = seed
        var random = SeededGenerator(seed: seed)
        var configuration = SimConfiguration.swarm(using: &random, replicas: replicas)
        configuration.plantedBug = plantedBug
        if !compaction { configuration.retainSlots = nil }
        if plantedBug == .ignoreCompaction {
            // The bug needs compacted slots and a candidate that lags behind them.
            configuration.retainSlots = min(configuration.retainSlots ?? 8, 8)
        }
        if plantedBug == .replyBeforePersist {
            // The bug only shows when crashes lose writes that were already answered.
            configuration.crashes = true
            configuration.maxFlushDelayUnits = max(configuration.maxFlushDelayUnits, 20)
        }
        self.configuration = configuration
        self.dropRate = configuration.dropRate
        self.duplicateRate = configuration.duplicateRate
        self.nodes = (1...configuration.replicas).map { SimNode(id: ReplicaID(UInt32($0))) }
        self.clients = (0..<configuration.clients).map { index in
            SimClient(index: index, id: ClientID(UInt64(1000 + index)),
                      target: ReplicaID(UInt32(1 + index % configuration.replicas)))
        }
        self.random = random
    }

    /// Runs both phases and all checkers. Never traps on a protocol violation: it reports it.
    public func run() -> SimulationReport {
        for index in nodes.indices { start(node: index) }
        for index in clients.indices { schedule(.clientNext(client: index), after: UInt64(index)) }
        if configuration.crashes || configuration.partitions { schedule(.fault, after: nextFaultGap()) }
        schedule(.heal, after: configuration.chaosUnits)
        let end = configuration.chaosUnits + configuration.healUnits
        // A cluster still finishing retried work at `end` gets a bounded grace period to settle
        // (the bound is the liveness claim); the run stops as soon as every replica caught up.
        let graceEnd = end + configuration.healUnits
        while violations.isEmpty, let (time, event) = queue.pop() {
            if time > end && (time > graceEnd || hasSettled) { break }
            now = time
            stats.events += 1
            handle(event)
        }
        if violations.isEmpty { checkEnd() }
        return report()
    }

    /// The time after which clients start no new operations, leaving the cluster quiet to converge.
    var stopInvoking: UInt64 { configuration.chaosUnits + configuration.healUnits / 2 }

    func schedule(_ event: SimEvent, after delay: UInt64) {
        queue.push(event, at: now + delay)
    }

    func fail(_ message: String) {
        if violations.isEmpty { violations.append("t=\(now): \(message)") }
    }

    func mix(_ values: UInt64...) {
        for value in values {
            trace = (trace ^ value) &* 0x100_0000_01b3
        }
    }

    func handle(_ event: SimEvent) {
        switch event {
        case .tick(let node, let incarnation):
            mix(1, UInt64(node))
            guard nodes[node].incarnation == incarnation, nodes[node].isUp else { return }
            step(node: node, .tick)
            compactIfDue(node: node)
            schedule(.tick(node: node, incarnation: incarnation), after: configuration.tickUnits)
        case .deliver(let from, let to, let message):
            mix(2, UInt64(from.rawValue), UInt64(to.rawValue))
            let index = Int(to.rawValue) - 1
            guard nodes[index].isUp, !isCut(from, to) else { return }
            step(node: index, .message(from: from, message))
        case .deliverSnapshot(let from, let to, let snapshot):
            mix(10, UInt64(from.rawValue), UInt64(to.rawValue))
            let index = Int(to.rawValue) - 1
            guard nodes[index].isUp, !isCut(from, to) else { return }
            nodes[index].stagedSnapshot = snapshot
            step(node: index, .snapshotReceived(slot: snapshot.appliedThrough))
        case .flush(let node, let incarnation):
            mix(3, UInt64(node))
            guard nodes[node].incarnation == incarnation else { return }
            nodes[node].disk.flushScheduled = false
            if let durable = nodes[node].disk.flush() { step(node: node, .persisted(upTo: durable)) }
        case .clientNext(let client): mix(4, UInt64(client)); clientNext(client)
        case .clientArrive(let client, let attempt, let to): mix(5, UInt64(client), UInt64(attempt)); clientArrive(client, to: to)
        case .clientReply(let client, let op, let reply): mix(6, UInt64(client), UInt64(op)); clientReply(client, op: op, reply)
        case .clientTimeout(let client, let attempt): mix(7, UInt64(client)); clientTimeout(client, attempt: attempt)
        case .fault: mix(8); injectFault()
        case .heal: mix(9); heal()
        }
    }
}

/// Something scheduled to happen at a simulated time.
enum SimEvent {
    case tick(node: Int, incarnation: Int)
    case deliver(from: ReplicaID, to: ReplicaID, Message)
    /// A whole snapshot transfer, modelled as one message that may be lost or delayed.
    case deliverSnapshot(from: ReplicaID, to: ReplicaID, KVStateMachine)
    case flush(node: Int, incarnation: Int)
    case clientNext(client: Int)
    case clientArrive(client: Int, attempt: Int, to: ReplicaID)
    case clientReply(client: Int, op: Int, SimReply)
    case clientTimeout(client: Int, attempt: Int)
    case fault
    case heal
}

/// What a node answers a client.
enum SimReply {
    case outcome(SimOutcome)
    case redirect(ReplicaID?)
    case busy
}

/// One client operation as the history records it.
struct SimRecord {
    var client: Int
    var kind: SimOperationKind
    var invokedAt: UInt64
    var completed: (at: UInt64, outcome: SimOutcome)?
}
