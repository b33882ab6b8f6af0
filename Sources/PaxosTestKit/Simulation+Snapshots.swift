import PaxosCore
import PaxosShell

/// The shell's compaction policy and snapshot installs, and the snapshot checker. Transfers
/// are in `Simulation+SnapshotTransfer.swift`.
extension Simulation {
    /// The core's `.installSnapshot(slot:)`, which it emits only within the step that was offered
    /// a complete staged snapshot of `slot`.
    ///
    /// Snapshot checker: what a replica installs must be exactly the state after applying its
    /// group's chosen commands through the snapshot's slot, in order, to an empty state machine.
    func install(slot: Slot, at index: Int) {
        let name = name(index)
        guard replicas[index].snapshotReceiving.installRequested(slot: slot),
              let staging = replicas[index].staging, staging.complete, staging.slot == slot,
              let memberships = staging.memberships else {
            fail("snapshot: \(name) was told to install slot \(slot) but has \(replicas[index].staging.map { "slot \($0.slot)\($0.complete ? "" : ", incomplete,")" } ?? "nothing") staged")
            return
        }
        let snapshot = staging.stateMachine(sessionExpirySlots: configuration.sessionExpirySlots)
        guard slot > replicas[index].disk.stateMachine.appliedThrough else {
            fail("snapshot: \(name) installs slot \(slot) at or below its applied slot \(replicas[index].disk.stateMachine.appliedThrough)")
            return
        }
        let chosen = groups[replicas[index].group].chosen
        var reference = KVStateMachine(sessionExpirySlots: configuration.sessionExpirySlots)
        var next = Slot(1)
        while next <= slot {
            guard let command = chosen[next] else {
                fail("snapshot: \(name) installs slot \(slot) but slot \(next) was never chosen")
                return
            }
            _ = reference.apply(slot: next, command: command)
            next = next.next
        }
        if reference != snapshot {
            fail("snapshot: \(name)'s snapshot of slot \(slot) differs from replaying the chosen commands")
            return
        }
        stats.snapshotsInstalled += 1
        replicas[index].disk.install(snapshot, memberships: memberships)
        replicas[index].snapshotReceiving.installed(slot: slot)
        replicas[index].staging = nil
    }

    /// paxosd's compaction schedule in simulator units: checked on every tick, and by count only
    /// (`retainSlots` applied slots kept, compacting in batches of at least half that), so a run
    /// compacts exactly where the simulator's own policy used to. The size rule stays off: the
    /// simulator's values are a few bytes.
    static func compactionSchedule(retainSlots: UInt64, now: UInt64) -> CompactionSchedule {
        CompactionSchedule(retainSlots: retainSlots, batchSlots: max(1, retainSlots / 2), retainBytes: Int64.max / 2,
                           intervalMilliseconds: 0, now: now)
    }

    /// The periodic check of the compaction schedule, as `GroupNode.maybeCompact` runs it.
    func compactIfDue(_ index: Int) {
        guard let replica = replicas[index].replica, var schedule = replicas[index].compaction else { return }
        let (_, through) = schedule.tick(now: now, applied: replica.appliedThrough, snapshot: replica.snapshotThrough)
        replicas[index].compaction = schedule
        guard let through else { return }
        step(index, .compact(through: through))
        replicas[index].disk.compact(through: through)
        if let snapshot = replicas[index].replica?.snapshotThrough { replicas[index].compaction?.compacted(through: snapshot) }
        stats.compactions += 1
    }
}
