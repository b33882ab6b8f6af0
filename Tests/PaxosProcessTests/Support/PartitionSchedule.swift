import PaxosCore

/// The partition shapes a schedule draws from: the simulator's patterns
/// (`Simulation+Partitions.swift`), for real processes in namespaces.
enum PartitionKind: String, CaseIterable, Comparable, Sendable {
    /// The leader is cut off from every other node.
    case isolateLeader = "isolate-leader"
    /// A minority (with or without the leader) is cut off from the majority.
    case split
    /// One node sees everyone; the others form two sides that do not see each other.
    case bridge
    /// Nodes in a cyclic order, each seeing only its two neighbours (needs four nodes or more:
    /// with three, everyone is a neighbour).
    case ring
    /// One link cut and restored again and again, at sub-second to second intervals.
    case flapping

    static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A seeded, bounded plan of partitions for a real cluster: a list of episodes, each a partition
/// that holds for a while, then a heal of every link, then a settle period with everything
/// healed. The settle period is the window the runner measures: leader changes in it (at most
/// one allowed) and the time until every node is in sync (at most 2 s).
///
/// The plan comes from the seed alone, so `PAXOS_PARTITION_SEED` replays it. Which nodes an
/// episode cuts depends on which node leads when it starts (the point of "isolate the leader"
/// is the leader), so an episode stores the *roles* it picked (leader in the minority or not,
/// the leader as the bridge or on a side, …) and a seed for the rest; `shape(leader:ids:)` turns
/// them into links once the leader is known. Thread timing still varies between runs, so a seed
/// replays the schedule, not the interleaving.
///
/// Rounds: every kind once, in a seeded order, then again, until the planned time reaches the
/// budget; the first round is always whole, so even the shortest plan has every kind. With `longHolds`, one partition in six
/// holds for 15–30 s, past TCP's early retransmission back-offs (see "Link liveness" in
/// docs/ARCHITECTURE.md).
struct PartitionSchedule: Sendable, CustomStringConvertible {
    struct Episode: Sendable {
        var kind: PartitionKind
        /// How long the partition holds (flapping: how long the link flaps).
        var holdMilliseconds: Int
        /// How long everything then stays healed before the next episode: long enough for a
        /// leader elected at the heal to settle, so a second change would show.
        var settleMilliseconds: Int
        /// Seeds the roles and node choices of `shape(leader:ids:)`.
        var nodeSeed: UInt64

        var plannedMilliseconds: Int { holdMilliseconds + settleMilliseconds }
    }

    /// Hold bounds: long enough for an election on the majority side (timeouts 300–600 ms,
    /// backed off, plus a check-quorum period for a cut-off leader to step down).
    static let holdMilliseconds = 4_000...7_000
    static let longHoldMilliseconds = 15_000...30_000
    static let settleMilliseconds = 5_000...8_000

    let seed: UInt64
    let nodeCount: Int
    let episodes: [Episode]

    /// The kinds a cluster of `nodeCount` nodes can take.
    static func kinds(nodeCount: Int) -> [PartitionKind] {
        PartitionKind.allCases.filter { $0 != .ring || nodeCount >= 4 }
    }

    /// - Precondition: `nodeCount >= 3` (a bridge needs a node and two sides).
    init(seed: UInt64, nodeCount: Int, budget: Duration, longHolds: Bool = false) {
        precondition(nodeCount >= 3, "a partition schedule needs at least 3 nodes, got \(nodeCount)")
        self.seed = seed
        self.nodeCount = nodeCount
        var random = SeededGenerator(seed: seed)
        let budgetMilliseconds = Int(budget.components.seconds) * 1_000
        let kinds = Self.kinds(nodeCount: nodeCount)
        var episodes: [Episode] = []
        var planned = 0
        // Whole first round, then episodes until the budget is spent.
        while episodes.count < kinds.count || planned < budgetMilliseconds {
            for kind in kinds.shuffled(using: &random) where episodes.count < kinds.count || planned < budgetMilliseconds {
                let long = longHolds && Int.random(in: 0..<6, using: &random) == 0
                let episode = Episode(
                    kind: kind,
                    holdMilliseconds: Int.random(in: long ? Self.longHoldMilliseconds : Self.holdMilliseconds, using: &random),
                    settleMilliseconds: Int.random(in: Self.settleMilliseconds, using: &random),
                    nodeSeed: random.next())
                episodes.append(episode)
                planned += episode.plannedMilliseconds
            }
        }
        self.episodes = episodes
    }

    var plannedDuration: Duration { .milliseconds(episodes.reduce(0) { $0 + $1.plannedMilliseconds }) }

    var description: String {
        var lines = ["partition schedule: PAXOS_PARTITION_SEED=\(seed), \(nodeCount) nodes, \(episodes.count) episodes, "
                     + "\(plannedDuration.milliseconds / 1_000) s planned"]
        for (index, episode) in episodes.enumerated() {
            lines.append("  \(index + 1). \(episode.kind.rawValue): hold \(episode.holdMilliseconds) ms, "
                         + "then healed \(episode.settleMilliseconds) ms")
        }
        return lines.joined(separator: "\n")
    }
}
