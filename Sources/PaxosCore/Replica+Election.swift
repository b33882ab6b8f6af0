import Logging

/// Phase 1 and the role changes around it.
struct CandidateState: Sendable {
    var ballot: Ballot
    /// Phase 1 covers every slot from here on (our first unchosen slot).
    var fromSlot: Slot
    /// Promises received for `ballot`, ours included once durable, with the incarnation each
    /// acceptor reported (only a membership's voters with their listed incarnation count).
    var promises: [ReplicaID: (member: Member, entries: [LogEntry])] = [:]
    var lastPrepareSent: UInt64
    /// Requests a leader had queued when it ran phase 1 again over a new membership; proposed
    /// if it wins, refused if it does not.
    var carriedPending: [ClientRequest] = []
}

extension Replica {
    mutating func onTick() {
        now += 1
        switch roleState {
        case .follower:
            if now >= electionDeadline {
                startPrePrepare()
            } else {
                retransmitPrePrepareIfDue()
                considerTakeover()
            }
        case .candidate(let state):
            if now >= electionDeadline {
                failedElections += 1
                // Ask again rather than raise again: we may have been cut off since the
                // pre-prepare round that let us run.
                if configuration._plantedBug == .stepDownOnAnyReject { startElection() } else {
                    probeChosenSlots()
                    becomeFollower(leader: nil)
                    startPrePrepare()
                }
            } else if now - state.lastPrepareSent >= configuration.retransmitTicks {
                retransmitPrepare()
            }
        case .leader:
            leaderTick()
        }
        retryCatchUpIfDue()
    }

    mutating func resetElectionDeadline() {
        let base = configuration.electionTimeoutTicks
        let backoff = min(UInt64(1) << min(failedElections, 16), configuration.electionBackoffMax)
        let timeout = (base + UInt64.random(in: 0..<base, using: &random)) * backoff
        electionDeadline = now + timeout
    }

    /// Runs phase 1 with a ballot above every ballot seen, for every slot from our first unchosen one.
    mutating func startElection() {
        let highest = max(promised, highestBallotSeen)
        guard highest.hasSuccessor else {
            // Only a peer that sent the maximum round itself gets here (honest clusters never
            // come near it, and larger rounds are refused): there is no higher ballot to run
            // with, so wait, backed off, rather than trap.
            logger.error("cannot start an election: ballots are exhausted", metadata: metadata.merging([
                "paxos.ballot.highest": "\(highest)",
            ]) { $1 })
            failedElections += 1
            resetElectionDeadline()
            return
        }
        guard isWindowVoter else {
            // A learner, a removed replica or an empty disk not yet re-admitted never runs.
            if case .leader = roleState { becomeFollower(leader: nil) }
            resetElectionDeadline()
            return
        }
        // Our own promise counts like any acceptor's: not while we grant another leader a lease.
        guard !leaseForbidsPromise(to: configuration.id) else {
            resetElectionDeadline()
            return
        }
        let ballot = highest.successor(ownedBy: configuration.id)
        var carried: [ClientRequest] = []
        if case .leader(let state) = roleState {
            // Phase 1 again by the leader itself (a new membership, a stuck minority): its queued
            // requests wait for the outcome instead of being refused.
            carried = state.pending
            var emptied = state
            emptied.pending = []
            roleState = .leader(emptied)
        }
        stepDownCleanup(newLeader: nil)
        prePrepare = nil
        promised = ballot
        highestBallotSeen = ballot
        leaderHint = nil
        let fromSlot = chosenThrough.next
        roleState = .candidate(CandidateState(ballot: ballot, fromSlot: fromSlot, lastPrepareSent: now, carriedPending: carried))
        resetElectionDeadline()
        logger.debug("starting election", metadata: metadata)
        persist(promised: ballot, entries: [])
        broadcast(.prepare(ballot: ballot, fromSlot: fromSlot))
        deferUntilDurable(.selfPromise(ballot: ballot, entries: entries(from: fromSlot)))
        // Our own promise never reports compacted slots: fromSlot is above our applied slot,
        // which is at or above our snapshot slot.
    }

    mutating func retransmitPrepare() {
        guard case .candidate(var state) = roleState else { return }
        state.lastPrepareSent = now
        roleState = .candidate(state)
        for peer in peers where state.promises[peer] == nil {
            send(.prepare(ballot: state.ballot, fromSlot: state.fromSlot), to: peer)
        }
    }

