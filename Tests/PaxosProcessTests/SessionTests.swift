import Foundation
import PaxosClient
import Testing

// Client ids and the sessions they name, with real processes. The repro of the issue that
// filed it: a node restarted with the same `--seed` handed its new connections the client ids
// of its previous life, so the sessions table answered their writes from the old sessions
// (`-ERR superseded`, or `+OK` for a write that was never applied).

extension ProcessTests {
    @Suite("process: client sessions")
    struct SessionTests {
        @Test("a node restarted with the same --seed gives new connections new client ids: every acknowledged write is applied")
        func restartWithTheSameSeed() throws {
            try LocalCluster.run(size: 3, name: "sessions-same-seed", arguments: ["--seed", "7"]) { cluster in
                let leader = try cluster.waitForLeader()
                for life in 1...3 {
                    // One write per connection, each connection new, all through the same node.
                    for index in 0..<12 {
                        let client = try cluster.client(only: leader)
                        defer { client.close() }
                        try client.put("life-\(life)-\(index)", "v\(life)-\(index)")
                    }
                    cluster.kill(leader)
                    try cluster.start(leader)
                    try cluster.waitForLeader()
                }
                let reader = try cluster.client()
                for life in 1...3 {
                    for index in 0..<12 {
                        #expect(try reader.get("life-\(life)-\(index)") == "v\(life)-\(index)",
                                "write \(index) of life \(life) was acknowledged but is not applied")
                    }
                }
            }
        }
    }
}
