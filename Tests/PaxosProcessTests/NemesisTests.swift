// Method: a Jepsen-style test on real processes. Concurrent clients run SET, GET and DEL on a
// handful of keys, so their operations conflict, while a nemesis SIGKILLs random nodes of a
// 5-node cluster — the leader included, sometimes two nodes at once — and restarts them. Every
// operation's invocation, completion and result is recorded against one monotonic clock; a
// client tries each operation once, so an answer is about exactly one attempt:
// - an answer (OK, a value, a delete count) completes the operation;
// - a timeout, a lost connection, or -TIMEOUT/-NOLEADER leaves its outcome unknown (it may take
//   effect at any later instant, or never);
// - an error that proves the request never reached a node that could apply it (connection
//   refused) drops the operation from the history: it cannot have had an effect.
// After the nemesis stops and every node has caught up, each key is read once more,
// linearizably, and from every node's own applied state. Then:
// - the history is checked for linearizability with PaxosTestKit's checker (per-key register,
//   Wing & Gong search with memoisation), the one the simulator uses;
// - every acknowledged write is still visible unless a later write may have replaced it
//   (checked on its own, so a lost write is reported as such, not only as "not linearizable");
// - all five nodes hold the same value for every key (agreement of the applied state).
//
// Duration: `PAXOS_NEMESIS_SECONDS` (default 35, the CI run); a long run is
// `PAXOS_NEMESIS_SECONDS=600 swift test --filter NemesisTests`. The nemesis and the clients draw
// from `PAXOS_NEMESIS_SEED` (printed); thread timing still varies, so a seed reproduces the fault
// schedule, not the exact interleaving.

import Foundation
import PaxosClient
import PaxosCore
import PaxosTestKit
import Testing

extension ProcessTests {
    @Suite("process: nemesis")
    struct NemesisTests {
        static let clientThreads = 6
        static let keyCount = 4
        /// Fewer acknowledged operations than this means the cluster was mostly unavailable,
        /// and a linearizable history of nothing proves nothing.
        static let minimumAcknowledgedPerSecond = 10

        /// One operation as a client thread saw it; `outcome == nil` means "dropped: never applied".
        struct Record: Sendable {
            var thread: Int
            var kind: HistoryOperation.Kind
            var invokedAt: UInt64
            var completedAt: UInt64
            var outcome: HistoryOperation.Outcome?
        }

        /// What the nemesis did, for the report.
        struct FaultCounts {
            var rounds = 0
            var kills = 0
            var leaderKills = 0
            var doubleKills = 0
        }

        @Test("process: clients under a kill -9 nemesis see a linearizable history and lose no acknowledged write")
        func nemesis() throws {
            let environment = ProcessInfo.processInfo.environment
            let seconds = environment["PAXOS_NEMESIS_SECONDS"].flatMap { Int($0) } ?? 35
            let seed = environment["PAXOS_NEMESIS_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
            print("nemesis: PAXOS_NEMESIS_SEED=\(seed) PAXOS_NEMESIS_SECONDS=\(seconds)")
            // A short log retention, so that nodes coming back from a kill often catch up by
            // snapshot transfer, and kills also hit transfers and compactions under way.
            try LocalCluster.run(size: 5, name: "nemesis", arguments: ["--retain-slots", "300"]) { cluster in
                try cluster.waitForLeader()
                let origin = ContinuousClock.now
                let stop = StopFlag()
                let endpoints = cluster.endpoints
                let clients = ThreadGroup(Self.clientThreads, name: "nemesis-client") { thread in
                    Self.runClient(thread: thread, seed: seed, endpoints: endpoints, stop: stop, origin: origin)
                }
                let faults: FaultCounts
                var records: [Record]
                do {
                    faults = try Self.runNemesis(cluster, seed: seed, for: .seconds(seconds))
                    stop.raise()
                    records = clients.join().flatMap { $0 }
                } catch {
                    stop.raise()
                    _ = clients.join()
                    throw error
                }
                let loadSeconds = (ContinuousClock.now - origin).milliseconds / 1_000

                for id in cluster.ids where !cluster.isRunning(id) { try cluster.restart(id) }
                try cluster.waitForAllCaughtUp(timeout: .seconds(30))
                let finalValues = try Self.readFinalValues(cluster, into: &records, origin: origin)
                try Self.checkReplicasAgree(cluster, finalValues: finalValues)

                let acknowledged = records.filter { $0.outcome != nil && $0.outcome != .unknown }.count
                let unknown = records.filter { $0.outcome == .unknown }.count
                let dropped = records.filter { $0.outcome == nil }.count
                let installed = try cluster.ids.map { try cluster.infoNumber($0, "snapshots_installed") }.reduce(0, +)
                print("nemesis: \(String(format: "%.1f", loadSeconds)) s, \(faults.rounds) fault rounds, \(faults.kills) kill -9 (\(faults.leaderKills) of the leader, \(faults.doubleKills) double); \(records.count) operations: \(acknowledged) answered, \(unknown) unknown, \(dropped) never sent; \(installed) snapshots installed since the last restarts")
                try #require(faults.kills >= 3, "the nemesis must have killed something")
                try #require(
                    acknowledged >= Self.minimumAcknowledgedPerSecond * seconds,
                    "only \(acknowledged) operations answered in \(seconds) s: the cluster was mostly unavailable")

                try Self.checkNoAcknowledgedWriteLost(records, finalValues: finalValues)
                let history = History(records.enumerated().compactMap { index, record in Self.operation(index, record) })
                let checkStarted = ContinuousClock.now
                let verdict = LinearizabilityChecker().check(history)
                print("nemesis: linearizability of \(history.operations.count) operations checked in \((ContinuousClock.now - checkStarted).roundedMilliseconds): \(verdict.isLinearizable ? "linearizable" : "NOT linearizable")")
                try #require(verdict.isLinearizable, "PAXOS_NEMESIS_SEED=\(seed): \(verdict)")
            }
        }

