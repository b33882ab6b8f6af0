// Method: a 3-node cluster in which one node's disk lies or fails, injected between runs of that
// node (or under it) from outside the process: bytes of a kv value changed with the sqlite3
// tool, a kv page overwritten in the file, the -wal truncated to zero after kill -9, and, as
// root, the node directory on a tmpfs that is read-only or full. What is checked is what an
// operator and a client see (the requirement: "Checksummed state / disks that lie"):
// - the damaged node never serves the damaged value: it stops with one clear line naming the
//   database file and what failed, or refuses to start, and does not crash-loop;
// - the other two nodes go on serving, and every acknowledged write reads back from them.
// Storage checks are unit-tested in PaxosStorageTests (StateChecksumTests, DurableMarksTests).

import Foundation
import PaxosClient
import Testing

extension ProcessTests {
    @Suite("process: disk faults")
    struct DiskFaultTests {
        static let sqlite3 = URL(fileURLWithPath: "/usr/bin/sqlite3")

        /// Writes `count` keys `disk-<i>` through the cluster and returns them.
        static func writeKeys(_ cluster: LocalCluster, _ range: Range<Int>, through ids: [Int]? = nil) throws -> [String: String] {
            let client = try cluster.client(over: ids)
            defer { client.close() }
            var written: [String: String] = [:]
            for index in range {
                try client.put("disk-\(index)", "value-\(index)-" + String(repeating: "x", count: 40))
                written["disk-\(index)"] = "value-\(index)-" + String(repeating: "x", count: 40)
            }
            return written
        }

        /// Every acknowledged write reads back, linearizably, through the nodes `ids`.
        static func expectReadable(_ cluster: LocalCluster, _ written: [String: String], through ids: [Int]) throws {
            let client = try cluster.client(over: ids)
            defer { client.close() }
            for (key, value) in written.sorted(by: { $0.key < $1.key }) {
                let read = try client.get(key)
                try #require(read == value, "\(key): read \(read ?? "nothing"), acknowledged \(value)")
            }
        }

        static func log(_ cluster: LocalCluster, _ id: Int) -> String {
            String(decoding: FileManager.default.contents(atPath: cluster.logPath(id)) ?? Data(), as: UTF8.self)
        }

