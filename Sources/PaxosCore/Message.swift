/// Everything replicas say to each other. The wire codec (PaxosWire) encodes these; the core
/// never sees bytes.
///
/// Message names follow the classic roles: `prepare`/`promise` are phase 1, `accept`/`accepted`
/// phase 2, `heartbeat` carries the chosen frontier and confirms leadership for reads,
/// `catchUp*` lets a learner fetch chosen commands it lacks.
///
/// Every answer that counts towards a quorum (`prePromise`, `promise`, `accepted`,
/// `heartbeatAck`) carries the sender's `Incarnation`: only a voter of the slot's membership with
/// that incarnation is counted (see `Membership`), so a replica that lost its disk cannot vote
/// with forgotten promises.
public enum Message: Hashable, Sendable {
    /// Pre-prepare (Raft's pre-vote, §9.6 of Ongaro's thesis): "would you promise `ballot` for
    /// every slot ≥ `fromSlot` if I prepared it now?" Neither side raises or persists anything;
    /// see `Replica+PrePrepare.swift`.
    case prePrepare(ballot: Ballot, fromSlot: Slot)
    /// The answer to a pre-prepare for `ballot` (the asker's). `granted` is false while the
    /// sender hears a live leader (or could not report the slots the asker's phase 1 needs);
    /// `promised` is the sender's current promise, so the asker's real ballot goes above it.
    case prePromise(ballot: Ballot, granted: Bool, promised: Ballot, incarnation: Incarnation = .initial)
    /// Phase 1a: "promise me `ballot` for every slot ≥ `fromSlot`".
    case prepare(ballot: Ballot, fromSlot: Slot)
    /// Phase 1b: the acceptor promised `ballot` and reports every entry it holds at or above
    /// the requested slot. Sent only after the promise is durable. `compactedThrough` is the
    /// acceptor's snapshot slot: it no longer holds entries at or below it, so a candidate
    /// whose phase 1 starts at or below it cannot recover those slots from this promise.
    case promise(ballot: Ballot, entries: [LogEntry], compactedThrough: Slot, incarnation: Incarnation = .initial)
    /// Phase 2a for many slots at once, plus the leader's chosen frontier.
    case accept(ballot: Ballot, entries: [AcceptEntry], chosenThrough: Slot)
    /// Phase 2b: the acceptor accepted these slots in `ballot`. Sent only after they are durable.
    case accepted(ballot: Ballot, slots: [Slot], incarnation: Incarnation = .initial)
    /// A refusal: the sender has promised `promised`, which is above the `ballot` it was asked for.
    case reject(ballot: Ballot, promised: Ballot)
    /// The leader is alive; everything up to `chosenThrough` is chosen. `readRound` lets a
    /// majority of acknowledgements confirm leadership for the reads waiting on that round.
    case heartbeat(ballot: Ballot, chosenThrough: Slot, readRound: UInt64)
    /// The acceptor has promised nothing above `ballot`.
    case heartbeatAck(ballot: Ballot, readRound: UInt64, incarnation: Incarnation = .initial)
    /// "Send me the chosen commands for slots `from...through`."
    case catchUpRequest(from: Slot, through: Slot)
    /// Chosen commands the sender holds in the requested range (possibly fewer than asked).
    case catchUpReply(entries: [ChosenEntry])
    /// The leader in `ballot` is leaving the voters (a membership removed it): followers stop
    /// treating it as live, and `successor` runs phase 1 at once instead of after an election
    /// timeout. Moves liveness only: what phase 1 needs is unchanged.
    case handOver(ballot: Ballot, successor: ReplicaID)
}

/// One slot of a phase 2a message.
public struct AcceptEntry: Hashable, Sendable {
    public var slot: Slot
    public var command: Command

    public init(slot: Slot, command: Command) {
        self.slot = slot
        self.command = command
    }
}

/// A slot whose command is known to be chosen.
public struct ChosenEntry: Hashable, Sendable {
    public var slot: Slot
    public var command: Command

    public init(slot: Slot, command: Command) {
        self.slot = slot
        self.command = command
    }
}

extension Message {
    /// A short, low-cardinality name for logs and metrics.
    public var kind: String {
        switch self {
        case .prePrepare: "pre_prepare"
        case .prePromise: "pre_promise"
        case .prepare: "prepare"
        case .promise: "promise"
        case .accept: "accept"
        case .accepted: "accepted"
        case .reject: "reject"
        case .heartbeat: "heartbeat"
        case .heartbeatAck: "heartbeat_ack"
        case .catchUpRequest: "catch_up_request"
        case .catchUpReply: "catch_up_reply"
        case .handOver: "hand_over"
        }
    }
}
