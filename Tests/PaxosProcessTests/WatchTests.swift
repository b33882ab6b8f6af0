// Method: real 3-node clusters on 127.0.0.1. A writer thread runs SETs, MSETs and DELs of known
// keys through every node while a watcher pages through CHANGES on one follower, drops its
// connection and goes on from its last `next` on the other follower, and the leader is SIGKILLed
// halfway. The watched stream must hold every write once, in revision order, and equal the change
// log a node records (read in one pass afterwards), and `paxosctl watch --json` must print the
// same; `paxos-inspect verify` then replays each node's chosen log and checks that its recorded
// changes are what that log did (so "exactly once" is checked against the chosen log, not only
// against itself). A second cluster compacts its log: a watch from revision 0 gets COMPACTED with
// the revision to resume from, which works, and paxosctl says which --from-revision to use.
// Design: docs/design/watch-resp3-introspection.md §2.

import Foundation
import PaxosClient
import PaxosCore
import Synchronization
import Testing

extension ProcessTests {
    @Suite("process: the resumable watch (CHANGES)")
    struct WatchTests {
        /// Reads every change from `from` on one node until a page comes back empty.
        static func readAll(_ client: PaxosClient, from: UInt64 = 0) throws -> [PaxosClient.Change] {
            var all: [PaxosClient.Change] = []
            var next = from
            while true {
                let page = try client.changes(from: next, count: 100_000)
                if page.changes.isEmpty { return all }
                all += page.changes
                next = page.next
            }
        }

        @Test("process: a watcher moved between nodes and through the leader's crash gets every change once, as recorded and as the chosen log did")
        func resumeAcrossNodesAndLeaderChange() throws {
            try LocalCluster.run(size: 3, name: "watch-resume") { cluster in
                let leader = try cluster.waitForLeader()
                let followers = cluster.ids.filter { $0 != leader }
                let written = Mutex(0)
                let endpoints = cluster.endpoints
                // 300 writes: SETs of w<i>, every 10th an MSET of two keys, every 25th a DEL of an earlier key.
                // A write retried after the crash may be applied twice (a retry is a new
                // session: PaxosClient's documented at-least-once): such writes are counted.
                let writer = ThreadGroup(1, name: "watch-writer") { _ -> Result<(keys: Set<String>, retriedSets: Int), PaxosClientError> in
                    do throws(PaxosClientError) {
                        let client = try PaxosClient(endpoints: endpoints, configuration: .patient)
                        var keys: Set<String> = []
                        var retriedSets = 0
                        for index in 0..<300 {
                            if index % 10 == 0 {
                                _ = try client.command(["MSET", "m\(index)a", "1", "m\(index)b", "2"].map { Array($0.utf8) })
                                keys.formUnion(["m\(index)a", "m\(index)b"])
                                if client.lastAttempts > 1 { retriedSets += 2 }
                            } else {
                                try client.put("w\(index)", "v\(index)")
                                keys.insert("w\(index)")
                                if client.lastAttempts > 1 { retriedSets += 1 }
                            }
                            if index % 25 == 24 { _ = try client.delete("w\(index - 1)") }
                            written.withLock { $0 = index + 1 }
                        }
                        return .success((keys, retriedSets))
                    } catch {
                        return .failure(error)
                    }
                }
                // The watcher: follower A, then follower B after 100 changes; the leader dies
                // once 150 writes are done. Each call goes to one node only (no failover), so
                // every move between nodes is the watcher's own, from its last `next`.
                var watched: [PaxosClient.Change] = []
                var next: UInt64 = 0
                var node = followers[0]
                var client = try cluster.client(only: node)
                var moved = false
                var killed = false
                var pages: [Int] = []
                let deadline = ContinuousClock.now + .seconds(90)
                while ContinuousClock.now < deadline {
                    let page = try client.changes(from: next, count: 7, blockMilliseconds: 300)
                    #expect(page.next >= next, "next never goes back")
                    pages.append(page.changes.count)
                    watched += page.changes
                    next = page.next
                    // A slow consumer: changes pile up, so most pages end at COUNT, not at the
                    // applied slot, and `next` inside the log is what carries the watch.
                    Thread.sleep(forTimeInterval: 0.05)
                    if !moved, watched.count >= 100 {
                        client.close()
                        node = followers[1]
                        client = try cluster.client(only: node)
                        moved = true
                    }
                    if !killed, written.withLock({ $0 }) >= 150 {
                        cluster.kill(leader)
                        killed = true
                    }
                    if writer.isFinished, page.changes.isEmpty, watched.count > 0 { break }
                }
                let (keys, retriedSets) = try #require(try writer.join()[0].get())
                #expect(moved && killed)
                #expect(pages.filter { $0 >= 7 }.count > 5, "pages ended at COUNT: \(pages)")

                // Every write's set once, in revision order, no change twice.
                let sets = watched.filter { $0.event == "set" }.map { String(decoding: $0.key, as: UTF8.self) }
                #expect(Set(sets) == keys, "every written key's set was watched")
                #expect(sets.count >= keys.count && sets.count <= keys.count + retriedSets,
                        "once, or twice for a retried write (\(sets.count) sets for \(keys.count) keys, \(retriedSets) retried)")
                #expect(zip(watched, watched.dropFirst()).allSatisfy { $0.revision <= $1.revision }, "in revision order")
                #expect(Set(watched.map { "\($0.revision) \($0.event) \($0.key)" }).count == watched.count, "no change twice")
                #expect((12...24).contains(watched.count { $0.event == "del" }), "12 DELs, each at most twice")

                // Equal to the change log both survivors record, read in one pass.
                for id in followers {
                    let recorded = try Self.readAll(try cluster.client(only: id))
                    #expect(recorded == watched, "node \(id)'s recorded changes are the watched stream")
                }

                // paxosctl watch prints the same, as JSON lines, from another node each time it needs to.
                let survivors = followers.map { "\(cluster.host($0)):\(cluster.clientPort($0))" }.joined(separator: ",")
                let run = try Paxosctl.run(["watch", "--from-revision", "0", "--json", "--limit", "\(watched.count)", "--endpoints", survivors],
                                           timeout: .seconds(60))
                #expect(run.status == 0, "\(run)")
                let expectedLines = watched.map { "{\"revision\":\($0.revision),\"event\":\"\($0.event)\",\"key\":\"\(String(decoding: $0.key, as: UTF8.self))\"}" }
                #expect(run.standardOutput.split(separator: "\n").map(String.init) == expectedLines)

                // And what the chosen log did: verify replays each survivor's log and compares.
                try cluster.expectConsistentDatabases(followers)
            }
        }

