/// Everything that can happen to a replica. The shell turns events into inputs and feeds them
/// to `Replica.step(_:)` one at a time.
public enum Input: Hashable, Sendable {
    /// One unit of logical time passed. The shell decides how long a tick is.
    case tick
    /// A peer's message arrived.
    case message(from: ReplicaID, Message)
    /// Client writes to order. A shell should pass everything it read in one go, so they can
    /// share a slot. `time` is the leader shell's clock reading (Unix ms, never decreasing in
    /// one shell): once a leader was given one, it cuts `Command.timedBatch`es stamped with the
    /// largest time given so far. An empty proposal with a time asks for a clock slot (one
    /// empty timed batch) unless requests are pending anyway. Nil: untimed `.batch`es.
    case propose([ClientRequest], time: LeaderTime? = nil)
    /// A client wants a linearizable read. `leased`: the shell holds a lease on the replica's
    /// `leaseBasis`, so the read needs no heartbeat round (`Replica+Lease.swift`).
    case read(ReadID, leased: Bool = false)
    /// Every `PersistRecord` with an id ≤ this one is durable.
    case persisted(upTo: PersistID)
    /// The shell's retention policy: log entries at or below `through` may be forgotten (the
    /// core clamps it to its applied slot). The shell deletes the stored rows itself, in the
    /// background; nothing here needs to be durable, since a restart simply keeps more.
    case compact(through: Slot)
    /// A complete snapshot (KV table, client sessions and memberships as of applied slot
    /// `slot`), received from a peer and verified, is staged in the shell and may be installed.
    /// `memberships` are the snapshot's (empty: unchanged, for tests without reconfiguration).
    case snapshotReceived(slot: Slot, memberships: [ScheduledMembership] = [])
    /// An operator asks for a membership change (see `Membership`). Only the leader proposes
    /// it; the answer is a `ClientReply.membershipChangeProposed` or `…Refused`, and the change
    /// is done when the shell applies the proposed slot with that membership.
    case changeMembership(MembershipChange)
    /// The cluster's first memberships, recorded durably by the shell at genesis (or adopted
    /// from a peer by a node with a new database). Replaces the bootstrap membership the
    /// replica was built with; ignored by a replica built from recorded memberships (the log
    /// decides from then on).
    case adoptGenesis([ScheduledMembership])
}
