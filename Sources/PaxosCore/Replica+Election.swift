import Logging

/// Phase 1 and the role changes around it.
struct CandidateState: Sendable {
    var ballot: Ballot
    /// Phase 1 covers every slot from here on (our first unchosen slot).
    var fromSlot: Slot
    /// Promises received for `ballot`, ours included once durable.
    var promises: [ReplicaID: [LogEntry]] = [:]
    var lastPrepareSent: UInt64
}

extension Replica {
    mutating func onTick() {
        now += 1
        switch role {
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
        let ballot = highest.successor(ownedBy: configuration.id)
        stepDownCleanup(newLeader: nil)
        prePrepare = nil
        promised = ballot
        highestBallotSeen = ballot
        leaderHint = nil
        let fromSlot = chosenThrough.next
        role = .candidate(CandidateState(ballot: ballot, fromSlot: fromSlot, lastPrepareSent: now))
        resetElectionDeadline()
        logger.debug("starting election", metadata: metadata)
        persist(promised: ballot, entries: [])
        broadcast(.prepare(ballot: ballot, fromSlot: fromSlot))
        deferUntilDurable(.selfPromise(ballot: ballot, entries: entries(from: fromSlot)))
        // Our own promise never reports compacted slots: fromSlot is above our applied slot,
        // which is at or above our snapshot slot.
    }

    mutating func retransmitPrepare() {
        guard case .candidate(var state) = role else { return }
        state.lastPrepareSent = now
        role = .candidate(state)
        for peer in configuration.peers where state.promises[peer] == nil {
            send(.prepare(ballot: state.ballot, fromSlot: state.fromSlot), to: peer)
        }
    }

    mutating func onPromise(from peer: ReplicaID, ballot: Ballot, entries: [LogEntry], compactedThrough: Slot = .zero) {
        guard case .candidate(var state) = role, state.ballot == ballot else { return }
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
        state.promises[peer] = entries
        role = .candidate(state)
        if state.promises.count >= configuration.majority { becomeLeader(state) }
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
        if case .leader(var state) = role, configuration._plantedBug != .stepDownOnAnyReject,
           theirs.replica != configuration.preferredLeader {
            if state.rejectedBy.isEmpty { state.firstRejectAt = now }
            state.rejectedBy.insert(peer)
            role = .leader(state)
            if configuration.members.count - state.rejectedBy.count >= configuration.majority { return }
            logger.debug("stepping down: a majority promised a higher ballot", metadata: metadata)
        }
        if case .candidate = role { failedElections += 1 }
        becomeFollower(leader: nil)
        resetElectionDeadline()
    }

    /// Stops leading or campaigning; refuses the client work only a leader can finish.
    mutating func becomeFollower(leader: ReplicaID?) {
        if case .follower = role {
            if leader != nil { leaderHint = leader }
            return
        }
        stepDownCleanup(newLeader: leader)
        role = .follower
        leaderHint = leader
    }

    /// Refuses queued requests and waiting reads when leadership ends. Proposals already in the
    /// log are not refused: they may still be chosen, and the shell answers them when applied.
    mutating func stepDownCleanup(newLeader: ReplicaID?) {
        guard case .leader(let state) = role else { return }
        let reason = RejectReason.notLeader(leader: newLeader)
        for request in state.pending { outbox.append(.reply(.proposalRejected(request, reason))) }
        for read in state.reads.waiting { outbox.append(.reply(.readRejected(read.id, reason))) }
        logger.debug("leadership ended", metadata: metadata)
    }

    /// Phase 1 succeeded: recover every slot the majority reported, then run phase 2 for it.
    mutating func becomeLeader(_ candidate: CandidateState) {
        let ballot = candidate.ballot
        precondition(promised == ballot, "becoming leader in \(ballot) while promised \(promised)")
        let recovered = recoverSlots(from: candidate.promises.values.flatMap { $0 }, fromSlot: candidate.fromSlot)
        var state = LeaderState(ballot: ballot, nextSlot: candidate.fromSlot, recoveredThrough: candidate.fromSlot.previous)
        var chosenNow: [LogEntry] = []
        var proposals: [AcceptEntry] = []
        for (slot, entry) in recovered {
            state.nextSlot = slot.next
            state.recoveredThrough = slot
            // Phase 1 started from the frontier we had then; catch-up may have taught us more
            // since. A slot we already hold as chosen keeps its entry: re-proposing it would
            // overwrite the chosen flag (the command is the same, by Paxos safety).
            if slot <= appliedThrough || log[slot]?.chosen == true { continue }
            if entry.chosen {
                if log[slot]?.chosen != true {
                    let chosen = LogEntry(slot: slot, ballot: log[slot]?.ballot ?? .zero, command: entry.command, chosen: true)
                    log[slot] = chosen
                    chosenNow.append(chosen)
                }
                continue
            }
            state.inflight[slot] = Proposal(command: entry.command, lastSent: now)
            proposals.append(AcceptEntry(slot: slot, command: entry.command))
        }
        role = .leader(state)
        leaderHint = configuration.id
        failedElections = 0
        takeoverAttempts = 0
        for peer in configuration.peers { state.lastHeard[peer] = now }
        role = .leader(state)
        logger.debug("became leader", metadata: metadata.merging(["paxos.recovered": "\(proposals.count)"]) { $1 })
        if !chosenNow.isEmpty { persist(promised: nil, entries: chosenNow) }
        advanceChosenFrontier()
        // New batches go after everything known chosen, even slots learned during phase 1.
        if case .leader(var current) = role, current.nextSlot <= chosenThrough {
            current.nextSlot = chosenThrough.next
            role = .leader(current)
        }
        proposeInOwnBallot(proposals)
        sendHeartbeats()
    }

    /// For each slot from `fromSlot` to the highest reported: the chosen command if anyone
    /// knows it, else the command accepted in the highest ballot, else a no-op.
    func recoverSlots(from reports: [LogEntry], fromSlot: Slot) -> [(Slot, LogEntry)] {
        var best: [Slot: LogEntry] = [:]
        for entry in reports where entry.slot >= fromSlot {
            guard let current = best[entry.slot] else { best[entry.slot] = entry; continue }
            if current.chosen { continue }
            if entry.chosen || entry.ballot > current.ballot { best[entry.slot] = entry }
        }
        guard let highest = best.keys.max() else { return [] }
        return (fromSlot.rawValue...highest.rawValue).map { raw in
            let slot = Slot(raw)
            if let entry = best[slot], entry.chosen { return (slot, entry) }
            if configuration._plantedBug == .skipValueRecovery {
                // Planted bug: ignore what acceptors reported and overwrite with no-ops.
                return (slot, LogEntry(slot: slot, ballot: .zero, command: .noop, chosen: false))
            }
            return (slot, best[slot] ?? LogEntry(slot: slot, ballot: .zero, command: .noop, chosen: false))
        }
    }
}
