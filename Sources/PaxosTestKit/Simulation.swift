import Logging
public import PaxosCore
public import PaxosShell

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
///
/// ## Groups
/// With `groups > 1` each node hosts one replica of every group: independent Paxos
/// instances with their own ballots, leaders, logs and disks, and the preferred leader
/// `GroupMap` names. Clients send each operation to its key's group. Faults hit groups both
/// together and apart: a node crash or a partition hits every group on the node or link, while
/// each group has its own loss, duplication and delay, and one group's replica may crash alone
/// (its storage thread died). Agreement, applied prefix, snapshots and convergence are checked
/// per group; the one merged history is checked per key. After the heal every group must also
/// end up led by its preferred leader (`checkLeaderSpread`).
public final class Simulation {
    public let seed: UInt64
    public let configuration: SimConfiguration
    var random: SeededGenerator
    var queue = EventQueue<SimEvent>()
    var now: UInt64 = 0
    /// Every group's replica on every node, group-major: group `g`'s replica on node `n` (whose
    /// id is `n + 1`) is at `g × configuration.replicas + n`, so with one group a replica's index
    /// is its node's, and the event stream is the one a single-group run always had.
    var replicas: [SimReplica]
    var groups: [SimGroup]
    /// The keys clients operate on, every group's (see `SimConfiguration.keyspace`).
    let keyspace: [Bytes]
    var clients: [SimClient]
    var records: [SimRecord] = []
    /// What the clients' key operations draw from, with `coordinationOps` (Simulation+Coordination.swift).
    var coordination: SimCoordination?
    /// The nodes' wall clocks, with `leaderClocks` (Simulation+Clocks.swift).
    var clocks: SimClocks?
    /// Each node's clock drift in parts per million, with leases (`Simulation+Leases.swift`);
    /// all 0 otherwise.
    var drifts: [Int64] = []
    /// What the clients' SET PX and PEXPIRE draw from, with `leaderClocks` (Simulation+Expiry.swift).
    var expiry: SimExpiry?
    /// Links cut by a partition, stored as (lower id, higher id). A node-level fault: it cuts
    /// every group's traffic between the two nodes.
    var cut: Set<[UInt32]> = []
    var healed = false
    var healedAt: UInt64 = 0
    var violations: [String] = []
    var stats = SimulationStats()
    /// A running digest of processed events; equal digests mean identical runs.
    var trace: UInt64 = 0xcbf2_9ce4_8422_2325
    let logger = Logger(label: "paxos.sim", factory: { _ in SwiftLogNoOpLogHandler() })
    /// `paxos-sim` flags that replay this run together with its seed.
    let replayFlags: String
    /// The operator's view of memberships and the membership checkers' memory
    /// (`Simulation+Membership.swift`); used with one group.
    var membership: SimMembershipTracker
    /// Prints the operator's requests and answers, disk losses and chosen memberships as they
    /// happen, and every replica's state at the end (`paxos-sim --trace-membership`).
    public var traceMembership = false

