// Method: write node directories of several groups through the real storage layer (each group's
// database records its placement), then inspect them as an operator would: every group of every
// directory, one group by --group, each group compared across nodes on its own. Damage is planted
// in one group of one copy, files are removed, renamed or mixed, and each MUST be reported for
// that group, or as unusable input where the directories do not make nodes of one group count
// (the requirement: "paxos-inspect takes a group (--group g) and diff/verify cover all groups";
// docs/paxos-inspect.md "Groups").

import Foundation
import PaxosCore
import PaxosInspectKit
@testable import PaxosStorage
import Testing

@Suite("inspect: nodes of several groups")
struct GroupTests {
    static let groupCount: UInt32 = 3

    /// Output entries of `summary`/`verify` `--json`, as dictionaries.
    static func entries(_ output: InspectionOutput) throws -> [[String: Any]] {
        let document = try JSONSerialization.jsonObject(with: Data(output.json.rendered().utf8)) as? [String: Any]
        return try #require(document?["databases"] as? [[String: Any]])
    }

    @Test("groups: summary and verify cover every group of each node directory, each naming its group, and change nothing")
    func everyGroup() throws {
        try withScratch { scratch in
            let nodes = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)
            let files = nodes.flatMap { node in (0..<Self.groupCount).map { "\(node)/group-\($0).sqlite" } }
            let before = files.map(fileBytes)

            let verify = InspectionCommands.verify(nodes)
            #expect(verify.status == .ok, "\(verify.text)\(verify.errors)")
            for node in nodes {
                for group in 0..<Self.groupCount {
                    #expect(verify.text.contains("\(node)/group-\(group).sqlite (group \(group) of 3): ok ("), "\(verify.text)")
                }
            }
            let entries = try Self.entries(verify)
            #expect(entries.count == 9)
            #expect(entries.map { $0["group"] as? Int } == [0, 1, 2, 0, 1, 2, 0, 1, 2])
            #expect(entries.allSatisfy { $0["group_count"] as? Int == 3 && $0["ok"] as? Bool == true })

            let summary = InspectionCommands.summary([nodes[1]])
            #expect(summary.status == .ok)
            #expect(summary.text.contains("\(nodes[1])/group-2.sqlite (group 2 of 3)\n"), "\(summary.text)")
            #expect(summary.text.contains("placement        group 2 of 3 (keys by CRC-32C, Fibonacci-hashed, mod 3)"), "\(summary.text)")
            #expect(try Self.entries(summary).map { $0["group"] as? Int } == [0, 1, 2])
            #expect(files.map(fileBytes) == before, "inspection MUST NOT change a file")
        }
    }

    @Test("groups: a single-group database shows the placement it implies, and none is written")
    func singleGroupSummary() throws {
        try withScratch { scratch in
            let node = try Nodes.standardCluster(in: scratch)[0]
            let summary = InspectionCommands.summary([node])
            #expect(summary.text.contains("placement        single group (no placement recorded)"), "\(summary.text)")
            #expect(summary.text.hasPrefix("\(node)/paxos.sqlite\n"), "a single group's report reads as before: \(summary.text)")
            let entry = try #require(try Self.entries(summary).first)
            #expect(entry["group"] as? Int == 0 && entry["group_count"] as? Int == 1)
            #expect(try SQLiteLogStore.recordedPlacement(ofDatabase: node + "/paxos.sqlite") == .single)
        }
    }

    @Test("groups: --group selects one group's file in each directory; a directory or file without it is unusable")
    func groupOption() throws {
        try withScratch { scratch in
            let nodes = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)
            let verify = InspectionCommands.verify(nodes, group: 1)
            #expect(verify.status == .ok)
            #expect(try Self.entries(verify).map { $0["path"] as? String } == nodes.map { "\($0)/group-1.sqlite" })

            let absent = InspectionCommands.summary([nodes[0], nodes[1]], group: 5)
            #expect(absent.status == .unusableInput)
            #expect(absent.errors.map(\.kind) == [.missing, .missing])
            #expect(absent.errors.first?.description == "\(nodes[0]): it holds no group-5.sqlite (--group 5); "
                + "it holds group-0.sqlite … group-2.sqlite", "\(absent.errors)")

            // A file given by path must hold the group asked for.
            let wrongFile = InspectionCommands.verify([nodes[0] + "/group-2.sqlite"], group: 1)
            #expect(wrongFile.status == .unusableInput)
            #expect(wrongFile.errors.first?.kind == .placement)
            #expect(wrongFile.errors.first?.reason == "it holds group 2 of 3, not group 1 (--group 1)")

            // Group 0 of a single-group node is its paxos.sqlite.
            let single = try Nodes.standardCluster(in: scratch)[0]
            let zero = InspectionCommands.kv(single, group: 0, prefix: [])
            #expect(zero.status == .ok && zero.text.contains("4 keys in \(single)/paxos.sqlite,"), "\(zero.text)")
            #expect(InspectionCommands.kv(single, group: 1, prefix: []).errors.first?.kind == .missing)
        }
    }

    @Test("groups: log and kv refuse a directory of several groups without --group, naming the files")
    func ambiguousDirectory() throws {
        try withScratch { scratch in
            let node = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)[0]
            let expected = "\(node): it holds 3 groups (group-0.sqlite … group-2.sqlite); name one with --group"
            for output in [InspectionCommands.log(node, from: .zero, through: Slot(100), filter: .all, limit: nil),
                           InspectionCommands.kv(node, prefix: [])] {
                #expect(output.status == .unusableInput && output.text.isEmpty)
                #expect(output.errors.map(\.kind) == [.usage])
                #expect(output.errors.first?.description == expected, "\(output.errors)")
            }
            let log = InspectionCommands.log(node, group: 2, from: Slot(8), through: Slot(8), filter: .all, limit: nil)
            #expect(log.status == .ok)
            #expect(log.text.contains("c8#1 DEL \"g2/user:1\""), "\(log.text)")
            #expect(log.text.contains("1 row of \(node)/group-2.sqlite (group 2 of 3)"), "\(log.text)")
            let kv = InspectionCommands.kv(node, group: 1, prefix: Nodes.bytes("g1/user:3"))
            #expect(squeezed(kv.text).contains("\"g1/user:3\" rev 7.0 - 10 B \"g1/value-7\""), "\(kv.text)")
        }
    }

    @Test("groups: diff compares each group across the nodes; nodes that agree pass group by group")
    func diffAgrees() throws {
        try withScratch { scratch in
            let nodes = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)
            let output = InspectionCommands.diff(nodes)
            #expect(output.status == .ok, "\(output.text)")
            for group in 0..<Self.groupCount {
                #expect(output.text.contains("result for group \(group) of 3: ok"), "\(output.text)")
            }
            #expect(output.text.hasSuffix("result: ok (3 groups compared)\n"), "\(output.text)")
            #expect(output.text.components(separatedBy: "agreement: 10 slots chosen on two or more nodes; all agree").count == 4)
        }
    }

    @Test("groups: a disagreement planted in one group of one node is reported for that group only")
    func diffPlantedDisagreement() throws {
        try withScratch { scratch in
            let nodes = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)
            let rogue = try scratch.copyDirectory(nodes[1], to: "rogue")
            let other = Command.batch([Nodes.request(9, 1, Nodes.put("g1/user:1", "evil"))]).encoded()
            try Surgeon.operate(on: rogue + "/group-1.sqlite") { try $0.setCommand(other, at: 3, resealed: true) }

            let output = InspectionCommands.diff([nodes[0], rogue, nodes[2]])
            #expect(output.status == .checkFailed)
            let document = try JSONSerialization.jsonObject(with: Data(output.json.rendered().utf8)) as? [String: Any]
            let reports = try #require(document?["reports"] as? [[String: Any]])
            #expect(reports.map { $0["group"] as? Int } == [0, 1, 2])
            let counts = reports.map { ($0["agreement"] as? [String: Any])?["disagreement_count"] as? Int }
            #expect(counts == [0, 1, 0])
            let values = try #require(((reports[1]["agreement"] as? [String: Any])?["disagreements"] as? [[String: Any]])?.first)
            #expect(values["slot"] as? Int == 3)

            let text = output.text
            #expect(text.contains("!!! SAFETY VIOLATION: group 1 of 3, slot 3 is chosen with different commands"), "\(text)")
            #expect(text.components(separatedBy: "SAFETY VIOLATION").count == 2, "one violation, in group 1: \(text)")
            #expect(text.contains("result for group 0 of 3: ok") && text.contains("result for group 2 of 3: ok"), "\(text)")
            #expect(text.contains("result for group 1 of 3: FAILED"))
            #expect(text.hasSuffix("result: FAILED in group 1 of 3\n"), "\(text)")

            // The same disagreement, asked for by group.
            #expect(InspectionCommands.diff([nodes[0], rogue], group: 1).status == .checkFailed)
            #expect(InspectionCommands.diff([nodes[0], rogue], group: 2).status == .ok)
        }
    }

    @Test("groups: diff of databases of different group counts, or of a node lacking a group, is unusable input")
    func diffMixedCounts() throws {
        try withScratch { scratch in
            let grouped = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)
            let twoGroups = try Nodes.groupedCluster(in: scratch, groupCount: 2, name: "two")
            let single = try Nodes.standardCluster(in: scratch)
            for (arguments, group) in [([single[0], grouped[1]], nil), ([single[0], grouped[1]], 0 as GroupID?),
                                       ([grouped[0], twoGroups[1]], nil), ([grouped[0], twoGroups[1]], 1)] {
                let output = InspectionCommands.diff(arguments, group: group)
                #expect(output.status == .unusableInput && output.text.isEmpty, "\(arguments) --group \(String(describing: group))")
                #expect(output.errors.map(\.kind) == [.placement], "\(output.errors)")
                #expect(output.errors.first?.reason.contains("diff compares each group across nodes that run the same number of groups")
                    == true, "\(output.errors)")
            }
            let lacking = try scratch.copyDirectory(grouped[1], to: "lacking")
            try FileManager.default.removeItem(atPath: lacking + "/group-2.sqlite")
            let output = InspectionCommands.diff([grouped[0], lacking])
            #expect(output.status == .unusableInput)
            #expect(output.errors.map(\.kind) == [.missing])
            #expect(output.errors.first?.description.hasPrefix("\(lacking): it holds no database of group 2 of 3 (group-2.sqlite)") == true,
                    "\(output.errors)")
        }
    }

    @Test("groups: a directory lacking a group or mixing group counts is unusable; a misnamed file fails the placement check")
    func brokenDirectories() throws {
        try withScratch { scratch in
            let nodes = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)
            let lacking = try scratch.copyDirectory(nodes[0], to: "lacking")
            try FileManager.default.removeItem(atPath: lacking + "/group-1.sqlite")
            let verify = InspectionCommands.verify([lacking])
            #expect(verify.status == .unusableInput)
            #expect(verify.text.components(separatedBy: ": ok (").count == 3, "the groups present are still verified: \(verify.text)")
            #expect(verify.errors.map(\.description) == ["\(lacking): it holds 2 of the 3 groups its databases record: group-1.sqlite is missing"])

            let mixed = try scratch.copyDirectory(nodes[0], to: "mixed")
            let single = try Nodes.standardCluster(in: scratch)[0]
            try FileManager.default.copyItem(atPath: single + "/paxos.sqlite", toPath: mixed + "/paxos.sqlite")
            let summary = InspectionCommands.summary([mixed])
            #expect(summary.status == .unusableInput)
            #expect(summary.errors.map(\.kind) == [.placement])
            #expect(summary.errors.first?.reason.hasPrefix("its databases were written for different group counts "
                + "(paxos.sqlite 1 group (no --groups), group-0.sqlite 3 groups (--groups 3)") == true, "\(summary.errors)")

            let misnamed = try scratch.path("misnamed/group-5.sqlite")
            try FileManager.default.copyItem(atPath: nodes[0] + "/group-2.sqlite", toPath: misnamed)
            let result = InspectionCommands.verify([misnamed])
            #expect(result.status == .checkFailed)
            #expect(result.text == "\(misnamed) (group 2 of 3): FAILED [placement] the file is named group-5.sqlite but holds "
                + "group 2 of 3, whose file is group-2.sqlite: a node would open it as another group and refuse it\n")
        }
    }

    @Test("groups: a database recording the mapping's earlier name 'crc32c-mod' reads as the same group; an unknown name is unusable")
    func hashNames() throws {
        try withScratch { scratch in
            let nodes = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)
            let old = try scratch.copyDirectory(nodes[0], to: "old")
            try Surgeon.operate(on: old + "/group-2.sqlite") { try $0.execute("UPDATE placement SET hash = 'crc32c-mod'") }
            let verify = InspectionCommands.verify([old])
            #expect(verify.status == .ok, "\(verify.text)\(verify.errors)")
            #expect(verify.text.contains("\(old)/group-2.sqlite (group 2 of 3): ok ("), "\(verify.text)")
            let diff = InspectionCommands.diff([nodes[1], old, nodes[2]])
            #expect(diff.status == .ok, "\(diff.text)\(diff.errors)")

            try Surgeon.operate(on: old + "/group-2.sqlite") { try $0.execute("UPDATE placement SET hash = 'fnv-mod'") }
            let unknown = InspectionCommands.summary([old + "/group-2.sqlite"])
            #expect(unknown.status == .unusableInput)
            #expect(unknown.errors.map(\.description) == ["\(old)/group-2.sqlite: it maps keys to groups by 'fnv-mod', which this "
                + "build does not know (it knows 'crc32c-fibonacci', which earlier builds recorded as 'crc32c-mod'): "
                + "it was written by other PaxosKV software"])
        }
    }

    @Test("groups: the executable refuses log on a directory of groups with one line and exit 2; diff --json reports each group")
    func executable() throws {
        try withScratch { scratch in
            let nodes = try Nodes.groupedCluster(in: scratch, groupCount: Self.groupCount)
            let log = try InspectTool.run(["log", nodes[0]])
            #expect(log.status == 2)
            #expect(log.standardError == "paxos-inspect: \(nodes[0]): it holds 3 groups (group-0.sqlite … group-2.sqlite); "
                + "name one with --group\n")
            let kv = try InspectTool.run(["kv", nodes[0], "--group", "1", "--json"])
            #expect(kv.status == 0, "\(kv.standardError)")
            let report = try #require(kv.json()["report"] as? [String: Any])
            #expect(report["group"] as? Int == 1 && report["group_count"] as? Int == 3)

            let diff = try InspectTool.run(["diff", "--json"] + nodes)
            #expect(diff.status == 0, "\(diff.standardError)")
            let document = try diff.json()
            #expect(document["schema"] as? Int == 2)
            let reports = try #require(document["reports"] as? [[String: Any]])
            #expect(reports.map { $0["group"] as? Int } == [0, 1, 2])
            #expect(reports.allSatisfy { $0["group_count"] as? Int == 3 })

            let missing = try InspectTool.run(["verify", "--group", "7"] + nodes)
            #expect(missing.status == 2)
            #expect(missing.standardError.split(separator: "\n").count == 3)
        }
    }
}
