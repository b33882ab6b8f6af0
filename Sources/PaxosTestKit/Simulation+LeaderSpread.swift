import PaxosCore

/// The leader-spread property of multi-group runs: once faults have healed and the cluster has
/// been quiet long enough, every group is led by the preferred leader `GroupMap` names for it
/// (every node is up after the heal), so the leaders, and the work leading costs, are spread
/// over the nodes.
///
/// The run waits for this before it stops, up to its grace period plus
/// `SimConfiguration.takeoverGraceUnits`: the longest a healthy preferred replica may wait to
/// take over after its earlier takeovers failed during the chaos. Missing it by then is a
/// failure: the preferred replica never took over, or lost the lead again in a quiet cluster.
extension Simulation {
    func checkLeaderSpread() {
        for group in groups.indices where !isLedByPreferred(group: group) {
            let start = group * configuration.replicas
            let roles = replicas[start..<start + configuration.replicas]
                .map { "\($0.id)=\($0.replica.map { "\($0.role)" } ?? "down")" }.joined(separator: " ")
            let preferred = groups[group].preferredLeader.map { "\($0)" } ?? "none"
            fail("leader spread: group \(group) is not led by its preferred leader \(preferred) (\(roles)) "
                 + "\(now - healedAt) units after the heal")
            return
        }
    }

    /// True when `group` has no preferred leader, or that replica leads and every other replica
    /// of the group follows it. Evaluated after every late event while the run waits, so it
    /// builds nothing.
    func isLedByPreferred(group: Int) -> Bool {
        guard let preferred = groups[group].preferredLeader else { return true }
        let start = group * configuration.replicas
        for replica in replicas[start..<start + configuration.replicas] {
            guard let core = replica.replica else { return false }
            if replica.id == preferred {
                if core.role != .leader { return false }
            } else if core.role != .follower || core.leaderHint != preferred {
                return false
            }
        }
        return true
    }
}
