public import Logging

/// One PaxosKV replica: acceptor, proposer and learner of leader-based Multi-Paxos, as a pure
/// value driven by `step(_:)`.
///
/// ## Protocol
/// Classic Multi-Paxos with a distinguished proposer (Lamport, "Paxos Made Simple" §3;
/// van Renesse & Altinbuken, "Paxos Made Moderately Complex"):
/// - One `promised` ballot covers every slot. A replica that stops hearing from a leader runs
///   phase 1 once, for every slot from its first unchosen one, recovers the highest-ballot
///   value reported for each slot, fills holes with no-ops, and then runs **phase 2 only** for
///   each new slot until some acceptor rejects its ballot.
/// - A slot holds a batch of client requests; one accept carries many slots; at most
///   `maxInflightSlots` slots are unchosen at once.
/// - The leader learns a slot is chosen when a majority (itself included) accepted it in its
///   ballot, and announces its contiguous chosen frontier on accepts and heartbeats. A follower
///   marks a slot chosen only if the ballot it accepted there equals the announcing leader's
///   ballot; otherwise it asks a peer for the chosen command (catch-up).
/// - Linearizable reads use a heartbeat round acknowledged by a majority after the read arrived
///   (the "read index" technique of Raft §6.4), so reads never enter the log.
///
/// ## Deviations and why
/// - A replica whose election timeout fires first runs a pre-prepare round (Raft's pre-vote):
///   it raises its ballot only if a majority has not heard from a leader within the election
///   timeout, so a replica that was cut off never raises its ballot and cannot depose a
///   healthy leader when it returns (`Replica+PrePrepare.swift`).
/// - Followers (and a leader that still hears from a majority) ignore prepares while they hear
///   from a leader, as Raft §6 does with votes. Safety does not depend on it.
/// - A leader keeps leading through rejects with a higher ballot while a majority can still
///   accept its ballot (`onReject`); a ballot that never won a majority of promises does not
///   depose it. Safety does not depend on who believes it leads: a slot is chosen only by a
///   majority of votes in one ballot.
/// - A leader steps down when it has not heard from a majority for an election timeout, so a
///   cut-off leader stops accepting work it can never finish.
/// - Election timeouts grow exponentially (up to `electionBackoffMax`) after failed elections,
///   so two candidates cannot duel forever.
///
/// ## Purity
/// No I/O, clocks or global randomness: time is `.tick` inputs, randomness a `SeededGenerator`
/// given at init, and every effect an `Action` (see its durability contract).
public struct Replica: Sendable {
    public let configuration: ReplicaConfiguration
    var logger: Logger
    var random: SeededGenerator

    // MARK: Membership
    /// The memberships that govern slots from our chosen frontier on, ordered by the slot each
    /// starts to govern (`Replica+Membership.swift`).
    /// - Invariant: not empty; `fromSlot` strictly increasing; at most one governs no slot above
    ///   `chosenThrough` any more (older ones are pruned).
    public internal(set) var memberships: [ScheduledMembership]
    /// True while the memberships are the bootstrap default, not ones recorded in the database:
    /// the shell's genesis record may still replace them (`Input.adoptGenesis`).
    var genesisPending: Bool

    // MARK: Clock
    /// Ticks seen since this incarnation started.
    var now: UInt64 = 0

    // MARK: Acceptor
    /// - Invariant: every entry's ballot ≤ `promised`.
    public internal(set) var promised: Ballot
    /// Accepted and chosen entries this replica holds above `snapshotThrough`.
    /// - Invariant: no entry at or below `snapshotThrough`.
    var log: [Slot: LogEntry] = [:]
    /// The log is compacted through this slot: the applied state stands for everything at or
    /// below it, and a peer that needs those slots gets a snapshot instead (`sendSnapshot`).
    /// - Invariant: `snapshotThrough <= appliedThrough`.
    public internal(set) var snapshotThrough: Slot
    /// When we last asked the shell to send each peer a snapshot, so a peer's repeated
    /// catch-up requests do not start a transfer per request.
    var snapshotSentAt: [ReplicaID: UInt64] = [:]

