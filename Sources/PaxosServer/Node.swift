import CoreMetrics
import Logging
public import NIOCore
public import PaxosCore
import PaxosStorage
import PaxosWire

/// A running replica: the one place that owns the `Replica`, confined to one event loop.
///
/// Every event (a peer frame, a client command, a tick, a storage completion) arrives on `loop`,
/// goes through `handle(_:)` — one synchronous `step` of the core — and the returned actions are
/// executed in order: persist records go to the storage executor (which group-commits and
/// reports `persisted(upTo:)` back), messages go to peer links, chosen commands are applied by the
/// storage executor in the same FIFO (so a later read sees them), and client replies resolve the
/// requests waiting for them. Channel handlers run on the same loop, so the hot path never hops
/// threads except to and from the storage thread, once per batch.
///
/// - Invariant: every mutable property is touched only on `loop`.
public final class Node: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is confined to `loop`; every entry point from
    // another thread hops there with `loop.execute`, and handlers run on `loop` already.
    public let settings: NodeSettings
    public let loop: any EventLoop
    var logger: Logger
    let metrics: NodeMetrics
    var replica: Replica
    var storage: StorageExecutor
    var links: [ReplicaID: PeerLink] = [:]
    /// Links written to during the current step; flushed once at its end.
    var dirtyLinks: Set<ReplicaID> = []

    // Client requests, local and forwarded (see Node+Requests.swift).
    var requests: [UInt64: TrackedRequest] = [:]
    var nextToken: UInt64 = 1
    /// The write each client id waits for: one at a time per client.
    var writeTokens: [ClientID: UInt64] = [:]
    var readTokens: [ReadID: UInt64] = [:]
    /// Requests to propose at the end of this loop iteration, so they share a slot.
    var proposalBuffer: [ClientRequest] = []
    var proposalFlushScheduled = false
    /// Client connections get ids from here: random high bits per process, a counter below.
    let clientIDBase: UInt64
    var nextClientIDLow: UInt64 = 1

    // Failure simulation (see Node+FailureSimulation.swift).
    var failedUntil: NIODeadline?
    var failureRandom: SeededGenerator
    var ticksSinceFailureDraw = 0

    var tickTask: RepeatedTask?
    var lastRole = "follower"
    var stopping = false

    // Snapshots and compaction (see Node+Snapshots.swift, Node+Compaction.swift).
    let worker: SnapshotWorker
    /// Transfers this node is sending, one per peer at most.
    var outgoing: [ReplicaID: OutgoingTransfer] = [:]
    /// The transfer this node is receiving, at most one.
    var incoming: IncomingTransfer?
    /// The slot of a snapshot install queued on the storage thread and not yet done.
    var installingSnapshot: Slot?
    var snapshotCounters = SnapshotCounters()
    var nextCompactionCheck = NIODeadline.now()

    init(settings: NodeSettings, loop: any EventLoop, storage: StorageExecutor, worker: SnapshotWorker,
         durable: DurableState, logger: Logger, metrics: NodeMetrics) {
        self.settings = settings
        self.loop = loop
        self.storage = storage
        self.worker = worker
        self.logger = logger
        self.metrics = metrics
        var random = SeededGenerator(seed: settings.seed)
        self.replica = Replica(configuration: settings.replicaConfiguration, durable: durable,
                               random: random.fork(), logger: logger)
        self.failureRandom = random.fork()
        self.clientIDBase = (random.next() & 0xFFFF_FFFF) << 32
    }

    /// Starts ticking. Called once, on `loop`, after the listeners are up.
    func start() {
        loop.preconditionInEventLoop()
        let interval = TimeAmount.milliseconds(settings.tickMilliseconds)
        tickTask = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            onTick()
        }
        metrics.applied.record(Int64(replica.appliedThrough.rawValue))
    }

    /// One core step and its actions. The only caller of `replica.step`.
    func handle(_ input: Input) {
        let actions = replica.step(input)
        execute(actions)
        flushLinks()
        noteRoleChange()
    }

    func execute(_ actions: [Action]) {
        var jobs: [StorageJob] = []
        for action in actions {
            switch action {
            case .persist(let record):
                jobs.append(.persist(record))
            case .send(let to, let message):
                send(.message(group: 0, message), to: to)
            case .apply(let slot, let command):
                jobs.append(.apply(slot: slot, command: command))
            case .reply(let reply):
                // A read served now must see every apply queued before it: flush them first.
                if case .readReady = reply { submit(&jobs) }
                onCoreReply(reply, jobs: &jobs)
            case .sendSnapshot(let peer):
                onSendSnapshot(to: peer)
            case .installSnapshot(let slot):
                jobs.append(installJob(slot: slot))
            }
        }
        submit(&jobs)
    }

    func submit(_ jobs: inout [StorageJob]) {
        guard !jobs.isEmpty else { return }
        do {
            try storage.submit(jobs)
        } catch {
            // The executor refuses only when it has failed or is full; neither can be worked
            // around without risking the durability contract, so the node stops.
            logger.critical("storage refused work; stopping the node", metadata: ["error": "\(error)"])
            fatalError("paxosd \(settings.id): storage refused work: \(error)")
        }
        jobs.removeAll(keepingCapacity: true)
    }

    /// Results from the storage thread, delivered on `loop` in submission order.
    func onStorage(_ completions: [StorageCompletion]) {
        // Bookkeeping of the shell's own, kept even while failed: the staging file an install
        // consumed, and what a compaction did.
        for completion in completions {
            switch completion {
            case .installed(let slot): onSnapshotInstalled(slot: slot)
            case .compacted(let report): onCompacted(report)
            default: break
            }
        }
        // A replica in a simulated failure is dead: what its storage jobs report is moot, and the
        // replica rebuilt afterwards numbers its persist records afresh.
        guard failedUntil == nil else { return }
        var durable: PersistID?
        for completion in completions {
            switch completion {
            case .persisted(let id):
                durable = id
            case .applied(let slot, let results):
                metrics.applied.record(Int64(slot.rawValue))
                for (request, result) in results { onApplied(request, result) }
            case .read(let token, let value):
                resolve(token, .value(value))
            case .installed, .compacted:
                break
            }
        }
        if let durable { handle(.persisted(upTo: durable)) }
    }

    func onTick() {
        guard !stopping else { return }
        if simulateFailureTick() { return }
        handle(.tick)
        sweepRequests()
        checkSnapshotTimeouts()
        maybeCompact(now: .now())
        metrics.chosen.record(Int64(replica.chosenThrough.rawValue))
    }

    func noteRoleChange() {
        let role = replica.roleName
        guard role != lastRole else { return }
        if role == "candidate" { metrics.elections.increment() }
        if role == "leader" || lastRole == "leader" {
            logger.info("role changed", metadata: ["paxos.role": "\(role)", "paxos.ballot": "\(replica.promised)"])
        }
        lastRole = role
    }
}
