/// Static settings of one replica: who is in the cluster, how time is measured and the bounds
/// on every queue. Time is in ticks; the shell decides how long a tick is (paxosd: 10 ms).
public struct ReplicaConfiguration: Hashable, Sendable {
    /// This replica.
    public var id: ReplicaID
    /// The incarnation of this replica's database (see `Membership`): drawn at random when
    /// the database is created, so a replica that lost its disk is a new acceptor.
    public var incarnation: Incarnation = .initial
    /// The first membership's voters, all at `Incarnation.initial`, when the durable state
    /// carries no membership (tests and the simulator's first boot). A shell with a database
    /// passes the memberships it stored instead (`DurableState.memberships`).
    /// - Invariant: unique ids.
    public var members: [ReplicaID]

    /// How often a leader sends heartbeats (and retransmits stale accepts).
    public var heartbeatIntervalTicks: UInt64 = 5
    /// The shortest election timeout; each timeout is drawn from `[t, 2t)` with the seeded
    /// generator, then multiplied by the back-off factor after failed elections.
    public var electionTimeoutTicks: UInt64 = 30
    /// Cap on the election back-off multiplier (1, 2, 4, … up to this).
    public var electionBackoffMax: UInt64 = 8
    /// An unanswered accept, prepare or catch-up request is sent again after this long.
    public var retransmitTicks: UInt64 = 10
    /// A peer that keeps asking for compacted slots gets a new snapshot at most this often
    /// (a transfer of a large table takes a while; the shell also skips one already running).
    public var snapshotRetryTicks: UInt64 = 200

    /// The replica that should lead, if any (several groups per node spread their leaders this
    /// way; see `GroupMap`). Elections stay open to everyone, so the group survives the loss of
    /// its preferred leader; the preferred replica takes the lead back once it has followed a
    /// live leader, fully caught up, for `takeoverTicks`, and prepares it sends are never
    /// ignored as disruptive (see `Replica+Preference.swift`). `nil`: no preference.
    public var preferredLeader: ReplicaID?
    /// How long the preferred replica must be healthy (hearing the leader, caught up) before it
    /// takes over; doubled after each takeover that did not make it leader, up to 32 times.
    public var takeoverTicks: UInt64 = 100

    /// Leader leases (`Replica+Lease.swift`): how long an acknowledgement of a heartbeat binds
    /// the acceptor to refuse other replicas' ballots. 0: no leases (every linearizable read
    /// waits for a heartbeat round).
    public var leaseTicks: UInt64 = 0

    /// Most slots a leader has proposed but not yet seen chosen (the pipeline window).
    public var maxInflightSlots: Int = 64
    /// Most client requests in one slot's batch.
    public var maxBatchRequests: Int = 512
    /// Most key and value bytes in one slot's batch (a single larger request still gets a slot).
    public var maxBatchBytes: Int = 1 << 20
    /// Most client requests waiting for a slot; more are refused with `.overloaded`.
    public var maxPendingRequests: Int = 20_000
    /// Most reads waiting for a leadership confirmation.
    public var maxPendingReads: Int = 20_000
    /// Most log entries in one accept, promise chunk or catch-up reply.
    public var maxEntriesPerMessage: Int = 128

    /// Deliberate protocol bugs, for proving the simulator's checkers can fail. Never set
    /// outside tests.
    public var _plantedBug: PlantedBug?

    public init(id: ReplicaID, members: [ReplicaID]) {
        self.id = id
        self.members = members
    }

    /// Checks what a shell could get wrong when building a configuration.
    public func validate() throws(ConfigurationError) {
        if Set(members).count != members.count { throw ConfigurationError("duplicate replica ids in \(members)") }
        if members.contains(ReplicaID(0)) { throw ConfigurationError("replica id 0 is reserved") }
        if heartbeatIntervalTicks == 0 || retransmitTicks == 0 {
            throw ConfigurationError("heartbeat and retransmit intervals must be at least one tick")
        }
        if electionTimeoutTicks <= heartbeatIntervalTicks * 2 {
            throw ConfigurationError("election timeout (\(electionTimeoutTicks) ticks) must exceed two heartbeat intervals")
        }
        if preferredLeader != nil, takeoverTicks <= electionTimeoutTicks {
            throw ConfigurationError("takeover delay (\(takeoverTicks) ticks) must exceed the election timeout")
        }
        if leaseTicks > 0, leaseTicks <= heartbeatIntervalTicks || leaseTicks > electionTimeoutTicks {
            throw ConfigurationError("a lease of \(leaseTicks) ticks must exceed the heartbeat interval (\(heartbeatIntervalTicks)) "
                + "and be at most the election timeout (\(electionTimeoutTicks))")
        }
        if maxBatchRequests > Int(UInt16.max) + 1 {
            throw ConfigurationError("a batch of \(maxBatchRequests) requests is too large: revisions number at most 65,536 per slot")
        }
        if maxInflightSlots > Int(Membership.activationDistance / 2) {
            throw ConfigurationError("the pipeline window (\(maxInflightSlots) slots) must be at most \(Membership.activationDistance / 2)")
        }
        if maxInflightSlots < 1 || maxBatchRequests < 1 || maxEntriesPerMessage < 1 || maxPendingRequests < 1 {
            throw ConfigurationError("window, batch, message and queue limits must be at least 1")
        }
    }
}

/// Known-bad protocol variants that the simulator must catch (issue: "prove the checkers can fail").
public enum PlantedBug: Hashable, Sendable {
    /// A new leader ignores the values acceptors report in phase 1 and fills every unchosen slot
    /// with a no-op, overwriting commands that may already be chosen.
    case skipValueRecovery
    /// An acceptor sends promises and votes before they are durable, so a crash can make it
    /// forget a vote that helped choose a command.
    case replyBeforePersist
    /// A candidate ignores that a promising acceptor compacted slots its phase 1 must cover,
    /// and fills what nobody reported with no-ops, over slots that were chosen and compacted.
    case ignoreCompaction
    /// The preferred replica never takes the lead back from another leader, so with several
    /// groups the leaders stay wherever elections left them instead of spreading.
    case skipTakeover
    /// The election of old: no pre-prepare round (a replica whose timeout fires raises its
    /// ballot at once, even when cut off from everyone), and a leader steps down on any reject
    /// carrying a higher ballot. A node that rejoins after a long enough cut deposes a healthy
    /// leader; the simulator's liveness checker must notice the leader change after a heal.
    case stepDownOnAnyReject
    /// A chosen membership governs from the very next slot instead of α slots later, while the
    /// leader's pipeline already holds slots it counted (or will count) under the old one, and
    /// a new leader's phase 1 judges slots by memberships it cannot know yet. Two memberships
    /// without a common voter can then choose different commands for one slot.
    case applyMembershipImmediately
}

public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
