/// A client request passed from a follower to the leader (`PeerFrame.forward` carries it; the
/// request shell, `GroupShell`, decides when). A written request keeps its `origin` unchanged
/// however often it is forwarded (`ClientSession`).
public enum ForwardedRequest: Hashable, Sendable {
    case write(ClientRequest)
    case read(key: Bytes)
}

/// The leader's answer to a forwarded request.
public enum ForwardedOutcome: Hashable, Sendable {
    case applied(OperationResult)
    case value(Bytes?)
    /// The receiver does not lead; its hint, if it has one.
    case notLeader(ReplicaID?)
    /// Refused before it was proposed: certainly not applied by this forward.
    case overloaded
    /// Failed on the leader; the forwarder routes it again.
    case unavailable
}
