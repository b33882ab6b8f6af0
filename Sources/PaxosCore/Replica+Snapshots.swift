import Logging

/// Log compaction and snapshot catch-up.
///
/// The shell decides how much log to keep (its retention policy) and tells the core with
/// `.compact(through:)`; only applied slots are ever compacted, so the applied state machine
/// (the KV table and the sessions) is the snapshot that stands for them. A peer that asks for
/// compacted slots is sent that state (`sendSnapshot`) instead of commands; when it has received
/// and verified it, its shell says `.snapshotReceived(slot:)` and the core has it installed in
/// order with its other storage work (`installSnapshot`), then catches up the log above it.
///
/// Safety: compacted slots are chosen, and a snapshot is the state after applying exactly the
/// chosen commands through its slot, so installing one is the same as applying those commands.
/// Phase 1 must never propose a no-op in a compacted slot: a promise carries the acceptor's
/// snapshot slot, and a candidate whose phase 1 starts at or below it stands down
/// (`onPromise`).
extension Replica {
    /// Forgets log entries at or below `through`, clamped to the applied slot.
    mutating func onCompact(through requested: Slot) {
        let through = min(requested, appliedThrough)
        guard through > snapshotThrough else { return }
        dropLog(through: through)
        snapshotThrough = through
    }

    /// Asks the shell to stream our applied state to `peer`, at most once per
    /// `snapshotRetryTicks` per peer.
    mutating func offerSnapshot(to peer: ReplicaID) {
        if let sent = snapshotSentAt[peer], now - sent < configuration.snapshotRetryTicks { return }
        snapshotSentAt[peer] = now
        logger.debug("sending a snapshot", metadata: metadata.merging(["peer.id": "\(peer)"]) { $1 })
        outbox.append(.sendSnapshot(to: peer))
    }

    /// A verified snapshot of `slot` is staged. Install it if it takes us forward.
    ///
    /// A leader never installs one: it holds every chosen slot it proposed and catches up by
    /// commands; a snapshot offered to it was asked for before it led, and it is dropped.
    mutating func onSnapshotReceived(slot: Slot, memberships snapshotMemberships: [ScheduledMembership]) {
        guard slot > appliedThrough, !isLeader else { return }
        if case .candidate = roleState {
            // Phase 1 started below the snapshot; start over from the new frontier later.
            becomeFollower(leader: nil)
            resetElectionDeadline()
        }
        outbox.append(.installSnapshot(slot: slot))
        logger.debug("installing a snapshot", metadata: metadata.merging(["paxos.snapshot": "\(slot)"]) { $1 })
        dropLog(through: slot)
        snapshotThrough = slot
        appliedThrough = slot
        // The snapshot's memberships are those chosen through its slot; any chosen above it
        // that we hold are scheduled again as the frontier passes them.
        if !snapshotMemberships.isEmpty {
            memberships = snapshotMemberships
            genesisPending = false
        }
        if chosenThrough < slot { chosenThrough = slot }
        advanceChosenFrontier()
    }

    /// Removes every log entry at or below `through`.
    private mutating func dropLog(through: Slot) {
        let span = through.rawValue - min(snapshotThrough.rawValue, through.rawValue)
        if span > UInt64(log.count) {
            log = log.filter { $0.key > through }
        } else {
            var slot = snapshotThrough.next
            while slot <= through {
                log[slot] = nil
                slot = slot.next
            }
        }
    }
}
