public import PaxosCore

/// What the shell asks its interpreter (paxosd's `GroupNode`, or the simulator) to do, in order.
public enum ShellEffect: Hashable, Sendable {
    /// Step the core with `.propose(requests, time:)`; `time` is the leader's stamp, nil in
    /// untimed runs (`GroupShell+Time.swift`).
    case propose([ClientRequest], time: LeaderTime? = nil)
    /// Step the core with `.read(id, leased:)`: a linearizable read this leader serves, on its
    /// lease if `leased` (`LeaderLease`).
    case read(ReadID, leased: Bool = false)
    /// Answer `query` from the applied state, queued behind every apply already submitted, and
    /// hand the result back with `GroupShell.readAnswer(token:_:)` (`ReadQuery.read(from:at:)`;
    /// `readTime` nil: by the log's clock alone, as stale reads are).
    case readState(ReadQuery, token: UInt64, readTime: LeaderTime? = nil)
    /// Send a request to the leader; its answer comes back with `forwardReplyReceived`.
    case forward(to: ReplicaID, id: UInt64, ForwardedRequest)
    /// Answer a peer that forwarded a request to us.
    case forwardReply(to: ReplicaID, id: UInt64, ForwardedOutcome)
    /// Answer the local client waiting on `token` (the token `submit` returned).
    case answer(token: UInt64, RequestOutcome)
    /// Call `GroupShell.flushProposals()` once the current burst of events is handled, so the
    /// writes routed meanwhile share one proposal (and usually one slot).
    case scheduleProposalFlush
}
