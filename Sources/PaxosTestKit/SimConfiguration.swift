public import PaxosCore

/// One simulation's knobs, drawn from the seed by swarm randomisation (Groce et al., "Swarm
/// Testing", 2012): each run enables a different mix of faults, so rare combinations get
/// exercised without tuning. Times are in simulator units; one replica tick is `tickUnits`.
public struct SimConfiguration: Sendable, CustomStringConvertible {
    public var replicas: Int
    public var clients: Int
    public var keys: Int
    public var tickUnits: UInt64 = 10

    // Network between replicas.
    public var dropRate: Double
    public var duplicateRate: Double
    public var maxDelayUnits: UInt64
    // Disk.
    public var maxFlushDelayUnits: UInt64
    /// Log retention: a replica compacts its log to this many applied slots (the shell's
    /// policy, `Input.compact`); nil keeps everything. Small values force snapshot catch-up.
    public var retainSlots: UInt64?
    // Faults during the chaos phase.
    public var crashes: Bool
    public var partitions: Bool
    public var flapping: Bool
    public var meanFaultGapUnits: UInt64
    /// Power losses during the chaos phase (`Simulation.losePower`): every node goes down at
    /// once, each disk keeps only what was fsynced, and every node boots again. Off unless a
    /// planted bug needs it (`target`) or a caller asks, so other runs stay as they were.
    public var powerLosses = false
    /// Partitions of every shape (`Simulation+Partitions.swift`: bridge, ring, one flapping link,
    /// besides majority/minority splits and an isolated leader), and the leadership checker after
    /// the heal (`Simulation+Leadership.swift`). Off unless asked, so other runs stay as they were.
    public var partitionPatterns = false
    /// Membership changes during the chaos phase (`Simulation+Membership.swift`): `spares` nodes
    /// beyond the first members run from the start as non-members, and an operator asks the
    /// replica it believes leads to add, promote, remove and replace, every `meanChangeGapUnits`
    /// on average. Drawn in a share of one-group runs from a stream of its own (see
    /// `Simulation.init`), so runs without it draw what they always drew.
    public var reconfigure = false
    public var spares = 0
    public var meanChangeGapUnits: UInt64 = 300
    /// Disk loss during the chaos phase: a replica restarts with an empty disk and a new
    /// incarnation, and the operator asks for `replaceIncarnation` so it votes again.
    public var diskLoss = false
    /// A planned disk replacement asks for the new incarnation first and swaps the disk once
    /// that change is chosen (instead of losing the disk and then asking), so the old disk votes
    /// on while the change is in flight.
    public var replaceBeforeSwap = false
    /// The nemesis cuts off the replicas that lack a chosen slot's command when they are a
    /// majority of its membership (`Simulation+QuorumWatch.swift`); never fires on a correct
    /// cluster.
    public var cutAtBrokenQuorum = false
    /// A bug in the simulated shell or operator rather than the core, to prove the checkers
    /// catch it.
    public var simulatorBug: SimulatorBug?
    /// A crash point: the share of forwards after which the forwarding node dies at once and a
    /// process manager restarts it a moment later (`Simulation.crashAfterForward`). The
    /// leader's answer to that forward then reaches the node's next life, which must not take
    /// it for one of its own requests. Needs `crashes`.
    public var crashAfterForwardRate = 0.0
    /// Clients also issue key operations: INCRBY, SET NX/XX/IFEQ, GETSET, DELIFEQ, GETDEL
    /// (`Simulation+Coordination.swift`). Drawn in a quarter of runs from a stream of its own.
    public var coordinationOps = false
    /// A deliberately wrong apply rule every replica runs (`KVRules.plantedBug`).
    public var stateMachineBug: StateMachineBug?

    // Phases.
    public var chaosUnits: UInt64
    /// After chaos every fault heals; within this time the cluster must converge and commit.
    public var healUnits: UInt64

    // Client behaviour.
    public var clientTimeoutUnits: UInt64 = 400
    /// How long a replica's shell waits on an unanswered forward before sending it again
    /// (paxosd's `rerouteMilliseconds`).
    public var rerouteUnits: UInt64 = 100
    /// `ClientSession.expirySlots` unless a test shortens it so sessions expire, and requests
    /// retried for long are refused as expired, within a run.
    public var sessionExpirySlots: UInt64 = ClientSession.expirySlots
    public var maxThinkUnits: UInt64

