import ArgumentParser
import PaxosCore
import PaxosShell
import PaxosTestKit

/// Soak entry point for the deterministic simulator: many seeds, or one seed replayed.
@main
struct PaxosSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paxos-sim",
        abstract: "Run PaxosKV's deterministic cluster simulator over many seeds.",
        discussion: """
            Each seed fully determines a run: cluster size, faults, timing, client load. A failure \
            prints PAXOS_SEED=<n>; `paxos-sim --seed <n>` replays it exactly.
            """)

    @Option(help: "Number of consecutive seeds to run.")
    var seeds: UInt64 = 100

    @Option(help: "First seed of the range.")
    var firstSeed: UInt64 = 1

    @Option(help: "Run exactly this seed (overrides --seeds/--first-seed); also read from PAXOS_SEED.")
    var seed: UInt64?

    @Option(help: "Force the cluster size (3, 5 or 7) instead of drawing it from the seed.")
    var replicas: Int?

    @Option(help: "Consensus groups per node (1 to 64); keys spread over them by GroupMap.")
    var groups = 1

    @Option(help: "Plant the bug in this group only (with --plant-bug; default: every group).")
    var bugGroup: Int?

    @Option(help: "Plant a known bug to show the checkers catch it: skip-value-recovery, reply-before-persist, ignore-compaction, skip-takeover, step-down-on-any-reject or apply-membership-immediately.")
    var plantBug: String?

    @Flag(help: "Corrupt one group's peer messages during the chaos phase: late duplicates, replays, forged catch-up replies, ballots not owned by the sender, out-of-range ballots and slots. Safety checks must stay green.")
    var corruptMessages = false

    @Flag(help: "Partitions of every shape during the chaos phase (bridge, ring, a flapping link, majority/minority splits, an isolated leader), and the leadership checker after the heal: one leader followed by a majority within a bounded time, then no leader change while nothing fails.")
    var partitionPatterns = false

    @Flag(inversion: .prefixedNo, help: "Membership changes during the chaos phase: spare nodes beyond the first members, and an operator that asks the leader to add learners, promote, remove (sometimes the leader) and replace disks. Default: drawn from the seed in a quarter of one-group runs.")
    var reconfigure: Bool?

    @Flag(inversion: .prefixedNo, help: "Disk loss during the chaos phase: a replica restarts with an empty disk and a new incarnation, and the operator asks for its replacement. Default: drawn from the seed in a quarter of one-group runs.")
    var diskLoss: Bool?

    @Option(help: "Plant a bug of the simulated shell to show the checkers catch it: empty-disk-votes (a lost disk comes back with its old incarnation) or fresh-origin-on-retry (a retried write gets a new origin; shows with --session-expiry-slots).")
    var simBug: String?

    @Option(help: "Plant a bug of paxosd's request shell (GroupShell, which every simulated replica runs) to show the checkers catch it: \(ShellBug.allCases.map(\.rawValue).joined(separator: ", ")).")
    var shellBug: String?

    @Option(help: "Sessions expire after this many slots without a write, and writes landing this far above the slot their client first saw are refused (default: ClientSession.expirySlots, 100000, which a run never reaches). A short window exercises expiry; linearizability must hold.")
    var sessionExpirySlots: UInt64?

    @Flag(help: "Power losses during the chaos phase: every node goes down at once and keeps only what it fsynced (also taken, with the nodes that hold the value booting last, whenever a value known chosen is durable on fewer than a majority). Correct replicas survive them.")
    var powerLosses = false

    @Flag(help: "Leaders stamp their proposals with their node's clock (the simulated time, skewed per node and stepped ±2000 by the nemesis in half the runs), so slots are timed batches; clients also SET PX and PEXPIRE, and the checker holds each key's expiry to its window.")
    var leaderClocks = false

    @Option(help: "With --leader-clocks: each node's clock skew is drawn in ±N units (default: N drawn from 0, 50, 200, 500).")
    var clockSkewMax: UInt64?

    @Flag(help: "Leader leases: acceptors refuse other ballots for an election timeout after each heartbeat they acknowledge, leaders serve linearizable reads on their lease, and each node's clock runs at its own rate (drift drawn in ±0.5 %, within the 1 % leases allow for).")
    var leases = false

    @Option(help: "With leases (implies --leases): each node's clock drift is drawn in ±N parts per million instead of ±5000. Above 5000, pairs of nodes may drift apart by more than leases allow for, and the checker may catch a stale read.")
    var leaseDriftPpm: UInt64?

    @Flag(help: "Print the operator's membership requests and answers, disk losses, chosen memberships and, at the end, every replica's state (for replaying one seed).")
    var traceMembership = false

    @Flag(inversion: .prefixedNo, help: "Clients also issue key operations (INCRBY, SET NX/XX/IFEQ, GETSET, DELIFEQ, GETDEL) and, on families of two or three keys of one group, MSET, MSETNX, MGET, DEL and WATCH-then-EXEC, which the linearizability checker judges as a register with those operations or as a family. Default: drawn from the seed in a quarter of runs.")
    var coordinationOps: Bool?

    @Option(help: "Plant a bug of the apply rule (every replica runs it) to show the checkers catch it: \(StateMachineBug.allCases.map(\.rawValue).joined(separator: ", ")). Brings --coordination-ops.")
    var stateMachineBug: String?

    @Flag(help: "With --state-machine-bug or --shell-bug: run the configuration aimed at the bug with the correct apply rule or shell (the same seeds must pass).")
    var fixed = false

    @Flag(help: "Print one line per passing seed too.")
    var verbose = false

    static let simulatorBugs: [String: SimulatorBug] = ["empty-disk-votes": .emptyDiskVotes, "fresh-origin-on-retry": .freshOriginOnRetry]

    mutating func validate() throws {
        if let replicas, replicas < 1 || replicas % 2 == 0 {
            throw ValidationError("--replicas must be an odd number ≥ 1, got \(replicas)")
        }
        if let plantBug, Self.bug(named: plantBug) == nil {
            throw ValidationError("unknown --plant-bug '\(plantBug)'; use skip-value-recovery, reply-before-persist, ignore-compaction, skip-takeover, step-down-on-any-reject or apply-membership-immediately")
        }
        if groups < 1 || groups > Int(GroupMap.maxGroups) {
            throw ValidationError("--groups must be between 1 and \(GroupMap.maxGroups), got \(groups)")
        }
        if let bugGroup {
            if plantBug == nil { throw ValidationError("--bug-group needs --plant-bug") }
            if bugGroup < 0 || bugGroup >= groups { throw ValidationError("--bug-group must be below --groups (\(groups)), got \(bugGroup)") }
        }
        if seed == nil && seeds == 0 { throw ValidationError("--seeds must be at least 1") }
        if let leaseDriftPpm, leaseDriftPpm > 900_000 {
            throw ValidationError("--lease-drift-ppm is at most 900000 (a clock at a tenth of the speed), got \(leaseDriftPpm)")
        }
        if let clockSkewMax, clockSkewMax > 500 {
            throw ValidationError("--clock-skew-max is at most 500 (units), got \(clockSkewMax)")
        }
        if let simBug, Self.simulatorBugs[simBug] == nil {
            throw ValidationError("unknown --sim-bug '\(simBug)'; use \(Self.simulatorBugs.keys.sorted().joined(separator: " or "))")
        }
        if let shellBug, ShellBug(rawValue: shellBug) == nil {
            throw ValidationError("unknown --shell-bug '\(shellBug)'; use \(ShellBug.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let stateMachineBug, StateMachineBug(rawValue: stateMachineBug) == nil {
            throw ValidationError("unknown --state-machine-bug '\(stateMachineBug)'; use \(StateMachineBug.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if reconfigure == true || diskLoss == true || simBug != nil {
            if groups > 1 || partitionPatterns || corruptMessages {
                throw ValidationError("--reconfigure, --disk-loss and --sim-bug run with one group, without --partition-patterns or --corrupt-messages")
            }
        }
    }

    static func bug(named name: String) -> PlantedBug? {
        switch name {
        case "skip-value-recovery": .skipValueRecovery
        case "reply-before-persist": .replyBeforePersist
        case "ignore-compaction": .ignoreCompaction
        case "skip-takeover": .skipTakeover
        case "step-down-on-any-reject": .stepDownOnAnyReject
        case "apply-membership-immediately": .applyMembershipImmediately
        default: nil
        }
    }

    func run() throws {
        let bug = plantBug.flatMap(Self.bug(named:))
        let range: ClosedRange<UInt64>
        if let only = seed {
            range = only...only
        } else {
            range = firstSeed...(firstSeed + seeds - 1)
        }
        var failures = 0
        var stats = SimulationStats()
        var membershipRuns = 0
        var runsWithChanges = 0
        let progressEvery = max(range.count / 20, 1)
        for (index, seed) in range.enumerated() {
            let simulation = Simulation(seed: seed, replicas: replicas, groups: groups, plantedBug: bug, plantedBugGroup: bugGroup,
                                        corruptMessages: corruptMessages, partitionPatterns: partitionPatterns,
                                        reconfigure: reconfigure, diskLoss: diskLoss,
                                        simulatorBug: simBug.flatMap { Self.simulatorBugs[$0] },
                                        sessionExpirySlots: sessionExpirySlots, powerLosses: powerLosses,
                                        shellBug: shellBug.flatMap(ShellBug.init(rawValue:)), leaderClocks: leaderClocks,
                                        coordinationOps: coordinationOps,
                                        stateMachineBug: stateMachineBug.flatMap(StateMachineBug.init(rawValue:)),
                                        stateMachineBugFixed: fixed, clockSkewMax: clockSkewMax,
                                        shellBugFixed: fixed && shellBug != nil, leases: leases, leaseDriftMaxPPM: leaseDriftPpm)
            simulation.traceMembership = traceMembership
            let report = simulation.run()
            stats.operations += report.stats.operations
            stats.completed += report.stats.completed
            stats.expiredWrites += report.stats.expiredWrites
            stats.refusedNotApplied += report.stats.refusedNotApplied
            stats.chosenSlots += report.stats.chosenSlots
            stats.events += report.stats.events
            stats.crashes += report.stats.crashes
            stats.compactions += report.stats.compactions
            stats.snapshotsSent += report.stats.snapshotsSent
            stats.snapshotsInstalled += report.stats.snapshotsInstalled
            stats.inconclusiveHistories += report.stats.inconclusiveHistories
            stats.clockSteps += report.stats.clockSteps
            stats.leasedReads += report.stats.leasedReads
            stats.roundReads += report.stats.roundReads
            stats.keyOperationAnswers.merge(report.stats.keyOperationAnswers, uniquingKeysWith: +)
            stats.corruptedMessages += report.stats.corruptedMessages
            stats.refusals += report.stats.refusals
            stats.snapshotsRefused += report.stats.snapshotsRefused
            stats.faults += report.stats.faults
            stats.membership.add(report.stats.membership)
            if report.stats.membership.requested + report.stats.membership.diskLosses > 0 { membershipRuns += 1 }
            if report.stats.membership.applied > 0 { runsWithChanges += 1 }
            for (pattern, count) in report.stats.partitionsByPattern { stats.partitionsByPattern[pattern, default: 0] += count }
            stats.add(groups: report.stats.groups)
            if !report.passed {
                failures += 1
                print(report)
            } else if verbose || range.count == 1 {
                print(report)
            }
            if range.count > 1 && (index + 1) % progressEvery == 0 {
                print("… \(index + 1)/\(range.count) seeds, \(failures) failed")
            }
        }
        print("\(range.count) seeds: \(range.count - failures) passed, \(failures) failed; "
              + "\(stats.operations) client operations (\(stats.completed) completed\(stats.expiredWrites > 0 ? ", \(stats.expiredWrites) writes refused as expired" : "")), \(stats.chosenSlots) slots chosen, "
              + "\(stats.crashes) crashes, \(stats.compactions) compactions, "
              + "\(stats.snapshotsSent) snapshots sent and \(stats.snapshotsInstalled) installed, \(stats.events) events, "
              + "\(stats.inconclusiveHistories) histories too large to check fully"
              + (corruptMessages ? "; \(stats.corruptedMessages) corrupted deliveries, \(stats.refusals) peer messages refused "
                  + "(\(stats.snapshotsRefused) snapshots)" : ""))
        if stats.clockSteps > 0 { print("clocks: \(stats.clockSteps) clock steps") }
        if stats.leasedReads > 0 {
            print("leases: \(stats.leasedReads) linearizable reads on a lease, \(stats.roundReads) with a round of their own")
        }
        if !stats.keyOperationAnswers.isEmpty {
            print("key operations answered: "
                  + stats.keyOperationAnswers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        if membershipRuns > 0 {
            let m = stats.membership
            let perRun = { (count: Int) -> String in
                let hundredths = count * 100 / membershipRuns
                return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
            }
            print("membership (\(membershipRuns) runs with reconfiguration or disk loss): \(m.requested) changes asked, "
                  + "\(m.proposed) proposed, \(m.refused) refused, \(m.chosen) chosen, \(m.applied) applied (\(perRun(m.applied)) per run; "
                  + "\(runsWithChanges) runs with at least one), \(m.diskLosses) disk losses (\(perRun(m.diskLosses)) per run), "
                  + "\(m.handOvers) hand-overs by a removed leader (\(m.handOversTaken) to the successor that led next)")
        }
        if partitionPatterns {
            let heals = range.count * max(stats.groups.count, 1)
            let elections = stats.groups.reduce(0) { $0 + $1.electionsAfterHeal }
            let changes = stats.groups.reduce(0) { $0 + $1.leaderChangesAfterHeal }
            let settle = stats.groups.map(\.ticksToSettle).max() ?? 0
            print("partitions: \(stats.faults) faults; by pattern: "
                  + stats.partitionsByPattern.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            print("after the final heal (\(heals) group-heals): \(elections) elections, \(changes) leader changes, "
                  + "slowest settle \(settle) ticks")
        }
        for (index, group) in stats.groups.enumerated() where stats.groups.count > 1 {
            print("  group \(index): \(group.chosenSlots) slots chosen, \(group.elections) leaders elected "
                  + "(\(group.preferredElections) preferred), \(group.replicaCrashes) crashes of this group alone")
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

extension SimulationStats {
    /// Adds one run's per-group counters to these totals, group by group.
    mutating func add(groups runGroups: [SimulationGroupStats]) {
        if groups.count < runGroups.count { groups += Array(repeating: SimulationGroupStats(), count: runGroups.count - groups.count) }
        for (index, group) in runGroups.enumerated() {
            groups[index].chosenSlots += group.chosenSlots
            groups[index].elections += group.elections
            groups[index].preferredElections += group.preferredElections
            groups[index].replicaCrashes += group.replicaCrashes
            groups[index].electionsAfterHeal += group.electionsAfterHeal
            groups[index].leaderChangesAfterHeal += group.leaderChangesAfterHeal
            groups[index].ticksToSettle = max(groups[index].ticksToSettle, group.ticksToSettle)
        }
    }
}

extension SimulationMembershipStats {
    mutating func add(_ run: SimulationMembershipStats) {
        requested += run.requested
        proposed += run.proposed
        refused += run.refused
        applied += run.applied
        chosen += run.chosen
        diskLosses += run.diskLosses
        handOvers += run.handOvers
        handOversTaken += run.handOversTaken
    }
}
