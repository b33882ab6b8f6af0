/// A peer message the replica refused because it contradicts the protocol or this replica's
/// state: out-of-range numbers, a ballot the sender may not use, an answer nobody asked for.
///
/// Paxos survives lost, late, duplicated and reordered messages, and those are dropped without a
/// refusal (a vote for an old ballot, say). A refusal is something an honest peer never sends, so
/// it points at a bug, an old build or an attacker, and the shell counts and logs each one
/// (`Action.countRefusal`).
public struct PeerMessageRefusal: Hashable, Sendable, CustomStringConvertible {
    /// Who sent the message (as authenticated by the shell).
    public var peer: ReplicaID
    /// `Message.kind` of the refused message.
    public var kind: String
    public var reason: RefusalReason

    public init(peer: ReplicaID, kind: String, reason: RefusalReason) {
        self.peer = peer
        self.kind = kind
        self.reason = reason
    }

    public var description: String { "\(kind) from replica \(peer): \(reason.rawValue)" }
}

/// Why a peer message was refused. A closed, low-cardinality set: the raw values are metric
/// dimension values and log fields.
public enum RefusalReason: String, Hashable, Sendable, CaseIterable {
    /// The sender is not a member of the cluster, or is this replica.
    case notAMember = "not_a_member"
    /// A ballot's round is above `Ballot.maxRound`.
    case ballotOutOfRange = "ballot_out_of_range"
    /// A slot or chosen frontier is above `Slot.max` (or a slot is zero).
    case slotOutOfRange = "slot_out_of_range"
    /// A proposer message (prepare, accept, heartbeat) in a ballot the sender does not own.
    case ballotNotOwnedBySender = "ballot_not_owned_by_sender"
    /// An answer (promise, accepted, heartbeat ack, reject) to a ballot this replica does not own.
    case ballotNotOurs = "ballot_not_ours"
    /// A promise reports an entry accepted in a ballot above the promise itself, or a reject
    /// names a promise by a replica that is not a member.
    case inconsistentBallots = "inconsistent_ballots"
    /// A catch-up reply with no request outstanding, or from a peer other than the one asked.
    case catchUpNotAsked = "catch_up_not_asked"
    /// A catch-up reply carrying a slot outside the range asked.
    case catchUpOutsideRequest = "catch_up_outside_request"
    /// A snapshot transfer this replica did not ask for (no recent catch-up request to the
    /// sender). Judged by the shell, with `Replica.reasonToRefuseSnapshot(from:slot:)`.
    case snapshotNotAsked = "snapshot_not_asked"
}
