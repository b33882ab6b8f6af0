import Logging

/// Every peer message is checked against the protocol and this replica's state before any
/// handler sees it, even from an authenticated peer: a buggy or old node, or one whose
/// credentials leaked, must not be able to crash the cluster or make a replica take in what it
/// never asked for.
///
/// What is checked, and why:
/// - **Ranges.** Ballot rounds are at most `Ballot.maxRound` and slots at most `Slot.max`, so no
///   arithmetic on them (the next election's ballot, the end of a catch-up range) can overflow,
///   and no such number is ever stored. Slots in entries start at 1.
/// - **Ownership.** A proposer speaks in its own ballot: `prePrepare`, `prepare`, `accept` and
///   `heartbeat` carry a ballot owned by the sender. Answers (`prePromise`, `promise`,
///   `accepted`, `heartbeatAck`, `reject`) name a ballot this replica owns. A promise's entries were accepted at or below
///   the promised ballot, and a reject's promise belongs to a member.
/// - **Solicitation.** A catch-up reply is taken only from a peer we asked, while that request
///   is outstanding (until we know the slots it asked for), and only for slots in the range
///   asked of it (a late answer after that is dropped quietly; one from a peer never asked is
///   refused); a snapshot only from a peer we recently asked for catch-up
///   (`reasonToRefuseSnapshot`).
///
/// Paxos cannot defend against a peer that lies within these bounds (a Byzantine acceptor or
/// leader in its own ballot); these checks keep an honest-but-broken peer from doing harm and
/// leave an attacker without credentials to the peer authentication.
extension Replica {
    /// Why `message` from `peer` must be refused, or nil if a handler may see it.
    func reasonToRefuse(_ message: Message, from peer: ReplicaID) -> RefusalReason? {
        guard isKnownPeer(peer) || mayLearn(message, from: peer) else { return .notAMember }
        switch message {
        case .prePrepare(let ballot, let fromSlot):
            // A hypothetical ballot, but still the sender's own and in range: the answer names
            // it, and the asker's real phase 1 would use it.
            return refusalOfProposerBallot(ballot, from: peer) ?? (isEntrySlot(fromSlot) ? nil : .slotOutOfRange)
        case .prePromise(let ballot, _, let promised, _):
            if let reason = refusalOfAnswerBallot(ballot) { return reason }
            // The promise is observed (our next ballot goes above it), so it must be in range;
            // a fresh acceptor's is zero, any other is some replica's. Not necessarily one our
            // memberships name: a replica removed since may own it, and refusing every answer of
            // an acceptor that promised it would leave us unable to raise our ballot above it.
            guard promised.isInRange else { return .ballotOutOfRange }
            guard promised == .zero || isBallotOwner(promised.replica) else { return .inconsistentBallots }
            return nil
        case .prepare(let ballot, let fromSlot):
            return refusalOfProposerBallot(ballot, from: peer) ?? (isEntrySlot(fromSlot) ? nil : .slotOutOfRange)
        case .accept(let ballot, let entries, let chosenThrough):
            if let reason = refusalOfProposerBallot(ballot, from: peer) { return reason }
            guard chosenThrough.isInRange, entries.allSatisfy({ isEntrySlot($0.slot) }) else { return .slotOutOfRange }
            return nil
        case .heartbeat(let ballot, let chosenThrough, _):
            return refusalOfProposerBallot(ballot, from: peer) ?? (chosenThrough.isInRange ? nil : .slotOutOfRange)
        case .promise(let ballot, let entries, let compactedThrough, _):
            if let reason = refusalOfAnswerBallot(ballot) { return reason }
            guard compactedThrough.isInRange, entries.allSatisfy({ isEntrySlot($0.slot) }) else { return .slotOutOfRange }
            // An entry's ballot at or below the promise's is in range too.
            guard entries.allSatisfy({ $0.ballot <= ballot }) else { return .inconsistentBallots }
            return nil
        case .accepted(let ballot, let slots, _):
            return refusalOfAnswerBallot(ballot) ?? (slots.allSatisfy(isEntrySlot) ? nil : .slotOutOfRange)
        case .heartbeatAck(let ballot, _, _):
            return refusalOfAnswerBallot(ballot)
        case .handOver(let ballot, _):
            return refusalOfProposerBallot(ballot, from: peer)
        case .reject(let ballot, let promised):
            if let reason = refusalOfAnswerBallot(ballot) { return reason }
            guard promised.isInRange else { return .ballotOutOfRange }
            // Possibly a replica removed since (see `.prePromise`).
            guard isBallotOwner(promised.replica) else { return .inconsistentBallots }
            return nil
        case .catchUpRequest(let first, let last):
            return isEntrySlot(first) && isEntrySlot(last) ? nil : .slotOutOfRange
        case .catchUpReply(let entries):
            return reasonToRefuseCatchUpReply(entries, from: peer)
        }
    }

