import PaxosTestKit

/// What one heal of a partition schedule measured: the window from the heal to the next
/// partition (or the end of the run).
struct HealMeasurement: Sendable {
    var episode: Int
    var kind: PartitionKind
    var shape: String
    var leaderAtHeal: Int?
    /// Nodes seen leading after the heal, in order (empty: the leader at the heal kept leading).
    var leadersSeen: [Int]
    var leadersSeenAfter: [Duration]
    var leaderChanges: Int
    /// Elections started in the window on all nodes (the `paxos_elections_total` counters); nil when a
    /// node's /metrics could not be read.
    var elections: Int?
    /// nil: not in sync within the harness's 30 s limit.
    var syncedAfter: Duration?
    /// The last INFO round before sync (or the limit): applied slots and leaders named.
    var lastView: String
    /// When every peer link was back, and the node that caught up last and when.
    var linksBackAfter: Duration?
    var lastCaughtUp: (node: Int, after: Duration)?
    var slowestInfo: (node: Int, took: Duration)?

    var summary: String {
        let sync = syncedAfter.map { "in sync after \($0.roundedMilliseconds)" } ?? "NOT in sync after 30 s (\(lastView))"
        let leaders = leadersSeen.isEmpty ? "leader \(leaderAtHeal.map { "\($0)" } ?? "none") kept" :
            "leaders \(leaderAtHeal.map { "\($0)" } ?? "none") → "
            + zip(leadersSeen, leadersSeenAfter).map { "\($0) (at \($1.roundedMilliseconds))" }.joined(separator: " → ")
        let links = linksBackAfter.map { "links back \($0.roundedMilliseconds)" } ?? "some link still down at sync"
        let last = lastCaughtUp.map { "node \($0.node) caught up last at \($0.after.roundedMilliseconds)" } ?? "nobody caught up"
        let slowest = slowestInfo.map { "; slowest INFO node \($0.node) \($0.took.roundedMilliseconds)" } ?? ""
        return "\(sync) (\(links), \(last)\(slowest)); \(leaders), \(leaderChanges) leader change(s), \(elections.map { "\($0)" } ?? "?") election(s)"
    }
}

/// Everything a partition schedule run counted, for the test output and the assertions.
struct PartitionScheduleReport {
    var schedule: PartitionSchedule
    var elapsed: Duration = .zero
    var partitions: [PartitionKind: Int] = [:]
    var flapToggles = 0
    var heals: [HealMeasurement] = []
    var changesDuringPartitions = 0
    /// nil when some /metrics read failed.
    var electionsDuringPartitions: Int? = 0
    var operations = 0
    var answered = 0
    var unknown = 0
    var neverSent = 0
    var distinctWrites = 0
    var verdict: LinearizabilityResult?
    var checkDuration: Duration = .zero

    var maxSync: Duration? {
        heals.contains { $0.syncedAfter == nil } ? nil : heals.compactMap(\.syncedAfter).max()
    }

    var description: String {
        let kinds = partitions.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        let changes = heals.map(\.leaderChanges)
        let elections = heals.map(\.elections)
        let electionTotal = elections.contains(nil) ? "?" : "\(elections.compactMap { $0 }.reduce(0, +))"
        let syncs = heals.compactMap(\.syncedAfter).sorted()
        let median = syncs.isEmpty ? "-" : syncs[syncs.count / 2].roundedMilliseconds
        return """
            partition schedule report: PAXOS_PARTITION_SEED=\(schedule.seed), \(schedule.nodeCount) nodes, \
            \(Int(elapsed.milliseconds / 1_000)) s
              partitions: \(partitions.values.reduce(0, +)) (\(kinds); \(flapToggles) flap toggles); heals: \(heals.count)
              leader changes after heals: total \(changes.reduce(0, +)), max \(changes.max() ?? 0) per heal; \
            during partitions: \(changesDuringPartitions)
              elections after heals: total \(electionTotal), max \(elections.compactMap { $0 }.max() ?? 0) per heal; \
            during partitions: \(electionsDuringPartitions.map { "\($0)" } ?? "?")
              time to sync after a heal: max \(maxSync?.roundedMilliseconds ?? "NOT IN SYNC (see above)"), median \(median)
              client operations: \(operations) (\(answered) answered, \(unknown) unknown, \(neverSent) never sent); \
            distinct-key writes acknowledged: \(distinctWrites)
              linearizability: \(verdict.map { $0.isLinearizable ? "linearizable" : "\($0)" } ?? "not checked") \
            (checked in \(checkDuration.roundedMilliseconds))
            """
    }
}
