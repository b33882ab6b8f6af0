import Foundation
import PaxosClient
import Synchronization
import Testing

/// A `LocalCluster` whose nodes each run in their own network namespace (`NamespaceNetwork`), so
/// a test can cut links between them. The namespaces are torn down after the cluster's processes
/// have been stopped, also when the body throws.
enum PartitionCluster {
    static func run(size: Int, name: String, arguments: [String] = [],
                    _ body: (LocalCluster, NamespaceNetwork) throws -> Void) throws {
        let network = try NamespaceNetwork(size: size)
        defer { network.teardown() }
        // Nodes listen on their namespace's address, not loopback, and have no users file: without
        // `--protected-mode no` they would serve clients on loopback only, unreachable from here.
        try LocalCluster.run(size: size, name: name, arguments: ["--protected-mode", "no"] + arguments,
                             network: network) { cluster in
            try body(cluster, network)
        }
    }
}

/// Client threads that write distinct keys (`<prefix>-<thread>-<n>` = `v<n>`) until stopped, and
/// remember which writes were acknowledged. A write that failed or timed out is simply not
/// recorded: it may or may not have been applied, and with distinct keys it cannot overwrite an
/// acknowledged one.
final class BackgroundWriters {
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private let stopped = Flag()
    private let group: ThreadGroup<[String: String]>

    init(cluster: LocalCluster, threads: Int, prefix: String) {
        let endpoints = cluster.endpoints
        // Short timeouts: a client stuck on a cut-off node moves on to another within a second.
        var configuration = cluster.authenticated(PaxosClient.Configuration())
        configuration.connectTimeout = .milliseconds(300)
        configuration.replyTimeout = .seconds(1)
        configuration.maxAttempts = 4
        configuration.retryDeadline = .seconds(2)
        configuration.retryBackoff = .milliseconds(20)
        configuration.retryBackoffMax = .milliseconds(200)
        group = ThreadGroup(threads, name: "\(prefix)-writer") { [stopped, configuration] thread in
            var acknowledged: [String: String] = [:]
            var index = 0
            while !stopped.value.load(ordering: .relaxed) {
                index += 1
                let key = "\(prefix)-\(thread)-\(index)"
                do {
                    let client = try PaxosClient(endpoints: endpoints, configuration: configuration, startingAt: thread + index)
                    try client.put(key, "v\(index)")
                    acknowledged[key] = "v\(index)"
                } catch {
                    pause(.milliseconds(10))
                }
            }
            return acknowledged
        }
    }

    /// Stops the writers and returns every acknowledged write.
    func stop() -> [String: String] {
        stopped.value.store(true, ordering: .relaxed)
        return group.join().reduce(into: [:]) { $0.merge($1) { $1 } }
    }
}

extension LocalCluster {
    /// The time from `healedAt` until every node has applied everything chosen anywhere at the
    /// heal and they all name the same leader, polled every 20 ms for up to `timeout`. Writes may
    /// go on meanwhile, so "in sync" is measured against the heal-time frontier, not a moving one.
    func timeToSync(after healedAt: ContinuousClock.Instant, timeout: Duration = .seconds(60)) throws -> Duration {
        var frontier: UInt64 = 0
        for id in ids { frontier = max(frontier, try infoNumber(id, "chosen_frontier")) }
        var last = ""
        try waitUntil("every node applies through slot \(frontier) and names one leader (\(last))",
                      timeout: timeout, interval: .milliseconds(20)) {
            let views = try ids.map { try info($0) }
            let applied = views.map { UInt64($0["applied_slot"] ?? "") ?? 0 }
            let leaders = Set(views.map { $0["leader_id"] ?? "unknown" })
            last = "applied \(applied), leaders \(leaders.sorted())"
            return applied.allSatisfy { $0 >= frontier } && leaders.count == 1 && !leaders.contains("unknown")
        }
        return ContinuousClock.now - healedAt
    }

    /// Every acknowledged write, read from each node's own state (stale reads, after waiting for
    /// every node to catch up): nothing acknowledged may be missing or different anywhere.
    func expectAllPresent(_ writes: [String: String]) throws {
        try waitForAllCaughtUp()
        var configuration = PaxosClient.Configuration.patient
        configuration.staleReads = true
        for id in ids {
            let client = try client(only: id, configuration: configuration)
            var missing: [String] = []
            for (key, value) in writes.sorted(by: { $0.key < $1.key }) where try client.get(key) != value {
                missing.append(key)
            }
            #expect(missing.isEmpty, "node \(id) lacks \(missing.count) of \(writes.count) acknowledged writes, e.g. \(missing.prefix(5))")
        }
    }
}