    /// A proposer message's ballot must be in range and the sender's own.
    private func refusalOfProposerBallot(_ ballot: Ballot, from peer: ReplicaID) -> RefusalReason? {
        guard ballot.isInRange else { return .ballotOutOfRange }
        return ballot.replica == peer ? nil : .ballotNotOwnedBySender
    }

    /// An answer's ballot must be in range and ours (a stale one of ours is fine: it is dropped
    /// by the handler as old news, not refused).
    private func refusalOfAnswerBallot(_ ballot: Ballot) -> RefusalReason? {
        guard ballot.isInRange else { return .ballotOutOfRange }
        return ballot.replica == configuration.id ? nil : .ballotNotOurs
    }

    /// A replica that votes nowhere (a new learner, an empty disk waiting for its new incarnation)
    /// knows only the memberships it started with or has learned so far, while the leader may be
    /// a replica added since: it must still hear that leader's accepts and heartbeats, and take
    /// the catch-up replies (and snapshots) it asked for, or it never catches up. It votes for
    /// nothing, so all it can take in is what it asked for: chosen commands, which are the same
    /// whoever reports them.
    private func mayLearn(_ message: Message, from peer: ReplicaID) -> Bool {
        guard !mayVote, peer != configuration.id else { return false }
        switch message {
        case .accept, .heartbeat, .catchUpReply: return true
        default: return false
        }
    }

    /// A promised ballot's owner must be a replica: any id but the reserved 0. Memberships
    /// change, so an honest acceptor may have promised a replica that none we hold names.
    private func isBallotOwner(_ id: ReplicaID) -> Bool { id != ReplicaID(0) }

    private func isEntrySlot(_ slot: Slot) -> Bool { slot > .zero && slot.isInRange }

    /// A catch-up reply must answer our outstanding request, from the peer we asked, within the
    /// range we asked. Otherwise any peer could hand us a "chosen" command for a slot, which we
    /// would apply, and we would then vote for the leader's real command there without storing it.
    ///
    /// A late or duplicated answer to an earlier request of ours (the network delays and
    /// duplicates, and a retry goes to the next peer) is honest: it passes here and
    /// `shouldIgnoreCatchUpReply` drops it without a refusal.
    func reasonToRefuseCatchUpReply(_ entries: [ChosenEntry], from peer: ReplicaID) -> RefusalReason? {
        guard let ask = catchUpAsks[peer] else { return .catchUpNotAsked }
        guard let slots = ask.outstanding else { return nil }
        // Slots at or below our chosen frontier are known already and skipped: a late answer to
        // an earlier request to the same peer may carry them.
        return entries.allSatisfy { $0.slot <= chosenThrough || slots.contains($0.slot) } ? nil : .catchUpOutsideRequest
    }

    /// True when the peer has nothing outstanding: a late or duplicated answer, for slots we
    /// have learned since, that `reasonToRefuseCatchUpReply` let through as honest.
    func shouldIgnoreCatchUpReply(from peer: ReplicaID) -> Bool {
        catchUpAsks[peer]?.outstanding == nil
    }

    /// Why the shell must refuse a snapshot transfer of `slot` from `peer` at its start, or nil
    /// if it may receive it. A peer sends a snapshot only in answer to a catch-up request for
    /// slots it compacted, so one is taken only from a peer asked within the last
    /// `2 × snapshotRetryTicks` (the sender offers at most one per `snapshotRetryTicks`). An
    /// unsolicited snapshot would replace the whole state machine.
    ///
    /// A solicited snapshot that no longer takes us forward (we applied past it meanwhile, or
    /// now lead) is honest and not judged here: the shell drops it quietly, and
    /// `onSnapshotReceived` ignores it.
    public func reasonToRefuseSnapshot(from peer: ReplicaID, slot: Slot) -> RefusalReason? {
        guard isKnownPeer(peer) || (!mayVote && peer != configuration.id) else { return .notAMember }
        guard slot.isInRange else { return .slotOutOfRange }
        guard let ask = catchUpAsks[peer], now - ask.askedAt <= 2 * configuration.snapshotRetryTicks else { return .snapshotNotAsked }
        return nil
    }

    /// Emits the refusal for the shell to count and log.
    mutating func refuse(_ message: Message, from peer: ReplicaID, reason: RefusalReason) {
        logger.debug("refusing a peer message", metadata: [
            "peer.id": "\(peer)", "rpc.method": "\(message.kind)", "paxos.refusal": "\(reason.rawValue)",
        ])
        outbox.append(.countRefusal(PeerMessageRefusal(peer: peer, kind: message.kind, reason: reason)))
    }
}
