// Method: in a 5-node cluster, SIGKILL the leader again and again and time how long writes stop.
// A write through a surviving follower starts right after the kill; paxosd holds it until a new
// leader is elected and the follower re-forwards it, so the time to its acknowledgement is the
// write outage a client sees. Each round restarts the killed node and waits for it to catch up,
// so every kill hits a full cluster. Times are printed (median/min/max), not asserted: the only
// bound is a generous 10 s per failover. Covers Multi-Paxos leader change ("Paxos Made Simple"
// §3) and ARCHITECTURE.md's election timeouts (300-600 ms of silence at 10 ms ticks).

import PaxosClient
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: failover")
    struct FailoverTests {
        static let kills = 10

        @Test("process: kill -9 of the leader elects a new leader and writes resume")
        func leaderKillFailover() throws {
            try LocalCluster.run(size: 5, name: "failover") { cluster in
                var failovers: [Duration] = []
                var elections: [Duration] = []
                var configuration = PaxosClient.Configuration.patient
                configuration.retryDeadline = .seconds(10)
                configuration.retryBackoff = .milliseconds(5)
                configuration.retryBackoffMax = .milliseconds(20)
                for round in 1...Self.kills {
                    let leader = try cluster.waitForLeader()
                    let survivor = cluster.ids.filter { $0 != leader }[round % (cluster.size - 1)]
                    let client = try cluster.client(only: survivor, configuration: configuration)
                    try client.put("failover-warmup", "\(round)")

                    let observer = cluster.ids.first { $0 != leader && $0 != survivor } ?? survivor
                    let killedAt = cluster.kill(leader)
                    let election = Self.watchForNewLeader(at: cluster.endpoint(observer), replacing: leader, since: killedAt)
                    try client.put("failover-\(round)", "value-\(round)")
                    let outage = ContinuousClock.now - killedAt
                    failovers.append(outage)
                    let elected = try election.join()[0].get()
                    elections.append(elected)

                    let newLeader = try cluster.waitForLeader()
                    try #require(newLeader != leader)
                    print("failover \(round): killed leader \(leader); node \(observer) named new leader \(newLeader) after \(elected.roundedMilliseconds); first write through node \(survivor) acknowledged after \(outage.roundedMilliseconds) (\(client.lastAttempts) attempt(s))")
                    try cluster.restart(leader)
                    try cluster.waitForCatchUp(leader)
                }
                // Every acknowledged write survived every failover, read through every node.
                for id in cluster.ids {
                    let client = try cluster.client(only: id)
                    for round in 1...Self.kills {
                        try #require(try client.get("failover-\(round)") == "value-\(round)", "failover-\(round) through node \(id)")
                    }
                }
                print("failover over \(failovers.count) leader kills: first acknowledged write \(Self.summary(failovers)); new leader named \(Self.summary(elections))")
            }
        }

        /// Polls `endpoint`'s INFO every 5 ms on a thread of its own until it names a leader other
        /// than `old`; the result is the time since `since`.
        static func watchForNewLeader(
            at endpoint: Endpoint, replacing old: Int, since: ContinuousClock.Instant
        ) -> ThreadGroup<Result<Duration, HarnessError>> {
            ThreadGroup(1, name: "election-watch") { _ in
                do {
                    let client = try PaxosClient(endpoints: [endpoint], configuration: .probe)
                    try waitUntil("\(endpoint) names a leader other than \(old)", timeout: .seconds(10), interval: .milliseconds(5)) {
                        let named = try client.info().groups[0].leader
                        return named != nil && named != UInt32(old)
                    }
                    return .success(ContinuousClock.now - since)
                } catch {
                    return .failure(HarnessError("\(error)"))
                }
            }
        }

        /// "median 612 ms, min 402 ms, max 640 ms".
        static func summary(_ durations: [Duration]) -> String {
            let sorted = durations.sorted()
            guard !sorted.isEmpty else { return "no samples" }
            let middle = sorted.count / 2
            let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            return "median \(median.roundedMilliseconds), min \(sorted[0].roundedMilliseconds), max \(sorted[sorted.count - 1].roundedMilliseconds)"
        }
    }
}
