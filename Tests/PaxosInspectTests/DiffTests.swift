// Method: compare several nodes' databases. The standard cluster (written through the storage
// layer) agrees on every chosen slot while its nodes stand at different applied slots; the
// simulator's clusters (DESIGN.md §6.2: loss, crashes, partitions) leave histories with holes,
// superseded votes and slots learned by catch-up, written into real databases the way a node
// writes them. Both MUST diff clean and verify clean. A copy given a different command for a
// chosen slot MUST be reported as a safety violation naming both commands; a kv table changed
// on one node MUST be reported as differing, and only where it can be compared.

import Foundation
import PaxosCore
import PaxosInspectKit
import PaxosStorage
import PaxosTestKit
import Testing

@Suite("inspect: diff")
struct DiffTests {
    static func compare(_ paths: [String]) throws -> DiffReport {
        var readers: [InspectionReader] = []
        defer { for reader in readers { reader.close() } }
        for path in paths { readers.append(try InspectionReader.open(path)) }
        return try DiffReport.compare(readers)
    }

    @Test("diff: nodes at different slots agree; lag is counted and kv tables compared at the common applied slot")
    func agreeingCluster() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let report = try Self.compare(nodes)
            #expect(report.ok, "\(report.text())")
            #expect(report.comparedSlots == 10)
            #expect(report.disagreementCount == 0)
            #expect(report.nodes.map(\.chosenLag) == [0, 0, 4])
            #expect(report.nodes.map(\.appliedLag) == [0, 2, 4])
            #expect(report.commonApplied == Slot(6))
            #expect(report.kvBaseline == 2)
            #expect(report.kv.map(\.status) == [.agree, .agree])
            #expect(report.kv.map(\.replayed) == [Slot(7)...Slot(10), Slot(7)...Slot(8)])
            let text = report.text()
            #expect(text.contains("agreement: 10 slots chosen on two or more nodes; all agree"), "\(text)")
            #expect(text.contains("4 chosen, 4 applied slots behind"), "\(text)")
            #expect(text.contains("result: ok"))
        }
    }

    @Test("diff: a chosen slot holding different commands on two nodes is a loud safety violation")
    func disagreement() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let rogue = try scratch.copyNode(nodes[1] + "/paxos.sqlite", to: "rogue")
            let other = Command.batch([Nodes.request(9, 1, Nodes.put("user:1", "evil"))]).encoded()
            try Surgeon.operate(on: rogue + "/paxos.sqlite") { try $0.setCommand(other, at: 3, resealed: true) }

            let report = try Self.compare([nodes[0], rogue, nodes[2]])
            #expect(!report.ok)
            #expect(report.disagreementCount == 1)
            let disagreement = try #require(report.disagreements.first)
            #expect(disagreement.slot == Slot(3))
            #expect(disagreement.values.map(\.nodes) == [[0, 2], [1]])
            let text = report.text()
            #expect(text.contains("!!! SAFETY VIOLATION: slot 3 is chosen with different commands"), "\(text)")
            #expect(text.contains("c7#3 PUT \"user:3\" = \"value-3\"") && text.contains("c9#1 PUT \"user:1\" = \"evil\""), "\(text)")
            #expect(text.contains("result: FAILED"))
        }
    }

    @Test("diff: a kv table that differs at the same applied slot is reported, naming the key")
    func kvDiffers() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let copy = try scratch.copyNode(nodes[0] + "/paxos.sqlite", to: "copy")
            try Surgeon.operate(on: copy + "/paxos.sqlite") {
                try $0.execute("UPDATE kv SET value = CAST('stale' AS BLOB) WHERE key = CAST('user:1' AS BLOB)")
            }
            let report = try Self.compare([nodes[0], copy])
            #expect(!report.ok)
            #expect(report.commonApplied == Slot(10))
            guard case .differ(let reason) = try #require(report.kv.first).status else {
                Issue.record("expected the tables to differ: \(report.text())")
                return
            }
            #expect(reason.contains("key \"user:1\""), "\(reason)")
            #expect(report.kv.first?.replayed == nil, "equal applied slots: compared as stored")
        }
    }

    @Test("diff: a node whose log lost an applied row is not comparable, which is not a disagreement")
    func notComparable() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let copy = try scratch.copyNode(nodes[0] + "/paxos.sqlite", to: "copy")
            try Surgeon.operate(on: copy + "/paxos.sqlite") { try $0.execute("DELETE FROM log WHERE slot = 8") }
            let report = try Self.compare([copy, nodes[2]])
            #expect(report.disagreementCount == 0)
            guard case .notComparable(let reason) = try #require(report.kv.first).status else {
                Issue.record("expected not comparable: \(report.text())")
                return
            }
            #expect(reason.contains("slot 8"))
        }
    }

    @Test("diff: databases of different clusters are a problem, named with both cluster ids")
    func differentClusters() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let stranger = try scratch.copyNode(nodes[1] + "/paxos.sqlite", to: "stranger")
            try Surgeon.operate(on: stranger + "/paxos.sqlite") { try $0.execute("UPDATE meta SET cluster_id = 'elsewhere'") }
            let report = try Self.compare([nodes[0], stranger])
            #expect(!report.ok)
            #expect(report.problems.map(\.check) == [.cluster])
            #expect(report.problems.first?.reason.contains("'elsewhere', 'inspect-test'") == true, "\(report.problems)")
        }
    }

    @Test("diff and verify: clusters the simulator ran through faults agree and verify clean",
          arguments: [11, 12, 13] as [UInt64])
    func simulatedCluster(seed: UInt64) throws {
        // Without compaction: these databases are replayed from slot 1 by verify.
        let simulation = Simulation(seed: seed, replicas: 3, compaction: false)
        let run = simulation.run()
        try #require(run.passed, "\(run)")
        try withScratch { scratch in
            var paths: [String] = []
            for (replica, state) in simulation.durableStates {
                let directory = try scratch.path("sim/\(replica)")
                try Nodes.write(state, replica: replica, clusterID: "sim-\(seed)", at: directory + "/paxos.sqlite")
                paths.append(directory)
            }
            let verify = InspectionCommands.verify(paths)
            #expect(verify.status == .ok, "PAXOS_SEED=\(seed)\n\(verify.text)")
            let report = try Self.compare(paths)
            #expect(report.ok, "PAXOS_SEED=\(seed)\n\(report.text())")
            #expect(report.comparedSlots > 0, "PAXOS_SEED=\(seed): the cluster chose nothing")
        }
    }
}
