import Logging

/// The acceptor role: promises and votes, durable before any reply (see `Action`).
extension Replica {
    mutating func onMessage(from peer: ReplicaID, _ message: Message) {
        if let reason = reasonToRefuse(message, from: peer) {
            refuse(message, from: peer, reason: reason)
            return
        }
        switch message {
        case .prePrepare(let ballot, let fromSlot): onPrePrepare(from: peer, ballot: ballot, fromSlot: fromSlot)
        case .prePromise(let ballot, let granted, let promised, let incarnation):
            onPrePromise(from: Member(id: peer, incarnation: incarnation), ballot: ballot, granted: granted, promised: promised)
        case .prepare(let ballot, let fromSlot): onPrepare(from: peer, ballot: ballot, fromSlot: fromSlot)
        case .promise(let ballot, let entries, let compacted, let incarnation):
            onPromise(from: Member(id: peer, incarnation: incarnation), ballot: ballot, entries: entries, compactedThrough: compacted)
        case .accept(let ballot, let entries, let chosen): onAccept(from: peer, ballot: ballot, entries: entries, chosenThrough: chosen)
        case .accepted(let ballot, let slots, let incarnation):
            onAccepted(from: Member(id: peer, incarnation: incarnation), ballot: ballot, slots: slots)
        case .reject(let ballot, let promised): onReject(from: peer, ballot: ballot, promised: promised)
        case .heartbeat(let ballot, let chosen, let round): onHeartbeat(from: peer, ballot: ballot, chosenThrough: chosen, readRound: round)
        case .heartbeatAck(let ballot, let round, let incarnation):
            onHeartbeatAck(from: Member(id: peer, incarnation: incarnation), ballot: ballot, readRound: round)
        case .catchUpRequest(let from, let through): onCatchUpRequest(from: peer, from: from, through: through)
        case .catchUpReply(let entries): onCatchUpReply(from: peer, entries)
        case .handOver(let ballot, let successor): onHandOver(from: peer, ballot: ballot, successor: successor)
        }
    }

    /// Notes a ballot seen anywhere, so our next election starts above it.
    mutating func observe(_ ballot: Ballot) {
        if ballot > highestBallotSeen { highestBallotSeen = ballot }
    }

    /// True when a leader we follow (or our own leadership) is alive, so a prepare from someone
    /// else would only disrupt it. See "Deviations" on `Replica`.
    func shouldIgnorePrepare(from peer: ReplicaID) -> Bool {
        // The preferred leader's prepare is how it takes the lead back (Replica+Preference).
        if peer == configuration.preferredLeader { return false }
        switch roleState {
        case .leader: return hasQuorumContact
        case .candidate: return false
        case .follower:
            guard let leader = leaderHint, leader != peer else { return false }
            return now - lastLeaderContact < configuration.electionTimeoutTicks
        }
    }

    mutating func onPrepare(from peer: ReplicaID, ballot: Ballot, fromSlot: Slot) {
        observe(ballot)
        // The candidate knows every slot below `fromSlot` chosen. If we do not, ask it: one of
        // them may choose the membership that makes us a voter of the slots its phase 1 needs,
        // and it cannot finish without us (a learner just promoted, or a voter that missed the
        // change while the leader that chose it is gone).
        if fromSlot > chosenThrough.next { requestCatchUp(through: fromSlot.previous, from: peer) }
        // Not a voter anywhere we know of (a learner, or an empty disk not yet re-admitted):
        // our promise would not count, and must not look like an acceptor that forgot nothing.
        guard mayVote else { return }
        if ballot < promised {
            send(.reject(ballot: ballot, promised: promised), to: peer)
            return
        }
        if ballot > promised {
            // Safety with leases: a leader may be serving reads on our grant (`Replica+Lease`).
            if leaseForbidsPromise(to: ballot.replica) { return }
            if shouldIgnorePrepare(from: peer) { return }
            promised = ballot
            persist(promised: ballot, entries: [])
            becomeFollower(leader: nil)
            // We promised another candidate: let it finish instead of running against it.
            prePrepare = nil
            // Give the candidate a full timeout to finish before we run against it.
            resetElectionDeadline()
        }
        // ballot == promised here: a first prepare or the candidate's retransmission.
        sendWhenDurable(.promise(ballot: ballot, entries: entries(from: fromSlot), compactedThrough: snapshotThrough,
                                 incarnation: configuration.incarnation), to: peer)
    }

    /// Every entry at or above `slot`, in slot order.
    func entries(from slot: Slot) -> [LogEntry] {
        log.values.filter { $0.slot >= slot }.sorted { $0.slot < $1.slot }
    }

    mutating func onAccept(from peer: ReplicaID, ballot: Ballot, entries: [AcceptEntry], chosenThrough: Slot) {
        observe(ballot)
        if ballot < promised {
            send(.reject(ballot: ballot, promised: promised), to: peer)
            return
        }
        guard mayVote else {
            // A learner follows the leader and learns what is chosen, but votes for nothing.
            followLeader(of: ballot)
            learnChosen(ballot: ballot, through: chosenThrough, leader: peer)
            return
        }
        let promiseChanged = ballot > promised
        promised = ballot
        followLeader(of: ballot)
        var stored: [LogEntry] = []
        var acked: [Slot] = []
        for entry in entries {
            acked.append(entry.slot)
            // A chosen or applied slot already has its final command; by Paxos safety the
            // leader proposes that same command, so the vote can be given without a write.
            if entry.slot <= appliedThrough || log[entry.slot]?.chosen == true { continue }
            let accepted = LogEntry(slot: entry.slot, ballot: ballot, command: entry.command, chosen: false)
            log[entry.slot] = accepted
            stored.append(accepted)
        }
        if promiseChanged || !stored.isEmpty {
            persist(promised: promiseChanged ? ballot : nil, entries: stored)
        }
        if !acked.isEmpty { sendWhenDurable(.accepted(ballot: ballot, slots: acked, incarnation: configuration.incarnation), to: peer) }
        learnChosen(ballot: ballot, through: chosenThrough, leader: peer)
    }

    mutating func onHeartbeat(from peer: ReplicaID, ballot: Ballot, chosenThrough: Slot, readRound: UInt64) {
        observe(ballot)
        if ballot < promised {
            send(.reject(ballot: ballot, promised: promised), to: peer)
            return
        }
        followLeader(of: ballot)
        // The ack states only that we promised nothing above `ballot`; it reveals no state that
        // must be durable, so it leaves at once.
        if mayVote {
            send(.heartbeatAck(ballot: ballot, readRound: readRound, incarnation: configuration.incarnation), to: peer)
            grantLease(to: ballot)
        }
        learnChosen(ballot: ballot, through: chosenThrough, leader: peer)
    }

    /// Treats the owner of `ballot` as the live leader: resets our timer, and steps down if we
    /// were competing with a lower ballot.
    /// - Precondition: `ballot >= promised` was checked by the caller.
    mutating func followLeader(of ballot: Ballot) {
        if let own = ownBallot, own < ballot { becomeFollower(leader: ballot.replica) }
        if !isLeader {
            // A live leader: whatever pre-prepare round we ran is moot, and so is a probe for
            // chosen slots (the leader tells us what we lack).
            prePrepare = nil
            if catchUp?.isProbe == true { catchUp = nil }
            leaderHint = ballot.replica
            lastLeaderContact = now
            failedElections = 0
            resetElectionDeadline()
        }
    }
}