    /// Protocol settings for every replica (id and members are filled in per replica).
    public var knobs: ProtocolKnobs
    public var plantedBug: PlantedBug?
    /// The one group whose replicas run `plantedBug`; nil: every group.
    public var plantedBugGroup: Int?
    /// The one group whose peer messages are corrupted during the chaos phase
    /// (`Simulation+Corruption.swift`), and the share of its messages that get a corrupted
    /// delivery beside the real one; nil: none.
    public var corruptGroup: Int?
    public var corruptRate: Double = 0

    // Groups (see SimConfiguration+Groups.swift).
    /// Consensus groups per node; 1 is the unsharded cluster.
    public var groups = 1
    /// Each group's network weather during the chaos phase, by group index.
    /// - Invariant: `groupWeather.count == groups`.
    public var groupWeather: [SimWeather] = []
    /// `ReplicaConfiguration.takeoverTicks` when groups have preferred leaders.
    public var takeoverTicks: UInt64 = 30
    /// Leaders stamp their proposals with their node's clock (`GroupShell+Time.swift`,
    /// `SimClocks`: the simulated time, skewed and stepped), so slots are timed batches and TTLs
    /// run, and clients also SET PX and PEXPIRE (`SimExpiry`). Off by default: plain runs keep
    /// legacy batches and their recorded digests (docs/design/coordination-api.md §8).
    public var leaderClocks = false
    /// With `leaderClocks`, each node's clock is off by a skew drawn per run in ±this many
    /// units (0–500), from the clock stream (`SimClocks`).
    public var clockSkewMaxUnits: UInt64 = 0
    /// With `leaderClocks`, the nemesis steps one node's clock by ±`SimClocks.stepUnits` about
    /// this often during the chaos phase (at most `SimClocks.stepsMax` times); nil: never.
    public var clockStepMeanGapUnits: UInt64?

    /// Leader leases (`Replica+Lease.swift`, `Simulation+Leases.swift`): acceptors refuse other
    /// ballots for an election timeout after each heartbeat they acknowledge, and leaders serve
    /// linearizable reads on their lease.
    public var leases = false
    /// With `leases`, each node's clock rate is off by a drift drawn in ±this many parts per
    /// million (default 5,000: every pair of nodes within the 1 % the lease allows for).
    public var leaseDriftMaxPPM: UInt64 = 5_000

    /// The last this many clients only read. A client waits for each answer, so one whose
    /// write went to a leader that was just cut off waits for its timeout; a reader pinned to
    /// that node keeps reading from it (lease bugs show only there: `targetLeases`).
    public var readerClients = 0

    /// Every node of the cluster: the first members, then the spares (ids `replicas + 1 ...`).
    public var nodes: Int { replicas + spares }

    public struct ProtocolKnobs: Sendable {
        public var heartbeatIntervalTicks: UInt64 = 2
        public var electionTimeoutTicks: UInt64 = 10
        public var electionBackoffMax: UInt64 = 4
        public var retransmitTicks: UInt64 = 4
        public var snapshotRetryTicks: UInt64 = 20
        public var maxInflightSlots: Int
        public var maxBatchRequests: Int
        public var maxEntriesPerMessage: Int
    }

    /// Draws a configuration from `random`. `replicas` forces a cluster size when given.
    public static func swarm(using random: inout SeededGenerator, replicas forced: Int? = nil) -> SimConfiguration {
        let replicas = forced ?? [3, 3, 5, 5, 7].randomElement(using: &random)!
        let knobs = ProtocolKnobs(
            maxInflightSlots: [1, 2, 4, 16, 64].randomElement(using: &random)!,
            maxBatchRequests: [1, 2, 8, 64].randomElement(using: &random)!,
            maxEntriesPerMessage: [1, 3, 16, 128].randomElement(using: &random)!)
        var configuration = SimConfiguration(
            replicas: replicas,
            clients: Int.random(in: 1...6, using: &random),
            keys: Int.random(in: 1...4, using: &random),
            dropRate: [0, 0, 0.01, 0.05, 0.2].randomElement(using: &random)!,
            duplicateRate: [0, 0, 0.02, 0.1].randomElement(using: &random)!,
            maxDelayUnits: [2, 10, 30, 80].randomElement(using: &random)!,
            maxFlushDelayUnits: [1, 5, 20, 60].randomElement(using: &random)!,
            crashes: Double.random(in: 0..<1, using: &random) < 0.7,
            partitions: Double.random(in: 0..<1, using: &random) < 0.6,
            flapping: Double.random(in: 0..<1, using: &random) < 0.2,
            meanFaultGapUnits: [100, 300, 800].randomElement(using: &random)!,
            chaosUnits: UInt64.random(in: 3_000...10_000, using: &random),
            healUnits: 6_000,
            maxThinkUnits: [0, 10, 50].randomElement(using: &random)!,
            knobs: knobs,
            plantedBug: nil)
        // Drawn last, so the draws above mean what they meant before compaction existed.
        configuration.retainSlots = [nil, nil, 2, 8, 40].randomElement(using: &random)!
        // Drawn after compaction, for the same reason.
        let crashAfterForwardRate = [0, 0, 0, 0.05].randomElement(using: &random)!
        if configuration.crashes { configuration.crashAfterForwardRate = crashAfterForwardRate }
        return configuration
    }

