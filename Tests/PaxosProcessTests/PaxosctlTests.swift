// Method: black-box tests of the `paxosctl` executable, run as a subprocess the way an operator
// runs it, against one real 3-node cluster (LocalCluster) shared by every step of one test to
// keep the suite short. What is checked is what the operator sees: stdout, stderr, exit code.
// - get/put/delete round trip through each node, redis-cli style answers, exit codes 0/1/2;
// - incr and cas (compare-and-set), a failed compare being exit code 1;
// - the default endpoints from ./data/cluster.json;
// - the shell fed a script on a pipe, bad lines included (errors inline, the loop goes on);
// - status as a table and as JSON; the demo's requests over every replica;
// - with the leader (listed as the first endpoint) killed: failover through the election,
//   status naming it unreachable and the new leader, and the demo completing on the remaining
//   majority.
// - bench for 2 s on its own 3-node cluster: non-zero throughput and the --json shape, and a
//   dead endpoint in the list left out.
// Bad input never reaches a cluster: it must end with exit code 2 and one clear message,
// never a crash.

import Foundation
import PaxosClient
import Testing

extension ProcessTests {
    @Suite("process: paxosctl")
    struct PaxosctlTests {
        @Test("paxosctl: commands, shell, status and demo on 3 nodes, then failover, status and demo with the leader killed")
        func againstCluster() throws {
            try LocalCluster.run(size: 3, name: "paxosctl") { cluster in
                let leader = try cluster.waitForLeader()
                let all = "--endpoints=" + cluster.endpoints.map(\.description).joined(separator: ",")
                try roundTrip(cluster, all)
                try keyOperations(cluster, all)
                try defaultEndpoints(cluster)
                try shellScript(all)
                try status(cluster, all, leader: leader)
                try demo(all, live: 3)
                try snapshotSave(cluster, all)

                // Kill the leader, listed first: every command tries it first, and the cluster
                // must elect another while paxosctl fails over.
                let leaderFirst = "--endpoints=" + ([leader] + cluster.ids.filter { $0 != leader })
                    .map { cluster.endpoint($0).description }.joined(separator: ",")
                try requireSuccess(["put", "survivor", "still here", leaderFirst], "OK")
                cluster.kill(leader)
                try requireSuccess(["get", "survivor", leaderFirst], "still here")
                let report = try Paxosctl.run(["status", "--json", leaderFirst])
                try #require(report.status == 0, "\(report)")
                let nodes = try statusNodes(report.standardOutput)
                #expect(nodes.map { $0["reachable"] as? Bool } == [false, true, true], "\(report)")
                // Given by endpoint, a node that does not answer has no known id.
                #expect(nodes[0]["id"] is NSNull && nodes[0]["endpoint"] as? String == "\(cluster.endpoint(leader))", "\(report)")
                #expect((nodes[0]["error"] as? String)?.contains("refused") == true, "\(report)")
                #expect(nodes.dropFirst().allSatisfy { ($0["leader"] as? Int).map { $0 != leader } ?? false }, "\(report)")
                try demo(all, live: 2)
            }
        }

        /// `snapshot save` writes a standalone copy through some node; saving over it is refused.
        func snapshotSave(_ cluster: LocalCluster, _ all: String) throws {
            // The cluster's nodes write into their default backup directory, <data directory>/../backups.
            let path = cluster.directory.appendingPathComponent("backups/backup.sqlite").path
            let run = try Paxosctl.run(["snapshot", "save", "backup.sqlite", all])
            try #require(run.status == 0, "\(run)")
            #expect(run.standardOutput.hasPrefix("OK: \(path) written by 127.0.0.1:"), "\(run)")
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            #expect(size >= 4_096, "the copy is an SQLite database (\(size) bytes)")
            let again = try Paxosctl.run(["snapshot", "save", "backup.sqlite", all])
            #expect(again.status == 1 && again.standardError.contains("already exists"), "\(again)")
            let withPath = try Paxosctl.run(["snapshot", "save", path + ".2", all])
            #expect(withPath.status == 2 && withPath.standardError.contains("bare file name"), "\(withPath)")
        }

