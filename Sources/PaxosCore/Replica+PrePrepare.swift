import Logging

/// Pre-prepare: the pre-vote of Raft (Ongaro's thesis §9.6; etcd's `PreVote`) for Paxos.
///
/// A follower whose election timeout fires does not raise its ballot. It first asks every peer
/// "would you promise the ballot I would prepare with?" and nobody raises, promises or persists
/// anything for that question. A peer says yes only when it has not heard from a live leader
/// within its own election timeout (a leader says yes only when it has lost contact with a
/// majority). Only with a majority of yes, itself included, does the replica run the real
/// phase 1 (`startElection`).
///
/// Why: a replica cut off from the others used to raise its ballot on every timeout. When the
/// cut healed, its higher promise made every peer that heard of it reject the healthy leader,
/// and the leader stepped down: one election per heal, often won by the stale replica. A cut-off
/// replica now never gets a majority of yes, so its ballot stays where it was, and it rejoins by
/// hearing the leader's next heartbeat.
///
/// The log condition: a peer also says no when the asker's phase 1 would start at or below the
/// slots the peer compacted (`fromSlot <= snapshotThrough`). Paxos needs no log check for
/// safety (phase 1 recovers every accepted value from a majority, whoever runs it), but such a
/// candidate would stand down at the first promise from us (`onPromise`: it cannot recover
/// compacted slots) after raising everyone's ballot: an election lost by construction, and
/// churn. Liveness is kept: in any live majority the replica furthest ahead has a chosen
/// frontier at or above every member's snapshot, so it passes this test at every member of it.
/// We do not ask for "at least as up to date as me" as Raft does: a candidate that is behind
/// in chosen slots (but not behind a snapshot) learns them in phase 1, and refusing it would
/// only lengthen the outage while the replicas furthest ahead wait for their own timeouts.
///
/// Not through pre-prepare: the preferred leader's takeover (`considerTakeover`) prepares at
/// once, since its peers hear a live leader and would say no; its prepare is deliberate and
/// never ignored (`shouldIgnorePrepare`). A leader that raises its own ballot over a stuck
/// acceptor (`Replica+Leader.swift`, `raiseBallotOverRejecters`) prepares at once too: its
/// followers hear it, and it is the leader they follow.
struct PrePrepareRound: Sendable {
    /// The ballot we would prepare with; nobody has promised or persisted it.
    /// - Invariant: owned by this replica.
    var ballot: Ballot
    /// Our first unchosen slot when the round started.
    var fromSlot: Slot
    /// Who said yes, ourselves included, as the incarnation each answered as.
    /// - Invariant: contains this replica.
    var granted: Set<Member>
    /// Who answered at all, so retransmissions go only to the silent.
    var answered: Set<ReplicaID> = []
    var lastSent: UInt64
}

extension Replica {
    /// Our election timeout fired as a follower: ask before raising anything.
    mutating func startPrePrepare() {
        if configuration._plantedBug == .stepDownOnAnyReject { return startElection() }
        let highest = max(promised, highestBallotSeen)
        // At the maximum round, startElection logs and backs off; there is nothing to ask for.
        guard isWindowVoter else {
            // Learners and replicas not (or no longer) voting never run.
            resetElectionDeadline()
            return
        }
        // The last round did not get a majority: peers that compacted past our frontier say no
        // (see the essay), and we may need chosen slots only others know.
        if prePrepare != nil { probeChosenSlots() }
        guard highest.hasSuccessor, !isWindowQuorum([me]) else { return startElection() }
        let round = PrePrepareRound(
            ballot: highest.successor(ownedBy: configuration.id), fromSlot: chosenThrough.next,
            granted: [me], lastSent: now)
        prePrepare = round
        resetElectionDeadline()
        logger.trace("asking peers before an election", metadata: metadata.merging([
            "paxos.ballot.next": "\(round.ballot)",
        ]) { $1 })
        broadcast(.prePrepare(ballot: round.ballot, fromSlot: round.fromSlot))
    }

    /// After a failed election or pre-prepare round, asks one peer (in turn) for chosen slots after our frontier.
    /// Slots our phase 1 needs promises for may have been chosen without our learning it, by a
    /// membership whose other voters learned it and then left it: a removed replica answers no
    /// prepare, so only learning those slots moves our window past that membership. The usual
    /// retries walk over the peers; the probe is dropped once we follow a leader, so it costs a
    /// request per retransmit interval only while elections fail.
    ///
    /// A peer that compacted past our frontier answers with a snapshot, so this is also how a
    /// replica refused by every pre-prepare for lagging behind the snapshots catches up.
    mutating func probeChosenSlots() {
        // Only while a change is in play: with one membership a majority of it answers us.
        let peers = self.peers
        guard windowMemberships.count > 1 || memberships.count > 1, !peers.isEmpty else { return }
        catchUpRetries += 1
        let through = Slot(chosenThrough.rawValue + Membership.activationDistance)
        requestCatchUp(through: through, from: peers[Int(catchUpRetries % UInt64(peers.count))])
        if var probe = catchUp, probe.through == through { probe.isProbe = true; catchUp = probe }
    }

    /// Asks again the peers that have not answered, every `retransmitTicks`.
    mutating func retransmitPrePrepareIfDue() {
        guard var round = prePrepare, now - round.lastSent >= configuration.retransmitTicks else { return }
        round.lastSent = now
        prePrepare = round
        for peer in peers where !round.answered.contains(peer) {
            send(.prePrepare(ballot: round.ballot, fromSlot: round.fromSlot), to: peer)
        }
    }

    /// Answers at once, without persisting: the answer promises nothing. It reveals our
    /// `promised`, which may not be durable yet; the asker uses it only to choose a ballot above
    /// it, and a real promise for that ballot is asked (and made durable) in phase 1.
    mutating func onPrePrepare(from peer: ReplicaID, ballot: Ballot, fromSlot: Slot) {
        let granted = !shouldRefusePrePrepare(fromSlot: fromSlot) && !leaseForbidsPromise(to: ballot.replica)
        send(.prePromise(ballot: ballot, granted: granted, promised: promised, incarnation: configuration.incarnation), to: peer)
    }

    /// True while we hear a live leader (or lead with a majority's contact), or when the asker's
    /// phase 1 would need slots we compacted (see the type's essay).
    func shouldRefusePrePrepare(fromSlot: Slot) -> Bool {
        // The planted bug lets the lagging candidate run, as elections did before this check.
        if fromSlot <= snapshotThrough && configuration._plantedBug != .ignoreCompaction { return true }
        switch roleState {
        case .leader: return hasQuorumContact
        case .candidate: return false
        case .follower:
            guard leaderHint != nil else { return false }
            return now - lastLeaderContact < configuration.electionTimeoutTicks
        }
    }

    mutating func onPrePromise(from peer: Member, ballot: Ballot, granted: Bool, promised theirs: Ballot) {
        // Our real ballot must go above every promise we learn of, granted or not.
        observe(theirs)
        guard case .follower = roleState, var round = prePrepare, round.ballot == ballot else { return }
        round.answered.insert(peer.id)
        if granted { round.granted.insert(peer) }
        prePrepare = round
        guard isWindowQuorum(round.granted) else { return }
        logger.trace("a majority would promise: starting an election", metadata: metadata)
        startElection()
    }
}
