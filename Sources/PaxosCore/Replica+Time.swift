/// Time from the leader (docs/design/coordination-api.md §3).
///
/// The core reads no clock. The leader's shell passes its wall clock reading with each
/// proposal (`Input.propose(_:time:)`); the leader keeps the largest one of its leadership and
/// stamps every batch it cuts with it (`Command.timedBatch`). The state machine's clock is the
/// max of the stamps applied, so a stamp that goes back (a new leader behind the old one, a
/// clock step) never moves the log's time back. Phase 1 re-proposes recovered commands as
/// they were, with their old stamps: a chosen value is never changed.
///
/// An empty proposal with a time asks for a *clock slot*: one empty timed batch, whose apply
/// only raises the clock and sweeps expired keys (background expiry). It is cut only when no
/// request is pending; a pending request's batch carries the time anyway.
extension LeaderState {
    /// Records a proposal's time and whether it asks for a clock slot.
    mutating func noteProposalTime(_ given: LeaderTime?, requestCount: Int) {
        guard let given else { return }
        time = max(time ?? given, given)
        if requestCount == 0 && pending.isEmpty { wantsClockSlot = true }
    }

    /// The command for a batch cut from `pending`: timed once a time was given, else legacy.
    func command(for batch: [ClientRequest]) -> Command {
        if let time { .timedBatch(time: time, requests: batch) } else { .batch(batch) }
    }
}

extension Replica {
    /// Proposes one empty timed batch, if the pipeline window has room (otherwise the wish
    /// stays and the next flush after a slot is chosen tries again).
    mutating func proposeClockSlot() {
        guard case .leader(var state) = roleState, state.wantsClockSlot, let time = state.time,
              Int(state.nextSlot.rawValue - 1 - chosenThrough.rawValue) < configuration.maxInflightSlots else { return }
        let proposal = AcceptEntry(slot: state.nextSlot, command: .timedBatch(time: time, requests: []))
        state.nextSlot = state.nextSlot.next
        state.wantsClockSlot = false
        roleState = .leader(state)
        proposeInOwnBallot([proposal])
    }
}