    mutating func onPromise(from member: Member, ballot: Ballot, entries: [LogEntry], compactedThrough: Slot = .zero) {
        let peer = member.id
        guard case .candidate(var state) = roleState, state.ballot == ballot else { return }
        if compactedThrough >= state.fromSlot, configuration._plantedBug != .ignoreCompaction {
            // The acceptor compacted slots our phase 1 must cover: they are chosen (only applied
            // slots are compacted), but neither its promise nor, perhaps, any other acceptor's
            // can tell us their commands, and a no-op there would contradict what was chosen.
            // Stand down, catch up (by snapshot), and let a replica that knows them lead.
            logger.debug("standing down: phase 1 needs compacted slots", metadata: metadata.merging([
                "peer.id": "\(peer)", "paxos.compacted": "\(compactedThrough)",
            ]) { $1 })
            failedElections += 1
            becomeFollower(leader: nil)
            resetElectionDeadline()
            requestCatchUp(through: compactedThrough, from: peer)
            return
        }
        state.promises[peer] = (member, entries)
        roleState = .candidate(state)
        considerPhase1Done()
    }

    /// Becomes leader once the promises hold a majority of every membership in the window. The
    /// chosen entries they report are learned first: they may move our frontier, and with it the
    /// window, so the quorum is judged over the window we will lead in.
    mutating func considerPhase1Done() {
        guard case .candidate(let state) = roleState else { return }
        var learned: [LogEntry] = []
        for (_, promise) in state.promises {
            for entry in promise.entries where entry.chosen && entry.slot > appliedThrough && log[entry.slot]?.chosen != true {
                let chosen = LogEntry(slot: entry.slot, ballot: log[entry.slot]?.ballot ?? .zero, command: entry.command, chosen: true)
                log[entry.slot] = chosen
                learned.append(chosen)
            }
        }
        if !learned.isEmpty {
            persist(promised: nil, entries: learned)
            advanceChosenFrontier()
        }
        guard isWindowQuorum(Set(state.promises.values.map(\.member))) else { return }
        becomeLeader(state)
    }

    /// A reject with a higher ballot: the sender has promised `theirs` and will not accept our
    /// ballot any more.
    ///
    /// A candidate gives up (its phase 1 cannot finish with that acceptor, and someone else is
    /// running). A leader keeps leading while the acceptors that have not rejected it (itself
    /// included) still make a majority: its ballot can still be chosen in, and a higher ballot
    /// that never won a majority of promises must not depose it. Safety does not depend on
    /// stepping down: a slot is chosen only by a majority of votes in one ballot, and a majority
    /// that promised a higher ballot refuses ours, so whichever ballot wins, the other cannot
    /// choose anything the winner's phase 1 would miss. Once the rejecters alone leave us short
    /// of a majority, we step down at once; if acceptors fall silent instead, check-quorum
    /// (`leaderTick`) steps us down within an election timeout. A minority that promised higher
    /// stays unable to accept our ballot, so after an election timeout we raise our own ballot
    /// above theirs (`raiseBallotOverRejecters`) instead of leading with fewer acceptors.
    ///
    /// A reject in the preferred leader's ballot is its takeover (`Replica+Preference.swift`):
    /// deliberate, so we step down at once as before.
    mutating func onReject(from peer: ReplicaID, ballot: Ballot, promised theirs: Ballot) {
        observe(theirs)
        guard let own = ownBallot, own == ballot, theirs > own else { return }
        logger.debug("ballot rejected", metadata: metadata.merging(["peer.id": "\(peer)"]) { $1 })
        if case .leader(var state) = roleState, configuration._plantedBug != .stepDownOnAnyReject,
           theirs.replica != configuration.preferredLeader {
            if state.rejectedBy.isEmpty { state.firstRejectAt = now }
            state.rejectedBy.insert(peer)
            roleState = .leader(state)
            if stillHasQuorum(without: state.rejectedBy) { return }
            logger.debug("stepping down: a majority promised a higher ballot", metadata: metadata)
        }
        if case .candidate = roleState { failedElections += 1 }
        becomeFollower(leader: nil)
        resetElectionDeadline()
    }

    /// A leader keeps the acceptors that rejected its ballot in `rejectedBy`; they were a
    /// minority of the window when they rejected. A membership entering the window as the
    /// frontier moves can make them a majority of its voters (a removal leaves fewer voters, a
    /// replaced incarnation adds a voter that never promised us): no slot it governs can be
    /// chosen in our ballot any more, so we step down as `onReject` would have. Found by the
    /// simulator when a leader removed itself while a partitioned peer campaigned higher
    /// (`paxos-sim --seed 3006714`).
    mutating func stepDownIfRejectersBlockTheWindow() {
        guard case .leader(let state) = roleState, !state.rejectedBy.isEmpty,
              !stillHasQuorum(without: state.rejectedBy) else { return }
        logger.debug("stepping down: the acceptors that rejected our ballot are a majority of a new membership",
                     metadata: metadata)
        becomeFollower(leader: nil)
        resetElectionDeadline()
    }

    /// Stops leading or campaigning; refuses the client work only a leader can finish.
    mutating func becomeFollower(leader: ReplicaID?) {
        if case .follower = roleState {
            if leader != nil { leaderHint = leader }
            return
        }
        stepDownCleanup(newLeader: leader)
        roleState = .follower
        leaderHint = leader
    }

