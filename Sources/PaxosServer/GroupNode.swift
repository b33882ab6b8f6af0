import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosShell
import PaxosStorage
import PaxosWire
import Synchronization

/// This node's member of one consensus group: the one place that owns that group's `Replica`,
/// confined to the node's event loop. With `--groups 1` (the default) there is one.
///
/// It decides nothing about client requests or compaction: `GroupShell` and `CompactionSchedule`
/// do (GroupNode+Requests.swift interprets their effects). Every event for the group (a peer
/// frame, a client command, a tick, a storage completion) arrives on `loop`, goes through
/// `handle(_:)` — one synchronous `step` of the core — and the returned actions are executed
/// in order: persist records go to the group's storage executor (which group-commits and
/// reports `persisted(upTo:)` back), messages go to the node's peer links tagged with the
/// group, chosen commands are applied by the storage executor in the same FIFO (so a later read
/// sees them), and client replies go to the shell, which answers the requests waiting for them.
/// Each group has its own database and storage thread, so groups fsync in parallel; they share
/// the event loop and one connection per peer pair.
///
/// - Invariant: every mutable property is touched only on `loop`.
final class GroupNode: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is confined to `loop`; every entry point from
    // another thread hops there with `loop.execute`, and handlers run on `loop` already.
    /// The node hosting this group: peer links, client ids, settings.
    unowned let node: Node
    let group: GroupID
    let settings: NodeSettings
    let loop: any EventLoop
    var logger: Logger
    let metrics: GroupMetrics
    var replica: Replica
    var storage: StorageExecutor
    /// Where this group's database lives.
    let databasePath: String
    /// The incarnation of this group's database (see `Membership`).
    let incarnation: Incarnation
    /// The group's first membership, once genesis is recorded in its database (see
    /// `Node+Identity.swift`); peers with a new database adopt it from us.
    var genesisMembership: Membership?
    /// A genesis record submitted to storage and not yet durable.
    var genesisRecording: (clusterUUID: String, membership: Membership)?
    /// A `MEMBER` change waiting for its slot to be applied.
    var pendingMembershipChange: PendingMembershipChange?
    /// The newest membership epoch whose addresses the node has followed (`Node+Addresses.swift`).
    var followedMembershipEpoch: UInt64 = 0

    /// Every decision about client requests, local and forwarded (`GroupShell`); this node
    /// interprets its effects (GroupNode+Requests.swift).
    var shell: GroupShell
    /// The local connections waiting for an answer, by the shell's token.
    var waiters: [UInt64: (RequestOutcome) -> Void] = [:]
    /// The applied state's clock and earliest deadline, as storage last reported them
    /// (`StorageCompletion.clock`), for `ShellView`.
    var logClock = LeaderTime(rawValue: 0)
    var nextDeadline: LeaderTime?
    /// Warns at most every 10 s that this leader's wall clock is behind the log's (`GroupNode+Time.swift`).
    var clockBehindLog = LogThrottle()
    /// One line per 10 s for each kind of failed snapshot transfer, by message
    /// (`GroupNode.logSnapshotFailure`). - Invariant: keyed by the six failure messages only.
    var snapshotFailureLogs: [String: LogThrottle] = [:]

    /// When `--fail-rate` fails this group and when it reloads (`FailureSchedule`); this node
    /// interprets its steps (GroupNode+FailureSimulation.swift).
    var failures: FailureSchedule

    var lastRole: Role = .follower
    /// The last leader this replica knew of, to count leader changes (`GroupNode+Leadership.swift`).
    var lastLeader: ReplicaID?
    /// On the leader: the highest slot each peer has shown it holds, since this leader took over.
    var peerShown: [ReplicaID: Slot] = [:]
    /// `paxos_peer_lag_slots` per peer, made once each.
    var peerLagGauges: [ReplicaID: Gauge] = [:]
    var stopping = false
    /// Storage jobs waiting for the end of this loop iteration (`submit`).
    var queuedStorageJobs: [StorageJob] = []
    var storageFlushScheduled = false
    /// `CHANGES` reads in storage or waiting for an apply (GroupNode+Changes.swift).
    var changesReads = ChangesReads()

    // Snapshots and compaction (see GroupNode+Snapshots.swift, GroupNode+Compaction.swift).
    let worker: SnapshotWorker
    /// Every decision about the snapshots this node sends (`SnapshotSending`).
    var snapshotSending: SnapshotSending
    /// Every decision about the snapshot this node receives and installs (`SnapshotReceiving`).
    var snapshotReceiving: SnapshotReceiving
    /// Background compactions the storage thread finished, for INFO.
    var compactionsDone = 0
    /// When to compact (`CompactionSchedule`).
    var compaction: CompactionSchedule

    init(node: Node, group: GroupID, storage: StorageExecutor, worker: SnapshotWorker, durable: DurableState,
         incarnation: Incarnation, genesisMembership: Membership?) {
        self.incarnation = incarnation
        self.genesisMembership = genesisMembership
        self.node = node
        self.group = group
        self.settings = node.settings
        self.loop = node.loop
        self.storage = storage
        self.worker = worker
        self.databasePath = node.settings.databasePath(group: group)
        var logger = node.logger
        if settings.groups > 1 { logger[metadataKey: "paxos.group"] = "\(group)" }
        self.logger = logger
        self.metrics = GroupMetrics(group: settings.groups > 1 ? group : nil)
        // Each group draws its own election timeouts and failures from the node's seed.
        var random = SeededGenerator(seed: settings.seed &+ UInt64(group.rawValue) &* 0x9E37_79B9_7F4A_7C15)
        self.replica = Replica(configuration: settings.replicaConfiguration(group: group, incarnation: incarnation), durable: durable,
                               random: random.fork(), logger: logger)
        self.failures = FailureSchedule(rate: settings.failRate, tickMilliseconds: UInt64(max(1, settings.tickMilliseconds)),
                                        random: random.fork())
        self.compaction = CompactionSchedule(
            retainSlots: node.settings.retainSlots, batchSlots: node.settings.compactionBatchSlots,
            retainBytes: node.settings.retainBytes,
            intervalMilliseconds: UInt64(max(0, node.settings.compactionIntervalMilliseconds)), now: Self.nowMilliseconds)
        let snapshotTimeout = UInt64(max(0, node.settings.snapshotTimeoutMilliseconds))
        self.snapshotSending = SnapshotSending(windowChunks: node.settings.snapshotWindowChunks, timeoutMilliseconds: snapshotTimeout)
        self.snapshotReceiving = SnapshotReceiving(me: node.settings.id, timeoutMilliseconds: snapshotTimeout)
        var system = SystemRandomNumberGenerator()
        self.shell = GroupShell(settings: ShellSettings(
            me: node.settings.id, requestTimeoutMilliseconds: UInt64(max(0, node.settings.requestTimeoutMilliseconds)),
            rerouteMilliseconds: UInt64(max(0, node.settings.rerouteMilliseconds)),
            maxOutstandingRequests: node.settings.maxOutstandingRequests,
            leaseMilliseconds: node.settings.leaseTiming.leaderMilliseconds),
            // From the system's generator, not the node's seed: every start must differ.
            firstToken: GroupShell.randomFirstToken(using: &system))
    }

    /// Called once, on `loop`, before the first tick.
    func start() {
        loop.preconditionInEventLoop()
        metrics.applied.record(Int64(replica.appliedThrough.rawValue))
        var jobs: [StorageJob] = [.reportClock]
        submit(&jobs)
    }

    /// One core step and its actions. The only caller of `replica.step`.
    func handle(_ input: Input) {
        let actions = replica.step(input)
        if shell.settings.leaseMilliseconds > 0 { shell.coreStepped(actions, now: Self.nowMilliseconds) }
        execute(actions)
        flushLinks()
        noteRoleChange()
        if replica.latestMembership.epoch != followedMembershipEpoch {
            followedMembershipEpoch = replica.latestMembership.epoch
            node.followRecordedAddresses()
        }
    }

    func execute(_ actions: [Action]) {
        var jobs: [StorageJob] = []
        var answers: [(UInt64, RequestOutcome)] = []
        for action in actions {
            switch action {
            case .persist(let record):
                jobs.append(.persist(record))
            case .send(let to, let message):
                send(.message(group: group, message), to: to)
            case .apply(let slot, let command):
                jobs.append(.apply(slot: slot, command: command))
            case .reply(let reply):
                // A read served now must see every apply queued before it: flush them first.
                if case .readReady = reply { submit(&jobs) }
                switch reply {
                case .membershipChangeProposed, .membershipChangeRefused:
                    onMembershipReply(reply)
                case .readReady, .readRejected, .proposalRejected:
                    perform(shell.coreReply(reply, now: Self.nowMilliseconds, view: shellView), jobs: &jobs, answers: &answers)
                }
            case .sendSnapshot(let peer):
                onSendSnapshot(to: peer)
            case .installSnapshot(let slot):
                jobs.append(installJob(slot: slot))
            case .countRefusal(let refusal):
                countRefusal(refusal)
            }
        }
        submit(&jobs)
        // Answered only now: an answer may start the connection's next command, which must find
        // this step's storage work already queued.
        if !answers.isEmpty {
            flushLinks()
            answer(answers)
        }
    }

    /// Queues storage jobs, in order, for the end of this event-loop iteration: the jobs of every
    /// event the loop handles in one iteration (several clients' reads, a burst of peer
    /// messages) reach the storage thread in one submission, so it wakes once for them rather
    /// than once per event (thread hand-offs were the leader's largest cost under reads).
    /// Order is kept: one buffer, drained in order, and every path that must see the jobs
    /// submitted (a barrier, shutdown) drains it first (`flushStorageJobs`).
    func submit(_ jobs: inout [StorageJob]) {
        guard !jobs.isEmpty else { return }
        queuedStorageJobs.append(contentsOf: jobs)
        jobs.removeAll(keepingCapacity: true)
        guard !storageFlushScheduled else { return }
        storageFlushScheduled = true
        loop.execute { [self] in flushStorageJobs() }
    }

    /// Hands the queued jobs to the storage thread now.
    func flushStorageJobs() {
        storageFlushScheduled = false
        guard !queuedStorageJobs.isEmpty else { return }
        do {
            try storage.submit(queuedStorageJobs)
        } catch .stopped where stopping {
            // Work an event queued after the node stopped: nothing was promised on it (nothing is
            // reported durable or applied until the storage thread says so), so it is dropped.
            logger.debug("storage stopped; dropping jobs queued after the stop", metadata: ["jobs": "\(queuedStorageJobs.count)"])
        } catch {
            // The executor refuses only when it has failed or is full; neither can be worked
            // around without risking the durability contract, so the node stops.
            logger.critical("storage refused work; stopping the node", metadata: ["error": "\(error)"])
            fatalError("paxosd \(settings.id) group \(group): storage refused work: \(error)")
        }
        queuedStorageJobs.removeAll(keepingCapacity: true)
    }

    /// Results from the storage thread, delivered on `loop` in submission order.
    func onStorage(_ completions: [StorageCompletion]) {
        // Bookkeeping of the shell's own, kept even while failed: the staging file an install
        // consumed, and what a compaction did.
        for completion in completions {
            switch completion {
            case .installed(let slot): onSnapshotInstalled(slot: slot)
            case .genesisRecorded: onGenesisRecorded()
            case .compacted(let report): onCompacted(report)
            // A read of the applied slots, answered even while failed: it asks nothing of the core.
            case .changes(let token, let result): onChanges(token: token, result)
            default: break
            }
        }
        // A replica in a simulated failure is dead: what its storage jobs report is moot, and the
        // replica rebuilt afterwards numbers its persist records afresh.
        guard !failures.isFailed else { return }
        var durable: PersistID?
        var effects: [ShellEffect] = []
        // Keyspace notifications: computed only while someone subscribes (Node+PubSub.swift).
        let publishing = node.publishesKeyspaceEvents
        var events: [KVEvent] = []
        // For waiting CHANGES reads: the slots these completions applied and what they changed.
        let watching = !changesReads.waiting.isEmpty
        var applied: ClosedRange<Slot>?
        var installed: Slot?
        var changed: [KVChange] = []
        for completion in completions {
            switch completion {
            case .persisted(let id):
                durable = id
            case .applied(let slot, let results, let changes):
                metrics.applied.record(Int64(slot.rawValue))
                compaction.applied(slot: slot, bytes: results.reduce(0) { $0 + $1.request.operation.payloadBytes })
                for (request, result) in results { effects += shell.applied(request, result) }
                if publishing { events += changes.map(\.event) }
                applied = (applied?.lowerBound ?? slot)...slot
                if watching { changed += changes }
            case .read(let token, let result):
                effects += shell.readResult(token: token, result, now: Self.nowMilliseconds, view: shellView)
            case .clock(let clock, let deadline):
                (logClock, nextDeadline) = (clock, deadline)
                noteLogClock()
            case .installed(let slot):
                installed = slot
            case .compacted, .genesisRecorded, .changes:
                break
            }
        }
        if watching { wakeChangesReads(applied: applied, changes: changed, installed: installed) }
        // Before the replies, as Redis notifies during the command: a RESP3 client that writes
        // and subscribes sees its write's event before the write's answer.
        if !events.isEmpty { node.publish(events) }
        perform(effects)
        if let durable { handle(.persisted(upTo: durable)) }
        maybeCompactBySize()
        checkPendingMembershipChange()
    }

    func onTick() {
        guard !stopping else { return }
        expireChangesReads()
        if simulateFailureTick() { return }
        handle(.tick)
        sweepRequests()
        checkSnapshotTimeouts()
        maybeCompact(now: Self.nowMilliseconds)
        checkPendingMembershipChange()
        metrics.chosen.record(Int64(replica.chosenThrough.rawValue))
        recordPeerLag()
    }

    /// A peer message the core (or this shell, for snapshots) refused: an honest peer never
    /// sends one, so each is counted and logged at info (a recoverable anomaly the operator
    /// should see: a bug, an old build, or an attacker).
    func countRefusal(_ refusal: PeerMessageRefusal) {
        metrics.peerMessagesRefused[refusal.reason]?.increment()
        logger.info("refused a peer message", metadata: [
            "peer.id": "\(refusal.peer)", "rpc.method": "\(refusal.kind)", "paxos.refusal": "\(refusal.reason.rawValue)",
        ])
    }

    func noteRoleChange() {
        noteLeadership(previousRole: lastRole)
        let role = replica.role
        guard role != lastRole else { return }
        if role == .candidate { metrics.elections.increment() }
        if role == .leader || lastRole == .leader {
            logger.info("role changed", metadata: ["paxos.role": "\(role)", "paxos.ballot": "\(replica.promised)"])
        }
        lastRole = role
    }
}

extension GroupNode {
    /// Answers everything in flight; the node then shuts storage down.
    func stop() {
        stopping = true
        expireChangesReads(all: true)
        perform(shell.stop(message: "replica \(settings.id) is shutting down; retry on another node"))
        // The node shuts storage down next: what this node queued must reach it first.
        flushStorageJobs()
    }
}
