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
    /// The applied state's clock (`meta.log_clock`), as storage last reported it.
    public var logClock: LeaderTime
    /// The earliest deadline of any stored row, passed or not, as storage last reported it;
    /// nil when no row has one (`GroupShell+Time.swift`: background expiry).
    public var nextDeadline: LeaderTime?
    /// This replica's wall clock (the leader's stamp source), or nil in untimed runs: a
    /// linearizable read is answered as of `max(logClock, wallTime)` (`GroupShell+Time.swift`).
    public var wallTime: LeaderTime?
    /// What the core's lease rests on (`Replica.leaseBasis`), nil without one.
    public var leaseBasis: LeaseBasis?

    public init(isLeader: Bool, leaderHint: ReplicaID?, leaderLinked: Bool, chosenThrough: Slot, failed: Bool = false,
                logClock: LeaderTime = LeaderTime(rawValue: 0), nextDeadline: LeaderTime? = nil, wallTime: LeaderTime? = nil,
                leaseBasis: LeaseBasis? = nil) {
        self.isLeader = isLeader
        self.leaderHint = leaderHint
        self.leaderLinked = leaderLinked
        self.chosenThrough = chosenThrough
        self.failed = failed
        self.logClock = logClock
        self.nextDeadline = nextDeadline
        self.wallTime = wallTime
        self.leaseBasis = leaseBasis
    }
}
