import Logging

/// The learner role: finding out which slots are chosen, fetching the ones we lack, and
/// applying them in order.
extension Replica {
    /// Handles a leader's notice that every slot ≤ `through` is chosen. We mark a slot chosen
    /// only if we accepted it in the leader's own ballot: the leader proposes one command per
    /// slot per ballot, so that command is the chosen one. Anything else we ask for.
    mutating func learnChosen(ballot: Ballot, through: Slot, leader: ReplicaID) {
        if through > leaderChosenThrough { leaderChosenThrough = through }
        guard through > chosenThrough else { return }
        var marked: [LogEntry] = []
        var slot = chosenThrough.next
        while slot <= through {
            guard var entry = log[slot] else { break }
            if !entry.chosen {
                guard entry.ballot == ballot else { break }
                entry.chosen = true
                log[slot] = entry
                marked.append(entry)
            }
            slot = slot.next
        }
        if !marked.isEmpty { persist(promised: nil, entries: marked) }
        advanceChosenFrontier()
        if chosenThrough < through { requestCatchUp(through: through, from: leader) }
    }

    /// How many replies of `maxEntriesPerMessage` commands one catch-up request asks for. One
    /// per round trip made a replica that fell 140 slots behind, with one command per message
    /// and 80-unit delays, miss the simulator's convergence bound (`paxos-sim --seed 5006027`);
    /// a window of replies per round trip keeps catch-up ahead of a busy leader. A peer of an
    /// older build answers only the first message's worth; the retry asks for the rest.
    public static let catchUpRepliesPerRequest = 8

    /// Asks `peer` for chosen commands after our frontier, at most once per retransmit interval.
    mutating func requestCatchUp(through: Slot, from peer: ReplicaID) {
        if let asked = catchUp, !asked.isProbe, now - asked.askedAt < configuration.retransmitTicks {
            if asked.through >= through { return }
            // A window from this peer is still on its way: remember the new frontier and ask
            // for it when the window is in (`onCatchUpReply`). Asking again on every accept
            // and heartbeat that moves the frontier sent a window of replies for each: under
            // load the leader drowned in catch-up and lost its leadership after every heal.
            if catchUpAsks[peer]?.outstanding != nil {
                catchUp?.through = through
                return
            }
        }
        let from = chosenThrough.next
        // Nothing to ask for: we learned through `through` meanwhile (a candidate told of
        // compacted slots may have caught up since its phase 1 began).
        guard from <= through else { return }
        let last = min(through, Slot(from.rawValue + UInt64(Self.catchUpRepliesPerRequest * configuration.maxEntriesPerMessage) - 1))
        catchUp = CatchUpRequest(askedAt: now, through: through)
        let earlier = catchUpAsks[peer]?.outstanding
        catchUpAsks[peer] = CatchUpAsk(askedAt: now, outstanding: min(earlier?.lowerBound ?? from, from)...max(earlier?.upperBound ?? last, last))
        send(.catchUpRequest(from: from, through: last), to: peer)
    }

    /// Re-asks the current leader if an earlier catch-up request went unanswered.
    mutating func retryCatchUpIfDue() {
        guard let asked = catchUp, asked.through > chosenThrough,
              now - asked.askedAt >= configuration.retransmitTicks else { return }
        // The first request went to the leader. It may lack the slots (it may have applied them
        // in an earlier life without keeping the command), so retries walk over every peer.
        catchUpRetries += 1
        let peers = catchUpPeers
        guard !peers.isEmpty else { return }
        requestCatchUp(through: asked.through, from: peers[Int(catchUpRetries % UInt64(peers.count))])
    }

    /// Whom catch-up retries walk over: our peers, and the leader we hear even when no
    /// membership we hold names it. A learner that installed an old snapshot from a replica
    /// removed since holds only that replica's memberships: the leader's heartbeats still reach
    /// it (`mayLearn`), but without the leader in the walk it asked the removed replica, which
    /// knows nothing newer, forever (`paxos-sim --seed 5006561`).
    var catchUpPeers: [ReplicaID] {
        var result = peers
        if let leader = leaderHint, leader != configuration.id, !result.contains(leader) { result.append(leader) }
        return result
    }

