import Logging

/// The distinguished proposer: phase 2 only, batching, pipelining, retransmission.
struct LeaderState: Sendable {
    var ballot: Ballot
    /// The next slot a new batch gets.
    /// - Invariant: every slot in `chosenThrough+1 ..< nextSlot` is in `inflight` or chosen.
    var nextSlot: Slot
    /// The highest slot recovered in phase 1. Reads wait until it is applied.
    var recoveredThrough: Slot
    /// Slots proposed in `ballot` and not yet chosen.
    var inflight: [Slot: Proposal] = [:]
    /// Requests waiting for a slot. - Invariant: `pending.count <= maxPendingRequests`.
    var pending: [ClientRequest] = []
    /// The last tick each peer answered in our ballot, for stepping down when cut off.
    var lastHeard: [Member: UInt64] = [:]
    /// The acceptors that promised our ballot (ourselves included). When the window comes to
    /// hold a membership they are not a majority of, we run phase 1 again.
    var promisedBy: Set<Member> = []
    /// Phase 1 reported slots beyond the window whose memberships we knew: no new proposals
    /// until what we recovered is chosen, then phase 1 again (`leaderFollowMembership`).
    var recoveryIncomplete = false
    var lastHeartbeat: UInt64 = 0
    var reads = ReadState()
    /// Peers that rejected our ballot because they promised a higher one. They never accept
    /// our ballot again (a promise only grows), so they count against our majority (`onReject`).
    /// - Invariant: the window's voters outside `rejectedBy` are a quorum while we lead.
    var rejectedBy: Set<ReplicaID> = []
    /// When the first of `rejectedBy` rejected us.
    var firstRejectAt: UInt64 = 0
    /// The largest clock reading the shell gave with a proposal in this leadership; once set,
    /// every batch cut is a `Command.timedBatch` stamped with it (`Replica+Time.swift`).
    var time: LeaderTime?
    /// An empty timed proposal asked for a clock slot and none was cut since.
    var wantsClockSlot = false
    /// Since when the preferred replica (another one) has kept up with us, with leases on
    /// (`considerHandOverToPreferred`).
    var preferredHealthySince: UInt64?

    init(ballot: Ballot, nextSlot: Slot, recoveredThrough: Slot) {
        self.ballot = ballot
        self.nextSlot = nextSlot
        self.recoveredThrough = recoveredThrough
    }
}

struct Proposal: Sendable {
    var command: Command
    /// Acceptors whose vote for this slot in our ballot is durable (ourselves included), with
    /// the incarnation they voted as.
    var votes: Set<Member> = []
    var lastSent: UInt64
}

extension Replica {
    mutating func onPropose(_ requests: [ClientRequest], time: LeaderTime? = nil) {
        guard case .leader(var state) = roleState else {
            for request in requests { outbox.append(.reply(.proposalRejected(request, .notLeader(leader: leaderHint)))) }
            return
        }
        state.noteProposalTime(time, requestCount: requests.count)
        for request in requests {
            if state.pending.count >= configuration.maxPendingRequests {
                outbox.append(.reply(.proposalRejected(request, .overloaded)))
            } else {
                state.pending.append(request)
            }
        }
        roleState = .leader(state)
        flushProposals()
    }

    /// Cuts waiting requests into batches while the pipeline window has room, and proposes them.
    mutating func flushProposals() {
        guard case .leader(var state) = roleState, !state.recoveryIncomplete else { return }
        guard !state.pending.isEmpty else {
            if state.wantsClockSlot { proposeClockSlot() }
            return fillToActivation()
        }
        var proposals: [AcceptEntry] = []
        var taken = 0
        while taken < state.pending.count,
              Int(state.nextSlot.rawValue - 1 - chosenThrough.rawValue) < configuration.maxInflightSlots {
            var batch: [ClientRequest] = []
            var bytes = 0
            while taken < state.pending.count, batch.count < configuration.maxBatchRequests {
                let request = state.pending[taken]
                let size = request.operation.payloadBytes
                if !batch.isEmpty && bytes + size > configuration.maxBatchBytes { break }
                batch.append(request)
                bytes += size
                taken += 1
            }
            proposals.append(AcceptEntry(slot: state.nextSlot, command: state.command(for: batch)))
            state.nextSlot = state.nextSlot.next
        }
        guard !proposals.isEmpty else { return }
        state.pending.removeFirst(taken)
        // These batches carry the time, so they move the clock as a clock slot would.
        state.wantsClockSlot = false
        roleState = .leader(state)
        proposeInOwnBallot(proposals)
    }

    /// A chosen membership governs from α slots after its own; with little traffic that could
    /// take long, so an idle leader fills the gap with no-ops (a few accept messages).
    mutating func fillToActivation() {
        guard case .leader(var state) = roleState, state.pending.isEmpty,
              let activation = memberships.last?.fromSlot, activation > state.nextSlot else { return }
        var proposals: [AcceptEntry] = []
        while state.nextSlot < activation,
              Int(state.nextSlot.rawValue - 1 - chosenThrough.rawValue) < configuration.maxInflightSlots {
            proposals.append(AcceptEntry(slot: state.nextSlot, command: .noop))
            state.nextSlot = state.nextSlot.next
        }
        guard !proposals.isEmpty else { return }
        roleState = .leader(state)
        proposeInOwnBallot(proposals)
    }