    /// - Parameters:
    ///   - replicas: forces the cluster size instead of drawing it.
    ///   - groups: consensus groups per node (1 is the unsharded cluster, whose runs are the
    ///     same as before groups existed).
    ///   - plantedBug: runs replicas with this deliberate bug (checker self-tests): those of
    ///     `plantedBugGroup` only, or of every group when that is nil.
    /// - Parameter compaction: false keeps every log entry, whatever the seed draws (for tools
    ///   that read the replicas' full logs afterwards).
    /// - Parameter reconfigure: membership changes and spare nodes (`Simulation+Membership.swift`);
    ///   nil draws it (in a quarter of one-group runs without corruption or partition patterns).
    /// - Parameter diskLoss: replicas that restart with an empty disk and a new incarnation; nil
    ///   draws it like `reconfigure`.
    /// - Parameter simulatorBug: a deliberate bug of the simulated clients, disks or operator.
    /// - Parameter shellBug: a deliberate bug of paxosd's request shell, run by every replica.
    /// - Parameter shellBugFixed: runs the configuration aimed at `shellBug` with the correct shell.
    /// - Parameter leaderClocks: leaders stamp with their node's skewed, stepped clock and clients
    ///   also SET PX and PEXPIRE (Simulation+Clocks.swift, Simulation+Expiry.swift).
    /// - Parameter clockSkewMax: with `leaderClocks`, the skew bound instead of drawing it.
    /// - Parameter coordinationOps: clients also issue key operations (INCR, conditional SETs,
    ///   GETSET, DELIFEQ, GETDEL); nil draws it, from a stream of its own, in a quarter of runs.
    /// - Parameter stateMachineBug: a deliberate bug of the apply rule, run by every replica;
    ///   it brings `coordinationOps` and a configuration aimed at it.
    /// - Parameter stateMachineBugFixed: runs the configuration aimed at `stateMachineBug` with
    ///   the correct rule instead, to show that what fails with the bug passes without it.
    /// - Precondition: `1 <= groups <= GroupMap.maxGroups`; `plantedBugGroup < groups`; with
    ///   `reconfigure` or `diskLoss`, one group.
    /// - Parameter powerLosses: cluster-wide power losses during the chaos phase
    ///   (`Simulation.losePower`); also on for the planted bugs they expose.
    /// - Parameter corruptMessages: corrupts one group's peer messages during the chaos phase
    ///   (see `Simulation+Corruption.swift`); the group and rate are drawn from the seed.
    /// - Parameter partitionPatterns: partitions of every shape during the chaos phase, and the
    ///   leadership checker after the heal (`Simulation+Partitions.swift`,
    ///   `Simulation+Leadership.swift`); on with `PlantedBug.stepDownOnAnyReject`, which only
    ///   that checker catches.
    public init(seed: UInt64, replicas: Int? = nil, groups: Int = 1, plantedBug: PlantedBug? = nil,
                plantedBugGroup: Int? = nil, compaction: Bool = true, corruptMessages: Bool = false,
                partitionPatterns: Bool = false, reconfigure: Bool? = nil, diskLoss: Bool? = nil,
                simulatorBug: SimulatorBug? = nil, sessionExpirySlots: UInt64? = nil, powerLosses: Bool = false,
                shellBug: ShellBug? = nil, leaderClocks: Bool = false, coordinationOps: Bool? = nil,
                stateMachineBug: StateMachineBug? = nil, stateMachineBugFixed: Bool = false, clockSkewMax: UInt64? = nil,
                shellBugFixed: Bool = false, leases: Bool = false, leaseDriftMaxPPM: UInt64? = nil) {
        precondition(plantedBugGroup.map { $0 >= 0 && $0 < groups } ?? true, "simulation: bug group \(plantedBugGroup ?? 0) of \(groups)")
        self.seed = seed
        var random = SeededGenerator(seed: seed)
        var configuration = SimConfiguration.swarm(using: &random, replicas: replicas)
        configuration.plantedBug = plantedBug
        configuration.plantedBugGroup = plantedBug == nil ? nil : plantedBugGroup
        // A bug's tilt toward the faults that expose it comes from a stream of its own, so the
        // main stream draws what it always drew (see SimConfiguration+Targets.swift).
        var aim = SeededGenerator(seed: seed ^ 0x7461_7267_6574_2121)
        if let plantedBug { configuration.target(plantedBug, using: &aim) }
        if !compaction { configuration.retainSlots = nil }
        configuration.leaderClocks = leaderClocks
        if powerLosses {
            // Nothing drawn; a power loss needs the nemesis to run.
            configuration.powerLosses = true
            configuration.crashes = true
        }
        if simulatorBug == .freshOriginOnRetry { configuration.target(.freshOriginOnRetry, using: &aim) }
        configuration.drawGroups(groups, using: &random)
        if corruptMessages {
            // Drawn last and only when asked, so every other run is what it always was.
            configuration.corruptGroup = Int.random(in: 0..<groups, using: &random)
            configuration.corruptRate = [0.01, 0.05, 0.2].randomElement(using: &random)!
        }
        // The old election is caught by the leadership checker, which runs with partition
        // patterns: the planted bug brings them.
        let patterns = partitionPatterns || plantedBug == .stepDownOnAnyReject
        if patterns {
            // Nothing drawn, so the rest of the run draws what it would have.
            configuration.partitionPatterns = true
            configuration.partitions = true
        }
        // Membership knobs come from a stream of their own, so a run without them draws exactly
        // what it drew before they existed (the regression seeds keep their meaning).
        var side = SeededGenerator(seed: seed ^ 0x6d65_6d62_6572_7321)
        let drawable = groups == 1 && !corruptMessages && !patterns
        let drawnReconfigure = Double.random(in: 0..<1, using: &side) < 0.25
        let drawnDiskLoss = Double.random(in: 0..<1, using: &side) < 0.25
        configuration.reconfigure = reconfigure ?? (drawable && drawnReconfigure)
        configuration.diskLoss = diskLoss ?? (drawable && drawnDiskLoss)
        configuration.simulatorBug = simulatorBug
        if let sessionExpirySlots { configuration.sessionExpirySlots = sessionExpirySlots }
        if simulatorBug == .emptyDiskVotes { configuration.target(.emptyDiskVotes, using: &aim) }
        if plantedBug == .applyMembershipImmediately { configuration.reconfigure = true }
        if configuration.reconfigure {
            configuration.spares = Int.random(in: 1...2, using: &side)
            configuration.meanChangeGapUnits = [100, 300, 600].randomElement(using: &side)!
        }
        if plantedBug == .applyMembershipImmediately {
            // The bug counts a slot chosen under the membership before a change still in
            // flight. Single changes of voters keep old and new majorities intersecting, so the
            // operator makes the one change whose majorities need not: a planned disk
            // replacement, asked for before the swap (the old disk votes until the change is
            // chosen, the new one after). Three voters, so one old vote makes a majority, and
            // the nemesis cuts when a majority lacks a chosen slot (Simulation+QuorumWatch).
            if replicas == nil { configuration.replicas = 3 }
            configuration.diskLoss = diskLoss ?? false
            configuration.spares = 0
            configuration.meanChangeGapUnits = 70
            configuration.replaceBeforeSwap = true
            configuration.cutAtBrokenQuorum = true
        }
        // Key operations come from a stream of their own, like membership changes, so a run
        // without them draws what it always drew (Simulation+Coordination.swift).
        var coordinationStream = SeededGenerator(seed: seed ^ 0x636f_6f72_6469_6e21)
        let drawnCoordination = Double.random(in: 0..<1, using: &coordinationStream) < 0.25
        configuration.coordinationOps = stateMachineBug != nil || (coordinationOps ?? drawnCoordination)
        configuration.stateMachineBug = stateMachineBugFixed ? nil : stateMachineBug
        if let stateMachineBug { configuration.target(stateMachineBug, using: &aim) }
        // Clocks and TTL operations come from streams of their own (Simulation+Clocks.swift).
        if shellBug == .readIgnoresExpiry { configuration.targetReadIgnoresExpiry() }
        let clocks = configuration.leaderClocks
            ? Self.drawClocks(seed: seed, configuration: &configuration, skewMaxUnits: clockSkewMax, shellBug: shellBug) : nil
        if configuration.diskLoss {
            // Disk loss is a crash fault; make sure the nemesis runs.
            configuration.crashes = true
        }
        precondition(groups == 1 || !(configuration.reconfigure || configuration.diskLoss),
                     "simulation: reconfiguration and disk loss run with one group")
        // Leases draw nothing from the main stream; their drifts come from a stream of their own.
        if leases || leaseDriftMaxPPM != nil { configuration.leases = true }
        if let leaseDriftMaxPPM { configuration.leaseDriftMaxPPM = leaseDriftMaxPPM }
        if shellBug == .leaseNeverExpires { configuration.targetLeases() }
        if let shellBug {
            // Aim the faults at the bug, as for the planted core bugs above; nothing is drawn, so
            // the run is otherwise the one its seed always gives.
            configuration.crashes = true
            configuration.meanFaultGapUnits = min(configuration.meanFaultGapUnits, 300)
            switch shellBug {
            case .freshOriginOnRoute where sessionExpirySlots == nil:
                // A re-forward must land past the expiry window to matter, and come soon after
                // the first (whose answer may be lost) so that both copies land.
                configuration.sessionExpirySlots = 5
                configuration.rerouteUnits = 20
            case .reuseTokensAfterRestart:
                // A forward's answer must outlive its sender's restart, and the sender's new life
                // must count up to that number meanwhile: short lives, slow links.
                configuration.meanFaultGapUnits = 100
                configuration.crashAfterForwardRate = 0.5
                for group in configuration.groupWeather.indices {
                    configuration.groupWeather[group].maxDelayUnits = max(configuration.groupWeather[group].maxDelayUnits, 80)
                }
            case .readIgnoresExpiry:
                configuration.targetReadIgnoresExpiryFaults()
            case .snapshotOutOfOrder:
                // A hole needs a chunk lost on the way, and a transfer needs a compacted log.
                if compaction { configuration.retainSlots = min(configuration.retainSlots ?? 2, 8) }
                for group in configuration.groupWeather.indices {
                    configuration.groupWeather[group].dropRate = max(configuration.groupWeather[group].dropRate, 0.1)
                }
            default:
                break
            }
        }
        self.configuration = configuration
        self.membership = SimMembershipTracker(bootstrap: .initial((1...configuration.replicas).map { ReplicaID(UInt32($0)) }))
        let members = (1...configuration.replicas).map { ReplicaID(UInt32($0)) }
        self.groups = configuration.groupWeather.indices.map { group in
            SimGroup(index: group, weather: configuration.groupWeather[group],
                     preferredLeader: configuration.groupMap.preferredLeader(of: GroupID(UInt32(group)), members: members))
        }
        self.replicas = (0..<groups).flatMap { group in
            (1...configuration.nodes).map {
                let id = ReplicaID(UInt32($0))
                let disk = SimDisk(sessionExpirySlots: configuration.sessionExpirySlots, plantedBug: configuration.stateMachineBug)
                return SimReplica(id: id, group: group, disk: disk,
                                  shell: Self.shellSettings(id: id, configuration: configuration, bug: shellBugFixed ? nil : shellBug),
                                  snapshotTimeoutMilliseconds: Self.snapshotTimeoutMilliseconds(configuration.groupWeather[group]))
            }
        }
        for spare in configuration.replicas..<configuration.nodes {
            // A spare's database was created when it was installed: a random incarnation.
            self.replicas[spare].databaseIncarnation = Self.freshIncarnation(using: &random)
        }
        self.keyspace = configuration.keyspace
        if configuration.coordinationOps {
            self.coordination = SimCoordination(random: coordinationStream, keyspace: configuration.keyspace,
                                                groupMap: configuration.groupMap,
                                                alwaysFamilies: stateMachineBug == .applyFailedWatch)
        }
        self.clocks = clocks
        self.drifts = configuration.leases
            ? Self.drawDrifts(seed: seed, nodes: configuration.nodes, maxPPM: configuration.leaseDriftMaxPPM)
            : Array(repeating: 0, count: configuration.nodes)
        if configuration.leaderClocks { self.expiry = SimExpiry(seed: seed) }
        self.replayFlags = (replicas.map { " --replicas \($0)" } ?? "") + (groups > 1 ? " --groups \(groups)" : "")
            + (corruptMessages ? " --corrupt-messages" : "") + (partitionPatterns ? " --partition-patterns" : "")
            + (reconfigure.map { $0 ? " --reconfigure" : " --no-reconfigure" } ?? "")
            + (diskLoss.map { $0 ? " --disk-loss" : " --no-disk-loss" } ?? "")
            + (sessionExpirySlots.map { " --session-expiry-slots \($0)" } ?? "")
            + (simulatorBug.map { " --sim-bug \($0.flag)" } ?? "") + (powerLosses ? " --power-losses" : "")
            + (shellBug.map { " --shell-bug \($0.rawValue)" } ?? "") + (leaderClocks ? " --leader-clocks" : "")
            + (coordinationOps.map { $0 ? " --coordination-ops" : " --no-coordination-ops" } ?? "")
            + (stateMachineBug.map { " --state-machine-bug \($0.rawValue)" } ?? "") + (stateMachineBugFixed ? " --fixed" : "")
            + (clockSkewMax.map { " --clock-skew-max \($0)" } ?? "") + (shellBugFixed ? " --fixed" : "")
            + (leases ? " --leases" : "") + (leaseDriftMaxPPM.map { " --lease-drift-ppm \($0)" } ?? "")
        self.clients = (0..<configuration.clients).map { index in
            // Clients start on different nodes for different groups; group 0 as before groups.
            SimClient(index: index, id: ClientID(UInt64(1000 + index)), targets: (0..<groups).map { group in
                ReplicaID(UInt32(1 + (index + group) % configuration.replicas))
            })
        }
        self.random = random
    }

