import Foundation
import Testing

// redis-py's Lock against a real 3-node cluster (docs/design/coordination-api.md §1.4 "Known
// scripts", §8): tools/compat/lock_contention.py runs 8 processes taking `Lock(timeout=2)`, each
// incrementing a counter with GET and SET inside the lock and logging its entry and exit; one
// holds the lock past its timeout, so its release must fail. The script checks the counter
// equals the acquisitions and the log shows no two holders at once. Needs python3 with redis-py
// (Debian: python3-redis); a machine without it fails with a sentence saying so.

extension ProcessTests {
    @Suite("process: redis-py Lock")
    struct LockContentionTests {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/compat/lock_contention.py")

        @Test("process: 8 redis-py Lock holders never overlap, the counter equals the acquisitions, an expired holder's release fails")
        func lockContention() throws {
            // The python3 on PATH (CI's Debian one, or a developer's pyenv).
            let env = URL(fileURLWithPath: "/usr/bin/env")
            let probe = try Paxosctl.run(["python3", "-c", "import redis"], program: env)
            try #require(probe.status == 0, "python3 with redis-py is needed (apt-get install python3-redis): \(probe)")
            try LocalCluster.run(size: 3, name: "lock-contention") { cluster in
                _ = try cluster.waitForLeader()
                let endpoints = cluster.ids.map { "\(cluster.host($0)):\(cluster.clientPort($0))" }
                let run = try Paxosctl.run(["python3", Self.script.path] + endpoints, timeout: .seconds(240), program: env)
                #expect(run.status == 0, "\(run)")
                #expect(run.standardOutput.contains("\"failures\": []"), "\(run)")
                try cluster.expectConsistentDatabases()
            }
        }
    }
}