    /// The lease this acceptor granted, with leases on (`Replica+Lease.swift`).
    public internal(set) var leaseGrant: LeaseGrant?

    // MARK: Learner
    /// - Invariant: `appliedThrough <= chosenThrough`, and every slot in
    ///   `appliedThrough+1 ... chosenThrough` has a chosen entry in `log`.
    public internal(set) var chosenThrough: Slot
    /// The last slot emitted as `.apply`.
    public internal(set) var appliedThrough: Slot
    /// The latest request for missing chosen commands, if we still lack what it asked for.
    var catchUp: CatchUpRequest?
    /// What we asked each peer for. A catch-up reply is taken in only from a peer with slots
    /// outstanding, and only for those slots (`reasonToRefuseCatchUpReply`); a snapshot only
    /// from a peer asked recently (a peer asked for compacted slots answers with one).
    /// Several peers may have requests outstanding at once: a retry goes to the next peer
    /// while the last one's reply may still be on its way.
    /// - Invariant: at most one entry per peer.
    var catchUpAsks: [ReplicaID: CatchUpAsk] = [:]
    /// Catch-up requests that went unanswered, to rotate over peers.
    var catchUpRetries: UInt64 = 0

    // MARK: Roles
    var roleState: RoleState = .follower
    /// Who we believe leads, for redirecting clients.
    public internal(set) var leaderHint: ReplicaID?
    /// The highest ballot seen in any message, so the next election starts above it.
    var highestBallotSeen: Ballot
    /// Tick of the last message from a leader whose ballot we accept.
    var lastLeaderContact: UInt64 = 0
    var electionDeadline: UInt64 = 0
    /// The pre-prepare round we run since our election timeout fired (`Replica+PrePrepare`).
    /// - Invariant: nil unless we are a follower.
    var prePrepare: PrePrepareRound?
    var failedElections: UInt64 = 0
    /// The highest chosen frontier a leader announced to us, to tell whether we are caught up.
    var leaderChosenThrough: Slot = .zero
    /// Since when the preferred replica has been a healthy follower of another leader.
    var takeoverHealthySince: UInt64?
    /// Takeovers started since we last led; each doubles the wait before the next.
    var takeoverAttempts: UInt64 = 0

    // MARK: Durability
    var nextPersistID = PersistID(1)
    /// - Invariant: `durableThrough < nextPersistID`.
    var durableThrough = PersistID(0)
    /// Outputs that reveal acceptor state, held until the record they depend on is durable.
    /// - Invariant: ordered by `after`; every `after` < `nextPersistID`.
    var deferred: [(after: PersistID, output: DeferredOutput)] = []

    /// The actions of the step in progress.
    var outbox: [Action] = []

    /// Builds a replica from what the shell found on disk.
    /// - Precondition: `configuration.validate()` and `durable.validate()` pass (a shell
    ///   refuses to start from state that fails, with the error's explanation).
    public init(configuration: ReplicaConfiguration, durable: DurableState, random: SeededGenerator, logger: Logger) {
        do { try configuration.validate() } catch { preconditionFailure("invalid replica configuration: \(error)") }
        do { try durable.validate() } catch { preconditionFailure("replica \(configuration.id): \(error)") }
        self.configuration = configuration
        self.random = random
        self.logger = logger
        self.logger[metadataKey: "paxos.replica"] = "\(configuration.id)"
        self.genesisPending = durable.memberships.isEmpty
        // Without a first membership from slot 1 (a database that voted before memberships were
        // recorded, then applied a change), the bootstrap members at the initial incarnation are
        // what governed the first slots: exactly what such a database voted as.
        let bootstrap = ScheduledMembership(fromSlot: Slot(1), membership: .initial(configuration.members))
        if let first = durable.memberships.first, first.fromSlot > Slot(1) {
            self.memberships = [bootstrap] + durable.memberships
        } else {
            self.memberships = durable.memberships.isEmpty ? [bootstrap] : durable.memberships
        }
        self.promised = durable.promised
        self.highestBallotSeen = durable.promised
        let snapshot = min(durable.snapshotThrough, durable.appliedThrough)
        for entry in durable.entries where entry.slot > snapshot && (entry.slot > durable.appliedThrough || entry.chosen) {
            log[entry.slot] = entry
        }
        self.snapshotThrough = snapshot
        self.appliedThrough = durable.appliedThrough
        self.chosenThrough = durable.appliedThrough
        advanceChosenFrontier()
        resetElectionDeadline()
        // A restart forgets the grants we gave: refuse everyone for a whole lease.
        if configuration.leaseTicks > 0 { leaseGrant = LeaseGrant(ballot: nil, until: configuration.leaseTicks) }
    }

