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
        if let failure = leaderSpreadFailure() {
            fail("leader spread: \(failure) \(now - healedAt) units after the heal")
        }
    }

    /// Why the leaders are not spread yet, or nil when every group is led by its preferred
    /// leader and every other replica of the group follows it.
    func leaderSpreadFailure() -> String? {
        let members = (1...configuration.replicas).map { ReplicaID(UInt32($0)) }
        for group in groups.indices {
            guard let preferred = configuration.groupMap.preferredLeader(of: UInt32(group), members: members) else { continue }
            let start = group * configuration.replicas
            let roles = replicas[start..<start + configuration.replicas].map { replica in
                (replica.id, replica.replica?.roleName ?? "down", replica.replica?.leaderHint)
            }
            for (id, role, hint) in roles {
                let expected = id == preferred ? (role == "leader") : (role == "follower" && hint == preferred)
                if !expected {
                    let seen = roles.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
                    return "group \(group) is not led by its preferred leader \(preferred) (\(seen))"
                }
            }
        }
        return nil
    }
}
