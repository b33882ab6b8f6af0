// Method: a 3-node cluster with leader leases (`--lease-ms 300`). A writer puts key after key
// through one follower; after each acknowledgement the key is read through every node (a
// follower forwards to the leader, which answers on its lease) and must be there: a read that
// starts after a write was acknowledged sees it (linearizability's real-time order, the
// property a lease could break). A key per write, so a write whose outcome the kill left
// unknown, applied late, cannot be mistaken for a stale read. Midway the leader is SIGKILLed: the new leader must
// serve reads only once its own lease (or round) allows, and the killed node restarts, refuses
// promises for a lease, and rejoins. The leader's `paxos_reads_leased_total` shows the reads
// really were served on the lease. A bad `--lease-ms` is refused with the range.

import Foundation
import PaxosClient
import PaxosCore
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: leader leases")
    struct LeaseTests {
        static let writes = 300

        /// `paxos_reads_leased_total` of node `id` (0 if absent).
        static func leasedReads(_ cluster: LocalCluster, _ id: Int) throws -> Int {
            let metrics = try MetricsPromtoolTests.get(cluster, id, "/metrics").body
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("paxos_reads_leased_total ") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
        }

        @Test("process: with leases, reads after an acknowledged write see it, through a leader kill")
        func readsSeeAcknowledgedWrites() throws {
            try LocalCluster.run(size: 3, name: "leases", arguments: ["--lease-ms", "300"]) { cluster in
                var configuration = PaxosClient.Configuration.patient
                configuration.retryDeadline = .seconds(10)
                let first = try cluster.waitForLeader()
                let followers = cluster.ids.filter { $0 != first }
                let writer = try cluster.client(only: followers[0], configuration: configuration)
                let readers = try cluster.ids.map { try cluster.client(only: $0, configuration: configuration) }
                let leasedBefore = try Self.leasedReads(cluster, first)
                var killed: Int?
                var stale: [String] = []
                var acknowledged = 0
                var lastAcknowledged = 0
                for value in 1...Self.writes {
                    if value == Self.writes / 2 {
                        let leader = try cluster.waitForLeader()
                        let leased = try Self.leasedReads(cluster, leader) - leasedBefore
                        print("leases: node \(leader) served \(leased) of \(3 * (value - 1)) reads on its lease; killing it")
                        #expect(leased > 100, "the leader served few reads on its lease")
                        _ = cluster.kill(leader)
                        killed = leader
                    }
                    do {
                        try writer.put("lease-\(value)", "v\(value)")
                        acknowledged += 1
                        lastAcknowledged = value
                    } catch {
                        // The kill left its outcome unknown; the test judges acknowledged writes only.
                        continue
                    }
                    for (index, reader) in readers.enumerated() where cluster.isRunning(cluster.ids[index]) {
                        let read = try reader.get("lease-\(value)")
                        if read != "v\(value)" {
                            stale.append("node \(cluster.ids[index]) read \(read ?? "nil") for lease-\(value) after its write was acknowledged")
                        }
                    }
                }
                #expect(stale.isEmpty, "\(stale.prefix(5))")
                #expect(acknowledged > Self.writes - 20, "only \(acknowledged) writes acknowledged")
                let leader = try cluster.waitForLeader()
                #expect(leader != killed)
                // The killed node rejoins (after refusing promises for a lease) and catches up.
                if let killed {
                    try cluster.restart(killed)
                    try cluster.waitForCatchUp(killed)
                    let rejoined = try cluster.client(only: killed, configuration: configuration)
                    #expect(try rejoined.get("lease-\(lastAcknowledged)") == "v\(lastAcknowledged)")
                }
                let leasedByNew = try Self.leasedReads(cluster, leader)
                print("leases: \(acknowledged) writes acknowledged, each read through every live node; new leader \(leader) served \(leasedByNew) reads on its lease")
                #expect(leasedByNew > 0, "the new leader served no read on its lease")
            }
        }

        /// A peer holding the cluster secret (speaking as a follower) forges lease traffic: to the
        /// other follower, hand-overs and heartbeats carrying the leader's ballot (to void the
        /// grant or take it); to the leader, acknowledgements of every kind of round number, with
        /// an incarnation no membership lists (to confirm rounds that grant no lease). All must
        /// be refused or count for nothing: the leader keeps leading and serving leased reads,
        /// every acknowledged key is read back on every node, memory stays flat and the
        /// databases agree.
        @Test("process: forged hand-overs, heartbeats and acknowledgements leave the lease, the leader and every key alone")
        func forgedLeaseTraffic() throws {
            try LocalCluster.run(size: 3, name: "leases-forged", arguments: ["--lease-ms", "300"]) { cluster in
                let leader = try cluster.waitForLeader()
                let followers = cluster.ids.filter { $0 != leader }
                let (target, impostor) = (followers[0], followers[1])
                try PeerAttackTests.requireServing(cluster, keys: (1...20).map { "before-\($0)" })
                let text = try cluster.nodeInfo(leader).groups[0].ballot
                let parts = text.split(separator: ".")
                guard parts.count == 2, let round = UInt64(parts[0]), let owner = UInt32(parts[1]), owner == UInt32(leader) else {
                    throw HarnessError("leader \(leader) reports ballot \(text)")
                }
                let ballot = Ballot(round: round, replica: ReplicaID(owner))
                let leasedBefore = try Self.leasedReads(cluster, leader)
                let rssBefore = try cluster.residentKiB(leader)

                let toFollower = try FakePeer(cluster: cluster, target: target, as: impostor)
                defer { toFollower.close() }
                for _ in 0..<1_000 {
                    try toFollower.send(.message(group: 0, .handOver(ballot: ballot, successor: ReplicaID(UInt32(impostor)))))
                    try toFollower.send(.message(group: 0, .heartbeat(ballot: Ballot(round: round + 5, replica: ReplicaID(owner)),
                                                                      chosenThrough: .zero, readRound: 1)))
                }
                let toLeader = try FakePeer(cluster: cluster, target: leader, as: impostor)
                defer { toLeader.close() }
                let rounds: [UInt64] = [0, 1, 2, UInt64.max, UInt64.max - 1, 1 << 40] + (0..<10_000).map { _ in UInt64.random(in: 0...UInt64.max) }
                for readRound in rounds {
                    try toLeader.send(.message(group: 0, .heartbeatAck(ballot: ballot, readRound: readRound, incarnation: Incarnation(rawValue: 0xBAD))))
                }
                pause(.milliseconds(500))

                for id in cluster.ids { try #require(cluster.isRunning(id), "node \(id) died:\n\(cluster.logTail(id))") }
                try AuthenticatedPeerAttackTests.requireRefused(cluster, target, "ballot_not_owned_by_sender")
                #expect(try cluster.waitForLeader() == leader, "forged lease traffic moved the lead")
                try PeerAttackTests.requireServing(cluster, keys: (1...20).map { "after-\($0)" })
                for id in cluster.ids {
                    let client = try cluster.client(only: id)
                    for key in (1...20).map({ "before-\($0)" }) { #expect(try client.get(key) == "value-\(key)", "node \(id): \(key)") }
                }
                let leasedAfter = try Self.leasedReads(cluster, leader)
                let rssAfter = try cluster.residentKiB(leader)
                print("leases, forged traffic: 2,000 frames to node \(target), \(rounds.count) acknowledgements to leader \(leader); leased reads \(leasedBefore) → \(leasedAfter); leader VmRSS \(rssBefore) → \(rssAfter) KiB")
                #expect(leasedAfter > leasedBefore, "the leader stopped serving reads on its lease")
                #expect(rssAfter - rssBefore < 50 * 1_024, "VmRSS grew from \(rssBefore) KiB to \(rssAfter) KiB")
                try cluster.expectConsistentDatabases()
            }
        }

        @Test("process: paxosd refuses a lease outside (heartbeat, election timeout] with the range")
        func refusesBadLease() throws {
            // 55 ms is 5 whole ticks: no more than the heartbeat interval, whatever the 5 ms.
            for (lease, tick) in [("20", "10"), ("55", "10"), ("310", "10"), ("-1", "10"), ("150", "30")] {
                let exit = try Paxosd.runToExit(["--config", "/nonexistent/cluster.json", "--id", "1", "--lease-ms=\(lease)", "--tick-ms", tick])
                #expect(exit.status != 0 && !exit.signalled)
                #expect(exit.standardError.contains("--lease-ms must be 0 (off) or more than 5 ticks and at most 30 ticks"),
                        "--lease-ms \(lease) --tick-ms \(tick): \(exit.standardError)")
            }
        }
    }
}
