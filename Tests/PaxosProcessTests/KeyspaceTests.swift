import Foundation
import PaxosClient
import Synchronization
import Testing

// SCAN, KEYS, DBSIZE, TYPE and RANDOMKEY through real clients on a real cluster: redis-cli
// --scan --pattern lists exactly the matching keys once each while another client writes other
// keys, a scan begun on one node continues on another, KEYS and DBSIZE count what was written,
// expired keys are not listed, redis-cli --bigkeys completes, paxosctl scan --prefix lists the
// prefix; with 4 groups, a scan walks every group and still lists each key once.

extension ProcessTests {
    @Suite("process: keyspace reads")
    struct KeyspaceTests {
        static func cli(_ cluster: LocalCluster, _ id: Int, _ words: [String], input: String? = nil) throws -> [String] {
            let arguments = ["-h", cluster.host(id), "-p", "\(cluster.clientPort(id))"] + words
            let run = try input.map { try Paxosctl.run(arguments, input: $0, timeout: .seconds(60), program: try RedisCLI.executable()) }
                ?? RedisCLI.run(arguments, timeout: .seconds(60))
            #expect(run.status == 0, "\(run)")
            return run.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        }

        @Test("process: redis-cli --scan lists exactly the matching keys once while another client writes; KEYS, DBSIZE, TYPE, RANDOMKEY")
        func scanWhileWriting() throws {
            try LocalCluster.run(size: 3, name: "keyspace") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                let client = try cluster.client()
                let users = (0..<300).map { "user:\($0)" }
                for key in users { try client.put(key, "v") }
                for n in 0..<50 { try client.put("other:\(n)", "v") }

                // A writer adds and deletes keys of another prefix while the scan runs.
                let stop = Flag()
                let endpoints = cluster.endpoints
                let configuration = cluster.authenticated(PaxosClient.Configuration())
                let writer = ThreadGroup<Int>(1, name: "noise-writer") { _ in
                    guard let noisy = try? PaxosClient(endpoints: endpoints, configuration: configuration) else { return 0 }
                    var n = 0
                    while !stop.value.load(ordering: .relaxed) {
                        _ = try? noisy.put("noise:\(n % 40)", "x")
                        if n % 3 == 0 { _ = try? noisy.delete("noise:\((n + 7) % 40)") }
                        n += 1
                    }
                    return n
                }
                defer { stop.value.store(true, ordering: .relaxed) }
                let scanned = try Self.cli(cluster, follower, ["--scan", "--pattern", "user:*"])
                stop.value.store(true, ordering: .relaxed)
                let noiseWrites = writer.join().reduce(0, +)
                #expect(noiseWrites > 0, "the writer wrote while the scan ran")
                #expect(scanned.count == users.count, "each matching key once: \(scanned.count) lines")
                #expect(Set(scanned) == Set(users))

                // A cursor from one node continues on another.
                let first = try Self.cli(cluster, leader, ["SCAN", "0", "COUNT", "20", "MATCH", "user:*"])
                let cursor = try #require(first.first)
                #expect(cursor != "0")
                let rest = try Self.cli(cluster, follower, ["SCAN", cursor, "COUNT", "10000", "MATCH", "user:*"])
                #expect(rest.first == "0" && Set(first.dropFirst()).isDisjoint(with: Set(rest.dropFirst())), "no key twice across nodes")
                #expect(Set(first.dropFirst() + rest.dropFirst()) == Set(users))
                #expect(try Self.cli(cluster, follower, ["SCAN", "abc"]) == ["ERR invalid cursor"])

                let keys = try Self.cli(cluster, leader, ["KEYS", "user:1?"])
                #expect(Set(keys) == Set((10..<20).map { "user:\($0)" }))
                let noise = try Self.cli(cluster, leader, ["KEYS", "noise:*"]).count
                #expect(try Self.cli(cluster, follower, ["DBSIZE"]) == ["\(350 + noise)"])
                #expect(try Self.cli(cluster, follower, ["TYPE", "user:5"]) == ["string"])
                #expect(try Self.cli(cluster, follower, ["TYPE", "missing"]) == ["none"])
                let random = try #require(try Self.cli(cluster, leader, ["RANDOMKEY"]).first)
                #expect(random.hasPrefix("user:") || random.hasPrefix("other:") || random.hasPrefix("noise:"), "\(random)")
                // READONLY: pages from the follower's own applied state, the same keys once caught up.
                let stale = try Self.cli(cluster, follower, [], input: "READONLY\nSCAN 0 COUNT 10000 MATCH other:*\n")
                #expect(Set(stale.dropFirst(2)) == Set((0..<50).map { "other:\($0)" }), "\(stale.prefix(3))")

                // An expired key is not listed, and not counted.
                #expect(try Self.cli(cluster, leader, ["SET", "short", "v", "PX", "100"]) == ["OK"])
                Thread.sleep(forTimeInterval: 0.6)
                #expect(try Self.cli(cluster, leader, ["KEYS", "short"]).isEmpty)
                #expect(try Self.cli(cluster, leader, ["DBSIZE"]) == ["\(350 + noise)"])

                // Tools built on SCAN.
                let bigkeys = try RedisCLI.run(["-h", cluster.host(leader), "-p", "\(cluster.clientPort(leader))", "--bigkeys"], timeout: .seconds(60))
                #expect(bigkeys.status == 0 && bigkeys.standardOutput.contains("Sampled \(350 + noise) keys"), "\(bigkeys)")
                let prefixed = try Paxosctl.run(["scan", "--prefix", "other:", "--endpoints", "\(cluster.endpoint(follower))"])
                #expect(prefixed.status == 0, "\(prefixed)")
                #expect(Set(prefixed.outputLines.filter { !$0.isEmpty }) == Set((0..<50).map { "other:\($0)" }))
            }
        }

        @Test("process: with 4 groups, SCAN walks every group and lists each key once; DBSIZE sums the groups")
        func scanAcrossGroups() throws {
            try LocalCluster.run(size: 3, name: "keyspace-groups", arguments: ["--groups", "4"]) { cluster in
                try cluster.waitForLeader()
                let client = try cluster.client()
                let written = (0..<200).map { "k\($0)" }
                for key in written { try client.put(key, "v") }
                let node = cluster.ids.first!
                let scanned = try Self.cli(cluster, node, ["--scan"])
                #expect(scanned.count == written.count && Set(scanned) == Set(written))
                #expect(try Self.cli(cluster, node, ["DBSIZE"]) == ["200"])
                #expect(Set(try Self.cli(cluster, node, ["KEYS", "*"])) == Set(written))
            }
        }
    }
}
