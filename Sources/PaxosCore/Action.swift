/// What the core asks its shell to do. The shell executes a step's actions **in order**.
///
/// ## Durability contract: persist before send
/// An acceptor never tells anyone about a promise or a vote that could still be lost. The core
/// honours this itself: a `promise` or `accepted` reply is never returned as a `.send` until the
/// shell has reported, with `Input.persisted(upTo:)`, that the `PersistRecord` carrying the
/// state it reveals is durable. The shell therefore MUST report `persisted(upTo: id)` only after
/// every record with an id ≤ `id` is on stable storage (for SQLite: the transaction committed
/// with `synchronous=FULL`), and MUST make records durable in id order. It MAY make several
/// records durable in one transaction (group commit) and report them with one input.
///
/// Messages a proposer sends (`prepare`, `accept`, `heartbeat`) reveal no acceptor state and
/// leave at once, so the leader's own disk write overlaps the network round trip.
public enum Action: Hashable, Sendable {
    /// Make this record durable, then report `.persisted(upTo: record.id)`.
    case persist(PersistRecord)
    /// Send a message to a peer. Delivery is best effort; the protocol retransmits.
    case send(to: ReplicaID, Message)
    /// Apply a chosen command to the state machine. Emitted strictly in slot order, each slot
    /// exactly once per incarnation, starting after the applied slot the replica was built with.
    case apply(slot: Slot, command: Command)
    /// Tell a client something: a read may now be served, or a request was refused.
    case reply(ClientReply)
    /// A peer needs slots this replica has compacted away: stream it a snapshot of the applied
    /// state (KV table and sessions, read in one consistent transaction, at the applied slot
    /// of that moment). Best effort; the peer asks again if it never arrives. A shell ignores
    /// this while a transfer to the same peer is still running.
    case sendSnapshot(to: ReplicaID)
    /// Replace the state machine with the staged snapshot of `slot`, atomically and in order
    /// with the other storage actions: applied slot, chosen frontier (if lower) and snapshot
    /// slot become `slot`, and log rows at or below it go. Applies that follow are above `slot`.
    case installSnapshot(slot: Slot)
    /// A peer message was refused (see `PeerMessageRefusal`): count it in a metric by reason and
    /// log it with the peer and the message kind. Nothing else happened to the replica.
    ///
    /// An action rather than a counter on `Replica` that the shell would diff after each step:
    /// the shell rebuilds its replica after a (simulated) crash, which would reset such a
    /// counter, and a log line needs the peer and the kind of each refusal, not a total.
    case countRefusal(PeerMessageRefusal)
}

/// A monotonically increasing number naming one `PersistRecord` within one incarnation.
public struct PersistID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: PersistID, rhs: PersistID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "p\(rawValue)" }
}

/// A unit of acceptor state to make durable atomically.
///
/// - Invariant: `promised`, when present, is the acceptor's whole promise (it replaces the stored
///   one); each entry replaces the stored row for its slot.
public struct PersistRecord: Hashable, Sendable {
    public var id: PersistID
    public var promised: Ballot?
    public var entries: [LogEntry]

    public init(id: PersistID, promised: Ballot?, entries: [LogEntry]) {
        self.id = id
        self.promised = promised
        self.entries = entries
    }

    /// Whether the record carries acceptor state — a promise or an accepted (not yet chosen)
    /// value — that Paxos needs to survive a power loss. A record of chosen entries only is
    /// learner state: losing it costs a re-learn from a peer, never safety, because the
    /// command is chosen and durable on a majority. A shell MAY commit a batch holding no
    /// record that requires sync without waiting for an fsync (and report it persisted), as
    /// long as it commits records in order, so a later synced commit covers the earlier ones
    /// (SQLite's WAL recovers a prefix of commits). Deferred acceptor replies never depend on
    /// such a record: the state they reveal is in a record that requires sync.
    public var requiresSync: Bool {
        promised != nil || entries.contains { !$0.chosen }
    }
}

/// Answers the core gives about client work. Successful writes are answered by the shell when
/// it applies the request (it knows who waits for `(client, sequence)`), not by the core.
public enum ClientReply: Hashable, Sendable {
    /// Serve this read from the applied state now: leadership was confirmed after the read
    /// arrived and everything chosen before it has been applied.
    case readReady(ReadID)
    case readRejected(ReadID, RejectReason)
    case proposalRejected(ClientRequest, RejectReason)
    /// The leader proposed `membership` for `change` in `slot`. The change is made if the shell
    /// applies `slot` with that very membership (a leader change can put another command there).
    case membershipChangeProposed(MembershipChange, membership: Membership, slot: Slot)
    case membershipChangeRefused(MembershipChange, MembershipRefusal)
}

/// Why a membership change was not proposed.
public enum MembershipRefusal: Hashable, Sendable, CustomStringConvertible {
    case notLeader(leader: ReplicaID?)
    /// Another change is being chosen or has not started to govern yet: one at a time.
    case changeInProgress
    /// The pipeline window is full; retry.
    case overloaded
    /// The change does not apply to the newest membership (the reason says why).
    case invalid(String)

    public var description: String {
        switch self {
        case .notLeader(let leader): "this replica does not lead" + (leader.map { "; replica \($0) does" } ?? "")
        case .changeInProgress: "another membership change is in progress; retry when it is done"
        case .overloaded: "the leader's pipeline is full; retry"
        case .invalid(let reason): reason
        }
    }
}

public enum RejectReason: Hashable, Sendable {
    /// This replica does not lead; `leader` is its best guess of who does.
    case notLeader(leader: ReplicaID?)
    /// The bounded queue of requests waiting for a slot is full; retry later.
    case overloaded
}
