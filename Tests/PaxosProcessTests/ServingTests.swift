// Method: start a cluster, write through each node and read through every node, by bytes the
// client chose (binary-safe values included). Covers the leader election and request forwarding
// of ARCHITECTURE.md (followers forward writes and linearizable reads to the leader).

import PaxosClient
import Testing

extension ProcessTests {
    @Suite("process: serving")
    struct ServingTests {
        @Test(
            "process: a cluster elects one leader and serves SET/GET/DEL through every node",
            arguments: [3, 5])
        func servesThroughEveryNode(size: Int) throws {
            try LocalCluster.run(size: size, name: "serve-\(size)") { cluster in
                let leader = try cluster.waitForLeader()
                try checkOneLeader(cluster, leader: leader)
                let clients = try cluster.ids.map { try cluster.client(only: $0) }

                for writer in cluster.ids {
                    let key = "key-\(writer)"
                    try clients[writer - 1].put(key, "value-from-\(writer)")
                    #expect(clients[writer - 1].lastEndpoint == cluster.endpoint(writer))
                    for reader in cluster.ids {
                        let read = try clients[reader - 1].get(key)
                        try #require(read == "value-from-\(writer)", "GET \(key) through node \(reader) after SET through node \(writer)")
                        #expect(clients[reader - 1].lastEndpoint == cluster.endpoint(reader))
                    }
                }

                for writer in cluster.ids {
                    let key = "key-\(writer)"
                    let deleter = writer % size + 1
                    // A retried DEL reports its last attempt, which finds nothing if the first deleted it.
                    let existed = try clients[deleter - 1].delete(key)
                    try #require(existed || clients[deleter - 1].lastAttempts > 1, "DEL \(key) through node \(deleter) finds it")
                    for reader in cluster.ids {
                        try #require(try !clients[reader - 1].exists(key), "EXISTS \(key) through node \(reader) after DEL")
                        try #require(try clients[reader - 1].get(key) == nil, "GET \(key) through node \(reader) after DEL")
                    }
                    try #require(try !clients[writer - 1].delete(key), "a second DEL \(key) finds nothing")
                }

                for reader in cluster.ids {
                    try #require(try clients[reader - 1].get("never-written") == nil)
                    try #require(try !clients[reader - 1].exists("never-written"))
                    try clients[reader - 1].ping()
                }

                // Every byte value, CR and LF included, survives the trip through the log.
                let binaryKey: [UInt8] = [0, 13, 10, 255, 36, 42]
                let binaryValue = (0...255).map { UInt8($0) } + Array("\r\n$-1\r\n".utf8)
                try clients[0].put(binaryKey, binaryValue)
                for reader in cluster.ids {
                    try #require(try clients[reader - 1].get(binaryKey) == binaryValue, "binary value through node \(reader)")
                }
                try checkOneLeader(cluster, leader: leader)
            }
        }

        /// Exactly one node says it leads, and every node names it and reports its ballot.
        private func checkOneLeader(_ cluster: LocalCluster, leader: Int) throws {
            let infos = try cluster.ids.map { try cluster.info($0) }
            let leaders = cluster.ids.filter { infos[$0 - 1]["role"] == "leader" }
            try #require(leaders == [leader], "nodes claiming leadership: \(leaders)")
            let named = Set(infos.map { $0["leader_id"] ?? "missing" })
            try #require(named == ["\(leader)"], "leader_id across nodes: \(named)")
            let ballots = Set(infos.map { $0["ballot"] ?? "missing" })
            try #require(ballots.count == 1, "ballots across nodes: \(ballots)")
        }
    }
}
