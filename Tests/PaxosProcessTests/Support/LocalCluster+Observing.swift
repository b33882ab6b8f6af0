import Foundation
import Testing
import PaxosClient
import PaxosCore
import PaxosWire

/// Looking at a running cluster through INFO, and clients aimed at chosen nodes.
extension LocalCluster {
    /// Node `id`'s INFO fields by name, asked once with short timeouts (parsed into `NodeInfo`
    /// by the client, then named as the INFO text names them).
    func info(_ id: Int) throws -> [String: String] {
        try nodeInfo(id).fields
    }

    /// What node `id` reports about itself, asked once with short timeouts.
    func nodeInfo(_ id: Int) throws -> NodeInfo {
        try client(only: id, configuration: .probe).info()
    }

    /// Node `id`'s role in its first group (nil while it is in a simulated failure), typed as
    /// INFO's `NodeInfo` carries it.
    func role(_ id: Int) throws -> Role? {
        try nodeInfo(id).groups.first?.role
    }

    /// `field` of node `id`'s INFO as a number.
    func infoNumber(_ id: Int, _ field: String) throws -> UInt64 {
        let fields = try info(id)
        guard let text = fields[field], let value = UInt64(text) else {
            throw HarnessError("node \(id) INFO has no numeric \(field): \(fields[field] ?? "missing")")
        }
        return value
    }

    /// A client that talks only to node `id`.
    func client(only id: Int, configuration: PaxosClient.Configuration = .patient) throws -> PaxosClient {
        try PaxosClient(endpoints: [endpoint(id)], configuration: authenticated(withTLS(configuration)))
    }

    /// `configuration` with this cluster's TLS, unless it sets its own.
    func withTLS(_ configuration: PaxosClient.Configuration) -> PaxosClient.Configuration {
        var configuration = configuration
        if configuration.tls == nil { configuration.tls = clientTLS }
        return configuration
    }

    /// A client over `ids` (default: every node), starting at the `startingAt`-th.
    func client(over ids: [Int]? = nil, startingAt: Int = 0, configuration: PaxosClient.Configuration = .patient) throws -> PaxosClient {
        try PaxosClient(endpoints: (ids ?? self.ids).map(endpoint), configuration: authenticated(withTLS(configuration)), startingAt: startingAt)
    }

    /// Waits until every live node names the same leader, that leader is live and says it leads,
    /// and no other node says it leads. Returns the leader's id. With several groups, waits for
    /// that in every group and returns group 0's leader.
    /// `among` limits the nodes asked (voters, say, while spares that follow nothing run too).
    @discardableResult
    func waitForLeader(among: [Int]? = nil, timeout: Duration = .seconds(10)) throws -> Int {
        if groups > 1 { return try waitForGroupLeaders(timeout: timeout)[0]! }
        var leader = 0
        try waitUntil("the live nodes \(liveIDs) agree on one live leader", timeout: timeout) {
            let live = liveIDs.filter { among?.contains($0) ?? true }
            var named = Set<UInt32?>()
            var leading: [Int] = []
            for id in live {
                let group = try nodeInfo(id).groups[0]
                named.insert(group.leader)
                if group.role == .leader { leading.append(id) }
            }
            guard named.count == 1, let id = named.first.flatMap({ $0 }).map({ Int($0) }), live.contains(id), leading == [id] else {
                return false
            }
            leader = id
            return true
        }
        return leader
    }

    /// Waits until node `id` has learned and applied everything the leader has: equal
    /// `chosen_frontier` and `applied_slot` (in every group). Call it when no writes are in flight.
    func waitForCatchUp(_ id: Int, timeout: Duration = .seconds(20)) throws {
        if groups > 1 { return try waitForGroupCatchUp(id, timeout: timeout) }
        let leader = try waitForLeader()
        var last = ""
        try waitUntil("node \(id) catches up with leader \(leader) (\(last))", timeout: timeout) {
            let mine = try info(id)
            let theirs = try info(leader)
            last = "node \(id) chosen \(mine["chosen_frontier"] ?? "?") applied \(mine["applied_slot"] ?? "?"), "
                + "leader chosen \(theirs["chosen_frontier"] ?? "?") applied \(theirs["applied_slot"] ?? "?")"
            return mine["chosen_frontier"] == theirs["chosen_frontier"] && mine["applied_slot"] == theirs["applied_slot"]
                && mine["applied_slot"] == theirs["chosen_frontier"]
        }
    }

    /// Node `id`'s groups as its INFO reports them, by group.
    func groupInfo(_ id: Int) throws -> [Int: GroupInfo] {
        let reported = try nodeInfo(id).groups
        guard reported.count == groups else { throw HarnessError("node \(id) INFO has \(reported.count) groups, not \(groups)") }
        return Dictionary(uniqueKeysWithValues: reported.map { ($0.group.index, $0) })
    }