    mutating func onCatchUpRequest(from peer: ReplicaID, from first: Slot, through last: Slot) {
        guard first <= last else { return }
        if first <= snapshotThrough {
            // The peer needs slots we compacted: only our applied state can stand in for them.
            offerSnapshot(to: peer)
            return
        }
        // The range may span several messages' worth; each reply stays within the message limit.
        var entries: [ChosenEntry] = []
        var replies = 0
        var slot = first
        while slot <= last, replies < Self.catchUpRepliesPerRequest {
            guard let entry = log[slot], entry.chosen else { break }
            entries.append(ChosenEntry(slot: slot, command: entry.command))
            slot = slot.next
            if entries.count == configuration.maxEntriesPerMessage {
                send(.catchUpReply(entries: entries), to: peer)
                entries.removeAll(keepingCapacity: true)
                replies += 1
            }
        }
        if !entries.isEmpty { send(.catchUpReply(entries: entries), to: peer) }
    }

    /// - Precondition: `reasonToRefuseCatchUpReply` passed, so while the peer's ask is
    ///   outstanding every entry is in the range asked of it or already chosen here.
    mutating func onCatchUpReply(from peer: ReplicaID, _ entries: [ChosenEntry]) {
        if shouldIgnoreCatchUpReply(from: peer) { return }
        var learned: [LogEntry] = []
        for entry in entries where entry.slot > appliedThrough && log[entry.slot]?.chosen != true {
            // Keep the ballot we accepted in, if any: the chosen flag is what makes the entry
            // final, and a promise reports it as chosen.
            let chosen = LogEntry(slot: entry.slot, ballot: log[entry.slot]?.ballot ?? .zero, command: entry.command, chosen: true)
            log[entry.slot] = chosen
            learned.append(chosen)
        }
        guard !learned.isEmpty else { return }
        persist(promised: nil, entries: learned)
        advanceChosenFrontier()
        // More to fetch once this peer's window is all in (`advanceChosenFrontier` closes it):
        // ask again right away rather than after a retransmit interval. Asking on every reply
        // of a window would multiply the requests, each answered by a window of replies.
        if catchUpAsks[peer]?.outstanding == nil, let asked = catchUp, asked.through > chosenThrough {
            catchUp = nil
            let target = leaderHint.flatMap { $0 == configuration.id ? nil : $0 } ?? peer
            requestCatchUp(through: asked.through, from: target)
        }
    }

    /// Moves `chosenThrough` over every contiguous chosen entry.
    mutating func advanceChosenFrontier() {
        while let entry = log[chosenThrough.next], entry.chosen {
            chosenThrough = entry.slot
            if let membership = entry.command.membership { scheduleMembership(chosenIn: entry.slot, membership) }
        }
        pruneMemberships()
        stepDownIfRejectersBlockTheWindow()
        forgetProposalsLearnedChosen()
        if let asked = catchUp, asked.through <= chosenThrough { catchUp = nil }
        for (peer, ask) in catchUpAsks {
            if let slots = ask.outstanding, slots.upperBound <= chosenThrough { catchUpAsks[peer]?.outstanding = nil }
        }
    }

    /// A leader that learns slots chosen other than by its own votes (a catch-up reply it asked
    /// for as a candidate, answered once it led) drops its proposals for them, and proposes new
    /// batches above them: by Paxos those slots hold what it proposed, and the apply answers
    /// the clients. Found by the reconfiguration soak once a successor named by a hand-over ran
    /// phase 1 while still catching up (`paxos-sim --seed 3179 --reconfigure --disk-loss`).
    mutating func forgetProposalsLearnedChosen() {
        guard case .leader(var state) = roleState else { return }
        let stale = state.inflight.keys.contains { $0 <= chosenThrough }
        guard stale || state.nextSlot <= chosenThrough else { return }
        if stale { state.inflight = state.inflight.filter { $0.key > chosenThrough } }
        if state.nextSlot <= chosenThrough { state.nextSlot = chosenThrough.next }
        roleState = .leader(state)
    }

    /// Emits `.apply` for every chosen slot not yet applied, in slot order.
    mutating func applyChosen() {
        while appliedThrough < chosenThrough {
            let slot = appliedThrough.next
            guard let entry = log[slot], entry.chosen else {
                preconditionFailure("slot \(slot) is at or below the chosen frontier \(chosenThrough) but not chosen")
            }
            outbox.append(.apply(slot: slot, command: entry.command))
            appliedThrough = slot
        }
    }
}
