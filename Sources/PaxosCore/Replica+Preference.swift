import Logging

/// A preferred leader per group (`ReplicaConfiguration.preferredLeader`), so that with several
/// groups per node the leaders, and the proposing and fsync work that comes with leading,
/// spread over the nodes instead of piling onto whichever node won the first elections.
///
/// Any replica may still win an election: when the preferred one is down, the group keeps
/// serving. When it comes back, it first follows the current leader and catches up, and only
/// after `takeoverTicks` of being healthy does it run phase 1 with a higher ballot. Its prepare
/// is never ignored as disruptive (`shouldIgnorePrepare`), so the leader steps down, and the
/// shell re-routes what the old leader refused. A takeover that does not make it leader (it cannot
/// reach a majority, say) doubles the wait before the next one, so a half-connected preferred
/// replica disturbs the group rarely rather than every few hundred milliseconds.
extension Replica {
    /// True when this replica should lead and another does.
    var isPreferredFollower: Bool {
        guard configuration.preferredLeader == configuration.id, case .follower = roleState,
              let leader = leaderHint, leader != configuration.id else { return false }
        return true
    }

    /// Healthy: the leader is alive by the test a follower uses everywhere else (heard within
    /// an election timeout, as in `shouldIgnorePrepare`), and we applied everything it announced
    /// chosen, so phase 1 will recover little and the takeover costs one round trip.
    ///
    /// Not "heard within two heartbeats": any late heartbeat restarts the wait, so once delivery
    /// jitter exceeds two heartbeat intervals (still far inside the election timeout, with the
    /// leader never in doubt) the preferred replica never took over. The multi-group simulator
    /// soak found it (PreferenceTests, "takes over when heartbeats arrive with jitter").
    var isHealthyFollower: Bool {
        now - lastLeaderContact < configuration.electionTimeoutTicks
            && appliedThrough >= leaderChosenThrough
    }

    /// Called on each follower tick: starts a takeover once we have been healthy long enough.
    mutating func considerTakeover() {
        // With leases the leader hands over to us instead (`considerHandOverToPreferred`).
        guard isPreferredFollower, isHealthyFollower, configuration._plantedBug != .skipTakeover, !leasesEnabled else {
            takeoverHealthySince = nil
            return
        }
        guard let since = takeoverHealthySince else {
            takeoverHealthySince = now
            return
        }
        let wait = configuration.takeoverTicks << min(takeoverAttempts, 5)
        guard now - since >= wait else { return }
        takeoverHealthySince = nil
        takeoverAttempts += 1
        logger.debug("preferred leader taking over", metadata: metadata.merging([
            "paxos.leader": "\(leaderHint.map { "\($0)" } ?? "none")", "paxos.attempt": "\(takeoverAttempts)",
        ]) { $1 })
        startElection()
    }
}