    /// Waits until, in every group, the live nodes name one live leader that says it leads and
    /// no other node says it leads; with `preferred`, also that each group whose preferred node
    /// is live is led by it. Returns each group's leader.
    @discardableResult
    func waitForGroupLeaders(preferred: Bool = false, timeout: Duration = .seconds(10)) throws -> [Int: Int] {
        var leaders: [Int: Int] = [:]
        var last = ""
        try waitUntil("every group has one live leader\(preferred ? ", its preferred one where live" : "") (\(last))", timeout: timeout) {
            let live = liveIDs
            let views = try Dictionary(uniqueKeysWithValues: live.map { ($0, try groupInfo($0)) })
            leaders = [:]
            for group in 0..<groups {
                let named = Set(live.map { views[$0]![group]!.leader })
                let leading = live.filter { views[$0]![group]!.role == .leader }
                guard named.count == 1, let id = named.first.flatMap({ $0 }).map({ Int($0) }), live.contains(id), leading == [id] else {
                    last = "group \(group): named \(named.map { $0.map { "\($0)" } ?? "unknown" }.sorted()), leading \(leading)"
                    return false
                }
                if preferred, live.contains(preferredLeader(ofGroup: group)), id != preferredLeader(ofGroup: group) {
                    last = "group \(group) led by \(id), prefers \(preferredLeader(ofGroup: group))"
                    return false
                }
                leaders[group] = id
            }
            return true
        }
        return leaders
    }

    /// `waitForCatchUp` for every group of a multi-group node.
    func waitForGroupCatchUp(_ id: Int, timeout: Duration) throws {
        var last = ""
        try waitUntil("node \(id) catches up in every group (\(last))", timeout: timeout) {
            let leaders = try waitForGroupLeaders()
            let mine = try groupInfo(id)
            for group in 0..<groups {
                let theirs = try groupInfo(leaders[group]!)[group]!
                let own = mine[group]!
                guard own.chosenFrontier == theirs.chosenFrontier, own.appliedSlot == theirs.appliedSlot,
                      own.appliedSlot == theirs.chosenFrontier else {
                    last = "group \(group): applied \(own.appliedSlot), leader \(leaders[group]!) chosen \(theirs.chosenFrontier)"
                    return false
                }
            }
            return true
        }
    }

    /// Waits until every live node has caught up with the leader.
    func waitForAllCaughtUp(timeout: Duration = .seconds(20)) throws {
        for id in liveIDs { try waitForCatchUp(id, timeout: timeout) }
    }
}

extension LocalCluster {
    /// Writes `count` distinct keys `bulk-<thread>-<i>` = `value-<thread>-<i>` from `threads`
    /// client threads over the nodes `ids`, and returns what was acknowledged (all of it, or
    /// the first error is thrown).
    func writeDistinctKeys(_ count: Int, threads: Int, through ids: [Int]) throws -> [String: String] {
        let endpoints = ids.map(endpoint)
        let perThread = count / threads
        let results = ThreadGroup(threads, name: "bulk-writer") { thread -> Result<[String: String], PaxosClientError> in
            do throws(PaxosClientError) {
                let client = try PaxosClient(endpoints: endpoints, configuration: .patient, startingAt: thread)
                var written: [String: String] = [:]
                for index in 0..<perThread {
                    let key = "bulk-\(thread)-\(index)"
                    try client.put(key, "value-\(thread)-\(index)")
                    written[key] = "value-\(thread)-\(index)"
                }
                return .success(written)
            } catch {
                return .failure(error)
            }
        }.join()
        var all: [String: String] = [:]
        for result in results { all.merge(try result.get()) { $1 } }
        guard all.count == perThread * threads else {
            throw HarnessError("\(all.count) of \(perThread * threads) bulk writes acknowledged")
        }
        return all
    }
}

extension PaxosClient.Configuration {
    /// One quick try: for INFO polling, where the poll loop is the retry.
    static var probe: Self {
        var configuration = Self()
        configuration.connectTimeout = .milliseconds(300)
        configuration.replyTimeout = .seconds(2)
        configuration.maxAttempts = 1
        return configuration
    }

    /// Rides out an election: retries for up to 15 s.
    static var patient: Self {
        var configuration = Self()
        configuration.connectTimeout = .milliseconds(500)
        configuration.maxAttempts = 40
        configuration.retryDeadline = .seconds(15)
        configuration.retryBackoff = .milliseconds(20)
        configuration.retryBackoffMax = .milliseconds(200)
        return configuration
    }
}

extension LocalCluster {
    /// Stops the nodes `ids` (default: every node) cleanly, runs paxos-inspect `diff` over their
    /// databases (no slot chosen with two commands, no membership recorded twice differently) and
    /// `verify` on each, and, with `restart`, starts the ones that were running again.
    func expectConsistentDatabases(_ ids: [Int]? = nil, restart: Bool = false) throws {
        let ids = ids ?? self.ids
        let running = ids.filter(isRunning)
        for id in running { kill(id, signal: SIGTERM) }
        let inspect = try BuiltExecutable.find("paxos-inspect")
        let databases = ids.map { dataDirectory($0).path }
        let diff = try Paxosctl.run(["diff"] + databases, program: inspect)
        #expect(diff.status == 0, "\(diff)")
        #expect(!diff.standardOutput.contains("SAFETY VIOLATION"), "\(diff)")
        for database in databases {
            let verify = try Paxosctl.run(["verify", database], program: inspect)
            #expect(verify.status == 0, "\(verify)")
        }
        if restart { for id in running { try start(id) } }
    }
}
