import PaxosCore

/// The leadership checker (with `partitionPatterns`): once every fault has healed and nothing
/// fails any more, each group must settle on one leader within `settleDeadlineTicks`, and keep
/// it while nothing fails.
///
/// *Settled* means: exactly one replica believes it leads, and a majority (the leader included)
/// follows it: names it as leader and has promised exactly its ballot. A leader that only a
/// minority follows so has not settled: a candidate whose prepares reached a majority before the
/// heal may still replace it. Candidates do not prevent settling: under the old election a
/// cut-off replica is a candidate all the time, and that is exactly what must be caught.
///
/// Also, each of those followers must have heard the leader since the heal: a leader cut off
/// until the heal is still named by the majority it lost (they have not promised anyone else
/// yet) while one of them may already be running an election that deposes it a few units later.
///
/// After settling, these fail the run: another replica leads, or a message makes the settled
/// leader step down to follower (a reject or a higher ballot: it was deposed). Allowed: the
/// settled leader stepping down on a tick (check-quorum: it lost its majority before the heal,
/// and acknowledgements had not come back yet; the group must settle again), the settled leader running phase 1 again itself (raising its ballot
/// over acceptors that promised a higher one, `raiseBallotOverRejecters`), and with several
/// groups, a takeover by the group's preferred leader (which steps the old leader down first).
///
/// The deadline: one election after a heal costs at most a backed-off election timeout
/// (`2 × electionTimeoutTicks × electionBackoffMax` ticks), plus up to two election timeouts
/// for a leader cut off until the heal to notice it lost its majority (check-quorum runs every
/// election timeout), plus the pre-prepare and prepare round trips and a flush (a few ticks
/// with the simulator's delays). `10 × electionTimeoutTicks × electionBackoffMax` leaves room
/// for two or three elections that collide before one wins.
struct LeadershipWatch {
    /// The leader the group settled on, while it leads (or runs phase 1 again itself).
    var settled: ReplicaID?
    /// Whether the group has settled since the heal.
    var everSettled = false
    /// The last replica seen leading since the heal, to count leader changes.
    var lastLeader: ReplicaID?
    /// (follower, leader) pairs: the follower received a heartbeat or accept from the leader
    /// since the heal.
    var heardSinceHeal: Set<[ReplicaID]> = []
    /// Ballots a pre-prepare was granted for before the heal: such an election, finishing
    /// after the heal (its grants or prepares were still on their way), may depose a leader
    /// that was cut off until the heal. The old election (`stepDownOnAnyReject`) raises
    /// ballots without asking, so its ballots are never here.
    var agreedBeforeHeal: Set<Ballot> = []
}

extension Simulation {
    var settleDeadlineTicks: UInt64 {
        10 * configuration.knobs.electionTimeoutTicks * configuration.knobs.electionBackoffMax
    }

    /// Called after every replica step once healed; `onTick` when the step was a tick (a leader
    /// stepping down on a tick is check-quorum, not a message that deposed it).
    func watchLeadership(group: Int, onTick: Bool) {
        let start = group * configuration.replicas
        let members = replicas[start..<start + configuration.replicas]
        let leaders = members.filter { $0.replica?.role == .leader }.map(\.id)
        var watch = groups[group].leadership
        defer { groups[group].leadership = watch }
        if let leader = leaders.first, leaders.count == 1, watch.lastLeader != leader {
            if watch.lastLeader != nil { groups[group].stats.leaderChangesAfterHeal += 1 }
            watch.lastLeader = leader
        }
        let preferred = groups[group].preferredLeader
        if let settled = watch.settled {
            if let other = leaders.first(where: { $0 != settled }) {
                if let ballot = members.first(where: { $0.id == other })?.replica?.promised, watch.agreedBeforeHeal.contains(ballot) {
                    watch.settled = other
                    return
                }
                guard other == preferred else {
                    return fail("leadership\(groupSuffix(group)): replica \(other) leads instead of \(settled), "
                                + "\(now - healedAt) units after the heal with nothing failing")
                }
                watch.settled = other
                return
            }
            let role = members.first { $0.id == settled }?.replica?.role
            if role == .follower {
                // A takeover steps the old leader down before the preferred one wins; check-quorum
                // steps down, on a tick, a leader that lost its majority before the heal (the
                // heal's one leader change: the group must settle again within the deadline).
                let deposedBy = members.first { $0.id == settled }?.replica?.promised
                guard onTick || (preferred != nil && preferred != settled) || deposedBy.map(watch.agreedBeforeHeal.contains) == true else {
                    return fail("leadership\(groupSuffix(group)): leader \(settled) stepped down "
                                + "\(now - healedAt) units after the heal with nothing failing")
                }
                watch.settled = nil
            }
            return
        }
        if let leader = leaders.first, leaders.count == 1,
           let ballot = members.first(where: { $0.id == leader })?.replica?.promised {
            // Followers that promised the leader's own ballot (in its phase 1 or accepts) and
            // name it: a replica that promised a higher ballot since does not count.
            let followers = members.filter {
                $0.replica?.role == .follower && $0.replica?.leaderHint == leader && $0.replica?.promised == ballot
                    && watch.heardSinceHeal.contains([$0.id, leader])
            }.count
            if followers + 1 >= configuration.replicas / 2 + 1 {
                watch.settled = leader
                if !watch.everSettled {
                    watch.everSettled = true
                    groups[group].stats.ticksToSettle = (now - healedAt) / configuration.tickUnits
                }
                return
            }
        }
        if !watch.everSettled, now - healedAt > settleDeadlineTicks * configuration.tickUnits {
            let roles = members.map { "\($0.id)=\($0.replica.map { "\($0.role)" } ?? "down")" }.joined(separator: " ")
            fail("leadership\(groupSuffix(group)): no leader followed by a majority \(settleDeadlineTicks) ticks after the heal (\(roles))")
        }
    }

    /// What the settle rule needs from a step: before the heal, the pre-prepares granted; after
    /// it, which followers heard which leader.
    func noteForLeadership(_ index: Int, _ input: Input, _ actions: [Action]) {
        let group = replicas[index].group
        if !healed {
            for case .send(_, .prePromise(let ballot, true, _, _)) in actions {
                groups[group].leadership.agreedBeforeHeal.insert(ballot)
            }
        } else if case .message(let from, let message) = input {
            switch message {
            case .heartbeat, .accept: groups[group].leadership.heardSinceHeal.insert([replicas[index].id, from])
            default: break
            }
        }
    }
}