        @Test("process: a blocked watch of a quiet prefix passes other writes by and wakes with its key's change only")
        func quietPrefix() throws {
            try LocalCluster.run(size: 3, name: "watch-quiet") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                let start = try cluster.client(only: follower).changes(from: nil).next
                let endpoint = cluster.endpoint(follower)
                // Two blocked reads in turn from the start revision: the first ends empty at
                // its deadline while other keys are written (its next moved past them), the
                // second wakes with the quiet key's change.
                let watcher = ThreadGroup(1, name: "quiet-watcher") { _ -> Result<[PaxosClient.ChangesPage], PaxosClientError> in
                    do throws(PaxosClientError) {
                        let client = try PaxosClient(endpoints: [endpoint], configuration: .patient)
                        let first = try client.changes(from: start, prefix: Array("quiet:".utf8), blockMilliseconds: 1_500)
                        let second = try client.changes(from: first.next, prefix: Array("quiet:".utf8), blockMilliseconds: 5_000)
                        return .success([first, second])
                    } catch {
                        return .failure(error)
                    }
                }
                let writer = try cluster.client()
                for index in 0..<100 { try writer.put("loud:\(index)", "v") }
                Thread.sleep(forTimeInterval: 1.6)
                try writer.put("quiet:1", "x")
                let pages = try #require(try watcher.join()[0].get())
                #expect(pages[0].changes.isEmpty)
                #expect(pages[0].next > start, "the blocked read moved past the loud writes: \(pages[0].next) after \(start)")
                let revision = try #require(try writer.valueAndRevision(Array("quiet:1".utf8))?.revision)
                #expect(pages[1].changes.map { "\($0.revision) \($0.event) \(String(decoding: $0.key, as: UTF8.self))" }
                        == ["\(revision) set quiet:1"])
            }
        }

        @Test("process: a revision below the snapshot is COMPACTED with the revision to resume from, which answers")
        func compactedRevision() throws {
            try LocalCluster.run(size: 3, name: "watch-compacted", arguments: ["--retain-slots", "100"]) { cluster in
                let leader = try cluster.waitForLeader()
                let client = try cluster.client()
                for index in 0..<400 { try client.put("c\(index)", "v") }
                try cluster.waitForAllCaughtUp()
                let reader = try cluster.client(only: leader)
                var resume: UInt64?
                try waitUntil("the leader compacts its log", timeout: .seconds(20)) {
                    do {
                        _ = try reader.changes(from: 0)
                        return false
                    } catch let error as PaxosClientError {
                        #expect(error.serverErrorCode == .compacted, "\(error)")
                        resume = PaxosClient.compactedResumeRevision(error)
                        return true
                    }
                }
                let from = try #require(resume)
                #expect(from > 100 << 16, "the snapshot covers the first hundred slots at least")
                let rest = try Self.readAll(reader, from: from)
                #expect(!rest.isEmpty && rest.allSatisfy { $0.revision >= from })
                #expect(rest.last.map { String(decoding: $0.key, as: UTF8.self) } == "c399")

                let endpoint = "\(cluster.host(leader)):\(cluster.clientPort(leader))"
                let run = try Paxosctl.run(["watch", "--from-revision", "0", "--endpoints", endpoint], timeout: .seconds(30))
                #expect(run.status == 1, "\(run)")
                #expect(run.standardError.contains("is compacted") && run.standardError.contains("--from-revision \(from)"), "\(run)")
            }
        }
    }
}
