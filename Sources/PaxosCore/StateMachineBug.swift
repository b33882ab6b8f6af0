/// Deliberately wrong apply rules, for checker self-tests: the simulator plants one in
/// `KVRules.plantedBug` (`paxos-sim --state-machine-bug`) and a checker MUST then fail
/// (docs/design/coordination-api.md §8). A node never runs with one: paxosd builds its
/// rules with the default, nil.
///
/// A bug in the apply rule runs on every replica alike, so the replicas mostly still agree with
/// one another; only a checker that knows what the clients should have seen (the linearizability
/// checker's models) or how the state may change (the simulator's clock check) can tell. The
/// exception is `clockFromReplica`, whose input differs per replica, so convergence sees it.
public enum StateMachineBug: String, CaseIterable, Hashable, Sendable {
    /// Key operations (`Operation.key`) skip the exactly-once rule: a retry of an INCR whose
    /// first copy was applied, but whose answer was lost, is applied again and counts twice.
    case incrWithoutSession = "incr-without-session"
    /// A transaction (`Operation.txn`) ignores its compares: it always runs its success branch
    /// and answers that it succeeded, so an EXEC whose WATCHed key was written meanwhile
    /// (and an MSETNX on a present key) writes anyway. `FamilyModel` catches it.
    case applyFailedWatch = "apply-failed-watch"
    /// The apply takes the replica's own clock for a timed batch's time instead of the stamp
    /// the command carries (`command(_:asAppliedBy:ownClock:)`): replicas that apply a slot at
    /// different moments, or with skewed clocks, give its rows different deadlines and end with
    /// different clocks. Replicas then disagree, which the convergence check sees.
    case clockFromReplica = "clock-from-replica"
    /// A timed batch sets the clock to its stamp instead of raising it to the max (the
    /// executor's `advanceClock` rule): a new leader whose clock is behind moves the log's time
    /// back (`KVRowStore._plantedRewindClock`).
    case clockNotMonotonic = "clock-not-monotonic"

    /// Whether the exactly-once decision is skipped for `operation` under `bug`.
    static func skipsSession(_ bug: StateMachineBug?, for operation: Operation) -> Bool {
        guard bug == .incrWithoutSession, case .key = operation else { return false }
        return true
    }

    /// The command as a replica applies it under `bug`: with `clockFromReplica`, a timed
    /// batch carries `ownClock` (the replica's clock at the apply; only the simulator passes
    /// one) instead of its stamp. Every other command, and every command without the bug, as
    /// chosen.
    public static func command(_ command: Command, asAppliedBy bug: StateMachineBug?, ownClock: LeaderTime?) -> Command {
        guard bug == .clockFromReplica, let ownClock, case .timedBatch(_, let requests) = command else { return command }
        return .timedBatch(time: ownClock, requests: requests)
    }

    /// Whether a stamp below the clock sets the clock back under `bug`.
    static func rewindsClock(_ bug: StateMachineBug?) -> Bool { bug == .clockNotMonotonic }
}
