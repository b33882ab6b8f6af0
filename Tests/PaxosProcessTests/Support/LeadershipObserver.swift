import Foundation
import PaxosClient

/// Watches a partitioned cluster through INFO, asking every node in turn about every 40 ms:
/// who leads, and whether the nodes are in sync after a heal.
///
/// **Leader.** In each round the leader is the node that says `role:leader` with the highest
/// ballot (a leader cut off with the minority may still say it leads for a moment, with the
/// older ballot). A *leader change* is that node differing from the last one seen; a round in
/// which nobody says it leads changes nothing. So a leader re-running phase 1 itself is no
/// change, as in the simulator's leadership checker (`Simulation+Leadership.swift`). Sampling
/// can miss a leadership shorter than a round; elections (the `paxos_elections_total` counter on
/// every node, read by the runner) catch those.
///
/// **Heal window.** Between `beginHeal(at:)` and `endHeal()` changes count against the heal,
/// and the window records how long after the heal every node had applied through the highest
/// `chosen_frontier` any node reported in the first full round after the heal and named one
/// leader: the check `LocalCluster.timeToSync(after:)` makes, here sampled in the same rounds.
///
/// The observer runs on the test's thread only: `LocalCluster` is not thread-safe.
final class LeadershipObserver {
    struct HealWindow {
        let healedAt: ContinuousClock.Instant
        /// The leader last seen before the heal.
        let leaderAtHeal: Int?
        /// Every node seen leading in the window, in order (starting with a change, if any).
        var leadersSeen: [Int] = []
        /// When each of `leadersSeen` was first seen leading, after the heal.
        var leadersSeenAfter: [Duration] = []
        var leaderChanges = 0
        /// The slot every node must have applied: the highest chosen frontier at the heal.
        var frontier: UInt64?
        /// Time from the heal to the first round with every node in sync; nil while not yet.
        var syncedAfter: Duration?
        /// What the last round saw, for a report when sync takes too long.
        var lastView = ""
        /// When every node first reported every peer link connected: how long the links took
        /// to come back, as opposed to the learning that follows.
        var linksBackAfter: Duration?
        /// When each node first had applied through `frontier`.
        var caughtUpAfter: [Int: Duration] = [:]
        /// The slowest INFO answer in the window and whose: a node whose event loop stalls
        /// (and so sends no heartbeats) answers late too.
        var slowestInfo: (node: Int, took: Duration)?
    }

    static let roundInterval = Duration.milliseconds(40)

    private let cluster: LocalCluster
    private(set) var leader: Int?
    /// Leader changes seen outside heal windows (during partitions, where they are expected).
    private(set) var changesDuringPartitions = 0
    private(set) var rounds = 0
    private(set) var window: HealWindow?

    init(cluster: LocalCluster) {
        self.cluster = cluster
    }

    /// Samples until `deadline` (at least one round).
    func observe(until deadline: ContinuousClock.Instant) {
        repeat {
            sample()
            pause(min(Self.roundInterval, max(.zero, deadline - .now)))
        } while ContinuousClock.now < deadline
    }

    /// Opens a heal window at `healedAt`.
    func beginHeal(at healedAt: ContinuousClock.Instant) {
        precondition(window == nil, "heal window opened twice")
        window = HealWindow(healedAt: healedAt, leaderAtHeal: leader)
    }

    /// Samples until the open window is in sync or `limit` has passed since the heal: how long
    /// sync took is worth knowing even when it is over the bound.
    func observeUntilSynced(limit: Duration) {
        guard let healedAt = window?.healedAt else { preconditionFailure("no heal window open") }
        while window?.syncedAfter == nil && ContinuousClock.now - healedAt < limit {
            observe(until: .now + Self.roundInterval)
        }
    }

    /// Closes the heal window and returns it.
    func endHeal() -> HealWindow {
        guard let closed = window else { preconditionFailure("no heal window open") }
        window = nil
        return closed
    }

    /// One round: INFO from every node, in id order.
    private func sample() {
        rounds += 1
        var views: [Int: [String: String]] = [:]
        for id in cluster.ids {
            let asked = ContinuousClock.now
            // A node that does not answer within the probe's timeout is left out of this round.
            if let fields = try? cluster.info(id) { views[id] = fields }
            let took = ContinuousClock.now - asked
            if window != nil, took > window!.slowestInfo?.took ?? .zero { window!.slowestInfo = (id, took) }
        }
        noteLeader(views)
        if window != nil { noteSync(views) }
    }

    private func noteLeader(_ views: [Int: [String: String]]) {
        let claimants = views.filter { $0.value["role"] == "leader" }
        guard let current = claimants.max(by: { Self.ballot($0.value).lexicographicallyPrecedes(Self.ballot($1.value)) })?.key,
              current != leader else { return }
        if leader != nil {
            if window != nil { window!.leaderChanges += 1 } else { changesDuringPartitions += 1 }
        }
        leader = current
        if let healedAt = window?.healedAt {
            window!.leadersSeen.append(current)
            window!.leadersSeenAfter.append(ContinuousClock.now - healedAt)
        }
    }

    private func noteSync(_ views: [Int: [String: String]]) {
        guard window!.syncedAfter == nil, views.count == cluster.ids.count else { return }
        let chosen = views.values.map { UInt64($0["chosen_frontier"] ?? "") ?? 0 }
        let frontier = window!.frontier ?? chosen.max()!
        window!.frontier = frontier
        let applied = cluster.ids.map { UInt64(views[$0]!["applied_slot"] ?? "") ?? 0 }
        let elapsed = ContinuousClock.now - window!.healedAt
        for (id, slot) in zip(cluster.ids, applied) where slot >= frontier && window!.caughtUpAfter[id] == nil {
            window!.caughtUpAfter[id] = elapsed
        }
        let linksBack = views.values.allSatisfy { fields in
            fields.allSatisfy { !$0.key.hasPrefix("peer_") || $0.value == "connected" }
        }
        if linksBack && window!.linksBackAfter == nil { window!.linksBackAfter = elapsed }
        let named = Set(views.values.map { $0["leader_id"] ?? "unknown" })
        window!.lastView = "applied \(applied) of \(frontier), leaders named \(named.sorted())"
        if applied.allSatisfy({ $0 >= frontier }) && named.count == 1 && !named.contains("unknown") {
            window!.syncedAfter = elapsed
        }
    }

    /// INFO's `ballot` ("round.replica") as [round, replica], to compare lexicographically;
    /// [0, 0] if unreadable.
    static func ballot(_ fields: [String: String]) -> [UInt64] {
        let parts = (fields["ballot"] ?? "").split(separator: ".").compactMap { UInt64($0) }
        return parts.count == 2 ? parts : [0, 0]
    }
}
