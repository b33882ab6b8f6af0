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

    public static func < (lhs: Ballot, rhs: Ballot) -> Bool {
        (lhs.round, lhs.replica.rawValue) < (rhs.round, rhs.replica.rawValue)
    }

    /// The smallest ballot owned by `replica` that is above `self`.
    public func successor(ownedBy replica: ReplicaID) -> Ballot {
        Ballot(round: round + 1, replica: replica)
    }

    /// Printed as `round.replica`, e.g. `7.2`.
    public var description: String { "\(round).\(replica.rawValue)" }
}