        static func sqlite(_ database: String, _ sql: String) throws -> String {
            let run = try Paxosctl.run([database, sql], program: sqlite3)
            guard run.status == 0 else { throw HarnessError("sqlite3 \(sql): \(run)") }
            return run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// A follower of the current leader.
        static func follower(_ cluster: LocalCluster) throws -> (leader: Int, follower: Int) {
            let leader = try cluster.waitForLeader()
            return (leader, cluster.ids.first { $0 != leader }!)
        }

        /// Writes keys disk-0…19, stops a follower, changes the value of disk-7 in its kv table
        /// behind SQLite's back (the checksum is left as it was) and restarts it.
        static func tamperWithFollower(_ cluster: LocalCluster) throws
            -> (leader: Int, node: Int, written: [String: String], database: String) {
            let (leader, node) = try follower(cluster)
            let written = try writeKeys(cluster, 0..<20)
            try cluster.waitForAllCaughtUp()
            cluster.kill(node, signal: SIGTERM)
            let database = cluster.dataDirectory(node).appendingPathComponent("paxos.sqlite").path
            _ = try sqlite(database, "UPDATE kv SET value = CAST('tampered' AS BLOB) WHERE key = CAST('disk-7' AS BLOB)")
            try cluster.restart(node)
            return (leader, node, written, database)
        }

        @Test("process: a kv value changed on a stopped follower is never served; the node goes out of service with one line and stays out")
        func changedValue() throws {
            try LocalCluster.run(size: 3, name: "disk-value") { cluster in
                let (leader, node, written, database) = try Self.tamperWithFollower(cluster)

                // A stale read is served from the node's own table: the row fails its check.
                var stale = PaxosClient.Configuration.probe
                stale.staleReads = true
                let client = try PaxosClient(endpoints: [cluster.endpoint(node)], configuration: stale)
                var served: String?
                do { served = try client.get("disk-7") } catch { print("disk-value: the stale read failed as it should: \(error)") }
                client.close()
                #expect(served != "tampered", "the damaged value was served")
                #expect(try cluster.awaitExit(node) == 74, "out of service exits with EX_IOERR")
                let text = Self.log(cluster, node)
                let line = text.split(separator: "\n").first { $0.contains("is out of service") }.map(String.init) ?? ""
                #expect(line.contains(database) && line.contains("table kv, key \"disk-7\"") && line.contains("checksum mismatch"), "\(text)")
                #expect(line.contains("paxosctl member replace"), "\(line)")
                #expect(!text.contains("tampered"), "values are never logged")
                #expect(!text.contains("Fatal error"), "a clean stop, not a crash: \(text)")

                // The others serve, the right value included, and take writes.
                let others = cluster.ids.filter { $0 != node }
                try Self.expectReadable(cluster, written, through: others)
                let more = try Self.writeKeys(cluster, 20..<25, through: others)
                try Self.expectReadable(cluster, more, through: [leader])

                // Not a crash loop: the next start is refused at once, saying why.
                #expect(try cluster.startExpectingExit(node) != 0)
                let refusal = Self.log(cluster, node)
                #expect(refusal.contains("taken out of service") && refusal.contains("out-of-service"), "\(refusal.suffix(2_000))")
            }
        }

        @Test("process: a leader whose kv value was changed stops at its first linearizable read of it, and the cluster serves the right value")
        func changedValueOnLeader() throws {
            try LocalCluster.run(size: 3, name: "disk-leader") { cluster in
                let (_, node, written, _) = try Self.tamperWithFollower(cluster)
                try cluster.waitForCatchUp(node)
                // Move the leadership until the damaged node holds it: stop the leader cleanly,
                // let the other two elect, bring it back (each round gives it about one chance in two).
                var leader = try cluster.waitForLeader()
                var rounds = 0
                while leader != node && rounds < 12 {
                    cluster.kill(leader, signal: SIGTERM)
                    let elected = try cluster.waitForLeader(among: cluster.liveIDs)
                    try cluster.restart(leader)
                    leader = elected
                    rounds += 1
                }
                try #require(leader == node, "node \(node) never led in \(rounds) rounds")
                try cluster.waitForAllCaughtUp()

                let client = try PaxosClient(endpoints: [cluster.endpoint(node)], configuration: .probe)
                var served: String?
                do { served = try client.get("disk-7") } catch { print("disk-leader: the read failed as it should: \(error)") }
                client.close()
                #expect(served != "tampered", "the damaged value was served linearizably")
                #expect(try cluster.awaitExit(node) == 74)
                #expect(Self.log(cluster, node).contains("table kv, key \"disk-7\""), "\(Self.log(cluster, node).suffix(2_000))")
                let others = cluster.ids.filter { $0 != node }
                try Self.expectReadable(cluster, written, through: others)
                #expect(try cluster.waitForLeader(among: others) != node)
            }
        }

        @Test("process: a damaged kv page is refused at start by the quick check, every time, naming the file")
        func damagedPage() throws {
            try LocalCluster.run(size: 3, name: "disk-page") { cluster in
                let (_, node) = try Self.follower(cluster)
                let written = try Self.writeKeys(cluster, 0..<200)
                try cluster.waitForAllCaughtUp()
                cluster.kill(node, signal: SIGTERM)
                let database = cluster.dataDirectory(node).appendingPathComponent("paxos.sqlite").path
                let page = try #require(Int(try Self.sqlite(database, "SELECT rootpage FROM sqlite_master WHERE name = 'kv'")))
                let pageSize = try #require(Int(try Self.sqlite(database, "PRAGMA page_size")))
                #expect(!FileManager.default.fileExists(atPath: database + "-wal"), "a clean stop checkpoints the WAL")
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: database))
                try handle.seek(toOffset: UInt64((page - 1) * pageSize))
                try handle.write(contentsOf: Data(repeating: 0xA5, count: 64))
                try handle.close()

                for attempt in 1...2 {
                    #expect(try cluster.startExpectingExit(node) != 0, "start \(attempt)")
                    let text = Self.log(cluster, node)
                    #expect(text.contains("quick check") && text.contains(database) && text.contains("paxosctl member replace"),
                            "\(text.suffix(2_000))")
                }
                try Self.expectReadable(cluster, written, through: cluster.ids.filter { $0 != node })
            }
        }

        @Test("process: a read-only node directory stops the node at start naming it; the cluster serves; nothing acknowledged is lost")
        func readOnlyDirectory() throws {
            try #require(getuid() == 0, "this test mounts a tmpfs and needs root")
            try LocalCluster.run(size: 3, name: "disk-readonly") { cluster in
                let (_, node) = try Self.follower(cluster)
                var written = try Self.writeKeys(cluster, 0..<30)
                try cluster.waitForAllCaughtUp()
                cluster.kill(node, signal: SIGTERM)
                // Larger than --min-free-mib (64), so that the free-space check passes.
                let mount = try Tmpfs(replacing: cluster.dataDirectory(node).path, sizeMiB: 128)
                defer { mount.unmount() }
                try mount.remount(readOnly: true)

                #expect(try cluster.startExpectingExit(node) != 0)
                let text = Self.log(cluster, node).components(separatedBy: "=== harness: start").last ?? ""
                #expect(text.contains("read-only") && text.contains(cluster.dataDirectory(node).path), "\(text.suffix(2_000))")
                #expect(!text.contains("paxosd ready"), "it must not say ready: \(text.suffix(2_000))")

                let others = cluster.ids.filter { $0 != node }
                written.merge(try Self.writeKeys(cluster, 30..<40, through: others)) { $1 }
                try Self.expectReadable(cluster, written, through: others)

                // Writable again: the node starts as it was and catches up.
                try mount.remount(readOnly: false)
                try cluster.restart(node)
                try cluster.waitForCatchUp(node)
                try Self.expectReadable(cluster, written, through: [node])
                cluster.kill(node, signal: SIGTERM)
            }
        }

        @Test("process: a disk that fills up takes its node out of service naming ENOSPC; a restart on the full disk is refused; nothing acknowledged is lost")
        func fullDisk() throws {
            try #require(getuid() == 0, "this test mounts a tmpfs and needs root")
            try LocalCluster.run(size: 3, name: "disk-full", arguments: ["--min-free-mib", "1"]) { cluster in
                let (_, node) = try Self.follower(cluster)
                var written = try Self.writeKeys(cluster, 0..<30)
                try cluster.waitForAllCaughtUp()
                cluster.kill(node, signal: SIGTERM)
                let mount = try Tmpfs(replacing: cluster.dataDirectory(node).path, sizeMiB: 24)
                defer { mount.unmount() }
                try cluster.restart(node)
                try cluster.waitForCatchUp(node)

                let filler = try mount.fill()
                let others = cluster.ids.filter { $0 != node }
                let client = try cluster.client(over: others)
                defer { client.close() }
                let big = String(repeating: "y", count: 16_000)
                var index = 100
                let deadline = ContinuousClock.now + .seconds(30)
                while cluster.isRunning(node) && ContinuousClock.now < deadline {
                    try client.put("disk-\(index)", big)
                    written["disk-\(index)"] = big
                    index += 1
                }
                #expect(try cluster.awaitExit(node) == 74, "out of service exits with EX_IOERR")
                let text = Self.log(cluster, node)
                let line = text.split(separator: "\n").first { $0.contains("is out of service") }.map(String.init) ?? ""
                #expect(line.contains("ENOSPC"), "\(text.suffix(3_000))")
                #expect(!text.contains("storage executor is stopped"), "\(text.suffix(3_000))")
                print("disk-full: \(line)")

                written.merge(try Self.writeKeys(cluster, 30..<40, through: others)) { $1 }
                try Self.expectReadable(cluster, written, through: others)

                // Still full: refused at start, saying so. Room again: it starts and catches up.
                #expect(try cluster.startExpectingExit(node) != 0)
                #expect(Self.log(cluster, node).contains("MiB free, less than"), "\(Self.log(cluster, node).suffix(2_000))")
                try FileManager.default.removeItem(atPath: filler)
                try cluster.restart(node)
                try cluster.waitForCatchUp(node, timeout: .seconds(30))
                try Self.expectReadable(cluster, written, through: [node])
                cluster.kill(node, signal: SIGTERM)
            }
        }

        @Test("process: a WAL truncated to zero after kill -9 is refused at start, saying what the acceptor forgot")
        func truncatedWAL() throws {
            try LocalCluster.run(size: 3, name: "disk-wal") { cluster in
                let (_, node) = try Self.follower(cluster)
                var written = try Self.writeKeys(cluster, 0..<30)
                // The marks are rewritten at most once a second, after a synced commit: these
                // accepts come after a pause, so the marks name their slots.
                pause(.milliseconds(1_500))
                written.merge(try Self.writeKeys(cluster, 30..<35)) { $1 }
                try cluster.waitForCatchUp(node)
                pause(.milliseconds(1_200))
                written.merge(try Self.writeKeys(cluster, 35..<37)) { $1 }
                try cluster.waitForCatchUp(node)
                cluster.kill(node)
                let database = cluster.dataDirectory(node).appendingPathComponent("paxos.sqlite").path
                #expect(truncate(database + "-wal", 0) == 0, "truncate: \(String(cString: strerror(errno)))")

                #expect(try cluster.startExpectingExit(node) != 0)
                let text = Self.log(cluster, node)
                // A short-lived node never checkpointed: its main file is empty without the WAL
                // ("missing or empty"); a longer-lived one "holds less than it held before".
                #expect(text.contains("forgot promises or votes") && text.contains(database + "-wal")
                        && text.contains("paxosctl member replace"), "\(text.suffix(2_000))")
                print("disk-wal: \(text.split(separator: "\n").last { $0.contains("forgot") } ?? "")")
                #expect(try cluster.startExpectingExit(node) != 0, "the refusal repeats")
                try Self.expectReadable(cluster, written, through: cluster.ids.filter { $0 != node })
            }
        }
    }
}

