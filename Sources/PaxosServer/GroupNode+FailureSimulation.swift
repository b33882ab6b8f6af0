import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosShell
import PaxosStorage

/// `--fail-rate p`: the acceptor role fails at random, as if the process crashed, and restarts
/// from its durable state. `FailureSchedule` decides when; this carries out its steps: while
/// failed the group drops every peer message and refuses clients, and afterwards it rebuilds its
/// replica from the database, forgetting everything it held only in memory.
extension GroupNode {
    /// - Returns: true while the node is failed, so the tick does nothing else.
    func simulateFailureTick() -> Bool {
        switch failures.tick(now: Self.nowMilliseconds) {
        case .none: break
        case .fail(let durationMilliseconds): onSimulatedFailure(durationMilliseconds: durationMilliseconds)
        case .startReload: recoverFromSimulatedFailure()
        }
        return failures.isFailed
    }

    func onSimulatedFailure(durationMilliseconds: UInt64) {
        metrics.simulatedFailures.increment()
        logger.warning("simulated acceptor failure: dropping all peer traffic", metadata: [
            "paxos.replica": "\(settings.id)", "fail.duration_ms": "\(durationMilliseconds)",
        ])
        // Everything waiting on this replica is lost with it, as in a crash.
        perform(shell.failAll(message: "replica \(settings.id) failed (simulated); retry on another node"))
        abandonSnapshotTransfers(reason: "replica \(settings.id) failed (simulated)")
    }

    /// Waits for the storage thread to finish what the failed replica queued, then rebuilds the
    /// replica from disk. Storage writes that were queued are allowed to land: a real crash may
    /// or may not have persisted them, and the core only ever relied on what was reported durable.
    /// The schedule keeps the group failed until then.
    func recoverFromSimulatedFailure() {
        flushStorageJobs()
        storage.barrier { [self] result in
            loop.execute { [self] in
                switch result {
                case .success(let durable):
                    let random = failures.reloaded()
                    replica = Replica(configuration: settings.replicaConfiguration(group: group, incarnation: incarnation), durable: durable,
                                      random: random, logger: logger)
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
    }
}
