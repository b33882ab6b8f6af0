public import PaxosCore

/// A family of keys applied one operation at a time: what MSET, MSETNX, MGET, WATCH and EXEC
/// (and the single-key operations, through `SequentialKey`) do and answer when they run alone.
/// It restates the executor's rules (docs/design/coordination-api.md §1.3, §4) plainly, over a
/// dictionary, so that tests can use it as the oracle `FamilyModel` is compared with, and
/// failure reports replay a family's linearization with it.
///
/// **Revisions.** A key's revision changes exactly when the key is written, and is
/// `Revision.none` while it is absent. The specification only needs to tell "written since"
/// from "not written since", so a key's revision is modelled by its *generation*, the count of
/// writes to it so far: a WATCH records each key's generation (nil if absent), and its EXEC's
/// compares hold iff every key that was present still is, with the same generation, and every
/// key that was absent still is (the executor compares `Revision.none` with the absent row's,
/// so a key created and deleted again between WATCH and EXEC does not fail the EXEC).
public struct SequentialFamily {
    /// The family's present keys and their values.
    public private(set) var values: [Bytes: Bytes] = [:]
    private var generations: [Bytes: UInt64] = [:]
    /// What each applied WATCH saw: per key, its generation, or nil if absent.
    private var watched: [HistoryOperation.ID: [(key: Bytes, generation: UInt64?)]] = [:]
    private let watchOfExec: [HistoryOperation.ID: HistoryOperation.ID]

    /// A family where no key exists, for the operations of one history (to link each EXEC to
    /// its WATCH, `FamilyHistory.watchOfExec`).
    public init(operations: [HistoryOperation]) {
        self.watchOfExec = FamilyHistory.watchOfExec(in: operations)
    }

    /// Applies `operation` and returns its answer. An EXEC whose WATCH was not applied before
    /// fails (its compares were never read).
    public mutating func apply(_ operation: HistoryOperation) -> HistoryOperation.Outcome {
        switch operation.kind {
        case .mset(let keys, let written, let ifNoneExist):
            let succeeded = !ifNoneExist || keys.allSatisfy { values[$0] == nil }
            if succeeded { write(keys, written) }
            let replies = succeeded ? keys.map { _ in OpReply.ok } : []
            return .reply(ifNoneExist ? .transaction(succeeded: succeeded, replies) : .array(replies))
        case .mget(let keys):
            return .reply(.readReply(keys.map { values[$0] }))
        case .mdelete(let keys):
            var removed: Int64 = 0
            for key in keys where values.removeValue(forKey: key) != nil {
                generations[key, default: 0] += 1
                removed += 1
            }
            return .reply(.integer(removed))
        case .watch(let keys):
            watched[operation.id] = keys.map { key in (key, values[key] == nil ? nil : generations[key, default: 0]) }
            return .reply(.readReply(keys.map { values[$0] }))
        case .exec(let keys, let written):
            let seen = watchOfExec[operation.id].flatMap { watched[$0] }
            let succeeded = seen?.allSatisfy { key, generation in
                generation == nil ? values[key] == nil : values[key] != nil && generations[key, default: 0] == generation
            } ?? false
            if succeeded { write(keys, written) }
            return .reply(.transaction(succeeded: succeeded, succeeded ? keys.map { _ in .ok } : []))
        default:
            let key = operation.kind.key
            let before = values[key]
            let (after, outcome) = SequentialKey.apply(operation.kind, to: before)
            if SequentialFamily.writes(operation.kind, before: before, answer: outcome) { generations[key, default: 0] += 1 }
            values[key] = after
            return outcome
        }
    }

    private mutating func write(_ keys: [Bytes], _ written: [Bytes]) {
        for (key, value) in zip(keys, written) {
            values[key] = value
            generations[key, default: 0] += 1
        }
    }

    /// Whether a single-key operation that answered `answer` on a key holding `before` wrote
    /// the key (gave it a new revision): a delete of an absent key and a condition that did
    /// not hold write nothing.
    static func writes(_ kind: HistoryOperation.Kind, before: Bytes?, answer: HistoryOperation.Outcome) -> Bool {
        switch kind {
        case .put, .getSet: true
        case .delete, .getDelete: before != nil
        case .get, .mset, .mget, .mdelete, .watch, .exec: false
        case .incrementBy: if case .reply(.integer) = answer { true } else { false }
        case .setIf: answer == .reply(.ok)
        case .deleteIfEquals: answer == .reply(.integer(1))
        case .setExpiring, .expire, .expiry:
            // Family keys get no TTLs (Simulation+Clients.swift): TTLRegisterModel judges these.
            preconditionFailure("sequential family: \(kind) has a TTL; TTLRegisterModel judges it")
        }
    }
}