        /// Runs paxosctl and requires exit 0 and exactly `output` as its one line.
        func requireSuccess(_ arguments: [String], _ output: String, in directory: URL? = nil) throws {
            let run = try Paxosctl.run(arguments, in: directory)
            try #require(run.status == 0 && !run.signalled, "\(run)")
            #expect(run.standardOutput == output + "\n", "\(run)")
            #expect(run.standardError.isEmpty, "\(run)")
        }

        /// incr and cas: atomic, answered like redis-cli, a failed compare is exit code 1.
        func keyOperations(_ cluster: LocalCluster, _ all: String) throws {
            try requireSuccess(["incr", "hits", all], "(integer) 1")
            try requireSuccess(["incr", "hits", "--by", "41", "--endpoints", "\(cluster.endpoint(cluster.ids.last!))"], "(integer) 42")
            try requireSuccess(["incr", "hits", "--by=-2", "--no-retry", all], "(integer) 40")
            try requireSuccess(["cas", "config", "--absent", "--value", "v1", all], "OK")
            let again = try Paxosctl.run(["cas", "config", "--absent", "--value", "v9", all])
            #expect(again.status == 1 && again.standardError.contains("the key exists"), "\(again)")
            let stale = try Paxosctl.run(["cas", "config", "--expect", "v0", "--value", "v9", all])
            #expect(stale.status == 1 && stale.standardError.contains("does not hold the expected value"), "\(stale)")
            try requireSuccess(["cas", "config", "--expect", "v1", "--value", "v2", all], "OK")
            try requireSuccess(["get", "config", all], "v2")
            let both = try Paxosctl.run(["cas", "config", "--absent", "--expect", "v2", "--value", "v3", all])
            #expect(both.status == 2 && both.standardError.contains("exactly one of"), "\(both)")
            // Compare-and-set on the revision: the one getrev prints, then a stale one.
            let read = try Paxosctl.run(["getrev", "config", all])
            let lines = read.outputLines
            try #require(read.status == 0 && lines.count >= 2 && lines[0] == "v2" && lines[1].hasPrefix("revision "), "\(read)")
            let revision = String(lines[1].dropFirst("revision ".count))
            try requireSuccess(["cas", "config", "--revision", revision, "--value", "v3", all], "OK")
            let staleRevision = try Paxosctl.run(["cas", "config", "--revision", revision, "--value", "v4", all])
            #expect(staleRevision.status == 1 && staleRevision.standardError.contains("revision is another"), "\(staleRevision)")
            try requireSuccess(["getrev", "missing", all], "(nil)")
            try requireSuccess(["cas", "fresh", "--revision", "0", "--value", "new", all], "OK")
            // TTLs.
            try requireSuccess(["ttl", "config", all], "(integer) -1")
            try requireSuccess(["expire", "config", "60000", all], "(integer) 1")
            let ttl = try Paxosctl.run(["ttl", "config", all])
            let remaining = Int(ttl.standardOutput.dropFirst("(integer) ".count).trimmingCharacters(in: .newlines)) ?? -9
            #expect(ttl.status == 0 && (50_000...60_000).contains(remaining), "\(ttl)")
            try requireSuccess(["expire", "missing", "1000", all], "(integer) 0")
            try requireSuccess(["ttl", "missing", all], "(integer) -2")
            let notInteger = try Paxosctl.run(["incr", "config", all])
            #expect(notInteger.status == 1 && notInteger.standardError.contains("not an integer"), "\(notInteger)")
        }

        func roundTrip(_ cluster: LocalCluster, _ all: String) throws {
            try requireSuccess(["put", "greeting", "hello world", all], "OK")
            for id in cluster.ids {
                try requireSuccess(["get", "greeting", "--endpoints", "\(cluster.endpoint(id))"], "hello world")
            }
            try requireSuccess(["set", "other", "", all], "OK")
            try requireSuccess(["get", "other", all], "")
            try requireSuccess(["del", "greeting", all], "(integer) 1")
            try requireSuccess(["delete", "greeting", all], "(integer) 0")
            // A missing key is an answer, not an error: exit 0, like redis-cli.
            try requireSuccess(["get", "greeting", all], "(nil)")
        }

