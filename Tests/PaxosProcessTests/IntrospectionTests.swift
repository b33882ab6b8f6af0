import Foundation
import Testing

// Issue 20, "truthful introspection" and RESP3: redis-py 8 with its defaults (HELLO 3) against a
// real 3-node cluster logs no fallback warning and gets real CLIENT ID/SETNAME/GETNAME/INFO/LIST
// /KILL answers (tools/compat/connection_introspection.py, over RESP3 and RESP2); redis-cli in
// RESP3 mode (-3) sees RESP3's null, map and verbatim types where Redis sends them.

extension ProcessTests {
    @Suite("process: connection introspection and RESP3")
    struct IntrospectionTests {
        @Test("process: redis-py 8 defaults speak RESP3 without a warning; CLIENT ID, SETNAME, GETNAME, INFO, LIST, KILL, TIME and SELECT answer truthfully")
        func redisPy() throws {
            try LocalCluster.run(size: 3, name: "introspection-py") { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!
                for id in [leader, follower] {
                    let run = try MultiKeyTests.compat("connection_introspection.py", ["\(cluster.host(id)):\(cluster.clientPort(id))"],
                                                       timeout: .seconds(120))
                    print("compat: connection_introspection.py against node \(id):\n\(run.standardOutput)")
                    #expect(run.status == 0, "\(run)")
                    #expect(run.standardOutput.contains("checks failed: 0"), "\(run)")
                }
            }
        }

        @Test("process: redis-cli -3 sees RESP3's null for a missing key, HELLO's map, and CLIENT INFO as text; RESP2 keeps its forms")
        func redisCLIResp3() throws {
            try LocalCluster.run(size: 3, name: "introspection-cli") { cluster in
                let leader = try cluster.waitForLeader()
                // --no-raw: redis-cli's terminal format even though its output is a pipe.
                let resp3 = ["-3", "--no-raw", "-h", cluster.host(leader), "-p", "\(cluster.clientPort(leader))"]
                let missing = try RedisCLI.run(resp3 + ["GET", "introspection:none"])
                #expect(missing.status == 0 && missing.standardOutput == "(nil)\n", "\(missing)")
                let hello = try RedisCLI.run(resp3 + ["HELLO", "3"])
                // redis-cli prints a map as "key => value" lines.
                #expect(hello.standardOutput.contains("1# \"server\" => \"paxoskv\""), "\(hello)")
                #expect(hello.standardOutput.contains("\"proto\" => (integer) 3"), "\(hello)")
                let bad = try RedisCLI.run(resp3 + ["HELLO", "4"])
                #expect(bad.standardOutput.contains("NOPROTO"), "\(bad)")
                let info = try RedisCLI.run(resp3 + ["CLIENT", "INFO"])
                #expect(info.standardOutput.contains("resp=3") && info.standardOutput.contains("cmd=client|info"), "\(info)")
                let resp2 = try cluster.redisCLI(leader, ["--no-raw", "HELLO", "2"])
                #expect(resp2.contains("\"proto\"\n 6) (integer) 2"), "\(resp2)")
                let name = try cluster.redisCLI(leader, ["--no-raw", "CLIENT", "GETNAME"])
                #expect(name.trimmingCharacters(in: .whitespacesAndNewlines) == "(nil)", "\(name)")
                // COMMAND describes what PaxosKV answers; redis-cli builds HELP from COMMAND DOCS.
                let count = try cluster.redisCLI(leader, ["COMMAND", "COUNT"])
                #expect((Int(count.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 60, "\(count)")
                let help = try RedisCLI.run(["-h", cluster.host(leader), "-p", "\(cluster.clientPort(leader))", "HELP", "GETREV"])
                #expect(help.standardOutput.contains("revision"), "\(help)")
                let docs = try cluster.redisCLI(leader, ["--no-raw", "COMMAND", "DOCS", "set"])
                #expect(docs.contains("summary") && docs.contains("IFEQ"), "\(docs)")
                // Hostile input to the new commands is refused and the node keeps serving: an
                // oversized name (memory per connection is bounded), a pathological CONFIG glob,
                // COMMAND INFO of thousands of unknown names, HELLO 4, an unknown CLIENT verb.
                let longName = try RedisCLI.run(resp3 + ["CLIENT", "SETNAME", String(repeating: "n", count: 10_000)])
                #expect(longName.standardOutput.contains("limited to 256 bytes"), "\(longName)")
                let glob = try cluster.redisCLI(leader, ["CONFIG", "GET", String(repeating: "*a", count: 200) + "b"])
                #expect(glob.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(glob)")
                let manyNames = try RedisCLI.run(["-h", cluster.host(leader), "-p", "\(cluster.clientPort(leader))", "COMMAND", "INFO"]
                                                 + (0..<5_000).map { "nosuch\($0)" })
                #expect(manyNames.status == 0, "\(manyNames)")
                for garbage in [["CLIENT", "FROB"], ["HELLO", "99"], ["CONFIG", "SET", "maxmemory", "1"], ["COMMAND", "GETKEYS", "GET", "k"]] {
                    let refused = try RedisCLI.run(resp3 + garbage)
                    #expect(refused.standardOutput.contains("ERR") || refused.standardOutput.contains("NOPROTO"), "\(garbage): \(refused)")
                }
                #expect(try cluster.redisCLI(leader, ["PING"]) == "PONG", "the node still serves")
                let unknown = try RedisCLI.run(["-h", cluster.host(leader), "-p", "\(cluster.clientPort(leader))", "CLIENT", "TRACKING", "on"])
                #expect(unknown.standardOutput.contains("does not support CLIENT TRACKING"), "\(unknown)")
            }
        }
    }
}
