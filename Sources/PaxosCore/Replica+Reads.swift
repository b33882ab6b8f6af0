import Logging

/// Linearizable reads without the log ("read index", Raft §6.4, adapted to ballots).
///
/// A read that arrives at the leader waits for two things: a heartbeat round that *started
/// after it arrived* and that a majority acknowledged in our ballot (so no higher ballot had a
/// majority of promises when the read began, and every write acknowledged before the read is at
/// or below our frontier), and the applied slot reaching `readIndex`, the chosen frontier at
/// arrival or the last slot recovered in phase 1, whichever is higher. One round serves every
/// read that waits for it, so reads are batched.
struct ReadState: Sendable {
    /// The newest heartbeat round started. Round 0 is never started.
    var round: UInt64 = 0
    /// The newest round a majority acknowledged.
    /// - Invariant: `confirmed <= round`.
    var confirmed: UInt64 = 0
    /// Acceptors that acknowledged `round`, as the incarnation they answered as.
    var acks: Set<Member> = []
    /// Reads arrived while `round` was in flight need one more round after it.
    var needsAnotherRound = false
    /// Reads waiting for their round and their read index, in arrival order.
    var waiting: [WaitingRead] = []
    /// The highest chosen frontier broadcast to followers.
    var noticeSentThrough: Slot = .zero
    /// The first round that may ground a lease (`Replica+Lease.swift`): rounds started before
    /// the latest membership change do not.
    var leaseFromRound: UInt64 = 1
    /// When the newest round started, so that with leases one starts every heartbeat interval.
    var lastRoundStartedAt: UInt64 = 0
}

struct WaitingRead: Sendable {
    var id: ReadID
    var round: UInt64
    var readIndex: Slot
}

extension Replica {
    /// - Parameter leased: the shell holds a lease on `leaseBasis` (`Replica+Lease.swift`): the
    ///   read needs no round, only the applied slot reaching its read index. Ignored when we
    ///   have no lease basis (the shell's view was older than this step).
    mutating func onRead(_ id: ReadID, leased: Bool = false) {
        guard case .leader(var state) = roleState else {
            outbox.append(.reply(.readRejected(id, .notLeader(leader: leaderHint))))
            return
        }
        guard state.reads.waiting.count < configuration.maxPendingReads else {
            outbox.append(.reply(.readRejected(id, .overloaded)))
            return
        }
        let readIndex = max(chosenThrough, state.recoveredThrough)
        if leased, let basis = leaseBasis {
            state.reads.waiting.append(WaitingRead(id: id, round: basis.round, readIndex: readIndex))
            roleState = .leader(state)
            return
        }
        let roundInFlight = state.reads.round > state.reads.confirmed
        // Either way the read needs the next round: the one in flight started before it arrived.
        if roundInFlight { state.reads.needsAnotherRound = true }
        state.reads.waiting.append(WaitingRead(id: id, round: state.reads.round + 1, readIndex: readIndex))
        roleState = .leader(state)
        if !roundInFlight { startReadRound() }
    }

    mutating func startReadRound() {
        guard case .leader(var state) = roleState else { return }
        state.reads.round += 1
        state.reads.acks = []
        state.reads.needsAnotherRound = false
        state.reads.lastRoundStartedAt = now
        roleState = .leader(state)
        if isWindowQuorum(selfInQuorum) { confirmReadRound() } else { sendHeartbeats() }
    }

    mutating func onHeartbeatAck(from peer: Member, ballot: Ballot, readRound: UInt64) {
        guard case .leader(var state) = roleState, state.ballot == ballot else { return }
        state.lastHeard[peer] = now
        guard readRound == state.reads.round, readRound > state.reads.confirmed else {
            roleState = .leader(state)
            return
        }
        state.reads.acks.insert(peer)
        roleState = .leader(state)
        if isWindowQuorum(state.reads.acks.union(selfInQuorum)) { confirmReadRound() }
    }

    /// The window moves as memberships stop governing: the acknowledgements a round in flight
    /// has may now be a quorum of it, or we alone may be (a sole voter has no peer to ask, so no
    /// acknowledgement would ever come). Checked every leader tick.
    mutating func confirmReadRoundIfQuorumAlready() {
        guard case .leader(let state) = roleState, state.reads.round > state.reads.confirmed,
              isWindowQuorum(state.reads.acks.union(selfInQuorum)) else { return }
        confirmReadRound()
    }

    mutating func confirmReadRound() {
        guard case .leader(var state) = roleState else { return }
        state.reads.confirmed = state.reads.round
        let again = state.reads.needsAnotherRound
        roleState = .leader(state)
        if again { startReadRound() }
    }

    /// Answers every read whose round is confirmed and whose read index is applied. Called at
    /// the end of each step, after the step's `.apply` actions, so a shell executing actions in
    /// order serves the read from state that includes them.
    mutating func serveReadyReads() {
        guard case .leader(var state) = roleState, !state.reads.waiting.isEmpty else { return }
        var remaining: [WaitingRead] = []
        for read in state.reads.waiting {
            if read.round <= state.reads.confirmed && read.readIndex <= appliedThrough {
                outbox.append(.reply(.readReady(read.id)))
            } else {
                remaining.append(read)
            }
        }
        state.reads.waiting = remaining
        roleState = .leader(state)
    }

    /// End-of-step housekeeping: a leader whose chosen frontier moved without an accept carrying
    /// it tells followers now rather than at the next heartbeat, so they apply promptly.
    mutating func finishStep() {
        guard case .leader(let state) = roleState, chosenThrough > state.reads.noticeSentThrough else { return }
        sendHeartbeats()
    }
}
