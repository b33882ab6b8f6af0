/// A Paxos ballot: a round number made unique by the replica that owns it.
///
/// Ballots are ordered lexicographically by `(round, replica)`, so two replicas can never
/// run phase 1 with the same ballot. `Ballot.zero` is below every ballot a replica can own
/// (replica ids start at 1) and is what a fresh acceptor has promised.
public struct Ballot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var round: UInt64
    public var replica: ReplicaID

    public init(round: UInt64, replica: ReplicaID) {
        self.round = round
        self.replica = replica
    }

    public static let zero = Ballot(round: 0, replica: ReplicaID(0))

    /// No ballot has a higher round. 2^62 leaves rounds for an election every nanosecond for
    /// 146 years, and keeps `successor` far from `UInt64.max`: a replica refuses every peer
    /// message that carries a higher round and refuses to start from a database that holds one,
    /// so a forged round near 2^64 can neither overflow the next election nor be stored.
    public static let maxRound: UInt64 = 1 << 62

    /// Whether the round is at most `maxRound`, the only ballots a replica takes in.
    public var isInRange: Bool { round <= Ballot.maxRound }

    /// Whether `successor(ownedBy:)` exists: false only at `maxRound`, which no honest cluster
    /// reaches.
    public var hasSuccessor: Bool { round < Ballot.maxRound }

    public static func < (lhs: Ballot, rhs: Ballot) -> Bool {
        (lhs.round, lhs.replica.rawValue) < (rhs.round, rhs.replica.rawValue)
    }

    /// The smallest ballot owned by `replica` that is above `self`.
    /// - Precondition: `hasSuccessor`, so the round cannot overflow and the result is in range.
    public func successor(ownedBy replica: ReplicaID) -> Ballot {
        precondition(hasSuccessor, "ballot \(self) has no successor: round \(round) is not below the maximum \(Ballot.maxRound)")
        return Ballot(round: round + 1, replica: replica)
    }

    /// Printed as `round.replica`, e.g. `7.2`.
    public var description: String { "\(round).\(replica.rawValue)" }
}