    /// Feeds one input and returns what the shell must do, in order.
    public mutating func step(_ input: Input) -> [Action] {
        precondition(outbox.isEmpty, "step re-entered")
        switch input {
        case .tick: onTick()
        case .message(let from, let message): onMessage(from: from, message)
        case .propose(let requests, let time): onPropose(requests, time: time)
        case .read(let id, let leased): onRead(id, leased: leased)
        case .persisted(let upTo): onPersisted(upTo: upTo)
        case .compact(let through): onCompact(through: through)
        case .snapshotReceived(let slot, let memberships): onSnapshotReceived(slot: slot, memberships: memberships)
        case .changeMembership(let change): onChangeMembership(change)
        case .adoptGenesis(let genesis): onAdoptGenesis(genesis)
        }
        applyChosen()
        serveReadyReads()
        finishStep()
        defer { outbox = [] }
        return outbox
    }

    mutating func send(_ message: Message, to peer: ReplicaID) {
        outbox.append(.send(to: peer, message))
    }

    mutating func broadcast(_ message: Message) {
        for peer in peers { send(message, to: peer) }
    }

    var isLeader: Bool { if case .leader = roleState { true } else { false } }

    /// The ballot this replica proposes in, if it is a candidate or leader.
    var ownBallot: Ballot? {
        switch roleState {
        case .follower: nil
        case .candidate(let state): state.ballot
        case .leader(let state): state.ballot
        }
    }

    /// Metadata for log lines about this replica (STYLE.md §9).
    public var metadata: Logger.Metadata {
        [
            "paxos.replica": "\(configuration.id)",
            "paxos.role": "\(role)",
            "paxos.ballot": "\(ownBallot ?? promised)",
            "paxos.slot": "\(chosenThrough)",
            "paxos.epoch": "\(memberships[memberships.count - 1].membership.epoch)",
        ]
    }

    /// What this replica is doing now; the internal `roleState` carries each role's working state.
    public var role: Role {
        switch roleState {
        case .follower: .follower
        case .candidate: .candidate
        case .leader: .leader
        }
    }
}

/// Our latest catch-up request, for retries.
struct CatchUpRequest: Sendable {
    var askedAt: UInt64
    /// The frontier we want to reach; may lie beyond what the request asked for (one request
    /// asks for at most `catchUpRepliesPerRequest` messages' worth, and the next is sent when they
    /// have all landed).
    var through: Slot
    /// Asked before an election with no leader heard (`probeChosenSlots`), not because a leader
    /// announced slots we lack; dropped once we follow a leader.
    var isProbe = false
}

/// What we asked one peer for.
struct CatchUpAsk: Sendable {
    var askedAt: UInt64
    /// The slots asked of the peer that we still lack: the span of every request to it since
    /// our chosen frontier last passed what we asked, so a late reply to an earlier request, or
    /// a second reply from a peer that has learned more since, is still taken. Nil once our
    /// chosen frontier passed it: a request is outstanding until we know what it asked for.
    var outstanding: ClosedRange<Slot>?
}

/// What a replica is doing about leadership.
enum RoleState: Sendable {
    case follower
    case candidate(CandidateState)
    case leader(LeaderState)
}

/// Something that may only happen once a persist record is durable.
enum DeferredOutput: Sendable {
    /// An acceptor reply to a peer.
    case send(to: ReplicaID, Message)
    /// Our own promise, counted by our own candidacy.
    case selfPromise(ballot: Ballot, entries: [LogEntry])
    /// Our own vote, counted by our own leadership.
    case selfAccepted(ballot: Ballot, slots: [Slot])
}
