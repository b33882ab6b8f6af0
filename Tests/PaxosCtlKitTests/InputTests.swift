// Method: everything an operator types outside the shell — endpoint lists, cluster files,
// timeouts, demo sizes — good and bad. Bad input MUST be a usage error (exit code 2) with one
// sentence naming what to fix, never a crash and never a silent fallback.

import Foundation
import PaxosClient
import PaxosCtlKit
import Testing

@Suite("input")
struct InputTests {
    @Test("endpoints: a comma-separated list, blanks ignored")
    func endpointList() throws {
        let nodes = try NodeAddress.parseList("127.0.0.1:6381, localhost:7000,[::1]:6383")
        #expect(nodes.map(\.endpoint) == [
            Endpoint(host: "127.0.0.1", port: 6381), Endpoint(host: "localhost", port: 7000), Endpoint(host: "::1", port: 6383),
        ])
        #expect(nodes.allSatisfy { $0.id == nil })
    }

    @Test("endpoints: bad lists are usage errors naming the entry", arguments: [
        ("", "no endpoint"), (" , ", "no endpoint"), ("127.0.0.1", "has no ':port'"), ("h:0", "1-65535"),
        ("h:99999", "1-65535"), ("h:p", "1-65535"), (":6381", "has no host"), ("a:1,,b:2", "entry 2 is empty"),
    ])
    func badEndpoints(text: String, reason: String) throws {
        let error = try #require(throws: PaxosCtlError.self) { try NodeAddress.parseList(text) }
        #expect(error.isUsage)
        #expect(error.exitCode == 2)
        #expect(error.message.hasPrefix("--endpoints: "))
        #expect(error.message.contains(reason), "\(error.message)")
    }

    @Test("cluster file: ids and client addresses are read, other fields ignored")
    func clusterFile() throws {
        let json = """
            {"clusterID": "x", "dataDirectory": "d", "replicas": [
              {"id": 1, "host": "127.0.0.1", "clientPort": 6381, "peerPort": 7381, "metricsPort": 9381},
              {"id": 7, "host": "10.0.0.7", "clientPort": 6390, "peerPort": 7390, "metricsPort": 9390}]}
            """
        let nodes = try ClusterFile.parse(Data(json.utf8), source: "test.json")
        #expect(nodes == [
            NodeAddress(id: 1, endpoint: Endpoint(host: "127.0.0.1", port: 6381)),
            NodeAddress(id: 7, endpoint: Endpoint(host: "10.0.0.7", port: 6390)),
        ])
    }

    @Test("cluster file: unusable files are usage errors saying what is wrong", arguments: [
        ("not json", "not valid JSON"), ("{}", "missing \"replicas\""), ("{\"replicas\": []}", "lists no replicas"),
        ("{\"replicas\": [{\"id\": 1, \"host\": \"h\"}]}", "missing \"clientPort\""),
        ("{\"replicas\": [{\"id\": 1, \"host\": \"h\", \"clientPort\": \"x\"}]}", "wrong type"),
        ("{\"replicas\": [{\"id\": 1, \"host\": \"h\", \"clientPort\": 0}]}", "unusable client address"),
    ])
    func badClusterFile(json: String, reason: String) throws {
        let error = try #require(throws: PaxosCtlError.self) { try ClusterFile.parse(Data(json.utf8), source: "test.json") }
        #expect(error.isUsage)
        #expect(error.message.hasPrefix("test.json"))
        #expect(error.message.contains(reason), "\(error.message)")
    }

    @Test("cluster file: a missing explicit file is an error, not the defaults")
    func missingExplicitFile() throws {
        let error = try #require(throws: PaxosCtlError.self) { try ClusterFile.nodes(path: "/nonexistent/cluster.json") }
        #expect(error.isUsage)
        #expect(error.message.contains("/nonexistent/cluster.json"))
    }

    @Test("cluster file: the shipped cluster's addresses when none is around")
    func fallback() {
        #expect(ClusterFile.fallbackNodes.map(\.endpoint.port) == [6381, 6382, 6383, 6384, 6385])
    }

    @Test("cluster file: without --config, the smaller cluster tools/cluster last started, else data/cluster.json, else the defaults")
    func defaultFileFollowsTheLauncher() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("paxosctl-default-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let nodes = root.appendingPathComponent("data/launcher")
        try FileManager.default.createDirectory(at: nodes, withIntermediateDirectories: true)
        func cluster(_ ids: ClosedRange<Int>) -> String {
            let replicas = ids.map { "{\"id\": \($0), \"host\": \"127.0.0.1\", \"clientPort\": \(6380 + $0)}" }
            return "{\"replicas\": [\(replicas.joined(separator: ", "))]}"
        }
        #expect(try ClusterFile.nodes(path: nil, directory: root.path).map(\.id) == [1, 2, 3, 4, 5], "nothing there: the defaults")

        try cluster(1...5).write(to: root.appendingPathComponent("data/cluster.json"), atomically: true, encoding: .utf8)
        try cluster(1...3).write(to: nodes.appendingPathComponent("cluster-3.json"), atomically: true, encoding: .utf8)
        #expect(try ClusterFile.nodes(path: nil, directory: root.path).map(\.id) == [1, 2, 3, 4, 5], "no size recorded: data/cluster.json")

        try "3\n".write(to: nodes.appendingPathComponent("cluster.size"), atomically: true, encoding: .utf8)
        #expect(try ClusterFile.nodes(path: nil, directory: root.path).map(\.id) == [1, 2, 3], "after up 3: its generated file")

        try "5\n".write(to: nodes.appendingPathComponent("cluster.size"), atomically: true, encoding: .utf8)
        #expect(try ClusterFile.nodes(path: nil, directory: root.path).map(\.id) == [1, 2, 3, 4, 5], "after up 5: data/cluster.json")

        try "3\n".write(to: nodes.appendingPathComponent("cluster.size"), atomically: true, encoding: .utf8)
        try "{".write(to: nodes.appendingPathComponent("cluster-3.json"), atomically: true, encoding: .utf8)
        #expect(throws: PaxosCtlError.self, "a damaged generated file is an error, not a fallback") {
            try ClusterFile.nodes(path: nil, directory: root.path)
        }
    }

    @Test("cluster file: the records an older tools/cluster left in data/nodes count when data/launcher has none")
    func defaultFileReadsTheLegacyLauncherRecords() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("paxosctl-legacy-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let legacy = root.appendingPathComponent("data/nodes")
        let current = root.appendingPathComponent("data/launcher")
        try FileManager.default.createDirectory(at: legacy, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: current, withIntermediateDirectories: true)
        try "{\"replicas\": []}".write(to: root.appendingPathComponent("data/cluster.json"), atomically: true, encoding: .utf8)
        try "{\"replicas\": []}".write(to: legacy.appendingPathComponent("cluster-3.json"), atomically: true, encoding: .utf8)
        try "3\n".write(to: legacy.appendingPathComponent("cluster.size"), atomically: true, encoding: .utf8)
        #expect(ClusterFile.defaultFile(in: root.path) == legacy.appendingPathComponent("cluster-3.json").path)

        try "5\n".write(to: current.appendingPathComponent("cluster.size"), atomically: true, encoding: .utf8)
        #expect(ClusterFile.defaultFile(in: root.path) == root.appendingPathComponent("data/cluster.json").path,
                "data/launcher's record wins over the legacy one")
    }

    @Test("timeout: positive and at most an hour", arguments: [0, -1, .nan, .infinity, 3_601])
    func badTimeout(seconds: Double) {
        #expect(throws: PaxosCtlError.usage("")) { try ClientSettings(timeoutSeconds: seconds) }
    }

    @Test("timeout: bounds the whole command; one attempt never waits past it")
    func timeoutSettings() throws {
        let short = try ClientSettings(timeoutSeconds: 0.5)
        #expect(short.failover.retryDeadline == .milliseconds(500))
        #expect(short.failover.replyTimeout == .milliseconds(500))
        #expect(short.failover.connectTimeout == .milliseconds(500))
        let long = try ClientSettings(timeoutSeconds: 30)
        #expect(long.failover.replyTimeout == .seconds(6))
        #expect(long.singleAttempt.maxAttempts == 1)
        #expect(long.probe.replyTimeout == .seconds(2))
    }

    @Test("demo: sizes are checked before anything is sent", arguments: [(10, 0), (9, 5), (200_000, 5)])
    func demoSettings(keys: Int, operations: Int) {
        var settings = Demo.Settings()
        settings.keys = keys
        settings.operations = operations
        #expect(throws: PaxosCtlError.self) { try settings.validate() }
    }
}
