public import PaxosCore

/// A client request the node is responsible for answering, from a local connection or a peer.
public struct TrackedRequest: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case write(ClientRequest)
        /// A linearizable read of one group's keys, served by the leader in one read round.
        case read(ReadQuery)
        /// A stale read, served from this node's applied state and never routed.
        case localRead(ReadQuery)
    }
    public enum Origin: Hashable, Sendable {
        /// A client connection of this node; answered with `ShellEffect.answer`.
        case local
        /// A peer that forwarded it; answered with `ShellEffect.forwardReply`.
        case peer(ReplicaID, forwardID: UInt64)
    }
    public var kind: Kind
    public var origin: Origin
    /// When it fails if still unanswered, in the caller's milliseconds.
    public let deadline: UInt64
    /// Where it was last sent: ourselves as leader, a peer, or nowhere yet (no leader known).
    public var routedTo: ReplicaID?
    public var routedAt: UInt64?
    /// How often it was proposed (to our own core) or forwarded. A write routed even once may
    /// be chosen later, whatever happens to this node or this attempt.
    public var routings = 0
}
