import Logging

/// Internal consistency checks. The simulator calls `checkInvariants()` after every step
/// (LogCabin's `RaftConsensusInvariants`); they are cheap enough for tests, not for production.
extension Replica {
    /// Traps with a precise message if the replica's state contradicts its own invariants.
    public func checkInvariants() {
        let violations = invariantViolations()
        precondition(violations.isEmpty, violations.joined(separator: "; "))
    }

    /// Every invariant the replica's state breaks, as sentences; empty when all hold. The
    /// simulator uses this form so a violation is reported with its seed instead of trapping.
    public func invariantViolations() -> [String] {
        var violations: [String] = []
        func precondition(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { violations.append(message()) }
        }
        let me = "replica \(configuration.id)"
        precondition(appliedThrough <= chosenThrough, "\(me): applied \(appliedThrough) above chosen frontier \(chosenThrough)")
        precondition(snapshotThrough <= appliedThrough, "\(me): snapshot \(snapshotThrough) above applied \(appliedThrough)")
        var slot = appliedThrough.next
        while slot <= chosenThrough {
            precondition(log[slot]?.chosen == true, "\(me): slot \(slot) below chosen frontier \(chosenThrough) is not chosen")
            slot = slot.next
        }
        precondition(log[chosenThrough.next]?.chosen != true, "\(me): chosen frontier \(chosenThrough) not advanced over chosen slot")
        for entry in log.values {
            precondition(entry.slot > snapshotThrough, "\(me): slot \(entry.slot) kept at or below the snapshot \(snapshotThrough)")
            precondition(entry.ballot <= promised, "\(me): slot \(entry.slot) accepted in \(entry.ballot) above promised \(promised)")
        }
        precondition(promised.isInRange && highestBallotSeen.isInRange, "\(me): ballot above the maximum round")
        for (peer, ask) in catchUpAsks {
            precondition(peer != configuration.id, "\(me): catch-up request to ourselves")
            if let slots = ask.outstanding {
                precondition(slots.upperBound > chosenThrough, "\(me): catch-up request to \(peer) for \(slots) outstanding below the chosen frontier")
            }
        }
        precondition(!memberships.isEmpty, "\(me): no membership")
        for index in memberships.indices.dropFirst() {
            precondition(memberships[index - 1].fromSlot < memberships[index].fromSlot, "\(me): memberships out of order")
        }
        if memberships.count > 2 {
            precondition(memberships[2].fromSlot > chosenThrough.next, "\(me): more than one superseded membership kept")
        }
        precondition(durableThrough < nextPersistID, "\(me): durable \(durableThrough) beyond issued \(nextPersistID)")
        for (index, item) in deferred.enumerated() {
            precondition(item.after > durableThrough, "\(me): deferred output already releasable")
            if index > 0 { precondition(deferred[index - 1].after <= item.after, "\(me): deferred outputs out of order") }
        }
        if let round = prePrepare {
            precondition(round.ballot.replica == configuration.id && round.granted.contains { $0.id == configuration.id },
                         "\(me): pre-prepare round for \(round.ballot) not our own")
        }
        switch roleState {
        case .follower:
            break
        case .candidate(let state):
            precondition(prePrepare == nil, "\(me): pre-prepare round while a candidate")
            precondition(state.ballot == promised, "\(me): candidate in \(state.ballot) but promised \(promised)")
            precondition(state.ballot.replica == configuration.id, "\(me): candidate in a ballot it does not own")
        case .leader(let state):
            precondition(prePrepare == nil, "\(me): pre-prepare round while leading")
            precondition(stillHasQuorum(without: state.rejectedBy),
                         "\(me): leading though rejected by \(state.rejectedBy.count) acceptors")
            for slot in state.inflight.keys {
                precondition(membership(at: slot) != nil, "\(me): in-flight slot \(slot) beyond the window of known memberships")
            }
            precondition(state.ballot == promised, "\(me): leader in \(state.ballot) but promised \(promised)")
            precondition(state.pending.count <= configuration.maxPendingRequests, "\(me): pending queue over its bound")
            precondition(state.reads.confirmed <= state.reads.round, "\(me): read round confirmed before started")
            precondition(state.nextSlot > chosenThrough, "\(me): next slot \(state.nextSlot) at or below chosen \(chosenThrough)")
            for slot in state.inflight.keys {
                precondition(slot > chosenThrough || log[slot]?.chosen == true,
                             "\(me): in-flight slot \(slot) at or below the chosen frontier")
                precondition(slot < state.nextSlot, "\(me): in-flight slot \(slot) beyond next slot \(state.nextSlot)")
            }
            var s = chosenThrough.next
            while s < state.nextSlot {
                precondition(state.inflight[s] != nil || log[s]?.chosen == true,
                             "\(me): slot \(s) below next slot is neither in flight nor chosen")
                s = s.next
            }
        }
        return violations
    }

    /// A read-only view for tests, the simulator and status reports.
    public var status: ReplicaStatus {
        var inflight = 0
        var pending = 0
        if case .leader(let state) = roleState {
            inflight = state.inflight.count
            pending = state.pending.count
        }
        return ReplicaStatus(
            id: configuration.id, incarnation: configuration.incarnation, role: role, leader: leaderHint, promised: promised,
            chosenThrough: chosenThrough, appliedThrough: appliedThrough, snapshotThrough: snapshotThrough,
            inflightSlots: inflight, pendingRequests: pending,
            catchUpPeers: catchUpAsks.filter { $0.value.outstanding != nil }.keys.sorted { $0.rawValue < $1.rawValue },
            membership: currentMembership, latestMembership: latestMembership, isVoter: mayVote)
    }

    /// The entry this replica holds for `slot`, if any (for tests and tools).
    public func entry(at slot: Slot) -> LogEntry? { log[slot] }
}

/// What a replica reports about itself.
public struct ReplicaStatus: Hashable, Sendable {
    public var id: ReplicaID
    public var incarnation: Incarnation
    public var role: Role
    public var leader: ReplicaID?
    public var promised: Ballot
    public var chosenThrough: Slot
    public var appliedThrough: Slot
    public var snapshotThrough: Slot
    public var inflightSlots: Int
    public var pendingRequests: Int
    /// The peers with catch-up requests outstanding: the only ones whose catch-up replies this
    /// replica takes in now.
    public var catchUpPeers: [ReplicaID]
    /// The membership of the next unchosen slot.
    public var membership: Membership
    /// The newest membership chosen (may not govern yet).
    public var latestMembership: Membership
    /// Whether this replica votes in some membership it knows (false: a learner, removed, or an
    /// empty disk waiting to be re-admitted).
    public var isVoter: Bool
}