/// A tmpfs mounted over a node directory, holding a copy of what was there (the node is
/// stopped), for a disk that is read-only or full on demand. Needs root.
final class Tmpfs {
    let path: String
    private var mounted = false

    init(replacing path: String, sizeMiB: Int) throws {
        self.path = path
        let saved = path + ".saved"
        try FileManager.default.moveItem(atPath: path, toPath: saved)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeMiB)m", "tmpfs", path])
        mounted = true
        for name in try FileManager.default.contentsOfDirectory(atPath: saved) {
            try FileManager.default.copyItem(atPath: saved + "/" + name, toPath: path + "/" + name)
        }
        try FileManager.default.removeItem(atPath: saved)
    }

    func remount(readOnly: Bool) throws {
        try Self.run("/bin/mount", ["-o", readOnly ? "remount,ro" : "remount,rw", path])
    }

    /// Fills the file system with one file until ENOSPC; returns its path.
    func fill() throws -> String {
        let filler = path + "/filler"
        guard FileManager.default.createFile(atPath: filler, contents: nil) else { throw HarnessError("cannot create \(filler)") }
        let descriptor = open(filler, O_WRONLY)
        guard descriptor >= 0 else { throw HarnessError("cannot open \(filler)") }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        guard errno == ENOSPC else { throw HarnessError("filling \(path) stopped on \(String(cString: strerror(errno)))") }
        return filler
    }

    /// Lazily, so it succeeds even while a process still has a file open there.
    func unmount() {
        guard mounted else { return }
        mounted = false
        do { try Self.run("/bin/umount", ["-l", path]) } catch { Issue.record("cannot unmount \(path): \(error)") }
    }

    private static func run(_ program: String, _ arguments: [String]) throws {
        let run = try Paxosctl.run(arguments, program: URL(fileURLWithPath: program))
        guard run.status == 0 else { throw HarnessError("\(program) \(arguments.joined(separator: " ")): \(run)") }
    }
}
