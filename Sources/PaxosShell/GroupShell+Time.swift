public import PaxosCore

/// Time from the leader (docs/design/coordination-api.md §3): the shell of the leader stamps
/// what it proposes with its wall clock, and asks for clock slots so expired keys are swept.
///
/// The stamp is `max(wallTime, view.logClock, lastStamp)`: never behind the applied log's
/// clock (a leader whose clock is behind the previous leader's waits, in effect, until its
/// wall clock passes the log's), and never behind this shell's own last stamp. The core keeps
/// the max of the stamps too, and the state machine the max of those applied; stamping the
/// max here only keeps a slow leader's batches from all carrying a stale time.
///
/// Untimed runs pass no wall time (the simulator's plain seeds, tests): then nothing is
/// stamped, and the core cuts legacy `.batch`es as before.
extension GroupShell {
    /// `flushProposals()` with the proposal stamped when a wall time is given and we lead.
    public mutating func flushProposals(wallTime: LeaderTime?, view: ShellView) -> [ShellEffect] {
        let effects = flushProposals()
        guard let wallTime, view.isLeader else { return effects }
        return effects.map { effect in
            guard case .propose(let batch, nil) = effect else { return effect }
            return .propose(batch, time: stamp(wallTime: wallTime, view: view))
        }
    }

    /// `tick(now:view:)`, plus background expiry: a leader whose wall clock passed the earliest
    /// stored deadline proposes a clock slot (an empty timed proposal; the core cuts one empty
    /// timed batch unless requests are pending, whose batch carries the time anyway). One is in
    /// flight until the log clock reaches its stamp or `rerouteMilliseconds` pass, so a backlog
    /// larger than one sweep (`KVRules.sweepKeysPerSlot`) is cleared about one slot per tick.
    public mutating func tick(now: UInt64, view: ShellView, wallTime: LeaderTime?) -> [ShellEffect] {
        var effects: [ShellEffect] = []
        if let wallTime { effects += clockSlotEffects(now: now, view: view, wallTime: wallTime) }
        return effects + tick(now: now, view: view)
    }

    func clockSlotPending(now: UInt64, view: ShellView) -> Bool {
        guard let (stamp, proposedAt) = clockSlotInFlight else { return false }
        return view.logClock < stamp && now - proposedAt < settings.rerouteMilliseconds
    }

    private mutating func clockSlotEffects(now: UInt64, view: ShellView, wallTime: LeaderTime) -> [ShellEffect] {
        if !clockSlotPending(now: now, view: view) { clockSlotInFlight = nil }
        guard view.isLeader, !view.failed, clockSlotInFlight == nil,
              let deadline = view.nextDeadline, deadline <= wallTime else { return [] }
        let stamp = stamp(wallTime: wallTime, view: view)
        clockSlotInFlight = (stamp, now)
        return [.propose([], time: stamp)]
    }

    /// The time a linearizable read of ours is answered as of: the leader's wall clock, or the
    /// log's when that is ahead (design §3). Nil in untimed runs, or with the planted bug.
    func readTime(_ view: ShellView) -> LeaderTime? {
        guard let wallTime = view.wallTime, settings.plantedBug != .readIgnoresExpiry else { return nil }
        return max(wallTime, view.logClock)
    }

    /// A linearizable read found a key past `deadline` by our clock that the log still holds.
    /// Answering "absent" now could be contradicted by the next leader (whose clock may be
    /// behind ours), answering the value would return a key our own clock says is gone; so the
    /// read waits for a clock slot that reaches `deadline`, proposed here unless one in flight
    /// already does, and is routed again: its new read index covers the slot once committed.
    /// A read that finds the slot not yet applied comes back here and goes round again, each
    /// time one read round later; the request's own deadline bounds the wait.
    mutating func expiryDue(token: UInt64, deadline: LeaderTime, now: UInt64, view: ShellView) -> [ShellEffect] {
        guard requests[token] != nil else { return [] }
        var effects: [ShellEffect] = []
        if view.isLeader, !view.failed, let wallTime = view.wallTime {
            let pending = clockSlotPending(now: now, view: view)
            if !pending || clockSlotInFlight.map({ $0.stamp < deadline }) ?? true {
                // `deadline <= max(wallTime, logClock)` and `logClock < deadline`, so the stamp,
                // at least the wall time, reaches it.
                let stamp = stamp(wallTime: wallTime, view: view)
                clockSlotInFlight = (stamp, now)
                effects.append(.propose([], time: stamp))
            }
        }
        requests[token]?.routedTo = nil
        route(token, now: now, view: view, effects: &effects)
        return effects
    }

    /// The time a proposal of ours carries now.
    mutating func stamp(wallTime: LeaderTime, view: ShellView) -> LeaderTime {
        let stamp = max(wallTime, view.logClock, lastStamp ?? wallTime)
        lastStamp = stamp
        return stamp
    }
}
