public import PaxosCore

/// Counters describing what a run exercised.
public struct SimulationStats: Hashable, Sendable {
    public var events = 0
    public var messages = 0
    /// Node crashes (each takes down every group's replica on the node).
    public var crashes = 0
    public var faults = 0
    /// Partitions the broken-quorum trigger made (`Simulation+QuorumWatch.swift`).
    public var quorumCuts = 0
    /// Partition faults by shape (`Simulation+Partitions.swift`), with `partitionPatterns`.
    public var partitionsByPattern: [String: Int] = [:]
    public var applies = 0
    /// Slots chosen, summed over groups.
    public var chosenSlots = 0
    /// Log compactions, snapshot transfers started, and snapshots installed.
    public var compactions = 0
    public var snapshotsSent = 0
    public var snapshotsInstalled = 0
    /// Snapshot chunks sent, and transfers either end abandoned before the end.
    public var snapshotChunksSent = 0
    public var snapshotTransfersAbandoned = 0
    public var operations = 0
    public var completed = 0
    /// Writes refused as expired (`ClientSession`); their outcome stays unknown.
    public var expiredWrites = 0
    /// Operations a node answered as certainly not applied (`BUSY`, `UNAVAILABLE`).
    public var refusedNotApplied = 0
    /// Corrupted deliveries added (`--corrupt-messages`), and peer messages replicas refused.
    public var corruptedMessages = 0
    public var refusals = 0
    public var refusalsByReason: [RefusalReason: Int] = [:]
    /// Snapshot transfers refused as unsolicited (counted in `refusals` too).
    public var snapshotsRefused = 0
    /// Histories the linearizability checker gave up on (search budget); counted, not failed.
    public var inconclusiveHistories = 0
    /// Key operations answered, by operation and answer ("incr integer", "setIf null", …).
    public var keyOperationAnswers: [String: Int] = [:]
    /// Clock steps the nemesis made (`Simulation+Clocks.swift`).
    public var clockSteps = 0
    /// Linearizable reads handed to a leader's core on its lease, and without one.
    public var leasedReads = 0
    public var roundReads = 0
    /// Membership changes and disk losses (`Simulation+Membership.swift`).
    public var membership = SimulationMembershipStats()
    /// Each group's own counters, by group index.
    public var groups: [SimulationGroupStats] = []

    public init() {}
}

/// The outcome of one simulation run.
public struct SimulationReport: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var configuration: String
    public var violations: [String]
    public var stats: SimulationStats
    /// Digest of every processed event: two runs of one seed must produce the same value.
    public var trace: UInt64
    /// What `paxos-sim` needs besides the seed to replay the run (a forced cluster size, groups).
    public var replayFlags: String

    public var passed: Bool { violations.isEmpty }

    public var description: String {
        let summary = "ops=\(stats.operations) completed=\(stats.completed)"
            + (stats.expiredWrites > 0 ? " expired=\(stats.expiredWrites)" : "") + " slots=\(stats.chosenSlots) "
            + "events=\(stats.events) messages=\(stats.messages) crashes=\(stats.crashes) faults=\(stats.faults) "
            + "compactions=\(stats.compactions) snapshots=\(stats.snapshotsSent)/\(stats.snapshotsInstalled)"
            + " chunks=\(stats.snapshotChunksSent) abandoned=\(stats.snapshotTransfersAbandoned)"
            + (stats.corruptedMessages + stats.refusals > 0 ? " corrupted=\(stats.corruptedMessages) refused=\(stats.refusals)"
                + " [\(stats.refusalsByReason.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " "))]" : "")
            + (stats.membership.requested + stats.membership.diskLosses > 0
                ? " membership: asked=\(stats.membership.requested) proposed=\(stats.membership.proposed) "
                    + "refused=\(stats.membership.refused) applied=\(stats.membership.applied) disk-losses=\(stats.membership.diskLosses)" : "")
        // One line per group, with several.
        let perGroup = stats.groups.count < 2 ? "" : stats.groups.indices.map { "\n  group \($0): \(stats.groups[$0].description)" }.joined()
        if passed { return "seed \(seed) passed: \(summary) [\(configuration)]\(perGroup)" }
        return "PAXOS_SEED=\(seed) FAILED: \(violations.joined(separator: "; "))\n  config: \(configuration)\n  \(summary)\(perGroup)\n"
            + "  replay: PAXOS_SEED=\(seed) swift test --filter Simulation   or   swift run paxos-sim --seed \(seed)\(replayFlags)"
    }
}
