import Foundation
import PaxosClient
import PaxosWire
import Testing

// TTLs through a real 3-node cluster (docs/design/coordination-api.md §3): deadlines come from
// the leader's stamps and expire at apply, so `redis-cli` sees Redis's replies, and keys with
// PX 300–2,000 ms written while the leader is killed and a node restarted are never readable
// after their deadline (plus a bound for the clock slot's commit), never come back, and every
// node's database ends equal (`paxos-inspect diff` and `verify`, which replays the log clock).

extension ProcessTests {
    @Suite("process: TTLs")
    struct TTLTests {
        static func now() -> Double { Date().timeIntervalSince1970 * 1_000 }

        @Test("process: SET PX, PTTL, TTL, EXPIRE, PERSIST and GETEX through redis-cli answer as Redis; an expired key is gone")
        func ttlCommandsThroughRedisCLI() throws {
            try LocalCluster.run(size: 3, name: "ttl-commands") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                func cli(_ id: Int, _ words: String...) throws -> String { try cluster.redisCLI(id, words) }
                #expect(try cli(follower, "SET", "short", "v", "PX", "400") == "OK")
                let pttl = Int(try cli(leader, "PTTL", "short")) ?? -100
                #expect((1...400).contains(pttl), "PTTL \(pttl)")
                #expect(try cli(follower, "TTL", "short") == "0")
                #expect(try cli(follower, "SET", "long", "v", "EX", "100") == "OK")
                #expect(try cli(leader, "TTL", "long") == "100")
                let expireTime = Int(try cli(leader, "EXPIRETIME", "long")) ?? 0
                #expect(abs(expireTime - Int(Self.now() / 1_000) - 100) <= 2)
                #expect(try cli(follower, "TTL", "missing") == "-2")
                #expect(try cli(follower, "SET", "plain", "v") == "OK")
                #expect(try cli(follower, "TTL", "plain") == "-1")
                #expect(try cli(follower, "EXPIRE", "plain", "50", "XX") == "0")
                #expect(try cli(follower, "EXPIRE", "plain", "50", "NX") == "1")
                #expect(try cli(leader, "PERSIST", "plain") == "1")
                #expect(try cli(leader, "PTTL", "plain") == "-1")
                #expect(try cli(follower, "GETEX", "plain", "PX", "300") == "v")
                #expect(try cli(follower, "SET", "k", "v", "EX", "0") == "ERR invalid expire time in 'set' command")
                #expect(try cli(follower, "EXPIRE", "long", "-1") == "1")
                #expect(try cli(leader, "GET", "long") == "")
                Thread.sleep(forTimeInterval: 0.8)
                // Nothing was written meanwhile: background expiry's clock slot moved the log clock.
                #expect(try cli(follower, "GET", "short") == "")
                #expect(try cli(leader, "EXISTS", "plain") == "0")
                #expect(try cli(leader, "STRLEN", "short") == "0")
            }
        }

        @Test("process: keys with PX 300–2000 ms through a leader kill and a restart: none readable after its deadline, none reappears, nodes converge")
        func ttlThroughFailover() throws {
            try LocalCluster.run(size: 3, name: "ttl-failover") { cluster in
                let firstLeader = try cluster.waitForLeader()
                let client = try cluster.client()
                defer { client.close() }
                var random = SystemRandomNumberGenerator()
                // The latest a key's deadline can be: its write's completion (the leader stamped
                // it before) plus its PX. Same machine, so no clock skew between test and leader.
                var latestDeadline: [String: Double] = [:]
                for index in 0..<40 {
                    if index == 12 { _ = cluster.kill(firstLeader) }
                    if index == 28 { try cluster.restart(firstLeader) }
                    let key = "ttl:\(index)", px = Int.random(in: 300...2_000, using: &random)
                    let reply = try client.command(["SET", key, "v\(index)", "PX", "\(px)"])
                    #expect(reply == .simpleString("OK"), "\(key): \(reply)")
                    latestDeadline[key] = Self.now() + Double(px)
                }
                // Reads are linearizable through the leader; this bound covers the tick at which
                // the leader notices the deadline and the commit of its clock slot.
                let boundMilliseconds = 1_000.0
                var gone: Set<String> = []
                let end = (latestDeadline.values.max() ?? 0) + boundMilliseconds + 500
                while Self.now() < end {
                    for (key, deadline) in latestDeadline.sorted(by: { $0.key < $1.key }) {
                        let asked = Self.now()
                        let reply = try client.command(["GET", key])
                        let present = reply != .bulkString(nil)
                        if present {
                            #expect(!gone.contains(key), "\(key) reappeared: \(reply)")
                            #expect(asked <= deadline + boundMilliseconds, "\(key) readable \(Int(asked - deadline)) ms after its deadline")
                        } else {
                            gone.insert(key)
                        }
                    }
                }
                #expect(gone.count == latestDeadline.count, "keys never seen gone: \(Set(latestDeadline.keys).subtracting(gone).sorted())")
                try cluster.waitForAllCaughtUp()
                try cluster.expectConsistentDatabases()
            }
        }
    }
}