        // MARK: the nemesis

        /// Until `duration` has passed: kill one or two nodes (never more, so a majority of five
        /// stays up), keep them down for 0.3–2 s, restart them, let the cluster run whole for
        /// 0.5–1.5 s. A third of the rounds aim at the leader.
        static func runNemesis(_ cluster: LocalCluster, seed: UInt64, for duration: Duration) throws -> FaultCounts {
            var random = SeededGenerator(seed: seed)
            var counts = FaultCounts()
            let deadline = ContinuousClock.now + duration
            while ContinuousClock.now < deadline {
                counts.rounds += 1
                var victims: [Int] = []
                if Int.random(in: 0..<3, using: &random) == 0, let leader = try? cluster.waitForLeader(timeout: .seconds(3)) {
                    victims.append(leader)
                    counts.leaderKills += 1
                }
                let wanted = Int.random(in: 0..<3, using: &random) == 0 ? 2 : 1
                while victims.count < wanted {
                    let candidates = cluster.ids.filter { !victims.contains($0) }
                    victims.append(candidates[Int.random(in: 0..<candidates.count, using: &random)])
                }
                if victims.count == 2 { counts.doubleKills += 1 }
                for victim in victims { cluster.kill(victim) }
                counts.kills += victims.count
                pause(.milliseconds(Int.random(in: 300...2_000, using: &random)))
                for victim in victims { try cluster.restart(victim) }
                pause(.milliseconds(Int.random(in: 500...1_500, using: &random)))
            }
            return counts
        }

        // MARK: the clients

        /// One client thread: random SET/GET/DEL on `keyCount` keys, one attempt each, values
        /// unique to the thread and operation so the checker can tell writes apart.
        static func runClient(
            thread: Int, seed: UInt64, endpoints: [Endpoint], stop: StopFlag, origin: ContinuousClock.Instant
        ) -> [Record] {
            var random = SeededGenerator(seed: seed ^ (UInt64(thread + 1) &* 0x9E37_79B9_7F4A_7C15))
            var configuration = PaxosClient.Configuration()
            configuration.maxAttempts = 1
            configuration.connectTimeout = .milliseconds(300)
            configuration.replyTimeout = .seconds(2)
            guard let client = try? PaxosClient(endpoints: endpoints, configuration: configuration, startingAt: thread) else {
                return []
            }
            var records: [Record] = []
            var sequence = 0
            while !stop.isRaised {
                sequence += 1
                let key = Array("k\(Int.random(in: 0..<keyCount, using: &random))".utf8)
                let kind: HistoryOperation.Kind
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<5: kind = .put(key: key, value: Array("t\(thread)-\(sequence)".utf8))
                case 5..<8: kind = .get(key: key)
                default: kind = .delete(key: key)
                }
                let invokedAt = nanoseconds(since: origin)
                var outcome: HistoryOperation.Outcome?
                do throws(PaxosClientError) {
                    switch kind {
                    case .put(let key, let value):
                        try client.put(key, value)
                        outcome = .ok
                    case .get(let key):
                        outcome = .value(try client.get(key))
                    case .delete(let key):
                        outcome = .deleted(existed: try client.delete(key))
                    case .incrementBy, .setIf, .getSet, .deleteIfEquals, .getDelete, .mset, .mget, .mdelete, .watch, .exec,
                         .setExpiring, .expire, .expiry:
                        preconditionFailure("nemesis: this workload draws no key operations")
                    }
                } catch {
                    // A read has no effect, so a failed one is simply left out.
                    if case .get = kind { outcome = nil } else { outcome = error.outcomeIsUnknown ? .unknown : nil }
                }
                records.append(Record(
                    thread: thread, kind: kind, invokedAt: invokedAt, completedAt: nanoseconds(since: origin), outcome: outcome))
                // A dead node fails fast; do not spin on it.
                if outcome == nil || outcome == .unknown { pause(.milliseconds(20)) }
            }
            return records
        }

