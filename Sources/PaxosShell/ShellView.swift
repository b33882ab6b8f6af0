public import PaxosCore

/// What the shell needs to know of the core and the links at the moment of an input: read by
/// the caller from its `Replica` and peer links, so the shell itself holds no reference.
public struct ShellView: Hashable, Sendable {
    /// This replica leads (`Replica.role == .leader`): writes are proposed to its own core.
    public var isLeader: Bool
    /// Who this replica believes leads, possibly itself.
    public var leaderHint: ReplicaID?
    /// Whether a link to `leaderHint` exists, so a forward can be sent at all.
    public var leaderLinked: Bool
    /// The replica's chosen frontier: a new write's `ClientRequest.origin`.
    public var chosenThrough: Slot
    /// The replica is down (a simulated failure): every request is refused.
    public var failed: Bool

    public init(isLeader: Bool, leaderHint: ReplicaID?, leaderLinked: Bool, chosenThrough: Slot, failed: Bool = false) {
        self.isLeader = isLeader
        self.leaderHint = leaderHint
        self.leaderLinked = leaderLinked
        self.chosenThrough = chosenThrough
        self.failed = failed
    }
}
