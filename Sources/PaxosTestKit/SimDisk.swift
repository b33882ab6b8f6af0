import PaxosCore

/// A replica's simulated disk. Persist records queue in a volatile buffer and become durable
/// when the simulator flushes them; a crash loses whatever is still buffered, except that a
/// random prefix may have reached the platter without being acknowledged (each record is
/// atomic, like an SQLite transaction, so there are no torn records).
///
/// The applied state machine is modelled as durable at once: the real node applies a slot in
/// one synchronous SQLite transaction, which also records the slot's command as chosen.
struct SimDisk {
    var promised: Ballot = .zero
    var entries: [Slot: LogEntry] = [:]
    var stateMachine: KVStateMachine
    /// Log rows at or below this slot are deleted; the state machine stands for them.
    var snapshotThrough: Slot = .zero
    /// Records issued but not yet durable, in id order.
    var buffered: [PersistRecord] = []
    /// Records reported persisted by a flush that needed no fsync (none of them
    /// `requiresSync`), as paxosd commits learner-only batches: a power loss may still take
    /// them, as a suffix, until a later synced flush hardens them. In id order, before `buffered`.
    var unsynced: [PersistRecord] = []
    /// The newest record an apply made durable before a flush reported it (see `apply`).
    var unreported: PersistID?
    var flushScheduled = false
    /// Every membership chosen through the applied slot, with the first one, as the shell stores
    /// them beside the state machine (`DurableState.memberships`); empty until a configuration
    /// change is applied.
    var memberships: [ScheduledMembership] = []

    init(sessionExpirySlots: UInt64 = ClientSession.expirySlots, plantedBug: StateMachineBug? = nil) {
        var rules = KVRules(sessionExpirySlots: sessionExpirySlots)
        rules.plantedBug = plantedBug
        stateMachine = KVStateMachine(rules: rules)
    }

    mutating func write(_ record: PersistRecord) {
        if let promise = record.promised { promised = promise }
        for entry in record.entries { entries[entry.slot] = entry }
    }

    /// Commits every buffered record, in order. A batch with a record that `requiresSync` is
    /// fsynced, which also hardens every earlier unsynced commit; a batch without one is only
    /// written (see `unsynced`). - Returns: the newest id reported persisted.
    mutating func flush() -> PersistID? {
        guard let newest = buffered.last?.id ?? unreported else { return nil }
        unreported = nil
        if buffered.contains(where: \.requiresSync) {
            for record in unsynced + buffered { write(record) }
            unsynced = []
        } else {
            unsynced += buffered
        }
        buffered = []
        return newest
    }

    /// Records a crash may still lose: unsynced commits, then the buffer.
    var volatileCount: Int { unsynced.count + buffered.count }
    var volatileRecords: [PersistRecord] { unsynced + buffered }

    /// A crash: a prefix of length `survivors` of what was volatile (unsynced commits, then the
    /// buffer) reached the disk, the rest is lost.
    mutating func crash(survivors: Int) {
        for record in (unsynced + buffered).prefix(survivors) { write(record) }
        unsynced = []
        buffered = []
        unreported = nil
        flushScheduled = false
    }

    /// Applies a chosen command and records it chosen, atomically, as the SQLite store does in
    /// one transaction, so a replica always keeps the commands it applied (and can serve them
    /// to a peer catching up).
    ///
    /// The node commits an apply in order after every record issued before it (in the same
    /// transaction or a later one), so an apply that is durable means they are durable too: they
    /// are written first, or a crash could keep the apply and lose an earlier record that the
    /// apply supersedes (an older accepted row over the slot's chosen one). The next flush
    /// reports them persisted.
    /// - Parameter ownClock: the replica's own clock now, which only the planted bug
    ///   `StateMachineBug.clockFromReplica` reads.
    mutating func apply(slot: Slot, command: Command, bootstrap: Membership, activationDistance: UInt64,
                        ownClock: LeaderTime? = nil) -> [(request: ClientRequest, result: OperationResult)] {
        if let membership = command.membership {
            // What the core schedules (`scheduleMembership`), stored in the apply's transaction.
            if memberships.isEmpty { memberships = [ScheduledMembership(fromSlot: Slot(1), membership: bootstrap)] }
            let from = Slot(slot.rawValue + activationDistance)
            let last = memberships[memberships.count - 1]
            if from > last.fromSlot && membership.epoch == last.membership.epoch + 1 {
                memberships.append(ScheduledMembership(fromSlot: from, membership: membership))
            }
        }
        if let newest = buffered.last?.id { unreported = max(unreported ?? newest, newest) }
        for record in unsynced + buffered { write(record) }
        unsynced = []
        buffered = []
        entries[slot] = LogEntry(slot: slot, ballot: entries[slot]?.ballot ?? .zero, command: command, chosen: true)
        let applied = StateMachineBug.command(command, asAppliedBy: stateMachine.rules.plantedBug, ownClock: ownClock)
        return stateMachine.apply(slot: slot, command: applied)
    }

    /// Deletes log rows at or below `through` (never above the applied slot), as the SQLite
    /// store's background compaction does.
    mutating func compact(through requested: Slot) {
        let through = min(requested, stateMachine.appliedThrough)
        guard through > snapshotThrough else { return }
        entries = entries.filter { $0.key > through }
        snapshotThrough = through
    }

    /// Replaces the state machine with a snapshot, atomically, as the SQLite store's install
    /// transaction does (durable at once, like an apply).
    mutating func install(_ snapshot: KVStateMachine, memberships snapshotMemberships: [ScheduledMembership]) {
        stateMachine = snapshot
        if !snapshotMemberships.isEmpty { memberships = snapshotMemberships }
        entries = entries.filter { $0.key > snapshot.appliedThrough }
        snapshotThrough = snapshot.appliedThrough
    }

    var durableState: DurableState {
        DurableState(promised: promised, entries: entries.values.sorted { $0.slot < $1.slot },
                     appliedThrough: stateMachine.appliedThrough, snapshotThrough: snapshotThrough, memberships: memberships)
    }
}
