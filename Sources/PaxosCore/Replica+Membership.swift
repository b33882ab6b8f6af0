import Logging

/// Memberships as replicated state (see `Membership` for the α-window scheme and why it is
/// safe): which membership governs a slot, quorums over the memberships a leader's window
/// spans, and turning an operator's change into a `Command.configure`.
///
/// The window: a replica that has learned every slot through `chosenThrough` knows the
/// membership of each slot through `chosenThrough + α`. Leadership (phase 1, read
/// confirmations, check-quorum, pre-prepare) needs a majority of *every* membership governing
/// `chosenThrough + 1 ... chosenThrough + α`: a rival leader could choose in any of those slots,
/// so ours must intersect its quorum in each.
extension Replica {
    /// This replica as memberships name it.
    public var me: Member { Member(id: configuration.id, incarnation: configuration.incarnation) }

    /// The membership governing `slot`, or nil when it is not known yet (beyond
    /// `chosenThrough + α`, where slots not yet chosen may still change it).
    /// Memberships that govern only slots at or below the chosen frontier are pruned (all but
    /// the newest of them), so for such slots the answer is the oldest membership kept.
    public func membership(at slot: Slot) -> Membership? {
        guard slot.rawValue <= chosenThrough.rawValue + Membership.activationDistance else { return nil }
        return memberships.last { $0.fromSlot <= slot }?.membership ?? memberships[0].membership
    }

    /// The memberships governing the window `chosenThrough + 1 ... chosenThrough + α`, oldest
    /// first, without repeats.
    var windowMemberships: [Membership] {
        let first = chosenThrough.next
        let last = Slot(chosenThrough.rawValue + Membership.activationDistance)
        var result: [Membership] = []
        for scheduled in memberships where scheduled.fromSlot <= last {
            if scheduled.fromSlot <= first { result = [scheduled.membership] } else { result.append(scheduled.membership) }
        }
        return result.isEmpty ? [memberships[0].membership] : result
    }

    /// The membership of our next unchosen slot.
    public var currentMembership: Membership { windowMemberships[0] }

    /// The newest membership chosen, active or not: the base of the next change.
    public var latestMembership: Membership { memberships[memberships.count - 1].membership }

    /// True when `responders` hold a majority of every membership in the window.
    func isWindowQuorum(_ responders: Set<Member>) -> Bool {
        windowMemberships.allSatisfy { $0.isQuorum(responders) }
    }

    /// True when we vote in some membership of the window: only then do we campaign, and count
    /// ourselves in quorums.
    var isWindowVoter: Bool { windowMemberships.contains { $0.isVoter(me) } }

    /// True when some membership we know names us, with our incarnation, as a voter. A replica
    /// that is not (a learner, a removed replica, one whose disk was replaced) answers no
    /// prepare, accept or heartbeat: its votes would not count, and an empty disk must never
    /// look like an acceptor that promised nothing.
    var mayVote: Bool { liveMemberships.contains { $0.membership.isVoter(me) } }

    /// The memberships that govern some slot above the chosen frontier: all but the superseded
    /// one `pruneMemberships` keeps so its members stay peers.
    var liveMemberships: ArraySlice<ScheduledMembership> {
        memberships.count > 1 && memberships[1].fromSlot <= chosenThrough.next ? memberships.dropFirst() : memberships[...]
    }

    /// Everyone we talk to: the voters and learners of every membership we hold, except us.
    public var peers: [ReplicaID] {
        var seen: Set<ReplicaID> = [configuration.id]
        var result: [ReplicaID] = []
        for scheduled in memberships {
            for id in scheduled.membership.ids where seen.insert(id).inserted { result.append(id) }
        }
        return result
    }

    /// True when `peer` is a voter or learner of some membership we hold (and not us).
    func isKnownPeer(_ peer: ReplicaID) -> Bool {
        peer != configuration.id && memberships.contains { $0.membership.ids.contains(peer) }
    }

    /// Our own vote or promise, if we count as a voter: `[me]` when we vote somewhere in the
    /// window, else nothing.
    var selfInQuorum: Set<Member> { isWindowVoter ? [me] : [] }

    /// Records the membership chosen in `slot`, in chosen order, so it governs from `slot + α`.
    /// Called as the chosen frontier passes each slot.
    mutating func scheduleMembership(chosenIn slot: Slot, _ membership: Membership) {
        let distance = configuration._plantedBug == .applyMembershipImmediately ? 1 : Membership.activationDistance
        let from = Slot(slot.rawValue + distance)
        guard from > memberships[memberships.count - 1].fromSlot else { return }
        // A configure computed from an older membership than the newest chosen (proposed by a
        // leader that then lost its lead, and chosen later by another's recovery, after a change
        // of its own) would undo that change: it changes nothing. Every replica passes the same
        // chosen configures in the same order, so every one skips the same ones.
        guard membership.epoch == latestMembership.epoch + 1 else {
            logger.info("ignoring a stale membership", metadata: metadata.merging([
                "paxos.membership": "\(membership)", "paxos.slot": "\(slot)",
            ]) { $1 })
            return
        }
        memberships.append(ScheduledMembership(fromSlot: from, membership: membership))
        restartLeaseAfterMembershipChange()
        logger.info("membership chosen", metadata: metadata.merging([
            "paxos.membership": "\(membership)", "paxos.membership.from": "\(from)",
        ]) { $1 })
    }

    /// Forgets memberships that govern no slot above the chosen frontier any more, except the
    /// newest of them: its members stay peers until the next change, so a replica just removed
    /// keeps hearing the leader, learns the slots through its removal and so knows it was
    /// removed (and says so in INFO) instead of waiting forever to be asked to vote.
    mutating func pruneMemberships() {
        while memberships.count > 2, memberships[2].fromSlot <= chosenThrough.next { memberships.removeFirst() }
    }

