// Method: start real 3-node clusters (one group, and two groups so the `group` label appears),
// write through every node, then fetch every node's /metrics and feed it to Prometheus's own
// linter, `promtool check metrics` (Debian's `prometheus` package), which must exit 0 and print
// nothing: HELP on every family, `_total` on counters, base units. /health of every node must
// be JSON with numbers as numbers. A machine without promtool FAILS these tests with what to
// install (.ci/run installs it): a conventions test must never pass by skipping.
// Covers issue 20 slice 3 (docs/design/watch-resp3-introspection.md §3).

import Foundation
import PaxosClient
import Testing

extension ProcessTests {
    @Suite("process: /metrics passes promtool")
    struct MetricsPromtoolTests {
        static func promtool() throws -> URL {
            for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
                let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("promtool")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw HarnessError("promtool not found on PATH; install it (apt-get install prometheus)")
        }

        /// The body of an HTTP answer on the metrics port of node `id`.
        static func get(_ cluster: LocalCluster, _ id: Int, _ path: String) throws -> (head: String, body: String) {
            let connection = try RawConnection(port: cluster.clientPort(id) + 2)
            defer { connection.close() }
            try connection.write(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
            let response = String(decoding: try connection.readUntilClosed(), as: UTF8.self)
            guard let split = response.range(of: "\r\n\r\n") else { throw HarnessError("no HTTP header end in: \(response)") }
            return (String(response[..<split.lowerBound]), String(response[split.upperBound...]))
        }

        @Test("process: promtool check metrics passes on every node's /metrics, and /health has typed numbers",
              arguments: [1, 2])
        func promtoolPasses(groups: Int) throws {
            let promtool = try Self.promtool()
            try LocalCluster.run(size: 3, name: "promtool-g\(groups)", arguments: ["--groups", "\(groups)"]) { cluster in
                try cluster.waitForLeader()
                for index in 0..<30 { try cluster.client(only: 1 + index % 3).put("prom-\(index)", "v\(index)") }
                try cluster.waitForAllCaughtUp()
                var lagSeries = 0
                for id in 1...3 {
                    let metrics = try Self.get(cluster, id, "/metrics").body
                    let check = try Paxosctl.run(["check", "metrics"], input: metrics, program: promtool)
                    #expect(check.status == 0, "node \(id): \(check)")
                    #expect((check.standardOutput + check.standardError).isEmpty, "node \(id): \(check)")
                    #expect(metrics.contains("# HELP paxos_proposals_total "), "node \(id)")
                    // The labels the issue asks for: group with several groups, peer on the lag.
                    #expect(metrics.contains("paxos_slot_applied{group=\"1\"}") == (groups > 1), "node \(id)")
                    lagSeries += metrics.split(separator: "\n").filter { $0.hasPrefix("paxos_peer_lag_slots{") }.count
                    try Self.checkHealth(cluster, id, groups: groups)
                }
                // Each group's leader measures the lag of its two peers.
                #expect(lagSeries >= 2 * groups)
            }
        }

        /// /health: 200, JSON, and numbers and booleans typed (they were all strings once).
        static func checkHealth(_ cluster: LocalCluster, _ id: Int, groups: Int) throws {
            let (head, body) = try get(cluster, id, "/health")
            #expect(head.hasPrefix("HTTP/1.1 200"), "node \(id): \(head)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
            #expect(object["status"] as? String == "ok")
            #expect(object["replica_id"] as? Int == id, "\(body)")
            #expect(object["tick_ms"] is NSNumber && !(object["tick_ms"] is String), "\(body)")
            let groupsJSON = try #require(object["groups"] as? [[String: Any]], "\(body)")
            #expect(groupsJSON.count == groups)
            for group in groupsJSON {
                #expect((group["applied_slot"] as? Int ?? 0) > 0, "\(group)")
                #expect(group["voter"] as? Bool == true, "\(group)")
            }
            let peers = try #require(object["peers"] as? [[String: Any]], "\(body)")
            #expect(peers.allSatisfy { $0["connected"] as? Bool == true }, "\(body)")
        }
    }
}
