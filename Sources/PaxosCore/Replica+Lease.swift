import Logging

/// Leader leases (opt-in: `ReplicaConfiguration.leaseTicks`; docs/design/performance-round-2.md §2).
///
/// A linearizable read normally waits for a heartbeat round a majority acknowledged after the
/// read arrived (`Replica+Reads.swift`). With leases, every acknowledgement of a heartbeat is
/// also a promise of the acceptor's: for `leaseTicks` of its own ticks it promises no ballot of
/// another replica, runs no election of its own, and grants no pre-prepare. So once a majority
/// acknowledged a round, no other replica can finish phase 1, and so none can choose a write,
/// until the first of those refusals ends. The leader's shell times that span on its monotonic
/// clock from the moment it sent the round (`LeaseBasis`, `PaxosShell.LeaderLease`) and, while
/// it runs, hands reads to the core as leased (`Input.read(_:leased:)`): served as soon as the
/// applied slot reaches the read index, with no round of their own.
///
/// ## Why ticks are right for the acceptor and wrong for the leader
/// A tick never fires early (paxosd schedules the next one a tick after the last has run), so
/// `leaseTicks` ticks after the acknowledgement are at least `leaseTicks − 1` tick lengths of
/// real time: a busy loop only lengthens the refusal. The leader must not count ticks: a tick
/// delayed by a busy loop would make it undercount and overrun its lease. Its shell measures
/// the lease from the send (before any acknowledgement) as `leaseTicks · tick · (1 − ε)` less
/// two ticks, where `ε` bounds how far two nodes' monotonic clocks may disagree in rate
/// (`LeaseTiming`). That is the one assumption: clocks drift less than `ε`; they need not agree.
///
/// ## What ends a lease early
/// The lease is the leader's role in one ballot: any step-down, new ballot or restart ends it
/// (the shell drops it when `leaseBasis` changes). A change of the latest membership ends it
/// until a round starts after the change. A leader that hands over (leaving the voters, or
/// giving the lead to the preferred replica) stops being leader in the step that sends the
/// hand-over, and an acceptor that receives the hand-over from its holder drops the grant, so
/// the successor's phase 1 need not wait for it.
///
/// ## Restarts
/// An acceptor forgets its grants when it restarts, so a new incarnation refuses every prepare
/// (its own election included) for `leaseTicks` ticks after it starts.
///
/// ## The preferred leader
/// Its prepare used to be how it took the lead back; with leases the acceptors refuse it while
/// they grant the current leader its lease. So the current leader hands over to the preferred
/// replica when that replica has kept up with it for `takeoverTicks` (`considerHandOverToPreferred`).
public struct LeaseGrant: Hashable, Sendable {
    /// The ballot whose leader holds the grant; nil after a restart: nobody, so every prepare
    /// is refused until `until`.
    public var ballot: Ballot?
    /// The grant runs while `now < until` (the acceptor's ticks).
    public var until: UInt64

    public init(ballot: Ballot?, until: UInt64) {
        self.ballot = ballot
        self.until = until
    }
}

/// What a leader's lease rests on: the newest read round of its ballot that a majority
/// acknowledged (and that started after the latest membership change). The shell knows when it
/// sent that round; the lease runs from there.
public struct LeaseBasis: Hashable, Sendable {
    public var ballot: Ballot
    public var round: UInt64

    public init(ballot: Ballot, round: UInt64) {
        self.ballot = ballot
        self.round = round
    }
}

extension Replica {
    var leasesEnabled: Bool { configuration.leaseTicks > 0 }

    /// The lease this leader may serve reads on, if any (see the file's essay). Nil unless we
    /// lead with leases on and a round of this ballot, started after the latest membership
    /// change, was acknowledged by a majority.
    public var leaseBasis: LeaseBasis? {
        guard leasesEnabled, case .leader(let state) = roleState, state.reads.confirmed >= state.reads.leaseFromRound,
              state.reads.confirmed > 0 else { return nil }
        return LeaseBasis(ballot: state.ballot, round: state.reads.confirmed)
    }

    /// True while a grant forbids promising (or running for) a ballot owned by `owner`.
    func leaseForbidsPromise(to owner: ReplicaID) -> Bool {
        guard let grant = leaseGrant, now < grant.until else { return false }
        return grant.ballot?.replica != owner
    }

    /// We acknowledged a heartbeat of `ballot`: its leader holds our grant for `leaseTicks`.
    mutating func grantLease(to ballot: Ballot) {
        guard leasesEnabled else { return }
        leaseGrant = LeaseGrant(ballot: ballot, until: now + configuration.leaseTicks)
    }

    /// The holder handed over (it stopped leading in the step that sent it): the grant is void.
    /// Only a hand-over of the granted ballot counts; a late one from an earlier leadership of
    /// the same replica must not void a grant of its later one.
    mutating func dropLeaseOnHandOver(of ballot: Ballot) {
        if leaseGrant?.ballot == ballot { leaseGrant = nil }
    }

    /// A round that grounds a lease must start after the latest membership changed: its
    /// acknowledgements are then counted over a window that holds the new membership.
    mutating func restartLeaseAfterMembershipChange() {
        guard case .leader(var state) = roleState else { return }
        state.reads.leaseFromRound = state.reads.round + 1
        roleState = .leader(state)
    }

    /// With leases, a leader keeps its lease alive: each heartbeat interval starts a read round
    /// (if none is in flight) instead of a bare heartbeat, whatever accepts went out meanwhile.
    /// - Returns: whether it sent one, so the caller sends no other heartbeat.
    mutating func renewLeaseIfDue() -> Bool {
        guard leasesEnabled, case .leader(let state) = roleState,
              now - state.reads.lastRoundStartedAt >= configuration.heartbeatIntervalTicks else { return false }
        if state.reads.round > state.reads.confirmed {
            // A round in flight: send it again (a heartbeat was lost) rather than start another.
            sendHeartbeats()
            if case .leader(var current) = roleState {
                current.reads.lastRoundStartedAt = now
                roleState = .leader(current)
            }
        } else {
            startReadRound()
        }
        return true
    }

    /// The preferred replica takes the lead back through us: acceptors refuse its prepare while
    /// they grant us our lease, so once it has answered us, and voted for every slot we
    /// retransmitted, for `takeoverTicks`, we hand over to it and step down.
    mutating func considerHandOverToPreferred() {
        guard leasesEnabled, case .leader(var state) = roleState, let preferred = configuration.preferredLeader,
              preferred != configuration.id, configuration._plantedBug != .skipTakeover,
              let member = currentMembership.voters.first(where: { $0.id == preferred }), isWindowVoter else { return }
        let heard = state.lastHeard[member].map { now - $0 < configuration.electionTimeoutTicks } ?? false
        let keepingUp = !state.inflight.values.contains { now - $0.lastSent >= configuration.retransmitTicks && !$0.votes.contains(member) }
        guard heard, keepingUp else {
            state.preferredHealthySince = nil
            roleState = .leader(state)
            return
        }
        guard let since = state.preferredHealthySince else {
            state.preferredHealthySince = now
            roleState = .leader(state)
            return
        }
        guard now - since >= configuration.takeoverTicks else { return }
        logger.debug("handing the lead to the preferred replica", metadata: metadata.merging([
            "paxos.successor": "\(preferred)",
        ]) { $1 })
        broadcast(.handOver(ballot: state.ballot, successor: preferred))
        becomeFollower(leader: preferred)
        resetElectionDeadline()
    }
}
