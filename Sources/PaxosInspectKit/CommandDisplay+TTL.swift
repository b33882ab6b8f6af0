import PaxosCore
import PaxosStorage

/// The TTL operations as the Redis commands a client would have sent.
extension CommandDisplay {
    /// A SET's expiry option: "" (none), " KEEPTTL", " PX 3000", " PXAT 1733545200123",
    /// " EXTEND 3000" (redis-py Lock.extend's old deadline plus ms, no Redis option).
    static func describe(_ expiry: Expiry) -> String {
        switch expiry {
        case .clear: ""
        case .keep: " KEEPTTL"
        case .after(let ms): " PX \(ms)"
        case .at(let time): " PXAT \(time.rawValue)"
        case .extend(let ms): " EXTEND \(ms)"
        }
    }

    static func describeTTL(_ op: KeyOp) -> String {
        func q(_ key: Bytes) -> String { BytesDisplay.quoted(key, limit: 64) }
        switch op {
        case .expire(let key, let expiry, let condition, let ifEquals):
            let name = expiry == .clear ? "PERSIST \(q(key))" : "EXPIRE \(q(key))\(describe(expiry))"
            let when = switch condition {
            case .always: ""
            case .ifNoDeadline: " NX"
            case .ifHasDeadline: " XX"
            case .ifGreater: " GT"
            case .ifLess: " LT"
            case .ifLessWithDeadline: " XX LT"
            }
            return name + when + (ifEquals.map { " IFEQ \(BytesDisplay.preview($0))" } ?? "")
        case .getExpire(let key, let expiry):
            return "GETEX \(q(key))" + (expiry == .clear ? " PERSIST" : describe(expiry))
        case .deadline(let key, let remaining):
            return (remaining ? "PTTL " : "PEXPIRETIME ") + q(key)
        default:
            return "\(op)"
        }
    }
}