    /// Runs both phases and all checkers. Never traps on a protocol violation: it reports it.
    public func run() -> SimulationReport {
        for index in replicas.indices { start(replica: index) }
        for index in clients.indices { schedule(.clientNext(client: index), after: UInt64(index)) }
        if configuration.crashes || configuration.partitions { schedule(.fault, after: nextFaultGap()) }
        if configuration.reconfigure || configuration.diskLoss { schedule(.membershipChange, after: nextChangeGap()) }
        schedule(.heal, after: configuration.chaosUnits)
        if let gap = nextClockStepGap() { schedule(.clockStep, after: gap) }
        let end = configuration.chaosUnits + configuration.healUnits
        // A cluster still finishing retried work at `end` gets a bounded grace period to settle
        // (the bound is the liveness claim); the run stops as soon as every replica caught up
        // and, with several groups, every group is led by its preferred leader.
        var graceEnd = end + configuration.healUnits + configuration.takeoverGraceUnits
        var graceExtended = false
        while violations.isEmpty, let (time, event) = queue.pop() {
            if time > end && !graceExtended {
                // A replica that lost its disk (or joined late) learns the whole log again, one
                // message of `maxEntriesPerMessage` commands per round trip when nothing was
                // compacted: the bound grows with the log.
                graceExtended = true
                graceEnd += catchUpGraceUnits
            }
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

    /// Mixes a message's group into the trace; nothing with one group, whose digests stay as
    /// they were before groups existed.
    func mix(group: Int) {
        if groups.count > 1 { mix(UInt64(group)) }
    }

    func handle(_ event: SimEvent) {
        switch event {
        case .tick(let index, let incarnation):
            mix(1, UInt64(index))
            guard replicas[index].incarnation == incarnation, replicas[index].isUp else { return }
            step(index, .tick)
            perform(replicas[index].shell.tick(now: shellNow(index), view: shellView(index), wallTime: wallTime(index)), at: index)
            checkSnapshotTimeouts(index)
            compactIfDue(index)
            schedule(.tick(replica: index, incarnation: incarnation), after: tickGap(index))
        case .deliver(let group, let from, let to, let message):
            mix(2, UInt64(from.rawValue), UInt64(to.rawValue))
            mix(group: group)
            let index = replicaIndex(group: group, id: to)
            guard replicas[index].isUp, !isCut(from, to) else { return }
            step(index, .message(from: from, message))
        case .deliverUnlessAsked(let group, let from, let to, let message):
            mix(11, UInt64(from.rawValue), UInt64(to.rawValue))
            mix(group: group)
            let index = replicaIndex(group: group, id: to)
            guard let replica = replicas[index].replica, !isCut(from, to) else { return }
            // A forged answer to the request the receiver did make is Byzantine (see
            // Simulation+Corruption.swift): not generated.
            guard !replica.status.catchUpPeers.contains(from) else { return }
            step(index, .message(from: from, message))
        case .deliverSnapshotFrame(let group, let from, let to, let lives, let frame):
            mix(10, UInt64(from.rawValue), UInt64(to.rawValue))
            mix(group: group)
            deliverSnapshotFrame(frame, group: group, from: from, to: to, lives: lives)
        case .snapshotJob(let index, let incarnation, let job):
            mix(15, UInt64(index))
            guard replicas[index].incarnation == incarnation, replicas[index].isUp else { return }
            finishSnapshotJob(job, at: index)
        case .deliverRequest(let group, let from, let to, let frame):
            mix(13, UInt64(from.rawValue), UInt64(to.rawValue))
            mix(group: group)
            deliverRequest(frame, group: group, from: from, to: to)
        case .flushProposals(let index, let incarnation):
            mix(14, UInt64(index))
            guard replicas[index].incarnation == incarnation, replicas[index].isUp else { return }
            perform(replicas[index].shell.flushProposals(wallTime: wallTime(index), view: shellView(index)), at: index)
        case .flush(let index, let incarnation):
            mix(3, UInt64(index))
            guard replicas[index].incarnation == incarnation else { return }
            replicas[index].disk.flushScheduled = false
            if let durable = replicas[index].disk.flush() { step(index, .persisted(upTo: durable)) }
        case .clientNext(let client): mix(4, UInt64(client)); clientNext(client)
        case .clientArrive(let client, let attempt, let to): mix(5, UInt64(client), UInt64(attempt)); clientArrive(client, to: to)
        case .clientReply(let client, let op, let reply): mix(6, UInt64(client), UInt64(op)); clientReply(client, op: op, reply)
        case .clientTimeout(let client, let attempt): mix(7, UInt64(client)); clientTimeout(client, attempt: attempt)
        case .fault: mix(8); injectFault()
        case .heal: mix(9); heal()
        case .membershipChange: mix(12); operatorNext()
        case .swapDisk(let id): mix(15, UInt64(id.rawValue)); swapDisk(of: id)
        case .restart(let node): mix(16, UInt64(node)); if !healed { start(node: node) }
        case .clockStep: mix(17); stepClock()
        }
    }

    /// Where `group`'s replica on node `id` is in `replicas`.
    func replicaIndex(group: Int, id: ReplicaID) -> Int {
        group * configuration.replicas + Int(id.rawValue) - 1
    }

    /// The indices in `replicas` of every group's replica on node index `node`, by group.
    func replicaIndices(onNode node: Int) -> [Int] {
        groups.indices.map { $0 * configuration.replicas + node }
    }

    /// How messages name a replica: by id alone with one group, as before groups existed.
    func name(_ index: Int) -> String {
        let replica = replicas[index]
        return groups.count > 1 ? "group \(replica.group) replica \(replica.id)" : "replica \(replica.id)"
    }
}

/// Something scheduled to happen at a simulated time.
enum SimEvent {
    /// `replica` indexes `Simulation.replicas`.
    case tick(replica: Int, incarnation: Int)
    case deliver(group: Int, from: ReplicaID, to: ReplicaID, Message)
    /// A forged message, delivered only if the receiver's outstanding catch-up request is not
    /// to `from` (`--corrupt-messages`).
    case deliverUnlessAsked(group: Int, from: ReplicaID, to: ReplicaID, Message)
    /// A snapshot-transfer frame between two replicas' snapshot shells, sent while the link's
    /// ends were in `SimLinkLives`.
    case deliverSnapshotFrame(group: Int, from: ReplicaID, to: ReplicaID, SimLinkLives, SimSnapshotFrame)
    /// A replica's snapshot worker finished a job (`Simulation+SnapshotTransfer.swift`).
    case snapshotJob(replica: Int, incarnation: Int, SimSnapshotJob)
    case flush(replica: Int, incarnation: Int)
    /// A forwarded client request or its answer, between two replicas' request shells.
    case deliverRequest(group: Int, from: ReplicaID, to: ReplicaID, SimRequestFrame)
    /// The shell's proposal flush (`ShellEffect.scheduleProposalFlush`).
    case flushProposals(replica: Int, incarnation: Int)
    case clientNext(client: Int)
    case clientArrive(client: Int, attempt: Int, to: ReplicaID)
    case clientReply(client: Int, op: Int, SimReply)
    case clientTimeout(client: Int, attempt: Int)
    case fault
    case heal
    /// The operator's next membership request (`Simulation+Membership.swift`).
    case membershipChange
    /// A planned replacement's disk swap, once its change is chosen (`Simulation.swapDisk`).
    case swapDisk(id: ReplicaID)
    /// The restart that follows a crash after a forward (`Simulation.crashAfterForward`).
    case restart(node: Int)
    /// The nemesis steps a node's clock (`Simulation+Clocks.swift`).
    case clockStep
}

/// What a client makes of a node's answer (`Simulation.simReply`).
enum SimReply {
    case outcome(SimOutcome)
    /// `BUSY` or `UNAVAILABLE`: the operation was certainly not applied.
    case notApplied
    /// `TIMEOUT`, `NOLEADER`, `SHUTDOWN` and the like: it may or may not have been applied.
    case unknown
}

/// One client operation as the history records it.
struct SimRecord {
    var client: Int
    var kind: SimOperationKind
    var invokedAt: UInt64
    var completed: (at: UInt64, outcome: SimOutcome)?
    /// The node answered that it was not applied: left out of the history, so a value it wrote
    /// that shows up anyway is a violation.
    var notApplied = false
}