    /// Phase 2a for slots that already have their command: vote for them ourselves (durably)
    /// and send accepts to every peer, carrying the chosen frontier.
    mutating func proposeInOwnBallot(_ proposals: [AcceptEntry]) {
        guard case .leader(var state) = roleState, !proposals.isEmpty else { return }
        var entries: [LogEntry] = []
        for proposal in proposals {
            precondition(log[proposal.slot]?.chosen != true && proposal.slot > appliedThrough,
                         "leader \(configuration.id) re-proposing slot \(proposal.slot), which it already knows chosen")
            let entry = LogEntry(slot: proposal.slot, ballot: state.ballot, command: proposal.command, chosen: false)
            log[proposal.slot] = entry
            entries.append(entry)
            state.inflight[proposal.slot] = Proposal(command: proposal.command, lastSent: now)
        }
        // Every peer gets these accepts, so they count as a heartbeat and a chosen notice.
        state.lastHeartbeat = now
        state.reads.noticeSentThrough = chosenThrough
        roleState = .leader(state)
        persist(promised: nil, entries: entries)
        deferUntilDurable(.selfAccepted(ballot: state.ballot, slots: proposals.map(\.slot)))
        for peer in peers { sendAccepts(proposals, ballot: state.ballot, to: peer) }
    }

    mutating func sendAccepts(_ proposals: [AcceptEntry], ballot: Ballot, to peer: ReplicaID) {
        var start = 0
        while start < proposals.count {
            let end = min(start + configuration.maxEntriesPerMessage, proposals.count)
            send(.accept(ballot: ballot, entries: Array(proposals[start..<end]), chosenThrough: chosenThrough), to: peer)
            start = end
        }
    }

    mutating func onAccepted(from member: Member, ballot: Ballot, slots: [Slot]) {
        guard case .leader(var state) = roleState, state.ballot == ballot else { return }
        state.lastHeard[member] = now
        var newlyChosen: [LogEntry] = []
        for slot in slots {
            guard var proposal = state.inflight[slot] else { continue }
            // Only a voter of this slot's membership, as the incarnation listed there, counts.
            // The window (at most α/2 slots) keeps every in-flight slot's membership known.
            guard let membership = membership(at: slot) else {
                preconditionFailure("slot \(slot) in flight beyond the window of chosen frontier \(chosenThrough)")
            }
            guard membership.isVoter(member) else { continue }
            proposal.votes.insert(member)
            if membership.isQuorum(proposal.votes) {
                state.inflight[slot] = nil
                let entry = LogEntry(slot: slot, ballot: ballot, command: proposal.command, chosen: true)
                log[slot] = entry
                newlyChosen.append(entry)
            } else {
                state.inflight[slot] = proposal
            }
        }
        roleState = .leader(state)
        guard !newlyChosen.isEmpty else { return }
        // Marking chosen is learner state: no reply waits for it, but inspect tools read it.
        persist(promised: nil, entries: newlyChosen)
        advanceChosenFrontier()
        leaderFollowMembership()
        flushProposals()
    }

    mutating func leaderTick() {
        confirmReadRoundIfQuorumAlready()
        guard case .leader(var state) = roleState else { return }
        if now % configuration.electionTimeoutTicks == 0 && !hasQuorumContact {
            logger.debug("stepping down: no majority heard within an election timeout", metadata: metadata)
            becomeFollower(leader: nil)
            resetElectionDeadline()
            return
        }
        if !state.rejectedBy.isEmpty, now - state.firstRejectAt >= configuration.electionTimeoutTicks {
            return raiseBallotOverRejecters()
        }
        var stale: [AcceptEntry] = []
        for (slot, proposal) in state.inflight where now - proposal.lastSent >= configuration.retransmitTicks {
            stale.append(AcceptEntry(slot: slot, command: proposal.command))
            state.inflight[slot]?.lastSent = now
        }
        roleState = .leader(state)
        if !stale.isEmpty {
            stale.sort { $0.slot < $1.slot }
            for peer in peers {
                let missing = stale.filter { state.inflight[$0.slot]?.votes.contains { $0.id == peer } == false }
                if !missing.isEmpty { sendAccepts(missing, ballot: state.ballot, to: peer) }
            }
        }
        if renewLeaseIfDue() {
            // The round's heartbeats went out.
        } else if case .leader(let current) = roleState, now - current.lastHeartbeat >= configuration.heartbeatIntervalTicks {
            sendHeartbeats()
        }
        considerHandOverToPreferred()
    }

    /// A minority promised a higher ballot an election timeout ago and its owner has not won (we
    /// still lead): run phase 1 again ourselves, above every ballot seen, so those acceptors can
    /// accept again. Our followers hear us, so they do not ignore our prepare, and the leader
    /// stays the same replica. Queued requests are refused as on any step-down (the shell sends
    /// them again); what is in the log is recovered by phase 1.
    mutating func raiseBallotOverRejecters() {
        logger.debug("raising our ballot over acceptors that promised a higher one", metadata: metadata)
        startElection()
    }

    /// True when a majority of every membership in the window (counting ourselves) answered
    /// within the last election timeout.
    var hasQuorumContact: Bool {
        guard case .leader(let state) = roleState else { return false }
        let recent = state.lastHeard.filter { now - $0.value <= configuration.electionTimeoutTicks }.keys
        return isWindowQuorum(Set(recent).union(selfInQuorum))
    }

    /// True when the window's voters, less those that rejected our ballot, are still a quorum.
    func stillHasQuorum(without rejecters: Set<ReplicaID>) -> Bool {
        windowMemberships.allSatisfy { membership in
            membership.voters.filter { !rejecters.contains($0.id) }.count >= membership.majority
        }
    }

    mutating func sendHeartbeats() {
        guard case .leader(var state) = roleState else { return }
        state.lastHeartbeat = now
        state.reads.noticeSentThrough = chosenThrough
        roleState = .leader(state)
        broadcast(.heartbeat(ballot: state.ballot, chosenThrough: chosenThrough, readRound: state.reads.round))
    }
}
