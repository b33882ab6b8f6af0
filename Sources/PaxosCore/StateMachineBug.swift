/// Deliberately wrong apply rules, for checker self-tests: the simulator plants one in
/// `KVRules.plantedBug` (`paxos-sim --state-machine-bug`) and a checker MUST then fail
/// (docs/design/coordination-api.md §8). A node never runs with one: paxosd builds its
/// rules with the default, nil.
///
/// A bug in the apply rule runs on every replica alike, so the replicas still agree with one
/// another; only a checker that knows what the clients should have seen (the linearizability
/// checker's `CounterRegisterModel`) can tell.
public enum StateMachineBug: String, CaseIterable, Hashable, Sendable {
    /// Key operations (`Operation.key`) skip the exactly-once rule: a retry of an INCR whose
    /// first copy was applied, but whose answer was lost, is applied again and counts twice.
    case incrWithoutSession = "incr-without-session"
    /// A transaction (`Operation.txn`) ignores its compares: it always runs its success branch
    /// and answers that it succeeded, so an EXEC whose WATCHed key was written meanwhile
    /// (and an MSETNX on a present key) writes anyway. `FamilyModel` catches it.
    case applyFailedWatch = "apply-failed-watch"

    /// Whether the exactly-once decision is skipped for `operation` under `bug`.
    static func skipsSession(_ bug: StateMachineBug?, for operation: Operation) -> Bool {
        guard bug == .incrWithoutSession, case .key = operation else { return false }
        return true
    }
}
