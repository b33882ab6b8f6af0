public import PaxosCore

/// The knobs of one group's request shell. Times are plain milliseconds of a monotonic clock
/// the caller reads: the shell never reads a clock itself.
public struct ShellSettings: Hashable, Sendable {
    /// This node's replica id.
    public var me: ReplicaID
    /// A request not answered within this is failed (`TIMEOUT` or `NOLEADER`).
    public var requestTimeoutMilliseconds: UInt64
    /// A forward unanswered for this long is sent again (the leader may have changed or died).
    public var rerouteMilliseconds: UInt64
    /// More requests than this in flight are refused with `BUSY`.
    public var maxOutstandingRequests: Int
    /// A deliberate shell bug for the simulator's self-tests; nil in production.
    public var plantedBug: ShellBug?
    /// The leader's lease from a read round's send (`LeaseTiming.leaderMilliseconds`); 0:
    /// leases off, every linearizable read waits for its round.
    public var leaseMilliseconds: UInt64 = 0

    public init(me: ReplicaID, requestTimeoutMilliseconds: UInt64, rerouteMilliseconds: UInt64,
                maxOutstandingRequests: Int, plantedBug: ShellBug? = nil, leaseMilliseconds: UInt64 = 0) {
        self.me = me
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.rerouteMilliseconds = rerouteMilliseconds
        self.maxOutstandingRequests = maxOutstandingRequests
        self.plantedBug = plantedBug
        self.leaseMilliseconds = leaseMilliseconds
    }
}

/// Deliberate request-shell bugs. Each is one the shell once had or could plausibly have; the
/// simulator must catch every one (`paxos-sim --shell-bug`).
public enum ShellBug: String, CaseIterable, Hashable, Sendable {
    /// A write that was proposed or forwarded and then failed is answered `BUSY`/`UNAVAILABLE`
    /// ("certainly not applied") instead of `TIMEOUT`, though it may still be chosen.
    case busyAfterProposal = "busy-after-proposal"
    /// Every routing of a write stamps a fresh origin, so a retry landing long after an earlier
    /// copy was applied is not recognised as expired (`ClientSession`).
    case freshOriginOnRoute = "fresh-origin-on-route"
    /// A forwarded write's reply is taken for any request of the same client, whatever its
    /// sequence: an answer meant for an older write completes a newer one.
    case ignoreSequenceOnApply = "ignore-sequence-on-apply"
    /// Every life of the shell numbers its requests from 1, so the leader's late answer to a
    /// forward from before a restart is taken for a new request with the same number (the
    /// simulator found this in paxosd: a client was told a write had been applied that had not).
    case reuseTokensAfterRestart = "reuse-tokens-after-restart"
    /// The receiving side of a snapshot transfer stages any later chunk of the transfer, not only
    /// the next one (`SnapshotReceiving`), so a chunk lost on the way leaves a hole in a snapshot
    /// that is then installed as complete.
    case snapshotOutOfOrder = "snapshot-out-of-order"
    /// A linearizable read on the leader is answered by the log's clock alone, without the
    /// `expiryDue` rule: a key past its deadline by the leader's clock is still returned until
    /// a clock slot commits, and a later leader whose clock is behind may serve it again.
    case readIgnoresExpiry = "read-ignores-expiry"
    /// The leader's lease never runs out (`LeaderLease`): a leader cut off from the others
    /// serves reads on it until it notices it lost its majority, while another leader, elected
    /// once the grants ran out, chooses writes those reads do not see.
    case leaseNeverExpires = "lease-never-expires"
}
