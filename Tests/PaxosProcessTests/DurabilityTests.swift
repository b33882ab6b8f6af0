// Method: client threads write distinct keys without pause while the test SIGKILLs the leader,
// then a follower, and restarts both, three times over. Every SET and its outcome is recorded:
// acknowledged, refused (the client knows it never reached a node that could apply it), or
// unknown (sent, then a timeout, a lost connection, or -TIMEOUT/-NOLEADER). At the end every
// node has caught up and each key is read back linearizably and from every node's own applied
// state (READONLY):
// - an acknowledged SET MUST read back its value ("Paxos Made Simple" §2.2: once chosen, a value
//   stays chosen; acknowledgement comes only after a majority stored it durably);
// - a refused SET MUST read back nothing;
// - a SET with an unknown outcome may read back its value or nothing, never anything else;
// - the whole history (writes, then the final reads) is checked with PaxosTestKit's
//   LinearizabilityChecker, the same checker the simulator uses.
// Writes must also keep flowing after each fault (availability with a majority up).

import PaxosClient
import PaxosCore
import PaxosTestKit
import Testing

extension ProcessTests {
    @Suite("process: durability")
    struct DurabilityTests {
        static let writerThreads = 4
        /// Acknowledged writes required after each fault before the next one, to show progress.
        static let progressPerStep = 100
        /// Rounds of: kill the leader, kill a follower, restart both.
        static let rounds = 3

        /// One SET as a writer thread saw it.
        struct WriteRecord: Sendable {
            var thread: Int
            var key: String
            var value: String
            var invokedAt: UInt64
            var completedAt: UInt64
            var outcome: WriteOutcome
        }

        @Test("process: no acknowledged write is lost across kill -9")
        func noAcknowledgedWriteLost() throws {
            try run(size: 5, name: "durability", arguments: [])
        }

        @Test("process: 4 groups on 3 nodes: no acknowledged write is lost across kill -9 of group leaders")
        func noAcknowledgedWriteLostWithGroups() throws {
            // "The leader" below is group 0's; the follower killed next leads other groups.
            try run(size: 3, name: "durability-groups", arguments: ["--groups", "4"])
        }

        private func run(size: Int, name: String, arguments: [String]) throws {
            try LocalCluster.run(size: size, name: name, arguments: arguments) { cluster in
                try cluster.waitForLeader()
                let origin = ContinuousClock.now
                let stop = StopFlag()
                let acknowledged = Counter()
                let endpoints = cluster.endpoints
                let writers = ThreadGroup(Self.writerThreads, name: "durability-writer") { thread in
                    Self.write(thread: thread, endpoints: endpoints, stop: stop, acknowledged: acknowledged, origin: origin)
                }
                // Whatever happens below, the writer threads stop and are joined.
                let records: [WriteRecord]
                do {
                    try injectFaults(cluster, acknowledged: acknowledged)
                    stop.raise()
                    records = try writers.join().flatMap { try $0.get() }
                } catch {
                    stop.raise()
                    _ = writers.join()
                    throw error
                }

                for id in cluster.ids where !cluster.isRunning(id) { try cluster.restart(id) }
                try cluster.waitForAllCaughtUp(timeout: .seconds(30))
                let counts = Dictionary(grouping: records, by: \.outcome).mapValues(\.count)
                print("durability: \(records.count) SETs: \(counts[.acknowledged] ?? 0) acknowledged, \(counts[.refused] ?? 0) refused, \(counts[.unknown] ?? 0) with unknown outcome")
                try #require((counts[.acknowledged] ?? 0) >= Self.progressPerStep * (1 + 3 * Self.rounds))
                try checkFinalReads(cluster, records: records, origin: origin)
            }
        }

        /// `rounds` rounds of: kill the leader, kill a follower, restart both (on three nodes the
        /// leader restarts before the follower dies). After each step the writers must get more
        /// writes acknowledged.
        private func injectFaults(_ cluster: LocalCluster, acknowledged: Counter) throws {
            try awaitProgress(acknowledged, after: "start")
            for round in 1...Self.rounds {
                let leader = try cluster.waitForLeader()
                cluster.kill(leader)
                try awaitProgress(acknowledged, after: "round \(round): kill -9 of leader \(leader)")
                // Three nodes survive only one loss at a time: bring the leader back first.
                let oneAtATime = cluster.size < 5
                if oneAtATime { try cluster.restart(leader) }
                let newLeader = try cluster.waitForLeader()
                guard let follower = cluster.liveIDs.first(where: { $0 != newLeader && $0 != leader }) else {
                    throw HarnessError("no live follower to kill")
                }
                cluster.kill(follower)
                try awaitProgress(acknowledged, after: "round \(round): kill -9 of follower \(follower)")
                if !oneAtATime { try cluster.restart(leader) }
                try cluster.restart(follower)
                try awaitProgress(acknowledged, after: "round \(round): restart of \(leader) and \(follower)")
            }
        }

