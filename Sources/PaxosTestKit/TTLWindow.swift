import PaxosCore

/// When a key written with a TTL must vanish, as a client can tell
/// (docs/design/coordination-api.md §3 and §8).
///
/// A key's deadline is the *log's* time plus the TTL: `clock + ms`, where `clock` is the max of
/// the leaders' stamps applied through the slot of the SET PX or PEXPIRE. No client sees that
/// stamp, so the checker cannot know the deadline; it knows a window. Each SET PX or PEXPIRE
/// (unless it answered "no such key") schedules an *expiry*, an operation of its own in the
/// key's history (`HistoryOperation.Kind.expiry`) that deletes the key if that operation's
/// deadline is still the key's (`TTLRegisterModel`), invoked at `invoke + ms − slack` and
/// returning by `complete + ms + slack`. The search treats it like any other operation with a
/// known window: it may take effect at any instant in it, and MUST have by its end. An
/// operation of unknown outcome schedules one that may take effect from `invoke + ms − slack`
/// on, or never (pending to +∞).
///
/// **The slack.** Let every replica's clock read `t + d` at real (simulated) time `t`, with
/// `d` between `lowest` and `highest` over every replica and the whole run (skews and clock
/// steps: `SimClockFaults.spread`); the slack is `highest − lowest`.
/// - *Not before `invoke + ms − slack`.* A stamp is never above the time it is made plus
///   `highest` (each stamp is a wall clock reading or the max of earlier stamps), and the write
///   is stamped after it was invoked, so its slot's clock is at least `invoke + lowest`: the
///   deadline is at least `invoke + lowest + ms`. The key vanishes in the first slot whose clock
///   reaches it, stamped at a real time of at least `deadline − highest`, and applied later still.
/// - *Gone by `complete + ms + slack`.* The write's clock is at most `complete + highest`, so
///   the deadline is at most `complete + highest + ms`. A leader answers a read at
///   `max(logClock, wallTime)` and proposes a clock slot before answering for a key whose
///   deadline that passes (the `expiryDue` rule), and its wall clock reads at least
///   `t + lowest`: after `complete + ms + highest − lowest` no read sees the key, and a write
///   that still saw it was stamped before then, so it can be placed before the expiry. The
///   clock slot itself needs no slack: a read waits for it instead of answering early.
public enum TTLWindow {
    /// The expiries `operations` (one key's) schedule, with ids from `idBase + id` so that
    /// they are unique in the history whose largest id is below `idBase`.
    static func expiries(of operations: [HistoryOperation], slackUnits slack: UInt64, idBase: Int) -> [HistoryOperation] {
        operations.compactMap { operation in
            let milliseconds: Int64
            switch (operation.kind, operation.outcome) {
            case (.setExpiring(_, _, let ms), _): milliseconds = ms
            case (.expire, .reply(.integer(0))): return nil
            case (.expire(_, let ms), _): milliseconds = ms
            default: return nil
            }
            precondition(milliseconds > 0, "ttl window: \(operation) has no positive TTL")
            let ms = UInt64(milliseconds)
            let earliest = max(operation.invokedAt, (operation.invokedAt + ms) - min(slack, operation.invokedAt + ms))
            let known = operation.outcome != .unknown
            return HistoryOperation(id: HistoryOperation.ID(idBase + operation.id.rawValue), client: operation.client,
                                    kind: .expiry(key: operation.kind.key, of: operation.id), invokedAt: earliest,
                                    completedAt: known ? operation.completedAt.map { max(earliest, $0 + ms + slack) } : nil,
                                    outcome: known ? .ok : .unknown)
        }
    }

    /// The key's value after `linearization`, expiries included: an expiry deletes only when
    /// the operation that scheduled it set the deadline last (for failure reports).
    static func replay(_ linearization: [HistoryOperation]) -> Bytes? {
        var value: Bytes?
        var owner: HistoryOperation.ID?
        for operation in linearization {
            let (next, _) = SequentialKey.apply(operation.kind, to: value)
            switch operation.kind {
            case .expiry(_, let of):
                if owner == of { (value, owner) = (nil, nil) }
                continue
            case .setExpiring: owner = operation.id
            case .expire: if value != nil { owner = operation.id }
            case .incrementBy, .get: break
            case .mset, .mget, .mdelete, .watch, .exec:
                // Family keys get no TTLs (Simulation+Clients.swift), so a history with both is not made.
                preconditionFailure("TTL replay: \(operation.kind) belongs to a family; FamilyModel judges it")
            case .setIf, .put, .getSet, .delete, .deleteIfEquals, .getDelete:
                if next != value || next == nil { owner = nil }
            }
            value = next
        }
        return value
    }
}

extension HistoryOperation.Kind {
    /// SET PX and PEXPIRE: keys with them are checked with `TTLRegisterModel`.
    var schedulesExpiry: Bool {
        switch self {
        case .setExpiring, .expire, .expiry: true
        default: false
        }
    }

    /// The operation an expiry carries out the deadline of: the search takes it after that one.
    var expiryCause: HistoryOperation.ID? {
        if case .expiry(_, let of) = self { of } else { nil }
    }
}
