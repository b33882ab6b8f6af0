/// A client request passed from a follower to the leader (`PeerFrame.forward` carries it; the
/// request shell, `GroupShell`, decides when). A written request keeps its `origin` unchanged
/// however often it is forwarded (`ClientSession`).
public enum ForwardedRequest: Hashable, Sendable {
    case write(ClientRequest)
    /// A linearizable read of one group's keys (GET is a one-key value query).
    case query(ReadQuery)
}

/// The leader's answer to a forwarded request.
public enum ForwardedOutcome: Hashable, Sendable {
    case applied(OperationResult)
    /// The answer to a `query`.
    case answer(ReadAnswer)
    /// The receiver does not lead; its hint, if it has one.
    case notLeader(ReplicaID?)
    /// Refused before it was proposed: certainly not applied by this forward.
    case overloaded
    /// Failed on the leader; the forwarder routes it again.
    case unavailable
}
