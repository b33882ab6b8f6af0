// Method: a 5-node cluster tolerates two crashed nodes, since three is still a majority
// ("Paxos Made Simple" §2.1, any two majorities intersect). Kill the leader and a follower, write
// and read through the three survivors; then kill a third node and check that the two left
// refuse writes with a retryable error in bounded time instead of answering wrongly or hanging;
// then restart all three and check every acknowledged value and new writes.

import PaxosClient
import PaxosCore
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: majority")
    struct MajorityTests {
        static let writes = 200

        @Test("process: two nodes down of five, writes continue")
        func twoOfFiveDown() throws {
            // A short request timeout so the minority's refusal comes quickly.
            try LocalCluster.run(size: 5, name: "majority", arguments: ["--request-timeout-ms", "1500"]) { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader } ?? 1
                cluster.kill(leader)
                cluster.kill(follower)
                let survivors = cluster.liveIDs
                let newLeader = try cluster.waitForLeader()
                print("majority: killed leader \(leader) and follower \(follower); node \(newLeader) leads \(survivors)")

                let writer = try cluster.client(over: survivors)
                for index in 0..<Self.writes { try writer.put("majority-\(index)", "value-\(index)") }
                for id in survivors {
                    let reader = try cluster.client(only: id)
                    for index in stride(from: 0, to: Self.writes, by: 7) {
                        try #require(try reader.get("majority-\(index)") == "value-\(index)", "majority-\(index) through node \(id)")
                    }
                }

                // Two of five: no majority. A write must fail, retryably, within a few seconds.
                let third = survivors.first { $0 != newLeader } ?? newLeader
                cluster.kill(third)
                let minority = cluster.liveIDs
                var once = PaxosClient.Configuration.probe
                once.replyTimeout = .seconds(5)
                for id in minority {
                    let started = ContinuousClock.now
                    let client = try cluster.client(only: id, configuration: once)
                    do throws(PaxosClientError) {
                        try client.put("minority-\(id)", "maybe")
                        Issue.record("node \(id) acknowledged a write with only \(minority) up")
                    } catch {
                        print("majority: with only \(minority) up, SET through node \(id) failed after \((ContinuousClock.now - started).roundedMilliseconds): \(error)")
                        #expect(error.isRetryable, "a minority's refusal should be retryable: \(error)")
                        #expect([ServerErrorCode.noLeader, .timeout].contains { $0 == error.serverErrorCode }, "\(error)")
                    }
                }

                for id in [leader, follower, third] { try cluster.restart(id) }
                try cluster.waitForLeader()
                try cluster.waitForAllCaughtUp()
                let reader = try cluster.client()
                for index in 0..<Self.writes {
                    try #require(try reader.get("majority-\(index)") == "value-\(index)", "majority-\(index) after the restarts")
                }
                for id in minority {
                    let value = try reader.get("minority-\(id)")
                    #expect(value == nil || value == "maybe", "minority-\(id) = \(value ?? "absent")")
                }
                try reader.put("majority-after", "back")
                for id in cluster.ids {
                    try #require(try cluster.client(only: id).get("majority-after") == "back")
                }
            }
        }
    }
}
