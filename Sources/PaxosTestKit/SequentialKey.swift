public import PaxosCore

/// One key of a key-value map, applied one operation at a time: what each operation of a
/// history does and answers when it runs alone. Failure reports replay linearizations with
/// it, and tests use it as the atomic object that correct histories are generated from.
public enum SequentialKey {
    /// The key's value after `kind` runs on `value` (nil: absent), and its answer.
    public static func apply(_ kind: HistoryOperation.Kind, to value: Bytes?) -> (value: Bytes?, outcome: HistoryOperation.Outcome) {
        switch kind {
        case .put(_, let written):
            return (written, .ok)
        case .delete:
            return (nil, .deleted(existed: value != nil))
        case .get:
            return (value, .value(value))
        case .incrementBy(_, let by):
            guard let current = value.map({ RedisInteger.parse($0) }) ?? 0 else { return (value, .reply(.error(.notInteger))) }
            let (sum, overflow) = current.addingReportingOverflow(by)
            if overflow { return (value, .reply(.error(.overflow))) }
            return (RedisInteger.bytes(sum), .reply(.integer(sum)))
        case .setIf(_, let written, let condition):
            let holds = switch condition {
            case .always: true
            case .ifAbsent: value == nil
            case .ifPresent: value != nil
            case .ifEquals(let expected): value == expected
            }
            return holds ? (written, .reply(.ok)) : (value, .reply(.null))
        case .getSet(_, let written):
            return (written, .reply(value.map { .bulk($0) } ?? .null))
        case .deleteIfEquals(_, let expected):
            return value == expected ? (nil, .reply(.integer(1))) : (value, .reply(.integer(0)))
        case .getDelete:
            return (nil, .reply(value.map { .bulk($0) } ?? .null))
        case .mset, .mget, .mdelete, .watch, .exec:
            preconditionFailure("sequential key: \(kind) spans a family; apply it with SequentialFamily")
        case .setExpiring(_, let written, _):
            return (written, .reply(.ok))
        case .expire:
            return (value, .reply(.integer(value == nil ? 0 : 1)))
        case .expiry:
            // Whether the deadline it carries out is still the key's is not in the value: a
            // caller replaying expiries tracks that itself (`TTLWindow.replay`).
            return (nil, .ok)
        }
    }
}
