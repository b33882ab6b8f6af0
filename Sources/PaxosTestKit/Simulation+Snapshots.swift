import PaxosCore

/// The shell's compaction policy, snapshot transfers, and the snapshot checker.
extension Simulation {
    func transmitSnapshot(_ snapshot: KVStateMachine, memberships: [ScheduledMembership], group: Int, from: ReplicaID, to: ReplicaID) {
        let weather = groups[group].weather
        if Double.random(in: 0..<1, using: &random) < weather.dropRate { return }
        let delay = UInt64.random(in: 1...weather.maxDelayUnits, using: &random)
        schedule(.deliverSnapshot(group: group, from: from, to: to, snapshot, memberships), after: delay)
    }

    /// Snapshot checker: what a replica installs must be exactly the state after applying its
    /// group's chosen commands through the snapshot's slot, in order, to an empty state machine.
    func install(slot: Slot, at index: Int) {
        let name = name(index)
        guard let (snapshot, memberships) = replicas[index].stagedSnapshot, snapshot.appliedThrough == slot else {
            fail("snapshot: \(name) was told to install slot \(slot) but has \(replicas[index].stagedSnapshot.map { "slot \($0.stateMachine.appliedThrough)" } ?? "nothing") staged")
            return
        }
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
        replicas[index].stagedSnapshot = nil
    }

    /// The shell's retention policy: keep `retainSlots` applied slots, compacting in steps of
    /// at least half that, like paxosd's scheduler.
    func compactIfDue(_ index: Int) {
        guard let retain = configuration.retainSlots, let replica = replicas[index].replica else { return }
        let applied = replica.appliedThrough.rawValue
        guard applied > replica.snapshotThrough.rawValue + retain + max(1, retain / 2) else { return }
        let through = Slot(applied - retain)
        step(index, .compact(through: through))
        replicas[index].disk.compact(through: through)
        stats.compactions += 1
    }
}