        private func awaitProgress(_ acknowledged: Counter, after step: String) throws {
            let before = acknowledged.value
            let started = ContinuousClock.now
            try waitUntil("\(Self.progressPerStep) more writes are acknowledged after \(step)", timeout: .seconds(15)) {
                acknowledged.value >= before + Self.progressPerStep
            }
            print("durability: \(step): \(Self.progressPerStep) more writes acknowledged in \((ContinuousClock.now - started).roundedMilliseconds)")
        }

        /// One writer: distinct keys, one SET at a time, until told to stop.
        ///
        /// Even threads retry (an error after all retries is rare); odd threads try once with a
        /// short timeout, so that some writes end with an unknown outcome and the checker has to
        /// place them.
        private static func write(
            thread: Int, endpoints: [Endpoint], stop: StopFlag, acknowledged: Counter, origin: ContinuousClock.Instant
        ) -> Result<[WriteRecord], PaxosClientError> {
            var configuration = PaxosClient.Configuration.patient
            if thread % 2 == 1 {
                configuration.maxAttempts = 1
                configuration.replyTimeout = .milliseconds(400)
            }
            let client: PaxosClient
            do throws(PaxosClientError) {
                client = try PaxosClient(endpoints: endpoints, configuration: configuration, startingAt: thread)
            } catch {
                return .failure(error)
            }
            var records: [WriteRecord] = []
            var index = 0
            while !stop.isRaised {
                let key = "durable-\(thread)-\(index)"
                let value = "value-\(thread)-\(index)"
                index += 1
                let invokedAt = nanoseconds(since: origin)
                var outcome = WriteOutcome.acknowledged
                do throws(PaxosClientError) {
                    try client.put(key, value)
                    acknowledged.increment()
                } catch {
                    outcome = WriteOutcome(failure: error)
                }
                records.append(WriteRecord(
                    thread: thread, key: key, value: value, invokedAt: invokedAt,
                    completedAt: nanoseconds(since: origin), outcome: outcome))
                // A node that fails fast (refused) must not turn this loop into a busy one.
                if outcome != .acknowledged { pause(.milliseconds(10)) }
            }
            return .success(records)
        }

        /// Every key read linearizably, and stale from each node; then the linearizability check.
        private func checkFinalReads(_ cluster: LocalCluster, records: [WriteRecord], origin: ContinuousClock.Instant) throws {
            var history = History()
            for record in records where record.outcome != .refused {
                let handle = history.invoke(
                    client: ClientID(UInt64(record.thread)), kind: .put(key: Array(record.key.utf8), value: Array(record.value.utf8)),
                    at: record.invokedAt)
                if record.outcome == .acknowledged { history.complete(handle, outcome: .ok, at: record.completedAt) }
            }
            let reader = try cluster.client()
            var wrong: [String] = []
            for record in records {
                let invokedAt = nanoseconds(since: origin)
                let value = try reader.get(record.key)
                let handle = history.invoke(client: ClientID(1_000), kind: .get(key: Array(record.key.utf8)), at: invokedAt)
                history.complete(handle, outcome: .value(value.map { Array($0.utf8) }), at: nanoseconds(since: origin))
                if let problem = Self.problem(record, read: value) { wrong.append(problem) }
            }
            try #require(wrong.isEmpty, "linearizable reads: \(wrong.count) wrong, first: \(wrong.prefix(10))")

            for id in cluster.ids {
                var configuration = PaxosClient.Configuration.patient
                configuration.staleReads = true
                let local = try cluster.client(only: id, configuration: configuration)
                for record in records {
                    if let problem = Self.problem(record, read: try local.get(record.key)) { wrong.append(problem) }
                }
                try #require(wrong.isEmpty, "node \(id)'s own applied state: \(wrong.count) wrong, first: \(wrong.prefix(10))")
            }
            let verdict = LinearizabilityChecker().check(history)
            try #require(verdict.isLinearizable, "history of \(history.operations.count) operations: \(verdict)")
        }

        /// What is wrong with reading `value` for the key `record` wrote, if anything.
        private static func problem(_ record: WriteRecord, read value: String?) -> String? {
            switch record.outcome {
            case .acknowledged where value != record.value:
                "acknowledged \(record.key)=\(record.value) lost: read \(value ?? "absent")"
            case .refused where value != nil:
                "refused \(record.key) was applied: read \(value ?? "absent")"
            case .unknown where value != nil && value != record.value:
                "\(record.key) reads \(value ?? "absent"), which nobody wrote"
            default:
                nil
            }
        }
    }
}
