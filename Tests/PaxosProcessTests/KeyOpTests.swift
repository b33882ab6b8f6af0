import Foundation
import Testing

// Single-key conditional and atomic writes (docs/design/coordination-api.md "PR 2") through a
// real 3-node cluster with the real `redis-cli`: INCR through a follower and through the leader
// gives consecutive integers (both go through the one log), SET NX sets once, GETSET returns
// the old value, and INCR on a non-integer answers Redis's error text.

extension ProcessTests {
    @Suite("process: key operations")
    struct KeyOpTests {
        @Test("process: INCR via follower and leader counts once each, SET NX sets once, GETSET returns the old value")
        func keyOperationsThroughRedisCLI() throws {
            try LocalCluster.run(size: 3, name: "key-operations") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                func cli(_ id: Int, _ words: String...) throws -> String { try cluster.redisCLI(id, words) }
                var counts: [String] = []
                for round in 0..<3 {
                    counts.append(try cli(round % 2 == 0 ? follower : leader, "INCR", "counter"))
                    counts.append(try cli(round % 2 == 0 ? leader : follower, "INCR", "counter"))
                }
                #expect(counts == ["1", "2", "3", "4", "5", "6"])
                #expect(try cli(follower, "INCRBY", "counter", "-10") == "-4")
                #expect(try cli(follower, "SET", "lock", "a", "NX") == "OK")
                #expect(try cli(leader, "SET", "lock", "b", "NX") == "")
                #expect(try cli(follower, "SETNX", "lock", "c") == "0")
                #expect(try cli(leader, "GET", "lock") == "a")
                #expect(try cli(follower, "GETSET", "lock", "z") == "a")
                #expect(try cli(leader, "GET", "lock") == "z")
                #expect(try cli(follower, "INCR", "lock") == "ERR value is not an integer or out of range")
                #expect(try cli(follower, "INCRBYFLOAT", "float", "10.5") == "10.5")
                #expect(try cli(leader, "INCRBYFLOAT", "float", "0.1") == "10.6")
                #expect(try cli(follower, "APPEND", "lock", "zz") == "3")
                #expect(try cli(leader, "STRLEN", "lock") == "3")
                #expect(try cli(follower, "DELIFEQ", "lock", "nope") == "0")
                #expect(try cli(follower, "GETDEL", "lock") == "zzz")
                #expect(try cli(leader, "GET", "lock") == "")
                #expect(try cli(leader, "SET", "k", "v", "EX", "10") == "OK")
            }
        }
    }
}
