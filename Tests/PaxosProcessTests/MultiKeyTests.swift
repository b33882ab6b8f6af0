import Foundation
import Testing

// Multi-key operations and transactions (docs/design/coordination-api.md "PR 4") through real
// 3-node clusters with real Redis clients: redis-py's WATCH/MULTI/EXEC increment loop from 16
// clients over all three nodes ends exactly at 3,200 (no lost update), a transaction pipeline
// with a bad command applies nothing (EXECABORT), `redis-benchmark -t mset` completes, redis-cli's
// MSET/MGET/GETREV/SETIFREV/DEL of many keys answer as Redis, and with 4 groups MSET across
// groups is refused with CROSSSLOT while MGET, EXISTS and DEL fan out and combine.

extension ProcessTests {
    @Suite("process: multi-key operations and transactions")
    struct MultiKeyTests {
        static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()

        /// A program on PATH; a missing one fails the test with what to install (never a skip).
        static func program(_ name: String, install: String) throws -> URL {
            for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
                let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw HarnessError("\(name) not found on PATH; install \(install)")
        }

        static func compat(_ script: String, _ arguments: [String], timeout: Duration) throws -> Paxosctl.Run {
            try Paxosctl.run([packageRoot.appendingPathComponent("tools/compat/\(script)").path] + arguments, timeout: timeout,
                             program: try program("python3", install: "python3 and python3-redis (redis-py)"))
        }

        @Test("process: redis-py WATCH/MULTI/EXEC increments from 16 clients end exactly at 3200; a failed transaction pipeline applies nothing; redis-benchmark MSET completes")
        func redisClients() throws {
            try LocalCluster.run(size: 3, name: "multikey-clients") { cluster in
                _ = try cluster.waitForLeader()
                let nodes = cluster.ids.map { "\(cluster.host($0)):\(cluster.clientPort($0))" }

                let pipeline = try Self.compat("pipeline_transaction.py", [nodes[0]], timeout: .seconds(60))
                print("compat: pipeline_transaction.py:\n\(pipeline.standardOutput)")
                #expect(pipeline.status == 0, "\(pipeline)")

                let increments = try Self.compat("watch_increment.py", nodes + ["--clients", "16", "--increments", "200"],
                                                 timeout: .seconds(600))
                print("compat: watch_increment.py: \(increments.standardOutput)")
                #expect(increments.status == 0, "\(increments)")
                #expect(increments.standardOutput.contains("final=3200 expected=3200"), "\(increments)")

                let benchmark = try Paxosctl.run(["-h", cluster.host(cluster.ids[1]), "-p", "\(cluster.clientPort(cluster.ids[1]))",
                                                  "-t", "mset", "-n", "2000", "-r", "1000", "-q"],
                                                 timeout: .seconds(120), program: try Self.program("redis-benchmark", install: "redis-tools"))
                #expect(benchmark.status == 0, "\(benchmark)")
                #expect(benchmark.standardOutput.contains("MSET"), "\(benchmark)")
                #expect(!benchmark.standardOutput.contains("ERR") && !benchmark.standardError.contains("ERR"), "\(benchmark)")
            }
        }

        @Test("process: MSET, MGET, GETREV, SETIFREV, DELIFREV, MSETNX and many-key DEL/EXISTS through redis-cli")
        func multiKeyCommands() throws {
            try LocalCluster.run(size: 3, name: "multikey-cli") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                func cli(_ id: Int, _ words: String...) throws -> String { try cluster.redisCLI(id, words) }
                #expect(try cli(follower, "MSET", "a", "1", "b", "2", "c", "3") == "OK")
                #expect(try cli(leader, "MGET", "a", "missing", "c", "a") == "1\n\n3\n1")
                let getrev = try cli(follower, "GETREV", "a").split(separator: "\n")
                #expect(getrev.count == 2 && getrev[0] == "1", "\(getrev)")
                let revision = getrev.count == 2 ? String(getrev[1]) : "0"
                #expect(try cli(leader, "GETREV", "b").hasSuffix(revision), "one MSET, one revision")
                #expect(try cli(follower, "SETIFREV", "a", "x", "0") == "")
                #expect(try cli(leader, "SETIFREV", "a", "x", revision) == "OK")
                #expect(try cli(follower, "DELIFREV", "a", revision) == "0")
                #expect(try cli(leader, "MSETNX", "c", "9", "d", "9") == "0")
                #expect(try cli(follower, "MSETNX", "d", "4", "e", "5") == "1")
                #expect(try cli(leader, "EXISTS", "a", "b", "nope", "a") == "3")
                #expect(try cli(follower, "DEL", "a", "b", "nope", "d") == "3")
                // (redis-cli prints a nil as an empty line; the leading ones are trimmed.)
                #expect(try cli(leader, "MGET", "a", "b", "c", "d", "e") == "3\n\n5")
            }
        }

        @Test("process: with 4 groups, MSET and WATCH across groups are CROSSSLOT, MGET/EXISTS/DEL fan out and combine in key order")
        func acrossGroups() throws {
            try LocalCluster.run(size: 3, name: "multikey-groups", arguments: ["--groups", "4"]) { cluster in
                _ = try cluster.waitForGroupLeaders(preferred: false, timeout: .seconds(20))
                let id = cluster.ids[0]
                func cli(_ words: [String]) throws -> String {
                    let run = try RedisCLI.run(["-h", cluster.host(id), "-p", "\(cluster.clientPort(id))"] + words)
                    #expect(run.status == 0, "\(run)")
                    return run.standardOutput.trimmingCharacters(in: .newlines)
                }
                // Twelve keys spread over the four groups ("a" … "h" span them, see GroupMap).
                let keys = (0..<12).map { "key-\($0)" }
                for key in keys { #expect(try cli(["SET", key, "v-\(key)"]) == "OK") }
                #expect(try cli(["MGET"] + keys) == keys.map { "v-\($0)" }.joined(separator: "\n"))
                #expect(try cli(["EXISTS"] + keys + ["none"]) == "12")
                #expect(try cli(["MSET"] + keys.flatMap { [$0, "x"] }).hasPrefix("CROSSSLOT"))
                #expect(try cli(["WATCH"] + keys).hasPrefix("CROSSSLOT"))
                #expect(try cli(["DEL"] + keys) == "12")
                #expect(try cli(["MGET"] + keys) == "", "every value is nil")
                #expect(try cli(["EXISTS"] + keys) == "0")
            }
        }
    }
}