        // MARK: the checks

        /// Reads every key once more through the cluster, linearizably, and records the reads.
        static func readFinalValues(
            _ cluster: LocalCluster, over ids: [Int]? = nil, into records: inout [Record], origin: ContinuousClock.Instant
        ) throws -> [[UInt8]: [UInt8]?] {
            let reader = try cluster.client(over: ids ?? cluster.ids)
            var values: [[UInt8]: [UInt8]?] = [:]
            for index in 0..<keyCount {
                let key = Array("k\(index)".utf8)
                let invokedAt = nanoseconds(since: origin)
                let value = try reader.get(key)
                records.append(Record(
                    thread: clientThreads, kind: .get(key: key), invokedAt: invokedAt,
                    completedAt: nanoseconds(since: origin), outcome: .value(value)))
                values[key] = .some(value)
            }
            return values
        }

        /// Every node's own applied state (READONLY reads) holds the final values.
        static func checkReplicasAgree(_ cluster: LocalCluster, ids: [Int]? = nil, finalValues: [[UInt8]: [UInt8]?]) throws {
            var configuration = PaxosClient.Configuration.patient
            configuration.staleReads = true
            for id in ids ?? cluster.ids {
                let local = try cluster.client(only: id, configuration: configuration)
                for (key, value) in finalValues {
                    let mine = try local.get(key)
                    try #require(mine == value, "node \(id) holds \(render(mine)) for \(render(key)), the cluster \(render(value))")
                }
            }
        }

        /// For every acknowledged write (SET or DEL) on a key, the key's final value was written
        /// by that write or by one that did not finish before it began: otherwise the write was
        /// lost. Unknown writes may have taken effect at any time, so they count as "may be later".
        static func checkNoAcknowledgedWriteLost(_ records: [Record], finalValues: [[UInt8]: [UInt8]?]) throws {
            for (key, final) in finalValues {
                let writes = records.filter { record in
                    guard record.kind.key == key, record.outcome != nil else { return false }
                    if case .get = record.kind { return false }
                    return true
                }
                let acknowledged = writes.filter { $0.outcome != .unknown }
                // The writes that can explain the final value.
                let explaining = writes.filter { write in
                    switch (write.kind, final) {
                    case (.put(_, let value), .some(let read)): value == read
                    case (.delete, .none): true
                    default: false
                    }
                }
                // Never written, or every write deleted it: absent with no acknowledged SET is fine.
                if final == nil && explaining.isEmpty && !acknowledged.contains(where: { if case .put = $0.kind { true } else { false } }) {
                    continue
                }
                try #require(!explaining.isEmpty, "\(render(key)) reads \(render(final)), which no recorded write produced")
                for write in acknowledged {
                    let overtaken = explaining.allSatisfy { explainer in
                        explainer.outcome != .unknown && explainer.completedAt < write.invokedAt
                    }
                    try #require(
                        !overtaken,
                        "acknowledged \(write.kind) by client thread \(write.thread) at \(write.invokedAt) ns was lost: \(render(key)) reads \(render(final)), written only before it began")
                }
            }
        }

        /// The history operation for a record, or nil for a dropped one.
        static func operation(_ index: Int, _ record: Record) -> HistoryOperation? {
            guard let outcome = record.outcome else { return nil }
            return HistoryOperation(
                id: HistoryOperation.ID(index), client: ClientID(UInt64(record.thread)), kind: record.kind,
                invokedAt: record.invokedAt, completedAt: record.completedAt, outcome: outcome)
        }

        static func render(_ bytes: [UInt8]?) -> String {
            bytes.map { "\"\(String(decoding: $0, as: UTF8.self))\"" } ?? "absent"
        }
    }
}
