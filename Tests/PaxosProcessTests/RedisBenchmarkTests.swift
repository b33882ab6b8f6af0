import Foundation
import Testing

// redis-benchmark, the C client every Redis user knows, against a real 3-node cluster through a
// follower (whose writes are forwarded to the leader) and the leader: every test PaxosKV
// supports runs to its end, without an error reply (redis-benchmark stops at the first one), and
// reports a throughput. The tests it runs are the ones README's Commands section lists as
// supported; `-r` makes the keys (MSET's ten among them) differ.

extension ProcessTests {
    @Suite("process: redis-benchmark")
    struct RedisBenchmarkTests {
        /// redis-benchmark's tests that PaxosKV serves.
        static let supported = ["ping_inline", "ping_mbulk", "set", "get", "incr", "mset"]

        @Test("process: redis-benchmark runs every supported test through a follower and the leader without an error")
        func supportedTests() throws {
            let program = try RedisCLI.executable().deletingLastPathComponent().appendingPathComponent("redis-benchmark")
            try #require(FileManager.default.isExecutableFile(atPath: program.path),
                         "redis-benchmark not found next to redis-cli; install redis-tools")
            try LocalCluster.run(size: 3, name: "redis-benchmark") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                for id in [follower, leader] {
                    let run = try Paxosctl.run(
                        ["-h", cluster.host(id), "-p", "\(cluster.clientPort(id))", "-t", Self.supported.joined(separator: ","),
                         "-n", "2000", "-r", "1000", "-c", "8", "-d", "64", "-q"],
                        timeout: .seconds(120), program: program)
                    #expect(run.status == 0 && !run.signalled, "node \(id): \(run)")
                    // -q prints one "NAME: N requests per second" line per test (carriage returns
                    // separate its progress lines).
                    let lines = run.standardOutput.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map(String.init)
                    for test in Self.supported {
                        // "SET: 1234.5 requests per second", "MSET (10 keys): …".
                        let name = test.uppercased()
                        let line = lines.first { ($0.hasPrefix(name + ":") || $0.hasPrefix(name + " (")) && $0.contains("requests per second") }
                        #expect(line != nil, "node \(id): no result for \(test): \(run)")
                    }
                    #expect(!run.standardOutput.contains("ERR") && !run.standardError.contains("ERR"), "node \(id): \(run)")
                    // It reads `save` and `appendonly` with CONFIG GET before it starts (issue 20).
                    #expect(!(run.standardOutput + run.standardError).contains("Could not fetch server CONFIG"), "node \(id): \(run)")
                }
            }
        }
    }
}
