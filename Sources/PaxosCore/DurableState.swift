/// What a replica finds on disk when it starts: the state it may build itself from.
///
/// The core MUST NOT be given state that was never reported durable, or the durability
/// contract of `Action` means nothing.
public struct DurableState: Hashable, Sendable {
    /// The acceptor's promise, covering every slot.
    public var promised: Ballot
    /// Accepted and chosen entries, in any order.
    public var entries: [LogEntry]
    /// The last slot applied to the state machine (which the shell restores itself).
    public var appliedThrough: Slot
    /// The log is compacted through this slot: rows at or below it are gone and the state
    /// machine (a snapshot) stands for them. Entries at or below it are ignored.
    /// - Invariant: `snapshotThrough <= appliedThrough`.
    public var snapshotThrough: Slot
    /// Every membership chosen through `appliedThrough` (and the first one), ordered by the
    /// slot each starts to govern. Empty: the configuration's `members` at `Incarnation.initial`.
    public var memberships: [ScheduledMembership]

    public init(promised: Ballot = .zero, entries: [LogEntry] = [], appliedThrough: Slot = .zero, snapshotThrough: Slot = .zero,
                memberships: [ScheduledMembership] = []) {
        self.promised = promised
        self.entries = entries
        self.appliedThrough = appliedThrough
        self.snapshotThrough = snapshotThrough
        self.memberships = memberships
    }

    /// A replica that has never run.
    public static let empty = DurableState()

    /// Checks that every ballot and slot is within the ranges a replica works in
    /// (`Ballot.maxRound`, `Slot.max`). A replica never writes anything beyond them, so state
    /// that fails was damaged on disk, written by a build without these bounds that took in a
    /// forged message, or written by an attacker; starting from it would crash (no ballot above
    /// the promise exists) or trust it. The shell MUST refuse to start and say so.
    public func validate() throws(DurableStateError) {
        if !promised.isInRange { throw DurableStateError(.promisedBallot(promised)) }
        for entry in entries {
            if !entry.slot.isInRange { throw DurableStateError(.slot(entry.slot)) }
            if !entry.ballot.isInRange { throw DurableStateError(.acceptedBallot(entry.ballot, slot: entry.slot)) }
        }
        if !appliedThrough.isInRange { throw DurableStateError(.slot(appliedThrough)) }
        if !snapshotThrough.isInRange { throw DurableStateError(.slot(snapshotThrough)) }
        for (index, scheduled) in memberships.enumerated() {
            if !scheduled.fromSlot.isInRange { throw DurableStateError(.slot(scheduled.fromSlot)) }
            do { try scheduled.membership.validate() } catch { throw DurableStateError(.membership(error.description)) }
            if index > 0, memberships[index - 1].fromSlot >= scheduled.fromSlot {
                throw DurableStateError(.membership("memberships are not ordered by the slot they govern from"))
            }
        }
    }
}

/// Durable state a replica must not start from (see `DurableState.validate()`).
public struct DurableStateError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case promisedBallot(Ballot)
        case acceptedBallot(Ballot, slot: Slot)
        case slot(Slot)
        case membership(String)
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    public var description: String {
        let what: String
        switch code {
        case .promisedBallot(let ballot):
            what = "the database holds promised ballot \(ballot), above the maximum round \(Ballot.maxRound)"
        case .acceptedBallot(let ballot, let slot):
            what = "the database holds slot \(slot) accepted in ballot \(ballot), above the maximum round \(Ballot.maxRound)"
        case .slot(let slot):
            what = "the database holds slot \(slot), above the maximum slot \(Slot.max)"
        case .membership(let reason):
            what = "the database holds an invalid membership (\(reason))"
        }
        return what + "; no replica writes that, so this database is damaged or was written by a faulty or hostile peer "
            + "(a build without these bounds stored what it was sent); restore it (paxosd --restore <backup>) "
            + "or replace the node (move its database away and let it catch up from its peers)"
    }
}
