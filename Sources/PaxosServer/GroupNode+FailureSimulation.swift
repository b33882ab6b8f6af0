import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosShell
import PaxosStorage

/// `--fail-rate p`: the acceptor role fails at random, as if the process crashed, and restarts
/// from its durable state. Each second the node fails with probability `p`, stays down for a
/// random 0.5–3 s (dropping every peer message and refusing clients), then rebuilds its replica
/// from the database, forgetting everything it held only in memory.
extension GroupNode {
    /// - Returns: true while the node is failed, so the tick does nothing else.
    func simulateFailureTick() -> Bool {
        if let until = failedUntil {
            if NIODeadline.now() >= until { recoverFromSimulatedFailure() }
            return failedUntil != nil
        }
        guard settings.failRate > 0 else { return false }
        ticksSinceFailureDraw += 1
        let ticksPerSecond = max(1, Int(1_000 / settings.tickMilliseconds))
        guard ticksSinceFailureDraw >= ticksPerSecond else { return false }
        ticksSinceFailureDraw = 0
        guard Double.random(in: 0..<1, using: &failureRandom) < settings.failRate else { return false }
        let downMilliseconds = Int64.random(in: 500...3_000, using: &failureRandom)
        failedUntil = .now() + .milliseconds(downMilliseconds)
        metrics.simulatedFailures.increment()
        logger.warning("simulated acceptor failure: dropping all peer traffic", metadata: [
            "paxos.replica": "\(settings.id)", "fail.duration_ms": "\(downMilliseconds)",
        ])
        // Everything waiting on this replica is lost with it, as in a crash.
        perform(shell.failAll(message: "replica \(settings.id) failed (simulated); retry on another node"))
        abandonSnapshotTransfers(reason: "replica \(settings.id) failed (simulated)")
        return true
    }

    /// Waits for the storage thread to finish what the failed replica queued, then rebuilds the
    /// replica from disk. Storage writes that were queued are allowed to land: a real crash may
    /// or may not have persisted them, and the core only ever relied on what was reported durable.
    func recoverFromSimulatedFailure() {
        storage.barrier { [self] result in
            loop.execute { [self] in
                switch result {
                case .success(let durable):
                    var random = failureRandom.fork()
                    replica = Replica(configuration: settings.replicaConfiguration(group: group, incarnation: incarnation), durable: durable,
                                      random: random.fork(), logger: logger)
                    failedUntil = nil
                    lastRole = .follower
                    logger.warning("recovered from simulated failure", metadata: [
                        "paxos.replica": "\(settings.id)", "paxos.slot": "\(durable.appliedThrough)",
                        "paxos.ballot": "\(durable.promised)",
                    ])
                case .failure(let error):
                    fatalError("paxosd \(settings.id): cannot reload state after simulated failure: \(error)")
                }
            }
        }
        // Until the reload lands, stay failed; push the deadline out so we do not call twice.
        failedUntil = .now() + .hours(24)
    }
}
