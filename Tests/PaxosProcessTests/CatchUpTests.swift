// Method: SIGKILL one follower of three, commit a few thousand writes (and some overwrites and
// deletes) through the other two from several client threads, restart it, and check that it
// learns everything it missed ("Paxos Made Simple" §2.3, learning chosen values; here by
// catch-up requests to its peers). The restarted node's *own* state is checked two ways: its
// INFO `chosen_frontier`/`applied_slot` reach the leader's, and stale (READONLY) reads served
// from its applied state return every acknowledged value. Linearizable reads through it, which
// the leader serves, must agree too.

import PaxosClient
import Synchronization
import Testing

extension ProcessTests {
    @Suite("process: catch-up")
    struct CatchUpTests {
        static let writesWhileDown = 2_000
        static let writerThreads = 8

        @Test("process: a restarted node catches up and serves the same values")
        func restartedNodeCatchesUp() throws {
            try LocalCluster.run(size: 3, name: "catch-up") { cluster in
                let leader = try cluster.waitForLeader()
                let stopped = cluster.ids.first { $0 != leader } ?? 1
                let others = cluster.ids.filter { $0 != stopped }

                // Some state the node has before it stops, so that overwrites and deletes of it
                // are among what it must learn.
                var expected: [String: String?] = [:]
                let early = try cluster.client()
                for index in 0..<100 {
                    try early.put("early-\(index)", "before-\(index)")
                    expected["early-\(index)"] = "before-\(index)"
                }
                try cluster.waitForAllCaughtUp()

                cluster.kill(stopped)
                let started = ContinuousClock.now
                let written = try cluster.writeDistinctKeys(Self.writesWhileDown, threads: Self.writerThreads, through: others)
                for (key, value) in written { expected[key] = value }
                let changer = try cluster.client(over: others)
                for index in 0..<100 where index % 2 == 0 {
                    if index % 4 == 0 {
                        try changer.put("early-\(index)", "after-\(index)")
                        expected["early-\(index)"] = "after-\(index)"
                    } else {
                        // The key exists, so DEL must say so, unless an earlier attempt of a
                        // retried DEL deleted it (the client reports the last attempt's answer).
                        let existed = try changer.delete("early-\(index)")
                        try #require(existed || changer.lastAttempts > 1, "DEL early-\(index) found nothing in one attempt")
                        expected["early-\(index)"] = .some(nil)
                    }
                }
                print("catch-up: \(written.count + 50) writes acknowledged with node \(stopped) down in \((ContinuousClock.now - started).roundedMilliseconds)")

                let restarted = ContinuousClock.now
                try cluster.restart(stopped)
                try cluster.waitForCatchUp(stopped, timeout: .seconds(30))
                print("catch-up: node \(stopped) restarted and caught up (applied_slot \(try cluster.infoNumber(stopped, "applied_slot"))) in \((ContinuousClock.now - restarted).roundedMilliseconds)")

                try checkReads(cluster, node: stopped, expected: expected, stale: true)
                try checkReads(cluster, node: stopped, expected: expected, stale: false)
                // The other nodes' own applied states agree as well.
                for id in others { try checkReads(cluster, node: id, expected: expected, stale: true) }
            }
        }

        /// Reads every expected key through `node`: READONLY reads from its own applied state
        /// (`stale`), or linearizable reads that it forwards to the leader.
        private func checkReads(_ cluster: LocalCluster, node: Int, expected: [String: String?], stale: Bool) throws {
            var patient = PaxosClient.Configuration.patient
            patient.staleReads = stale
            let configuration = patient
            let keys = expected.keys.sorted()
            let endpoint = cluster.endpoint(node)
            let mismatches = ThreadGroup(4, name: "catch-up-reader") { thread -> [String] in
                do throws(PaxosClientError) {
                    let client = try PaxosClient(endpoints: [endpoint], configuration: configuration)
                    var wrong: [String] = []
                    for key in keys.enumerated().filter({ $0.offset % 4 == thread }).map(\.element) {
                        let value = try client.get(key)
                        let want = expected[key] ?? nil
                        if value != want { wrong.append("\(key): read \(value ?? "absent"), want \(want ?? "absent")") }
                    }
                    return wrong
                } catch {
                    return ["read failed: \(error)"]
                }
            }.join().flatMap { $0 }
            try #require(
                mismatches.isEmpty,
                "\(stale ? "stale" : "linearizable") reads through node \(node): \(mismatches.count) wrong, first: \(mismatches.prefix(5))")
        }
    }
}
