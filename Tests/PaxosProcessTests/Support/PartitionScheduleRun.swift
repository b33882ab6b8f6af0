import Foundation
import PaxosClient
import PaxosTestKit
import Testing

/// Runs a `PartitionSchedule` on a namespaced cluster (`PartitionCluster`) while clients keep
/// working, and measures every heal.
///
/// Clients, throughout: the nemesis test's history clients (`NemesisTests.runClient`: SET, GET
/// and DEL on four shared keys, one attempt each, timeouts and -NOLEADER/-TIMEOUT recorded as
/// unknown outcomes), spread over the nodes, plus one `BackgroundWriters` thread writing
/// distinct keys. At the end, after every node has caught up: the final values are read
/// linearizably and from every node's own state, no acknowledged write may be lost (on the
/// shared keys and the distinct ones), and the history goes to the `LinearizabilityChecker`.
///
/// Bounds (checked by the caller on the report, so a soak runs to the end and reports every
/// violation): per heal, at most one leader change and every node in sync within 2 s.
enum PartitionScheduleRun {
    typealias Nemesis = ProcessTests.NemesisTests
    static let clientThreads = 4
    /// How long the harness keeps measuring a heal that is not in sync by the end of its settle
    /// time, so the report says how late it was.
    static let syncLimit = Duration.seconds(30)

    static func run(_ schedule: PartitionSchedule, name: String) throws -> PartitionScheduleReport {
        print(schedule)
        var report = PartitionScheduleReport(schedule: schedule)
        let started = ContinuousClock.now
        // Debugging a replay: PAXOS_PARTITION_LOG_LEVEL=debug makes the nodes log elections too
        // (paxosd takes the last --log-level given).
        let logLevel = ProcessInfo.processInfo.environment["PAXOS_PARTITION_LOG_LEVEL"]
        try PartitionCluster.run(size: schedule.nodeCount, name: name, arguments: logLevel.map { ["--log-level", $0] } ?? []) {
            cluster, network in
            try cluster.waitForLeader(timeout: .seconds(20))
            let origin = ContinuousClock.now
            let stop = StopFlag()
            let endpoints = cluster.endpoints
            let seed = schedule.seed
            let clients = ThreadGroup(clientThreads, name: "partition-client") { thread in
                Nemesis.runClient(thread: thread, seed: seed, endpoints: endpoints, stop: stop, origin: origin)
            }
            let writers = BackgroundWriters(cluster: cluster, threads: 1, prefix: "ps")
            var records: [Nemesis.Record]
            let writes: [String: String]
            do {
                try runEpisodes(schedule, cluster: cluster, network: network, report: &report)
                stop.raise()
                records = clients.join().flatMap { $0 }
                writes = writers.stop()
            } catch {
                stop.raise()
                _ = clients.join()
                _ = writers.stop()
                throw error
            }
            try cluster.waitForAllCaughtUp(timeout: .seconds(30))
            try checkFinalState(cluster, records: &records, writes: writes, origin: origin, report: &report)
        }
        report.elapsed = ContinuousClock.now - started
        print(report.description)
        return report
    }

    // MARK: the schedule

