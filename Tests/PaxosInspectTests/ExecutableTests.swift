// Method: run the built paxos-inspect executable as a subprocess on databases the storage layer
// wrote, as an operator or a script would, and check what docs/paxos-inspect.md promises: exit
// status 0 / 1 / 2, one line on stderr per unusable input and no stack trace, and the --json
// documents' shape (schema version, command, ok, and the documented fields).

import Foundation
import PaxosCore
import PaxosStorage
import Testing

@Suite("inspect: the paxos-inspect executable")
struct ExecutableTests {
    @Test("executable: summary --json of every node has the documented fields and exits 0")
    func summaryJSON() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let run = try InspectTool.run(["summary", "--json"] + nodes)
            #expect(run.status == 0, "\(run.standardError)")
            #expect(run.standardError.isEmpty)
            let document = try run.json()
            #expect(document["schema"] as? Int == 2)
            #expect(document["command"] as? String == "summary")
            #expect(document["ok"] as? Bool == true)
            let databases = try #require(document["databases"] as? [[String: Any]])
            #expect(databases.count == 3)
            let first = databases[0]
            #expect(first["path"] as? String == nodes[0] + "/paxos.sqlite")
            #expect(first["cluster_id"] as? String == Nodes.clusterID)
            #expect(first["replica_id"] as? Int == 1)
            #expect((first["promised"] as? [String: Any])?["round"] as? Int == 3)
            #expect((first["log"] as? [String: Any])?["last_slot"] as? Int == 12)
            #expect(first["chosen_through"] as? Int == 10)
            #expect(first["applied_through"] as? Int == 10)
            #expect(first["keys"] as? Int == 4)
            #expect((first["integrity"] as? [String: Any])?["ok"] as? Bool == true)
            #expect((first["integrity"] as? [String: Any])?["failure"] is NSNull)
            #expect(first["group"] as? Int == 0 && first["group_count"] as? Int == 1)
        }
    }

    @Test("executable: log --json decodes each operation; kv --prefix lists the keys under it")
    func logAndKeyValues() throws {
        try withScratch { scratch in
            let node = try Nodes.standardCluster(in: scratch)[0]
            let log = try InspectTool.run(["log", node, "--from", "8", "--to", "9", "--json"])
            #expect(log.status == 0, "\(log.standardError)")
            let rows = try #require((log.json()["report"] as? [String: Any])?["rows"] as? [[String: Any]])
            #expect(rows.map { $0["slot"] as? Int } == [8, 9])
            let requests = try #require((rows[1]["command"] as? [String: Any])?["requests"] as? [[String: Any]])
            #expect(requests.map { $0["op"] as? String } == ["put", "put"])
            #expect(requests[1]["client"] as? Int == 7 && requests[1]["sequence"] as? Int == 9)
            #expect(requests[1]["key"] as? String == "user:1" && requests[1]["value_size"] as? Int == 7)

            let text = try InspectTool.run(["log", node, "--accepted-only"])
            #expect(text.status == 0)
            #expect(text.standardOutput.contains("2 rows of") && text.standardOutput.contains("accepted, not chosen, only"))

            let kv = try InspectTool.run(["kv", node, "--prefix", "user:1"])
            #expect(kv.status == 0)
            #expect(squeezed(kv.standardOutput).contains("\"user:1\" rev 9.0 - 7 B \"value-9\""), "\(kv.standardOutput)")
            #expect(kv.standardOutput.contains("1 key under \"user:1\""))
            let kvJSON = try InspectTool.run(["kv", node, "--prefix", "user:1", "--json"])
            let keys = try #require((kvJSON.json()["report"] as? [String: Any])?["keys"] as? [[String: Any]])
            #expect(keys.count == 1)
            #expect(keys.first?["slot"] as? Int == 9 && keys.first?["position"] as? Int == 0)
            #expect(keys.first?["revision"] as? Int == 9 << 16, "slot × 2^16 + position")
            #expect(keys.first?["expire_at_ms"] is NSNull)
        }
    }

    @Test("executable: diff of agreeing nodes exits 0; a safety violation exits 1 and says so")
    func diffStatus() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let agree = try InspectTool.run(["diff"] + nodes)
            #expect(agree.status == 0, "\(agree.standardOutput)")
            #expect(agree.standardOutput.contains("all agree"))

            let rogue = try scratch.copyNode(nodes[2] + "/paxos.sqlite", to: "rogue")
            try Surgeon.operate(on: rogue + "/paxos.sqlite") { try $0.setCommand(Command.noop.encoded(), at: 2, resealed: true) }
            let violation = try InspectTool.run(["diff", "--json", nodes[0], rogue])
            #expect(violation.status == 1)
            let reports = try #require(violation.json()["reports"] as? [[String: Any]])
            #expect(reports.count == 1 && reports[0]["group_count"] as? Int == 1)
            let agreement = try #require(reports[0]["agreement"] as? [String: Any])
            #expect(agreement["disagreement_count"] as? Int == 1)
            let text = try InspectTool.run(["diff", nodes[0], rogue])
            #expect(text.standardOutput.contains("SAFETY VIOLATION: slot 2"), "\(text.standardOutput)")
        }
    }

    @Test("executable: verify names the file, slot and reason of damage and exits 1")
    func verifyDamage() throws {
        try withScratch { scratch in
            let node = try Nodes.standardCluster(in: scratch)[0]
            let copy = try scratch.copyNode(node + "/paxos.sqlite", to: "damaged")
            try Surgeon.operate(on: copy + "/paxos.sqlite") { try $0.flipCommandByte(at: 6) }
            let run = try InspectTool.run(["verify", node, copy])
            #expect(run.status == 1)
            #expect(run.standardOutput.contains("\(node)/paxos.sqlite: ok"))
            #expect(run.standardOutput.contains("\(copy)/paxos.sqlite: FAILED [checksum] slot 6: checksum mismatch"), "\(run.standardOutput)")

            let json = try InspectTool.run(["verify", "--json", copy]).json()
            #expect(json["ok"] as? Bool == false)
            let failure = try #require((json["databases"] as? [[String: Any]])?.first?["failure"] as? [String: Any])
            #expect(failure["slot"] as? Int == 6 && failure["check"] as? String == "checksum")
        }
    }

    @Test("executable: unusable input is one line on stderr and exit 2, in text and in JSON")
    func unusableInput() throws {
        try withScratch { scratch in
            let missing = try scratch.path("no-such-node")
            let newer = try RefusalTests.altered(scratch, "PRAGMA user_version = 9")
            let foreign = try scratch.write(Array(repeating: 0x41, count: 4096), to: "foreign.db")
            for argument in [missing, newer, foreign] {
                for command in [["summary"], ["verify"], ["log"], ["kv"], ["diff", missing]] {
                    let run = try InspectTool.run(command + [argument])
                    #expect(run.status == 2, "\(command) \(argument): \(run.standardError)")
                    let lines = run.standardError.split(separator: "\n")
                    #expect(lines.count >= 1 && lines.allSatisfy { $0.hasPrefix("paxos-inspect: ") }, "\(run.standardError)")
                    #expect(lines.contains { $0.contains(argument) }, "\(run.standardError)")
                }
            }
            let json = try InspectTool.run(["kv", "--json", newer])
            #expect(json.status == 2)
            let errors = try #require(json.json()["errors"] as? [[String: Any]])
            #expect(errors.first?["kind"] as? String == "unsupportedSchema")
        }
    }

    @Test("executable: a bad command line exits 2 with usage; --help exits 0")
    func commandLine() throws {
        let bad = try InspectTool.run(["log", "somewhere", "--chosen", "--accepted-only"])
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("--chosen and --accepted-only exclude each other"))
        let unknown = try InspectTool.run(["frobnicate"])
        #expect(unknown.status == 2)
        let help = try InspectTool.run(["verify", "--help"])
        #expect(help.status == 0 && help.standardOutput.contains("USAGE: paxos-inspect verify"))
    }
}
