/// The composite operations: `all` (MSET, the body of EXEC) and `txn` (WATCH/EXEC, MSETNX,
/// SETIFREV, DELIFREV), and the reads queued inside a slot.
///
/// Rules (docs/design/coordination-api.md §1.3, §4):
/// - `all` runs its operations in order and answers one reply each. An `.error` in one (INCR of
///   "abc") changes nothing of that one and undoes none of the others: Redis's EXEC does the
///   same, and clients expect it.
/// - `txn` evaluates every compare on the rows as they are before the request, then runs
///   `success` or `failure` as an `all`. Nothing comes between the compares and the branch: they
///   are one request in one slot.
/// - Every write of one request gets the request's revision, so a WATCH of any key it wrote
///   sees one change, and `GETREV` of two keys an MSET wrote shows equal revisions.
/// - Inside a composite, `put` answers `.ok` and `delete` `.integer(1|0)`: what Redis answers
///   for SET and DEL queued in MULTI.
extension OperationExecutor {
    static func executeAll<S: KVRowStore>(_ operations: [Operation], at revision: Revision, store: inout S,
                                          rules: KVRules) throws(S.Failure) -> OpReply {
        var replies: [OpReply] = []
        replies.reserveCapacity(operations.count)
        for operation in operations {
            replies.append(reply(of: try execute(operation, at: revision, store: &store, rules: rules)))
        }
        return .array(replies)
    }

    static func executeTransaction<S: KVRowStore>(_ transaction: Transaction, at revision: Revision, store: inout S,
                                                  rules: KVRules) throws(S.Failure) -> OpReply {
        var succeeded = true
        // The planted bug skips the compares (StateMachineBug.applyFailedWatch).
        let compares = rules.plantedBug == .applyFailedWatch ? [] : transaction.compares
        for compare in compares where !compare.holds(for: try store.row(compare.key)) {
            succeeded = false
            break
        }
        let branch = succeeded ? transaction.success : transaction.failure
        guard case .array(let replies) = try executeAll(branch, at: revision, store: &store, rules: rules) else {
            preconditionFailure("executeAll answers an array")
        }
        return .transaction(succeeded: succeeded, replies)
    }

    /// An operation's result as one element of a composite reply.
    public static func reply(of result: OperationResult) -> OpReply {
        switch result {
        case .ok: .ok
        case .deleted(let existed): .integer(existed ? 1 : 0)
        case .reply(let reply): reply
        case .superseded, .expired:
            // Session decisions are made once per request, never for the operations inside it.
            preconditionFailure("an operation inside a request was answered \(result)")
        }
    }
}
