import Foundation
import PaxosClient
import PaxosCore
import PaxosTestKit
import Testing

// Membership with real paxosd processes (docs/ARCHITECTURE.md, "Membership"): the replicated
// membership decides who votes, not the cluster file, and a database that lost its state does not
// vote. Each test reproduces an operator's mistake or task from the issue that added membership,
// and checks what matters to the operator: one leader, no acknowledged write lost, and
// paxos-inspect finding every database consistent (`diff` finds no slot chosen twice).

@Suite("process: membership", .serialized)
struct MembershipTests {
    @Test("a node restarted with a bigger cluster file does not start a second cluster; the new nodes are learners")
    func configEditIsRefused() throws {
        try LocalCluster.run(size: 5, name: "membership-config-edit", startingOnly: [1, 2, 3]) { cluster in
            let client = try cluster.client(over: [1, 2, 3])
            for index in 0..<20 { try client.put("before-\(index)", "v\(index)") }

            // The operator's edit: node 1 restarts with a five-node file, nodes 4 and 5 start.
            try cluster.writeConfiguration(listing: [1, 2, 3, 4, 5], bootstrap: [1, 2, 3, 4, 5])
            cluster.kill(1)
            try cluster.start(1)
            try cluster.start(4)
            try cluster.start(5)

            // Writes through every node while the leader is killed and restarted.
            var acknowledged: [String: String] = [:]
            let started = ContinuousClock.now
            var round = 0
            while ContinuousClock.now - started < .seconds(8) {
                round += 1
                for id in 1...5 {
                    // Nodes 4 and 5 know no leader (nobody sends to a non-member): they fail fast.
                    var quick = PaxosClient.Configuration.probe
                    if id > 3 { quick.replyTimeout = .milliseconds(300) }
                    let key = "edit-\(round)-\(id)"
                    guard let writer = try? cluster.client(only: id, configuration: quick) else { continue }
                    if (try? writer.put(key, "v\(round)")) != nil { acknowledged[key] = "v\(round)" }
                }
                if round % 6 == 0, let leader = try? cluster.waitForLeader(among: [1, 2, 3], timeout: .seconds(5)) {
                    cluster.kill(leader)
                    try cluster.start(leader)
                }
                for id in [4, 5] {
                    let info = try cluster.info(id)
                    #expect(try cluster.role(id) != .leader, "node \(id), never admitted, leads: \(info)")
                    #expect(info["voter"] == "no", "node \(id) votes without being admitted: \(info)")
                }
            }
            #expect(acknowledged.count > 10, "too few writes acknowledged to mean anything: \(acknowledged.count)")
            try cluster.waitForLeader(among: [1, 2, 3])
            for (key, value) in acknowledged {
                #expect(try client.get(key) == value, "acknowledged write \(key) reads back wrong")
            }
            for id in [4, 5] { #expect(try cluster.info(id)["cluster_uuid"] == cluster.info(1)["cluster_uuid"]) }
            try cluster.expectConsistentDatabases([1, 2, 3, 4, 5], restart: true)
        }
    }

    @Test("a node added with its address is dialled by members whose cluster file does not list it, also after they restart")
    func addByAddress() throws {
        // Nodes 1-3 know only each other; node 4's file lists the others and itself.
        try LocalCluster.run(size: 4, name: "membership-add-by-address", startingOnly: [1, 2, 3]) { cluster in
            let client = try cluster.client(over: [1, 2, 3])
            for index in 0..<50 { try client.put("before-\(index)", "v\(index)") }
            try cluster.writeConfiguration(listing: [1, 2, 3, 4], bootstrap: [1, 2, 3])
            try cluster.start(4)

            // Without an address, the members cannot know where node 4 is: refused, saying why.
            let blind = try Paxosctl.run(["member", "add", "4", "--config", cluster.configPath, "--timeout", "5"])
            #expect(blind.status != 0, "\(blind)")
            #expect(blind.standardError.contains("no address was given"), "\(blind)")

            let port = cluster.clientPort(4)
            let address = ["127.0.0.1", "\(port)", "\(port + 1)", "\(port + 2)"]
            let add = try Paxosctl.run(["member", "add", "4"] + address + ["--config", cluster.configPath], timeout: .seconds(90))
            #expect(add.status == 0, "\(add)")
            try waitUntil("node 4 votes", timeout: .seconds(30)) { try cluster.info(4)["voter"] == "yes" }
            let list = try Paxosctl.run(["member", "list", "--config", cluster.configPath])
            #expect(list.standardOutput.contains("4 at 127.0.0.1:\(port)/\(port + 1)/\(port + 2)"), "\(list)")

            // Nodes 1 and 2 restart with their old file (no node 4): the membership they
            // recorded tells them where node 4 is. Without node 3, writes need node 4's vote.
            try cluster.writeConfiguration(listing: [1, 2, 3], bootstrap: [1, 2, 3])
            for id in [1, 2] {
                cluster.kill(id)
                try cluster.start(id)
            }
            cluster.kill(3)
            try cluster.waitForLeader(among: [1, 2, 4], timeout: .seconds(20))
            let survivors = try cluster.client(over: [1, 2, 4])
            for index in 0..<20 { try survivors.put("after-\(index)", "v\(index)") }
            for index in 0..<50 { #expect(try survivors.get("before-\(index)") == "v\(index)") }
            try cluster.expectConsistentDatabases([1, 2, 4])
        }
    }

    @Test("a wiped disk does not vote: the acknowledged write survives, and `member replace` re-admits the node")
    func amnesiaKeepsTheAcknowledgedWrite() throws {
        try LocalCluster.run(size: 3, name: "membership-amnesia") { cluster in
            try cluster.waitForLeader()
            // A first write settles the leadership that genesis started.
            try cluster.client().put("settle", "1")
            let leader = try cluster.waitForLeader()
            let others = cluster.ids.filter { $0 != leader }
            let (wiped, crashed) = (others[0], others[1])
            cluster.kill(crashed)
            try cluster.client(only: leader).put("k", "acked-value")
            cluster.kill(leader)
            cluster.kill(wiped)
            try FileManager.default.removeItem(at: cluster.dataDirectory(wiped))
            try cluster.start(wiped)
            try cluster.start(crashed)

            // Only `crashed` votes of the two: no leader may form, and nothing is read as nil.
            try waitUntil("node \(wiped) adopts the cluster as a learner", timeout: .seconds(10)) {
                let info = try cluster.info(wiped)
                return info["cluster_uuid"] != "none" && info["voter"] == "no"
            }
            pause(.seconds(2))
            for id in [wiped, crashed] {
                #expect(try cluster.role(id) != .leader, "node \(id) leads without a majority of voters")
                var quick = PaxosClient.Configuration.probe
                quick.replyTimeout = .seconds(2)
                if let value = try? cluster.client(only: id, configuration: quick).get("k") {
                    #expect(value == "acked-value", "node \(id) read \(value ?? "nil") for an acknowledged write")
                }
            }

            // The old leader comes back: with `crashed` it is a majority of the voters.
            try cluster.start(leader)
            try cluster.waitForLeader(among: [leader, crashed])
            #expect(try cluster.client(over: [leader, crashed]).get("k") == "acked-value")
            let replace = try Paxosctl.run(["member", "replace", "\(wiped)", "--config", cluster.configPath])
            #expect(replace.status == 0, "\(replace)")
            try waitUntil("node \(wiped) votes again", timeout: .seconds(10)) { try cluster.info(wiped)["voter"] == "yes" }
            // Without the old leader, the re-admitted node and `crashed` are a majority.
            try cluster.waitForCatchUp(wiped)
            cluster.kill(leader)
            try cluster.waitForLeader(among: [wiped, crashed], timeout: .seconds(15))
            #expect(try cluster.client(over: [wiped, crashed]).get("k") == "acked-value")
            try cluster.start(leader)
            try cluster.expectConsistentDatabases(restart: true)
        }
    }

    @Test("add, promote, remove and replace under load, with the leader killed during a change; history linearizable, no acknowledged write lost")
    func changesUnderLoad() throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("membership under load: client seed \(seed)")
        try LocalCluster.run(size: 4, name: "membership-under-load", bootstrap: 3) { cluster in
            try cluster.waitForLeader(among: [1, 2, 3])
            // The nemesis test's clients: SET, GET and DEL on a few shared keys, one attempt each,
            // every invocation and answer recorded for the linearizability checker.
            typealias Nemesis = ProcessTests.NemesisTests
            let origin = ContinuousClock.now
            let stop = StopFlag()
            let endpoints = cluster.ids.map(cluster.endpoint)
            let clients = ThreadGroup(4, name: "membership-client") { thread in
                Nemesis.runClient(thread: thread, seed: seed, endpoints: endpoints, stop: stop, origin: origin)
            }
            defer { stop.raise() }

            // Add node 4 and kill the leader while the change (add, catch-up, promote) runs.
            let config = cluster.configPath
            let add = ThreadGroup(1, name: "member-add") { _ -> (status: Int32, text: String) in
                guard let run = try? Paxosctl.run(["member", "add", "4", "--config", config], timeout: .seconds(90)) else {
                    return (-1, "paxosctl did not run")
                }
                return (run.status, "\(run)")
            }
            pause(.milliseconds(300))
            let firstLeader = try cluster.waitForLeader(among: [1, 2, 3])
            cluster.kill(firstLeader)
            let addOutcome = add.join()[0]
            #expect(addOutcome.status == 0, "\(addOutcome.text)")
            try cluster.start(firstLeader)
            try waitUntil("node 4 votes", timeout: .seconds(30)) { try cluster.info(4)["voter"] == "yes" }

            // Remove node 3 (the leader hands over if it is the one).
            let remove = try Paxosctl.run(["member", "remove", "3", "--config", config])
            #expect(remove.status == 0, "\(remove)")
            try waitUntil("node 3 no longer votes", timeout: .seconds(10)) { try cluster.info(3)["voter"] == "no" }

            // Node 2's disk dies: it comes back empty as a learner, and is re-admitted.
            cluster.kill(2)
            try FileManager.default.removeItem(at: cluster.dataDirectory(2))
            try cluster.start(2)
            try waitUntil("node 2 adopts the cluster as a learner", timeout: .seconds(10)) {
                let info = try cluster.info(2)
                return info["cluster_uuid"] != "none" && info["voter"] == "no"
            }
            let replace = try Paxosctl.run(["member", "replace", "2", "--config", config])
            #expect(replace.status == 0, "\(replace)")
            try waitUntil("node 2 votes again", timeout: .seconds(10)) { try cluster.info(2)["voter"] == "yes" }

            stop.raise()
            var records = clients.join().flatMap { $0 }
            let members = [1, 2, 4]
            try cluster.waitForCatchUp(2)
            let finalValues = try Nemesis.readFinalValues(cluster, over: members, into: &records, origin: origin)
            try Nemesis.checkReplicasAgree(cluster, ids: members, finalValues: finalValues)
            let acknowledged = records.filter { $0.outcome != nil && $0.outcome != .unknown }.count
            let unknown = records.filter { $0.outcome == .unknown }.count
            print("membership under load: \(records.count) operations, \(acknowledged) answered, \(unknown) unknown")
            #expect(acknowledged > 50, "too few operations answered under load: \(acknowledged)")
            try Nemesis.checkNoAcknowledgedWriteLost(records, finalValues: finalValues)
            let history = History(records.enumerated().compactMap { index, record in Nemesis.operation(index, record) })
            let verdict = LinearizabilityChecker().check(history)
            #expect(verdict.isLinearizable, "client seed \(seed): \(verdict)")
            try cluster.expectConsistentDatabases(restart: true)
        }
    }
}