        /// Without --endpoints, paxosctl reads ./data/cluster.json.
        func defaultEndpoints(_ cluster: LocalCluster) throws {
            let data = cluster.directory.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: cluster.configPath, toPath: data.appendingPathComponent("cluster.json").path)
            try requireSuccess(["put", "from-file", "yes"], "OK", in: cluster.directory)
            try requireSuccess(["get", "from-file", "--config", cluster.configPath], "yes")
        }

        func shellScript(_ all: String) throws {
            let script = """
                PUT k "hello world"
                get k
                GET
                FROB x
                PUT k "open
                set k two words
                EXISTS k
                del k
                GET k
                INCR n
                SET n x NX
                # a comment, then a blank line

                HISTORY
                quit
                GET never-run

                """
            let run = try Paxosctl.run(["shell", all], input: script)
            try #require(run.status == 0 && !run.signalled, "\(run)")
            let lines = run.outputLines
            let expected = [
                "OK",
                "\"hello world\"",
                "(error) wrong number of arguments for GET: 0 given, usage: GET <key>",
                "(error) ERR unknown command 'frob'",
                "(error) unbalanced quotes: a \" is never closed",
                // SET with more than a value is Redis's SET with options, checked by the server.
                "(error) ERR syntax error",
                "(integer) 1",
                "(integer) 1",
                "(nil)",
                "(integer) 1",
                "(nil)",
            ]
            // Unknown commands go to the server, whose error goes on to list what it supports.
            let shown = lines.prefix(expected.count).map { $0.hasPrefix(expected[3]) ? expected[3] : $0 }
            #expect(Array(shown) == expected, "\(run)")
            // HISTORY lists the 12 non-blank, non-comment lines so far, then QUIT says bye.
            let history = Array(lines.dropFirst(expected.count).prefix(12))
            #expect(history.first == " 1  PUT k \"hello world\"", "\(run)")
            #expect(history.last == "12  HISTORY", "\(run)")
            #expect(Array(lines.dropFirst(expected.count + 12)) == ["bye", ""], "\(run)")
            #expect(run.standardError.isEmpty, "\(run)")

            // The end of input ends the shell as QUIT does.
            let eof = try Paxosctl.run(["shell", all], input: "PING\n")
            #expect(eof.status == 0 && eof.standardOutput == "PONG\n", "\(eof)")
        }

        func statusNodes(_ json: String) throws -> [[String: Any]] {
            let top = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
            return try #require(top["nodes"] as? [[String: Any]], "\(json)")
        }

        func status(_ cluster: LocalCluster, _ all: String, leader: Int) throws {
            let table = try Paxosctl.run(["status", all])
            try #require(table.status == 0, "\(table)")
            let rows = table.outputLines.map { $0.split(separator: " ").map(String.init) }
            #expect(rows[0] == ["node", "endpoint", "state", "role", "leader", "ballot", "chosen", "applied"], "\(table)")
            for id in cluster.ids {
                let row = rows[id]
                #expect(row.count == 8 && row[0] == "\(id)" && row[1] == "\(cluster.endpoint(id))", "\(table)")
                #expect(row[2] == "reachable" && row[3] == (id == leader ? "leader" : "follower") && row[4] == "\(leader)", "\(table)")
            }
            #expect(table.outputLines[4] == "3 of 3 nodes reachable; leader: node \(leader) (named by 3); membership epoch 1: voters 1,2,3", "\(table)")

            let json = try Paxosctl.run(["status", "--json", all])
            try #require(json.status == 0, "\(json)")
            let nodes = try statusNodes(json.standardOutput)
            #expect(nodes.count == 3)
            for (index, node) in nodes.enumerated() {
                #expect(node["id"] as? Int == index + 1 && node["reachable"] as? Bool == true, "\(json)")
                #expect(node["leader"] as? Int == leader && node["error"] is NSNull, "\(json)")
                #expect((node["chosen_frontier"] as? Int ?? -1) >= 1 && (node["applied_slot"] as? Int ?? -1) >= 0, "\(json)")
                #expect((node["ballot"] as? String)?.contains(".") == true, "\(json)")
            }
        }

