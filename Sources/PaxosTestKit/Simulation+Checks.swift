import PaxosCore

/// End-of-run checkers: liveness after healing, convergence, and the client history.
extension Simulation {
    func checkEnd() {
        // Liveness: every operation that was invoked eventually completed, because after the
        // heal clients retry against a healthy majority until they get an answer.
        for client in clients {
            if let current = client.current {
                let record = records[current.op]
                fail("liveness: client \(client.index)'s \(record.kind) invoked at t=\(record.invokedAt) "
                     + "still incomplete \(now - healedAt) units after the heal")
                return
            }
        }
        checkConvergence()
        guard violations.isEmpty else { return }
        checkHistory()
    }

    /// True when every replica is up and has applied every slot chosen so far.
    var hasSettled: Bool {
        let highest = chosen.keys.max() ?? .zero
        return nodes.allSatisfy { $0.replica != nil && $0.disk.stateMachine.appliedThrough == highest }
    }

    /// Every replica applied the same prefix, up to the highest chosen slot, with equal tables.
    func checkConvergence() {
        let highest = chosen.keys.max() ?? .zero
        for node in nodes {
            guard let replica = node.replica else {
                fail("convergence: replica \(node.id) is down after the heal")
                return
            }
            let applied = node.disk.stateMachine.appliedThrough
            if applied != highest {
                fail("convergence: replica \(node.id) applied through \(applied), the cluster chose through \(highest) "
                     + "(\(replica.status.role), chosen through \(replica.chosenThrough))")
                return
            }
        }
        let reference = nodes[0].disk.stateMachine.table
        for node in nodes.dropFirst() where node.disk.stateMachine.table != reference {
            fail("convergence: replica \(node.id)'s table differs from replica \(nodes[0].id)'s at the same applied slot")
            return
        }
    }

    /// Linearizability of everything clients saw, with operations that never completed as
    /// unknown (they may or may not have taken effect).
    func checkHistory() {
        var history = History()
        for record in records {
            let kind: HistoryOperation.Kind
            switch record.kind {
            case .put(let key, let value): kind = .put(key: key, value: value)
            case .delete(let key): kind = .delete(key: key)
            case .get(let key): kind = .get(key: key)
            }
            let handle = history.invoke(client: clients[record.client].id, kind: kind, at: record.invokedAt)
            guard let (at, outcome) = record.completed else { continue }
            switch outcome {
            case .ok: history.complete(handle, outcome: .ok, at: at)
            case .deleted(let existed): history.complete(handle, outcome: .deleted(existed: existed), at: at)
            case .value(let value): history.complete(handle, outcome: .value(value), at: at)
            }
        }
        switch LinearizabilityChecker(maxStatesPerKey: 200_000).check(history) {
        case .linearizable: break
        case .violation(let violation): fail("linearizability: \(violation)")
        case .inconclusive(let reason): stats.inconclusiveHistories += 1; _ = reason
        }
    }

    func report() -> SimulationReport {
        stats.chosenSlots = chosen.count
        stats.operations = records.count
        return SimulationReport(seed: seed, configuration: configuration.description, violations: violations,
                                stats: stats, trace: trace)
    }
}

/// Counters describing what a run exercised.
public struct SimulationStats: Hashable, Sendable {
    public var events = 0
    public var messages = 0
    public var crashes = 0
    public var faults = 0
    public var applies = 0
    public var chosenSlots = 0
    /// Log compactions, snapshot transfers started, and snapshots installed.
    public var compactions = 0
    public var snapshotsSent = 0
    public var snapshotsInstalled = 0
    public var operations = 0
    public var completed = 0
    /// Histories the linearizability checker gave up on (search budget); counted, not failed.
    public var inconclusiveHistories = 0

    public init() {}
}

/// The outcome of one simulation run.
public struct SimulationReport: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var configuration: String
    public var violations: [String]
    public var stats: SimulationStats
    /// Digest of every processed event: two runs of one seed must produce the same value.
    public var trace: UInt64

    public var passed: Bool { violations.isEmpty }

    public var description: String {
        let summary = "ops=\(stats.operations) completed=\(stats.completed) slots=\(stats.chosenSlots) "
            + "events=\(stats.events) messages=\(stats.messages) crashes=\(stats.crashes) faults=\(stats.faults) "
            + "compactions=\(stats.compactions) snapshots=\(stats.snapshotsSent)/\(stats.snapshotsInstalled)"
        if passed { return "seed \(seed) passed: \(summary) [\(configuration)]" }
        return "PAXOS_SEED=\(seed) FAILED: \(violations.joined(separator: "; "))\n  config: \(configuration)\n  \(summary)\n"
            + "  replay: PAXOS_SEED=\(seed) swift test --filter Simulation   or   swift run paxos-sim --seed \(seed)"
    }
}