    /// True while a membership change is under way: one proposed and not yet chosen, or one
    /// chosen that does not govern our next slot yet. Changes go one at a time, each computed
    /// from the last, so none is lost.
    var membershipChangePending: Bool {
        if memberships[memberships.count - 1].fromSlot > chosenThrough.next { return true }
        guard case .leader(let state) = roleState else { return false }
        if state.inflight.values.contains(where: { $0.command.membership != nil }) { return true }
        // A configure known chosen above a hole in our frontier (learned in phase 1) is neither
        // in flight nor scheduled yet; a change computed without it would undo it.
        return log.values.contains { $0.slot > chosenThrough && $0.chosen && $0.command.membership != nil }
    }

    /// The shell recorded the cluster's first memberships (see `Input.adoptGenesis`). Taken only
    /// by a replica built without recorded memberships (a new database, one from before
    /// memberships existed, or one restored as a new cluster); after that the log decides.
    ///
    /// A new node follows the log while its genesis record is on its way to the disk, so it may
    /// already have learned configures: those are kept after the genesis memberships (storage
    /// keeps their rows too). Starting over from genesis alone would make every later
    /// configure look stale (its epoch is not the genesis epoch + 1), and the node would never
    /// learn that it was re-admitted.
    mutating func onAdoptGenesis(_ genesis: [ScheduledMembership]) {
        guard !genesis.isEmpty, genesisPending else { return }
        genesisPending = false
        let genesisEnd = genesis[genesis.count - 1].fromSlot
        memberships = genesis + memberships.filter { $0.fromSlot > genesisEnd }
        pruneMemberships()
        logger.info("genesis membership adopted", metadata: metadata.merging([
            "paxos.membership": "\(currentMembership)", "paxos.voter": "\(mayVote)",
        ]) { $1 })
        resetElectionDeadline()
    }

    /// A leader leaving the voters names the voter it heard from last as its successor and tells
    /// every peer, so the others stop waiting for its heartbeats and the successor runs phase 1
    /// now rather than after an election timeout (`onHandOver`). If the message is lost, or
    /// the successor cannot win, the election timeout elects someone as before.
    mutating func handOver(from state: LeaderState) {
        let candidates = currentMembership.voters.filter { $0.id != configuration.id }
        guard let successor = candidates.max(by: { (state.lastHeard[$0] ?? 0, $1.id) < (state.lastHeard[$1] ?? 0, $0.id) }) else { return }
        logger.info("handing leadership over", metadata: metadata.merging(["paxos.successor": "\(successor.id)"]) { $1 })
        broadcast(.handOver(ballot: state.ballot, successor: successor.id))
    }

    /// The leader we follow is leaving the voters: it is no longer live, and if it named us,
    /// we run phase 1 at once (a pre-prepare round would only ask peers who know it left).
    /// Anyone else's hand-over (a rival's, one for a ballot we no longer follow) changes nothing.
    mutating func onHandOver(from peer: ReplicaID, ballot: Ballot, successor: ReplicaID) {
        observe(ballot)
        dropLeaseOnHandOver(of: ballot)
        guard case .follower = roleState, ballot == promised, leaderHint == peer else { return }
        leaderHint = nil
        guard successor == configuration.id, isWindowVoter else { return }
        logger.info("the leader hands over to this replica", metadata: metadata.merging(["peer.id": "\(peer)"]) { $1 })
        startElection()
    }

    /// An operator's change: the leader proposes the next membership at once, in its own slot.
    mutating func onChangeMembership(_ change: MembershipChange) {
        guard case .leader(let state) = roleState else {
            return outbox.append(.reply(.membershipChangeRefused(change, .notLeader(leader: leaderHint))))
        }
        if membershipChangePending || state.recoveryIncomplete {
            return outbox.append(.reply(.membershipChangeRefused(change, .changeInProgress)))
        }
        let next: Membership
        do { next = try change.applied(to: latestMembership) } catch {
            return outbox.append(.reply(.membershipChangeRefused(change, .invalid(error.description))))
        }
        guard Int(state.nextSlot.rawValue - 1 - chosenThrough.rawValue) < configuration.maxInflightSlots else {
            return outbox.append(.reply(.membershipChangeRefused(change, .overloaded)))
        }
        let slot = state.nextSlot
        if case .leader(var current) = roleState {
            current.nextSlot = slot.next
            roleState = .leader(current)
        }
        logger.info("proposing a membership change", metadata: metadata.merging([
            "paxos.change": "\(change)", "paxos.membership": "\(next)",
        ]) { $1 })
        outbox.append(.reply(.membershipChangeProposed(change, membership: next, slot: slot)))
        proposeInOwnBallot([AcceptEntry(slot: slot, command: .configure(next))])
    }

    /// After the chosen frontier moved: a membership newly in the window whose majority has not
    /// promised our ballot means phase 1 again (over every membership of the new window), and a
    /// membership that no longer counts us as a voter means handing over.
    mutating func leaderFollowMembership() {
        guard case .leader(let state) = roleState else { return }
        if !isWindowVoter || !currentMembership.isVoter(me) {
            logger.info("stepping down: this replica is no longer a voter", metadata: metadata)
            handOver(from: state)
            becomeFollower(leader: nil)
            resetElectionDeadline()
            return
        }
        if !isWindowQuorum(state.promisedBy) {
            logger.debug("phase 1 again: a new membership has not promised our ballot", metadata: metadata)
            startElection()
            return
        }
        if state.recoveryIncomplete, state.inflight.isEmpty {
            logger.debug("phase 1 again: slots reported beyond our window are now within it", metadata: metadata)
            startElection()
        }
    }
}