    private static func runEpisodes(
        _ schedule: PartitionSchedule, cluster: LocalCluster, network: NamespaceNetwork, report: inout PartitionScheduleReport
    ) throws {
        let observer = LeadershipObserver(cluster: cluster)
        observer.observe(until: .now + .milliseconds(500))
        var elections = cluster.electionsStarted()
        for (index, episode) in schedule.episodes.enumerated() {
            let shape = episode.shape(leader: observer.leader, ids: cluster.ids)
            print("partition schedule: \(index + 1)/\(schedule.episodes.count) \(episode.kind.rawValue): \(shape), "
                  + "hold \(episode.holdMilliseconds) ms")
            for pair in shape.cuts { try network.cut(pair[0], pair[1]) }
            report.partitions[episode.kind, default: 0] += 1
            let cutAt = ContinuousClock.now
            if shape.flapDelaysMilliseconds.isEmpty {
                observer.observe(until: cutAt + .milliseconds(episode.holdMilliseconds))
            } else {
                report.flapToggles += try flap(shape, from: cutAt, network: network, observer: observer)
            }
            let electionsAtHeal = cluster.electionsStarted()
            try network.healAll()
            observer.beginHeal(at: .now)
            observer.observe(until: .now + .milliseconds(episode.settleMilliseconds))
            observer.observeUntilSynced(limit: syncLimit)
            let window = observer.endHeal()
            let electionsAfter = cluster.electionsStarted()
            if let held = difference(electionsAtHeal, elections), let total = report.electionsDuringPartitions {
                report.electionsDuringPartitions = total + held
            } else {
                report.electionsDuringPartitions = nil
            }
            elections = electionsAfter
            let heal = HealMeasurement(
                episode: index + 1, kind: episode.kind, shape: shape.summary, leaderAtHeal: window.leaderAtHeal,
                leadersSeen: window.leadersSeen, leadersSeenAfter: window.leadersSeenAfter, leaderChanges: window.leaderChanges,
                elections: difference(electionsAfter, electionsAtHeal), syncedAfter: window.syncedAfter,
                lastView: window.lastView, linksBackAfter: window.linksBackAfter,
                lastCaughtUp: window.caughtUpAfter.max { $0.value < $1.value }.map { ($0.key, $0.value) },
                slowestInfo: window.slowestInfo)
            report.heals.append(heal)
            print("partition schedule: \(index + 1)/\(schedule.episodes.count) healed: \(heal.summary)")
        }
        report.changesDuringPartitions = observer.changesDuringPartitions
    }

    /// Toggles the shape's one link after each delay (it starts cut), observing in between;
    /// returns the number of toggles. The caller's heal restores the link if it ends cut.
    private static func flap(
        _ shape: PartitionShape, from start: ContinuousClock.Instant, network: NamespaceNetwork, observer: LeadershipObserver
    ) throws -> Int {
        let (a, b) = (shape.cuts[0][0], shape.cuts[0][1])
        var isCut = true
        var at = start
        for delay in shape.flapDelaysMilliseconds {
            at += .milliseconds(delay)
            observer.observe(until: at)
            if isCut { try network.heal(a, b) } else { try network.cut(a, b) }
            isCut.toggle()
        }
        return shape.flapDelaysMilliseconds.count
    }

    private static func difference(_ later: Int?, _ earlier: Int?) -> Int? {
        guard let later, let earlier else { return nil }
        return later - earlier
    }

    // MARK: the final checks

    private static func checkFinalState(
        _ cluster: LocalCluster, records: inout [Nemesis.Record], writes: [String: String], origin: ContinuousClock.Instant,
        report: inout PartitionScheduleReport
    ) throws {
        let finalValues = try Nemesis.readFinalValues(cluster, into: &records, origin: origin)
        try Nemesis.checkReplicasAgree(cluster, finalValues: finalValues)
        try Nemesis.checkNoAcknowledgedWriteLost(records, finalValues: finalValues)
        try cluster.expectAllPresent(writes)
        report.operations = records.count
        report.answered = records.filter { $0.outcome != nil && $0.outcome != .unknown }.count
        report.unknown = records.filter { $0.outcome == .unknown }.count
        report.neverSent = records.filter { $0.outcome == nil }.count
        report.distinctWrites = writes.count
        let history = History(records.enumerated().compactMap { index, record in Nemesis.operation(index, record) })
        let checkStarted = ContinuousClock.now
        report.verdict = LinearizabilityChecker().check(history)
        report.checkDuration = ContinuousClock.now - checkStarted
    }
}

extension LocalCluster {
    /// Elections started so far on all nodes together (each node's `paxos_elections_total` counter, read
    /// from its /metrics), or nil if some node's could not be read.
    func electionsStarted() -> Int? {
        var total = 0
        for id in ids {
            guard let connection = try? RawConnection(host: host(id), port: clientPort(id) + 2, timeout: .seconds(2)) else {
                return nil
            }
            defer { connection.close() }
            let request = "GET /metrics HTTP/1.1\r\nHost: \(host(id))\r\nConnection: close\r\n\r\n"
            guard (try? connection.write(Array(request.utf8))) != nil,
                  let response = try? connection.readUntilClosed() else { return nil }
            let text = String(decoding: response, as: UTF8.self)
            // No line at all: the counter was never incremented (Prometheus shows it from the first).
            let line = text.split(separator: "\n").first { $0.hasPrefix("paxos_elections_total ") }
            total += line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
        }
        return total
    }
}