        func demo(_ all: String, live: Int) throws {
            let run = try Paxosctl.run(["demo", all])
            try #require(run.status == 0 && !run.signalled, "\(run)")
            let summary = "demo: 15 requests on \(live) of 3 replicas: 15 as expected, 0 unexpected, 0 failed"
            #expect(run.outputLines.contains { $0.hasPrefix(summary) }, "\(run)")
            let requests = run.outputLines.filter { $0.contains(" -> node ") }
            #expect(requests.count == 15, "\(run)")
            for verb in ["PUT", "GET", "DELETE"] {
                #expect(requests.filter { $0.contains(" \(verb) demo:") }.count == 5, "\(run)")
            }
            // Round robin: every live replica served some of the 15.
            let served = Set(requests.compactMap { $0.components(separatedBy: " -> ").last?.split(separator: " ").dropFirst().first })
            #expect(served.count == live, "\(run)")
        }

        @Test("paxosctl: bench runs 2 s on 3 nodes with a read/write mix and reports throughput, percentiles and its CPU as JSON")
        func bench() throws {
            try LocalCluster.run(size: 3, name: "paxosctl-bench") { cluster in
                try cluster.waitForLeader()
                // A dead endpoint in the list is left out, with a note, rather than measured.
                let dead = "127.0.0.1:\(try Ports.freeBlock(count: 1))"
                let all = "--endpoints=" + (cluster.endpoints.map(\.description) + [dead]).joined(separator: ",")
                let run = try Paxosctl.run(
                    ["bench", all, "--clients", "6", "--duration", "2", "--reads", "0.5", "--keys", "50", "--value-size", "64", "--json"])
                try #require(run.status == 0 && !run.signalled, "\(run)")
                // Progress once a second on stderr, the report alone on stdout.
                #expect(run.standardError.contains("ops/s"), "\(run)")
                #expect(run.standardError.contains("bench: leaving out \(dead)"), "\(run)")
                let top = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any], "\(run)")
                #expect(top["clients"] as? Int == 6 && (top["endpoints"] as? [String])?.count == 3, "\(run)")
                let elapsed = try #require(top["elapsed_seconds"] as? Double)
                #expect(elapsed >= 2 && elapsed < 10, "\(run)")
                let operations = try #require(top["operations"] as? [[String: Any]], "\(run)")
                #expect(operations.map { $0["name"] as? String } == ["write", "read", "total"], "\(run)")
                for operation in operations {
                    #expect((operation["count"] as? Int ?? 0) > 0 && (operation["ops_per_second"] as? Double ?? 0) > 0, "\(run)")
                    #expect(operation["errors"] as? Int == 0 && operation["timeouts"] as? Int == 0, "\(run)")
                    let latency = try #require(operation["latency_us"] as? [String: Any], "\(run)")
                    let ordered = ["p50", "p90", "p99", "p99_9", "max"].map { latency[$0] as? Int ?? -1 }
                    #expect(ordered.first ?? 0 > 0 && ordered == ordered.sorted(), "percentiles ascend: \(ordered)")
                }
                let cpu = try #require(top["client_cpu"] as? [String: Any], "\(run)")
                #expect((cpu["user_seconds"] as? Double ?? -1) >= 0 && cpu["percent_of_one_core"] is Double, "\(run)")

                // INCR from 4 clients on 20 counters (set to 0 first, over the run above's values):
                // every acknowledged increment is counted once.
                let live = "--endpoints=" + cluster.endpoints.map(\.description).joined(separator: ",")
                let incr = try Paxosctl.run(["bench", live, "--clients", "4", "--duration", "1", "--keys", "20",
                                             "--workload", "incr", "--json"])
                try #require(incr.status == 0 && !incr.signalled, "\(incr)")
                let incrTop = try #require(try JSONSerialization.jsonObject(with: Data(incr.standardOutput.utf8)) as? [String: Any], "\(incr)")
                #expect(incrTop["workload"] as? String == "incr", "\(incr)")
                let rows = try #require(incrTop["operations"] as? [[String: Any]], "\(incr)")
                #expect(rows.map { $0["name"] as? String } == ["incr"], "\(incr)")
                let count = rows.first?["count"] as? Int ?? 0
                #expect(count > 0 && rows.first?["errors"] as? Int == 0 && rows.first?["timeouts"] as? Int == 0, "\(incr)")
                let client = try cluster.client()
                let total = try (0..<20).reduce(0) { sum, n in sum + (Int(try client.get("bench:\(n)") ?? "") ?? -1_000_000) }
                #expect(total == count, "the counters sum to \(total), the bench acknowledged \(count) increments")

