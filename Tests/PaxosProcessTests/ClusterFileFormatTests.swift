// Method: the two writers of cluster files outside the shipped data/cluster.json, compared by
// shape. `tools/cluster config 3` (the file `tools/cluster up 3` starts paxosd with, written in a
// scratch PAXOS_NODES_DIR) and `LocalCluster`'s cluster.json for 3 voters and 2 spares are both
// parsed as plain JSON, and must use the same keys at the top level and in every replica, and
// mark spares the same way (`"bootstrap": false`, voters without the key). paxosd reading
// LocalCluster's file is proven by every process test, so this proves the launcher's too, up to
// the one key only the launcher writes: secretFile (LocalCluster keeps the secret where paxosd
// looks by default, next to the file). Covers README "The two commands" (`tools/cluster up`).

import Foundation
import Testing

extension ProcessTests {
    @Suite("process: cluster files")
    struct ClusterFileFormatTests {
        /// The keys of a parsed cluster file: top level, and per replica id with its bootstrap mark.
        struct Shape: Equatable, CustomStringConvertible {
            var topLevel: Set<String>
            var voterKeys: Set<Set<String>>
            var spareKeys: Set<Set<String>>
            var voters: [Int]
            var spares: [Int]

            var description: String {
                "top \(topLevel.sorted()), voters \(voters) with \(voterKeys.map { $0.sorted() }), spares \(spares) with \(spareKeys.map { $0.sorted() })"
            }

            init(file path: String) throws {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let replicas = root["replicas"] as? [[String: Any]] else {
                    throw HarnessError("\(path) is not a cluster file")
                }
                topLevel = Set(root.keys)
                voterKeys = []
                spareKeys = []
                voters = []
                spares = []
                for replica in replicas {
                    let id = try #require(replica["id"] as? Int, "\(path): a replica without an integer id")
                    switch replica["bootstrap"] {
                    case nil:
                        voters.append(id)
                        voterKeys.insert(Set(replica.keys))
                    case let mark as Bool where mark == false:
                        spares.append(id)
                        spareKeys.insert(Set(replica.keys))
                    default:
                        throw HarnessError("\(path): replica \(id) has bootstrap \(replica["bootstrap"]!); only false is written")
                    }
                }
            }
        }

        @Test("cluster files: tools/cluster's generated file and LocalCluster's have the same keys and mark spares alike")
        func launcherAndHarnessAgree() throws {
            let packageRoot = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-launcher-config-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let run = try Paxosctl.run(
                // The test's own paxosctl: the launcher would otherwise build a release one first.
                ["config", "3"], environment: ["PAXOS_NODES_DIR": scratch.path, "PAXOSCTL": try Paxosctl.executable().path],
                timeout: .seconds(60),
                program: packageRoot.appendingPathComponent("tools/cluster"))
            try #require(run.status == 0, "\(run)")
            let launcherPath = run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(launcherPath == scratch.appendingPathComponent("cluster-3.json").path, "\(run)")
            let launcher = try Shape(file: launcherPath)

            let cluster = try LocalCluster(size: 5, name: "cluster-file-shape")
            defer { cluster.shutdown() }
            try cluster.writeConfiguration(listing: cluster.ids, bootstrap: [1, 2, 3])
            let harness = try Shape(file: cluster.configPath)

            #expect(launcher.voters == [1, 2, 3], "\(launcher)")
            #expect(harness.voters == [1, 2, 3], "\(harness)")
            #expect(launcher.topLevel == harness.topLevel.union(["secretFile"]), "launcher: \(launcher)\nharness: \(harness)")
            #expect(launcher.voterKeys == harness.voterKeys, "launcher: \(launcher)\nharness: \(harness)")
            #expect(launcher.spareKeys == harness.spareKeys, "launcher: \(launcher)\nharness: \(harness)")
            #expect(launcher.voterKeys.count == 1 && launcher.spareKeys.count == 1, "every replica of a kind has the same keys: \(launcher)")
        }
    }
}
