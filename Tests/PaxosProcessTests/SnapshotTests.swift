// Method: compaction and snapshot catch-up with real processes (DESIGN.md §2 Catch-up:
// "if the slots it needs were compacted away, it receives a snapshot of the KV table and
// continues from the snapshot's slot"). Three nodes run with a small retention
// (`--retain-slots 200`); one follower is SIGKILLed, thousands of slots are committed and
// compacted on the other two far past what it holds, and it is restarted. It can only catch up
// by a snapshot: the test checks that it installed one (INFO `snapshots_installed`, its log),
// that it then caught up the log above it (INFO applied slots equal), and that its own applied
// state (READONLY reads) equals the leader's, key by key over a sample. A second test takes a
// `BACKUP` from a live node and brings a new three-node cluster up from it with `--restore`. A
// third cuts transfers of a ~24 MiB table short, by killing the receiver and then the sender in
// the middle of one, and checks the transfer starts over and completes (the requirement: "an interrupted
// transfer restarts cleanly").

import Foundation
import PaxosClient
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: snapshots")
    struct SnapshotTests {
        static let retain = 200
        static let keys = 5_000
        static let writerThreads = 4

        @Test("process: a node that missed compacted slots catches up by snapshot and ends identical")
        func catchUpBySnapshot() throws {
            try LocalCluster.run(size: 3, name: "snapshot-catch-up", arguments: ["--retain-slots", "\(Self.retain)"]) { cluster in
                let leader = try cluster.waitForLeader()
                let stopped = cluster.ids.first { $0 != leader } ?? 1
                let others = cluster.ids.filter { $0 != stopped }
                var expected: [String: String?] = [:]
                let early = try cluster.client()
                for index in 0..<50 {
                    try early.put("early-\(index)", "before-\(index)")
                    expected["early-\(index)"] = "before-\(index)"
                }
                try cluster.waitForAllCaughtUp()
                let stoppedAt = try cluster.infoNumber(stopped, "applied_slot")
                cluster.kill(stopped)

                let started = ContinuousClock.now
                for (key, value) in try cluster.writeDistinctKeys(Self.keys, threads: Self.writerThreads, through: others) { expected[key] = value }
                let changer = try cluster.client(over: others)
                for index in 0..<50 where index % 2 == 0 {
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
                // Both live nodes must have compacted past the stopped node's last slot, so that
                // neither can answer its catch-up with commands.
                try waitUntil("nodes \(others) compact past slot \(stoppedAt)", timeout: .seconds(20)) {
                    try others.allSatisfy { try cluster.infoNumber($0, "snapshot_slot") > stoppedAt + 1 }
                }
                let snapshotSlots = try others.map { try cluster.infoNumber($0, "snapshot_slot") }
                print("snapshots: \(Self.keys + 25) writes with node \(stopped) down in \((ContinuousClock.now - started).roundedMilliseconds); "
                    + "applied \(try cluster.infoNumber(leader, "applied_slot")), snapshot slots \(snapshotSlots), node \(stopped) stopped at \(stoppedAt)")

                let restarted = ContinuousClock.now
                try cluster.restart(stopped)
                try waitForInstall(cluster, stopped)
                try cluster.waitForCatchUp(stopped, timeout: .seconds(30))
                let info = try cluster.info(stopped)
                print("snapshots: node \(stopped) caught up in \((ContinuousClock.now - restarted).roundedMilliseconds): "
                    + "applied \(info["applied_slot"] ?? "?"), snapshot \(info["snapshot_slot"] ?? "?"), "
                    + "installed \(info["snapshots_installed"] ?? "?") (last \(info["snapshot_last_installed"] ?? "?"))")
                #expect(Int(info["snapshots_installed"] ?? "") ?? 0 >= 1, "node \(stopped) installed a snapshot: \(info)")
                #expect(try String(contentsOfFile: cluster.logPath(stopped), encoding: .utf8).contains("installed a snapshot"))
                let sent = try others.map { try cluster.infoNumber($0, "snapshots_sent") }.reduce(0, +)
                #expect(sent >= 1, "a live node sent the snapshot")

                // New writes after the install reach the node through the log as usual.
                let late = try cluster.client(over: others)
                for index in 0..<20 {
                    try late.put("late-\(index)", "after-install-\(index)")
                    expected["late-\(index)"] = "after-install-\(index)"
                }
                try cluster.waitForAllCaughtUp()
                let applied = try cluster.ids.map { try cluster.infoNumber($0, "applied_slot") }
                #expect(Set(applied).count == 1, "applied slots \(applied)")
                try checkSample(cluster, node: stopped, expected: expected, against: leader)
            }
        }

        @Test("process: BACKUP of a live node restores into a new cluster with --restore")
        func backupAndRestore() throws {
            let backupDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-backup-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: backupDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: backupDirectory) }
            let backup = backupDirectory.appendingPathComponent("node.sqlite").path
            var expected: [String: String] = [:]
            var backupSlot: UInt64 = 0
            try LocalCluster.run(size: 3, name: "backup", arguments: ["--backup-dir", backupDirectory.path]) { cluster in
                let client = try cluster.client()
                for index in 0..<300 {
                    try client.put("key-\(index)", "value-\(index)")
                    expected["key-\(index)"] = "value-\(index)"
                }
                let leader = try cluster.waitForLeader()
                let node = try cluster.client(only: leader)
                // A bare name; the node answers where, inside its backup directory, it wrote it.
                let reply = try node.command(["BACKUP", "node.sqlite"])
                #expect(reply == .bulkString(Array(backup.utf8)), "BACKUP answered \(reply)")
                backupSlot = try cluster.infoNumber(leader, "applied_slot")
                // An error reply is thrown as a PaxosClientError carrying the server's message.
                let again = #expect(throws: PaxosClientError.self) { try node.command(["BACKUP", "node.sqlite"]) }
                #expect("\(again.map { "\($0)" } ?? "")".contains("already exists"), "\(String(describing: again))")
                let path = #expect(throws: PaxosClientError.self) { try node.command(["BACKUP", backup + ".2"]) }
                #expect("\(path.map { "\($0)" } ?? "")".contains("bare file name"), "\(String(describing: path))")
                // Written after the backup: not in the restored cluster.
                try client.put("after-backup", "x")
            }
            try LocalCluster.run(size: 3, name: "restore", arguments: ["--restore", backup]) { cluster in
                let leader = try cluster.waitForLeader()
                for id in cluster.ids {
                    let info = try cluster.info(id)
                    #expect(UInt64(info["snapshot_slot"] ?? "") ?? 0 >= backupSlot, "node \(id): \(info)")
                }
                var configuration = PaxosClient.Configuration.patient
                configuration.staleReads = true
                for id in cluster.ids {
                    let reader = try PaxosClient(endpoints: [cluster.endpoint(id)], configuration: configuration)
                    for index in stride(from: 0, to: 300, by: 7) {
                        #expect(try reader.get("key-\(index)") == expected["key-\(index)"], "node \(id) key-\(index)")
                    }
                    #expect(try reader.get("after-backup") == nil)
                }
                // The restored cluster takes writes and agrees on them.
                let client = try cluster.client(only: leader)
                try client.put("restored", "yes")
                try cluster.waitForAllCaughtUp()
                for id in cluster.ids {
                    let reader = try PaxosClient(endpoints: [cluster.endpoint(id)], configuration: configuration)
                    #expect(try reader.get("restored") == "yes")
                }
            }
        }

        @Test("process: a snapshot transfer cut by the receiver's crash, then by the sender's, starts over and completes")
        func interruptedTransfers() throws {
            try LocalCluster.run(size: 3, name: "snapshot-interrupted", arguments: ["--retain-slots", "100"]) { cluster in
                let leader = try cluster.waitForLeader()
                let receiver = cluster.ids.first { $0 != leader } ?? 1
                let others = cluster.ids.filter { $0 != receiver }
                let stoppedAt = try cluster.infoNumber(receiver, "applied_slot")
                cluster.kill(receiver)
                // About 24 MiB of values, so a transfer takes long enough to be cut.
                var expected = try writeLarge(cluster, through: others, prefix: "first", count: 768)
                try waitUntil("nodes \(others) compact past slot \(stoppedAt)", timeout: .seconds(20)) {
                    try others.allSatisfy { try cluster.infoNumber($0, "snapshot_slot") > stoppedAt + 1 }
                }

                // 1. The receiver dies mid-transfer; restarted, it deletes the half-staged file and
                //    receives a new transfer.
                try cluster.restart(receiver)
                let cut = try killWhileReceiving(cluster, receiver)
                let staging = cluster.directory.appendingPathComponent("nodes/\(receiver)/paxos.sqlite.staging").path
                print("snapshots: receiver \(receiver) killed mid-transfer: \(cut); staging file left: \(FileManager.default.fileExists(atPath: staging))")
                try cluster.restart(receiver)
                try waitForInstall(cluster, receiver)
                try cluster.waitForCatchUp(receiver, timeout: .seconds(30))
                #expect(!FileManager.default.fileExists(atPath: staging), "the staging file is consumed by the install")
                try checkSample(cluster, node: receiver, expected: expected, against: leader)

                // 2. The sender dies mid-transfer; the receiver hears of it (the connection drops),
                //    and catches up from the node that is left, which leads now.
                let stoppedAgain = try cluster.infoNumber(receiver, "applied_slot")
                cluster.kill(receiver)
                expected.merge(try writeLarge(cluster, through: others, prefix: "second", count: 768)) { $1 }
                try waitUntil("nodes \(others) compact past slot \(stoppedAgain)", timeout: .seconds(20)) {
                    try others.allSatisfy { try cluster.infoNumber($0, "snapshot_slot") > stoppedAgain + 1 }
                }
                try cluster.restart(receiver)
                var sender = 0
                try waitUntil("node \(receiver) starts receiving a snapshot", timeout: .seconds(20), interval: .milliseconds(5)) {
                    sender = Int(try cluster.info(receiver)["snapshot_receiving_from"] ?? "") ?? 0
                    return sender != 0
                }
                cluster.kill(sender)
                let survivor = others.first { $0 != sender } ?? leader
                print("snapshots: sender \(sender) killed while node \(receiver) received from it; \(survivor) is left")
                try waitForInstall(cluster, receiver)
                try cluster.waitForCatchUp(receiver, timeout: .seconds(30))
                print("snapshots: node \(receiver) abandoned \(try cluster.infoNumber(receiver, "snapshot_transfers_aborted")) transfer(s) "
                    + "and installed \(try cluster.infoNumber(receiver, "snapshots_installed"))")
                try checkSample(cluster, node: receiver, expected: expected, against: survivor)
                try cluster.restart(sender)
                try cluster.waitForAllCaughtUp(timeout: .seconds(30))
            }
        }

        /// Waits until `node` has installed a snapshot since it started. (INFO's applied slot moves
        /// when the core accepts the snapshot, a little before the storage thread has installed
        /// it; `snapshots_installed` counts finished installs.)
        private func waitForInstall(_ cluster: LocalCluster, _ node: Int) throws {
            try waitUntil("node \(node) installs a snapshot", timeout: .seconds(30)) {
                try cluster.infoNumber(node, "snapshots_installed") >= 1
            }
        }

        /// Kills `node` as soon as its INFO says it is receiving a snapshot; describes what it had
        /// done by then.
        private func killWhileReceiving(_ cluster: LocalCluster, _ node: Int) throws -> String {
            var seen: [String: String] = [:]
            try waitUntil("node \(node) starts receiving a snapshot", timeout: .seconds(20), interval: .milliseconds(5)) {
                seen = try cluster.info(node)
                return !(seen["snapshot_receiving_from"] ?? "").isEmpty
            }
            cluster.kill(node)
            return "receiving from \(seen["snapshot_receiving_from"] ?? "?"), installed \(seen["snapshots_installed"] ?? "?")"
        }

        /// `count` keys with 32 KiB values from 4 threads; returns what was acknowledged.
        private func writeLarge(_ cluster: LocalCluster, through ids: [Int], prefix: String, count: Int) throws -> [String: String?] {
            let endpoints = ids.map(cluster.endpoint)
            let results = ThreadGroup(4, name: "snapshot-large-writer") { thread -> Result<[String: String?], PaxosClientError> in
                do throws(PaxosClientError) {
                    let client = try PaxosClient(endpoints: endpoints, configuration: .patient, startingAt: thread)
                    var written: [String: String?] = [:]
                    for index in stride(from: thread, to: count, by: 4) {
                        let value = "\(prefix)-\(index)-" + String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: 32 * 1_024)
                        try client.put("\(prefix)-\(index)", value)
                        written["\(prefix)-\(index)"] = value
                    }
                    return .success(written)
                } catch {
                    return .failure(error)
                }
            }.join()
            var all: [String: String?] = [:]
            for result in results { all.merge(try result.get()) { $1 } }
            return all
        }

        /// READONLY reads of every early and late key and every 10th bulk key, from `node` and
        /// from `leader`: both must equal what was acknowledged.
        private func checkSample(_ cluster: LocalCluster, node: Int, expected: [String: String?], against leader: Int) throws {
            var configuration = PaxosClient.Configuration.patient
            configuration.staleReads = true
            let mine = try PaxosClient(endpoints: [cluster.endpoint(node)], configuration: configuration)
            let theirs = try PaxosClient(endpoints: [cluster.endpoint(leader)], configuration: configuration)
            let sample = expected.keys.sorted().enumerated().filter { !$0.element.hasPrefix("bulk-") || $0.offset % 10 == 0 }.map(\.element)
            var wrong: [String] = []
            for key in sample {
                let want = expected[key] ?? nil
                let (read, leaderRead) = (try mine.get(key), try theirs.get(key))
                if read != want || leaderRead != want {
                    wrong.append("\(key): node \(node) \(read ?? "absent"), leader \(leaderRead ?? "absent"), want \(want ?? "absent")")
                }
            }
            try #require(wrong.isEmpty, "\(wrong.count) of \(sample.count) sampled keys differ, first: \(wrong.prefix(5))")
            print("snapshots: \(sample.count) sampled keys equal on node \(node) and leader \(leader)")
        }
    }
}