                // WATCH/MULTI/EXEC increments: every committed transaction adds exactly one, and
                // the aborted ones (a watched key changed) nothing. MSET of 10 keys: no error.
                for workload in ["watch-exec", "mset"] {
                    let run = try Paxosctl.run(["bench", live, "--clients", "4", "--duration", "1", "--keys", "20",
                                                "--workload", workload, "--json"])
                    try #require(run.status == 0 && !run.signalled, "\(run)")
                    let top = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any], "\(run)")
                    let row = try #require((top["operations"] as? [[String: Any]])?.first, "\(run)")
                    #expect(row["name"] as? String == workload && (row["count"] as? Int ?? 0) > 0, "\(run)")
                    #expect(row["errors"] as? Int == 0 && row["timeouts"] as? Int == 0, "\(run)")
                    guard workload == "watch-exec" else { continue }
                    let committed = row["count"] as? Int ?? 0
                    let sum = try (0..<20).reduce(0) { sum, n in sum + (Int(try client.get("bench:\(n)") ?? "") ?? -1_000_000) }
                    #expect(sum == committed, "the counters sum to \(sum), the bench committed \(committed) transactions")
                }
            }
        }

        @Test("paxosctl: unusable input exits 2 with a clear message, never a crash", arguments: [
            (["get"], "Missing expected argument '<key>'"),
            (["put", "k"], "Missing expected argument '<value>'"),
            (["get", "k", "--endpoints", "nohost"], "--endpoints: invalid endpoint ('nohost' has no ':port')"),
            (["get", "k", "--endpoints", "127.0.0.1:99999"], "has no port in 1-65535"),
            (["get", "k", "--endpoints", "a:1,,b:2"], "entry 2 is empty"),
            (["get", "k", "--config", "/nonexistent/cluster.json"], "cluster file /nonexistent/cluster.json not found"),
            (["get", "k", "--timeout", "0"], "--timeout must be between 0 and 3600 seconds"),
            (["status", "--endpoints", "a:1", "--config", "c.json"], "give --endpoints or --config, not both"),
            (["demo", "--keys", "3"], "--keys must be between"),
            (["bench", "--reads", "2"], "--reads must be a fraction between 0 and 1"),
            (["bench", "--clients", "0"], "--clients must be between 1 and 1024"),
            (["bench", "--workload", "lpush"], "--workload must be one of set, incr, mset, watch-exec, got lpush"),
            (["frob"], "Unexpected argument 'frob'"),
        ])
        func badInput(arguments: [String], message: String) throws {
            let run = try Paxosctl.run(arguments)
            #expect(run.status == 2 && !run.signalled, "\(run)")
            #expect(run.standardOutput.isEmpty, "\(run)")
            #expect(run.standardError.split(separator: "\n").first?.contains(message) == true, "\(run)")
        }

        @Test("paxosctl: no node answering exits 1 with the reason")
        func nothingReachable() throws {
            let dead = "--endpoints=127.0.0.1:\(try Ports.freeBlock(count: 1))"
            let get = try Paxosctl.run(["get", "k", dead, "--timeout", "1"])
            #expect(get.status == 1 && get.standardError.hasPrefix("paxosctl: ") && get.standardError.contains("connection refused"), "\(get)")
            let status = try Paxosctl.run(["status", dead])
            #expect(status.status == 1 && status.standardError == "paxosctl: no node answered\n", "\(status)")
            #expect(status.outputLines.first?.hasPrefix("node") == true, "\(status)")
            let demo = try Paxosctl.run(["demo", dead])
            #expect(demo.status == 1 && demo.standardError.contains("a majority (1) is needed"), "\(demo)")
            let bench = try Paxosctl.run(["bench", dead, "--duration", "1"])
            #expect(bench.status == 1 && bench.standardError.contains("no endpoint answers PING"), "\(bench)")
        }
    }
}