    /// Refuses queued requests and waiting reads when leadership ends. Proposals already in the
    /// log are not refused: they may still be chosen, and the shell answers them when applied.
    mutating func stepDownCleanup(newLeader: ReplicaID?) {
        let reason = RejectReason.notLeader(leader: newLeader)
        if case .candidate(let state) = roleState {
            for request in state.carriedPending { outbox.append(.reply(.proposalRejected(request, reason))) }
        }
        guard case .leader(let state) = roleState else { return }
        for request in state.pending { outbox.append(.reply(.proposalRejected(request, reason))) }
        for read in state.reads.waiting { outbox.append(.reply(.readRejected(read.id, reason))) }
        logger.debug("leadership ended", metadata: metadata)
    }

    /// Phase 1 succeeded: recover every slot the majority reported, then run phase 2 for it.
    ///
    /// Only slots whose membership we know (through `chosenThrough + α`) are recovered, each from
    /// the promises of its own membership's voters. If acceptors reported slots beyond that, we
    /// lead without new proposals until what we recovered is chosen, then run phase 1 again from
    /// the new frontier (`leaderFollowMembership`).
    mutating func becomeLeader(_ candidate: CandidateState) {
        let ballot = candidate.ballot
        precondition(promised == ballot, "becoming leader in \(ballot) while promised \(promised)")
        let (recovered, incomplete) = recoverSlots(from: candidate.promises.values.map { ($0.member, $0.entries) },
                                                   fromSlot: candidate.fromSlot)
        var state = LeaderState(ballot: ballot, nextSlot: candidate.fromSlot, recoveredThrough: candidate.fromSlot.previous)
        state.promisedBy = Set(candidate.promises.values.map(\.member))
        state.recoveryIncomplete = incomplete
        state.pending = candidate.carriedPending
        var proposals: [AcceptEntry] = []
        for (slot, command) in recovered {
            state.nextSlot = slot.next
            state.recoveredThrough = slot
            // Phase 1 started from the frontier we had then; catch-up (and the chosen entries
            // the promises reported) may have taught us more since. A slot we hold as chosen
            // keeps its entry: re-proposing it would overwrite the chosen flag.
            if slot <= appliedThrough || log[slot]?.chosen == true { continue }
            state.inflight[slot] = Proposal(command: command, lastSent: now)
            proposals.append(AcceptEntry(slot: slot, command: command))
        }
        roleState = .leader(state)
        leaderHint = configuration.id
        failedElections = 0
        takeoverAttempts = 0
        for member in state.promisedBy where member.id != configuration.id { state.lastHeard[member] = now }
        roleState = .leader(state)
        logger.debug("became leader", metadata: metadata.merging(["paxos.recovered": "\(proposals.count)"]) { $1 })
        // New batches go after everything known chosen, even slots learned during phase 1.
        if case .leader(var current) = roleState, current.nextSlot <= chosenThrough {
            current.nextSlot = chosenThrough.next
            roleState = .leader(current)
        }
        proposeInOwnBallot(proposals)
        sendHeartbeats()
        flushProposals()
    }

    /// For each unchosen slot from our frontier to the highest reported, within the window whose
    /// memberships we know: the command accepted in the highest ballot by a voter of that slot's
    /// membership, else a no-op. `incomplete` is true when some acceptor reported a slot beyond
    /// the window. Chosen entries were learned before (`considerPhase1Done`).
    func recoverSlots(from promises: [(member: Member, entries: [LogEntry])], fromSlot: Slot) -> (slots: [(Slot, Command)], incomplete: Bool) {
        let start = max(fromSlot, chosenThrough.next)
        var best: [Slot: LogEntry] = [:]
        var highest = Slot.zero
        var incomplete = false
        for (member, entries) in promises {
            for entry in entries where entry.slot >= start && log[entry.slot]?.chosen != true {
                guard let membership = membership(at: entry.slot) else {
                    incomplete = true
                    continue
                }
                guard membership.isVoter(member) else { continue }
                highest = max(highest, entry.slot)
                if let current = best[entry.slot], current.ballot >= entry.ballot { continue }
                best[entry.slot] = entry
            }
        }
        // Slots we already know chosen above a hole (learned from promises or catch-up) are
        // covered too, and skipped by the caller: the leader's next slot must lie above them, or
        // a new batch or no-op would be proposed into a chosen slot. One beyond the window waits
        // like any other reported slot there.
        for (slot, entry) in log where entry.chosen && slot > highest && slot >= start {
            if membership(at: slot) == nil { incomplete = true } else { highest = slot }
        }
        guard highest >= start else { return ([], incomplete) }
        let slots = (start.rawValue...highest.rawValue).map { raw -> (Slot, Command) in
            let slot = Slot(raw)
            if configuration._plantedBug == .skipValueRecovery { return (slot, .noop) }
            return (slot, best[slot]?.command ?? .noop)
        }
        return (slots, incomplete)
    }
}
