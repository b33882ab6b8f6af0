// Method: real paxosd processes on loopback started with --groups 4 on 3 nodes. Leaders are
// read from each node's per-group INFO lines; keys are written through one node and read through
// the others; the data directories are listed; a node leading groups is SIGKILLed and restarted
// while the others keep serving; and a node is restarted with the wrong group count, which must
// refuse to start with a message that says what to fix, leaving its data untouched.
// (Loss of acknowledged writes under repeated kill -9 with groups is DurabilityTests'.)

import Foundation
import PaxosClient
import PaxosCore
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: several groups per node")
    struct MultiGroupTests {
        static let arguments = ["--groups", "4"]

        @Test("process: 4 groups on 3 nodes: leaders spread to their preferred nodes, any node serves any key, one database per group")
        func leadersSpreadAndEveryNodeServes() throws {
            try LocalCluster.run(size: 3, name: "groups-spread", arguments: Self.arguments) { cluster in
                // Group g prefers node g mod 3 (+1): 1, 2, 3, 1. Takeover waits 1 s of health.
                let leaders = try cluster.waitForGroupLeaders(preferred: true, timeout: .seconds(20))
                #expect(leaders == [0: 1, 1: 2, 2: 3, 3: 1])

                var written: [String: String] = [:]
                for index in 0..<120 {
                    let client = try cluster.client(only: index % 3 + 1)
                    defer { client.close() }
                    let key = "spread-\(index)"
                    try client.put(key, "value-\(index)")
                    written[key] = "value-\(index)"
                }
                for id in cluster.ids {
                    let client = try cluster.client(only: id)
                    defer { client.close() }
                    for (key, value) in written { #expect(try client.get(key) == value, "node \(id) reads \(key)") }
                }
                // Every group took some of the 120 keys, and every node applied them.
                try cluster.waitForAllCaughtUp()
                for id in cluster.ids {
                    for (group, info) in try cluster.groupInfo(id) {
                        #expect(info.appliedSlot > 0, "node \(id) group \(group) applied nothing")
                    }
                }
                let files = try FileManager.default.contentsOfDirectory(
                    atPath: cluster.directory.appendingPathComponent("nodes/1").path)
                #expect(Set(files.filter { $0.hasSuffix(".sqlite") }) == ["group-0.sqlite", "group-1.sqlite", "group-2.sqlite", "group-3.sqlite"])
            }
        }

        @Test("process: 4 groups: kill -9 of a node leading two groups; the others keep serving every key; it takes its groups back")
        func killAndTakeBack() throws {
            try LocalCluster.run(size: 3, name: "groups-kill", arguments: Self.arguments) { cluster in
                try cluster.waitForGroupLeaders(preferred: true, timeout: .seconds(20))
                cluster.kill(1)  // leads groups 0 and 3
                let survivors = try cluster.waitForGroupLeaders(timeout: .seconds(10))
                #expect(survivors.values.allSatisfy { $0 != 1 })
                let client = try cluster.client(over: [2, 3])
                defer { client.close() }
                var written: [String: String] = [:]
                for index in 0..<80 {
                    try client.put("after-kill-\(index)", "\(index)")
                    written["after-kill-\(index)"] = "\(index)"
                }
                try cluster.restart(1)
                // Node 1 catches up, then takes the lead of groups 0 and 3 back.
                let leaders = try cluster.waitForGroupLeaders(preferred: true, timeout: .seconds(20))
                #expect(leaders == [0: 1, 1: 2, 2: 3, 3: 1])
                try cluster.waitForAllCaughtUp()
                let fromOne = try cluster.client(only: 1)
                defer { fromOne.close() }
                for (key, value) in written { #expect(try fromOne.get(key) == value, "node 1 after restart reads \(key)") }
            }
        }

        @Test("process: a node refuses to start with another group count than its databases were made with")
        func refusesAnotherGroupCount() throws {
            try LocalCluster.run(size: 3, name: "groups-refuse", arguments: Self.arguments) { cluster in
                try cluster.waitForGroupLeaders()
                let client = try cluster.client()
                try client.put("kept", "yes")
                client.close()
                try cluster.waitForAllCaughtUp()
                cluster.kill(3, signal: SIGTERM)
                for (groups, mention) in [("2", "group"), ("8", "group"), ("1", "group-0.sqlite")] {
                    let exit = try Paxosd.runToExit(["--config", cluster.configPath, "--id", "3", "--groups", groups])
                    #expect(exit.status != 0 && !exit.signalled, "--groups \(groups) started: \(exit.standardError)")
                    #expect(exit.standardError.contains(mention), "--groups \(groups): \(exit.standardError)")
                    #expect(!exit.standardError.contains("Fatal error"), "--groups \(groups) crashed: \(exit.standardError)")
                }
                // Nothing was created or changed: the node starts with its own count and has the key.
                let files = try FileManager.default.contentsOfDirectory(atPath: cluster.directory.appendingPathComponent("nodes/3").path)
                #expect(!files.contains("paxos.sqlite") && !files.contains("group-4.sqlite"), "\(files.sorted())")
                try cluster.restart(3)
                try cluster.waitForCatchUp(3)
                var stale = PaxosClient.Configuration.patient
                stale.staleReads = true
                let local = try cluster.client(only: 3, configuration: stale)
                defer { local.close() }
                #expect(try local.get("kept") == "yes")
            }
        }
    
        @Test("process: 4 groups: BACKUP writes one file per group into a directory, and --restore brings a new cluster up from it")
        func backupAndRestoreGroups() throws {
            let backupDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-group-backup-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: backupDirectory) }
            let backup = backupDirectory + "/all-groups"
            var expected: [String: String] = [:]
            try LocalCluster.run(size: 3, name: "groups-backup", arguments: Self.arguments + ["--backup-dir", backupDirectory]) { cluster in
                let client = try cluster.client()
                defer { client.close() }
                for index in 0..<100 {
                    try client.put("key-\(index)", "value-\(index)")
                    expected["key-\(index)"] = "value-\(index)"
                }
                try cluster.waitForAllCaughtUp()
                let node = try cluster.client(only: 2)
                defer { node.close() }
                #expect(try node.command(["BACKUP", "all-groups"]) == .bulkString(Array(backup.utf8)))
                let files = try FileManager.default.contentsOfDirectory(atPath: backup).sorted()
                #expect(files == ["group-0.sqlite", "group-1.sqlite", "group-2.sqlite", "group-3.sqlite"])
                // The directory is created exclusively too: a second BACKUP of the name is refused.
                let again = #expect(throws: PaxosClientError.self) { try node.command(["BACKUP", "all-groups"]) }
                #expect("\(again.map { "\($0)" } ?? "")".contains("already exists"), "\(String(describing: again))")
                try client.put("after-backup", "x")
            }
            try LocalCluster.run(size: 3, name: "groups-restore", arguments: Self.arguments + ["--restore", backup]) { cluster in
                try cluster.waitForGroupLeaders()
                var stale = PaxosClient.Configuration.patient
                stale.staleReads = true
                for id in cluster.ids {
                    let reader = try cluster.client(only: id, configuration: stale)
                    defer { reader.close() }
                    for (key, value) in expected { #expect(try reader.get(key) == value, "node \(id) \(key)") }
                    #expect(try reader.get("after-backup") == nil)
                }
                let client = try cluster.client()
                defer { client.close() }
                try client.put("restored", "yes")
                #expect(try client.get("restored") == "yes")
            }
        }
    }
}
