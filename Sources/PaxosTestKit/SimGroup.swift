public import PaxosCore

/// One consensus group as the simulator runs it, apart from its replicas (which live in
/// `Simulation.replicas`): the network weather its messages suffer now, and its own checker
/// memory and counters. Groups share the nodes, the clock, the event queue, the clients and the
/// node-level faults (crashes, partitions); each has its own ballots, leader, log and disks.
struct SimGroup {
    let index: Int
    /// Loss and duplication now (both zero once healed) and the delay bound.
    var weather: SimWeather
    /// The replica that should lead, from `GroupMap` (not from the replicas' configurations, so
    /// the leader-spread check does not trust what it checks); nil with one group.
    let preferredLeader: ReplicaID?
    /// Every command known chosen in this group, by slot: the agreement checker's memory.
    var chosen: [Slot: Command] = [:]
    var stats = SimulationGroupStats()
    /// Messages this group carried lately, for replays, while its messages are corrupted.
    /// - Invariant: at most `recentMessagesMax`.
    var recentMessages: [(from: ReplicaID, to: ReplicaID, message: Message)] = []
    static let recentMessagesMax = 256
    /// Who leads after the heal, for the leadership checker (`Simulation+Leadership.swift`).
    var leadership = LeadershipWatch()
    /// The exactly-once checker's replay of `chosen` (`Simulation+ExactlyOnce.swift`).
    var replay: ExactlyOnceReplay?

    /// The highest slot known chosen, or zero.
    var highestChosen: Slot { chosen.keys.max() ?? .zero }
}

/// What one group's peer messages suffer during the chaos phase, on top of the node-level
/// partitions that cut every group's traffic alike.
public struct SimWeather: Hashable, Sendable, CustomStringConvertible {
    public var dropRate: Double
    public var duplicateRate: Double
    public var maxDelayUnits: UInt64

    public var description: String { "drop=\(dropRate) dup=\(duplicateRate) delay≤\(maxDelayUnits)" }
}

/// Counters for one group of one run.
public struct SimulationGroupStats: Hashable, Sendable, CustomStringConvertible {
    public var chosenSlots = 0
    /// Times a replica of the group became leader, and how many of those were its preferred one.
    public var elections = 0
    public var preferredElections = 0
    /// Crashes of this group's replica alone (a dead storage thread); node crashes are not counted.
    public var replicaCrashes = 0
    /// With `partitionPatterns`: replicas that became leader after the final heal, leader
    /// changes after it (a different replica leading than the last one), and ticks from the heal
    /// until one leader was followed by a majority.
    public var electionsAfterHeal = 0
    public var leaderChangesAfterHeal = 0
    public var ticksToSettle: UInt64 = 0
    /// The replica leading the group when the run ended (the lowest id, if several believe so).
    public var leaderAtEnd: ReplicaID?

    public init() {}

    public var description: String {
        "slots=\(chosenSlots) elections=\(elections) (preferred \(preferredElections)) crashes=\(replicaCrashes) "
            + "leader=\(leaderAtEnd.map { "\($0)" } ?? "none")"
            + (electionsAfterHeal + leaderChangesAfterHeal > 0 || ticksToSettle > 0
                ? " after-heal: elections=\(electionsAfterHeal) changes=\(leaderChangesAfterHeal) settle=\(ticksToSettle)t" : "")
    }
}