    /// The configuration of `group`'s replica on node `id`. With several groups each has the
    /// preferred leader `GroupMap` names, as paxosd gives it.
    func replicaConfiguration(for id: ReplicaID, group: Int) -> ReplicaConfiguration {
        let members = (1...replicas).map { ReplicaID(UInt32($0)) }
        var configuration = ReplicaConfiguration(id: id, members: members)
        configuration.heartbeatIntervalTicks = knobs.heartbeatIntervalTicks
        configuration.electionTimeoutTicks = knobs.electionTimeoutTicks
        configuration.electionBackoffMax = knobs.electionBackoffMax
        configuration.retransmitTicks = knobs.retransmitTicks
        configuration.snapshotRetryTicks = knobs.snapshotRetryTicks
        configuration.maxInflightSlots = knobs.maxInflightSlots
        configuration.maxBatchRequests = knobs.maxBatchRequests
        configuration.maxEntriesPerMessage = knobs.maxEntriesPerMessage
        configuration._plantedBug = (plantedBugGroup ?? group) == group ? plantedBug : nil
        configuration.leaseTicks = leaseTicks
        if groups > 1 {
            configuration.preferredLeader = groupMap.preferredLeader(of: GroupID(UInt32(group)), members: members)
            configuration.takeoverTicks = takeoverTicks
        }
        return configuration
    }

    public var description: String {
        var faults: [String] = []
        if crashes { faults.append("crashes") }
        if partitions { faults.append(flapping ? "flapping-partitions" : "partitions") }
        if crashes, crashAfterForwardRate > 0 { faults.append("crash-after-forward=\(crashAfterForwardRate)") }
        return "replicas=\(replicas) clients=\(clients) keys=\(keys) drop=\(dropRate) dup=\(duplicateRate) "
            + "delay≤\(maxDelayUnits) flush≤\(maxFlushDelayUnits) faults=[\(faults.joined(separator: ","))] "
            + "window=\(knobs.maxInflightSlots) batch=\(knobs.maxBatchRequests) "
            + "msg=\(knobs.maxEntriesPerMessage) retain=\(retainSlots.map { "\($0)" } ?? "all") chaos=\(chaosUnits)"
            + (plantedBug.map { " bug=\($0)" } ?? "") + groupsDescription
            + (corruptGroup.map { " corrupt-group=\($0) corrupt-rate=\(corruptRate)" } ?? "")
            + (partitionPatterns ? " partition-patterns" : "")
            + (reconfigure ? " reconfigure(spares=\(spares) gap=\(meanChangeGapUnits))" : "")
            + (diskLoss ? " disk-loss" : "") + (powerLosses ? " power-losses" : "")
            + (replaceBeforeSwap ? " replace-before-swap" : "") + (cutAtBrokenQuorum ? " cut-at-broken-quorum" : "")
            + (simulatorBug.map { " sim-bug=\($0)" } ?? "") + (leaderClocks ? " leader-clocks(skew≤\(clockSkewMaxUnits)\(clockStepMeanGapUnits.map { " steps-gap=\($0)" } ?? ""))" : "")
            + (coordinationOps ? " coordination-ops" : "") + (stateMachineBug.map { " state-machine-bug=\($0.rawValue)" } ?? "")
            + (leases ? " leases(drift≤\(leaseDriftMaxPPM)ppm)" : "")
    }
}

/// Known-bad behaviour of the simulated shell or operator (not of the core) that the checkers
/// must catch.
public enum SimulatorBug: Hashable, Sendable {
    /// A replica that lost its disk restarts with its OLD incarnation: an empty acceptor that
    /// votes as the one that forgot its promises and votes (acceptor amnesia).
    case emptyDiskVotes
    /// A retried write gets the submitting replica's current chosen frontier as its origin
    /// instead of keeping the first one: a late retry can then meet an expired session and be
    /// applied twice (`ClientSession`).
    case freshOriginOnRetry

    /// Its name for `paxos-sim --sim-bug`.
    public var flag: String {
        switch self {
        case .emptyDiskVotes: "empty-disk-votes"
        case .freshOriginOnRetry: "fresh-origin-on-retry"
        }
    }
}
