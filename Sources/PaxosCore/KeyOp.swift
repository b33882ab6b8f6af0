/// One step on one key (or, for `delete`, on keys of one group), decided at apply by
/// `OperationExecutor.execute` and answered with an `OpReply`.
///
/// Design: docs/design/coordination-api.md §1.1. This slice carries the single-key writes
/// (SET with conditions and GET, DELIFEQ, GETDEL, the INCR family, INCRBYFLOAT, APPEND); TTLs,
/// reads queued in MULTI and expiry changes follow as new cases and new `Expiry` cases, each
/// with its own encoding tag (`Operation+Encoding.swift`), so old entries keep decoding.
public enum KeyOp: Hashable, Sendable {
    /// SET key value [NX|XX|IFEQ old] [GET]; GETSET is `.always` with `returnsOld`.
    /// Replies `.ok`, `.null` (condition failed, or GET of a missing key) or `.bulk(old)`.
    case set(key: Bytes, value: Bytes, SetOptions)
    /// DEL of `keys` (reply: how many existed) or, with `ifEquals`, DELIFEQ of one key
    /// (reply 1 when the key held exactly that value and was deleted, else 0).
    case delete(keys: [Bytes], ifEquals: Bytes?)
    /// GETDEL: the old value (`.bulk`) or `.null`; the key is gone afterwards.
    case getDelete(key: Bytes)
    /// INCR, DECR, INCRBY, DECRBY: the new value, `.error(.notInteger)` or `.error(.overflow)`.
    case incrementBy(key: Bytes, Int64)
    /// INCRBYFLOAT; the increment is the Double's bit pattern, so the log holds exactly the
    /// number the client sent and `Hashable` never meets a NaN. Refused at parse if not finite.
    case incrementByFloat(key: Bytes, bits: UInt64)
    /// APPEND: the new length.
    case append(key: Bytes, Bytes)
    /// A read inside a slot (GET, STRLEN, EXISTS queued in MULTI); changes nothing.
    case read(ReadOp, key: Bytes)
    /// (P)EXPIRE(AT), PERSIST, and redis-py Lock's extend/reacquire (`KeyOp+TTL.swift`):
    /// 1 when the deadline changed (or the key was deleted by a deadline already passed), 0 when
    /// the key is missing, holds another value than `ifEquals`, or the condition fails.
    case expire(key: Bytes, Expiry, ExpireCondition, ifEquals: Bytes?)
    /// GETEX: the value (`.bulk`) or `.null`; sets the deadline as `Expiry` says (`.keep`: as is).
    case getExpire(key: Bytes, Expiry)
    /// TTL, PTTL, EXPIRETIME, PEXPIRETIME answered at apply through the log: -2 missing, -1 no
    /// deadline, else the remaining milliseconds (`remaining`) or the deadline (Unix ms).
    case deadline(key: Bytes, remaining: Bool)

    public var keys: [Bytes] {
        switch self {
        case .set(let key, _, _), .getDelete(let key), .incrementBy(let key, _),
             .incrementByFloat(let key, _), .append(let key, _), .read(_, let key): [key]
        case .delete(let keys, _): keys
        case .expire(let key, _, _, _), .getExpire(let key, _), .deadline(let key, _): [key]
        }
    }

    /// Key and value bytes, for batch limits.
    public var payloadBytes: Int {
        switch self {
        case .set(let key, let value, let options): key.count + value.count + options.payloadBytes
        case .delete(let keys, let ifEquals): keys.reduce(0) { $0 + $1.count } + (ifEquals?.count ?? 0)
        case .getDelete(let key): key.count
        case .incrementBy(let key, _), .incrementByFloat(let key, _): key.count + 8
        case .append(let key, let value): key.count + value.count
        case .read(_, let key): key.count + 1
        case .expire(let key, _, _, let ifEquals): key.count + 8 + (ifEquals?.count ?? 0)
        case .getExpire(let key, _): key.count + 8
        case .deadline(let key, _): key.count
        }
    }
}

/// The options of SET.
public struct SetOptions: Hashable, Sendable {
    public var condition: SetCondition
    /// GET: the reply is the old value (or `.null`) instead of `.ok`.
    public var returnsOld: Bool
    public var expiry: Expiry

    public init(condition: SetCondition = .always, returnsOld: Bool = false, expiry: Expiry = .clear) {
        self.condition = condition
        self.returnsOld = returnsOld
        self.expiry = expiry
    }

    var payloadBytes: Int {
        if case .ifEquals(let old) = condition { old.count } else { 0 }
    }
}

/// When SET writes.
public enum SetCondition: Hashable, Sendable {
    case always
    /// NX: only if the key is absent.
    case ifAbsent
    /// XX: only if the key is present.
    case ifPresent
    /// IFEQ (Redis 8.4): only if the key holds exactly this value. Redis refuses IFEQ on a
    /// missing key by not setting it; so do we.
    case ifEquals(Bytes)
}

/// What a write does to the key's deadline. Deadlines are Unix milliseconds of the log's
/// clock (`KVRowStore.clock`), computed at apply, never from a replica's own clock.
public enum Expiry: Hashable, Sendable {
    /// The written row has no deadline (SET's default, as in Redis).
    case clear
    /// The written row keeps the old row's deadline (KEEPTTL).
    case keep
    /// EX/PX: the applying slot's clock plus this many milliseconds.
    case after(milliseconds: Int64)
    /// EXAT/PXAT: this deadline.
    case at(LeaderTime)
    /// The old deadline plus this many milliseconds (redis-py `Lock.extend` without replace).
    case extend(milliseconds: Int64)
}

/// A RESP-shaped reply decided at apply. It lives in PaxosCore; the server renders it per
/// command (a SET NX's `.null` is a nil bulk, an INCR's `.integer` an integer reply).
public indirect enum OpReply: Hashable, Sendable {
    case ok
    /// A nil bulk string: a condition failed, or the old value of a missing key.
    case null
    case integer(Int64)
    case bulk(Bytes)
    /// Decided at apply; the operation changed nothing.
    case error(OpError)
    /// The replies of an `Operation.all`, one per operation, in order.
    case array([OpReply])
    /// The replies of the branch an `Operation.txn` took: `success`'s if `succeeded`, else `failure`'s.
    case transaction(succeeded: Bool, [OpReply])
    /// A duplicate of a request whose reply was too large to keep in its session
    /// (`ClientSession.remembered`): the request was applied, its reply is unknown.
    case notRemembered
}

/// Why an operation refused at apply. Raw values are on disk and on the wire.
public enum OpError: UInt8, Hashable, Sendable, CaseIterable {
    case notInteger = 1
    case overflow = 2
    case notFloat = 3
    case nanOrInfinity = 4
    case stringTooLong = 5
    /// A deadline beyond what Unix milliseconds in an Int64 hold (EX/PX overflowing at apply).
    case invalidExpireTime = 6

    /// Redis's text for the error, as the server sends it after the `-`.
    public var redisText: String {
        switch self {
        case .notInteger: "ERR value is not an integer or out of range"
        case .overflow: "ERR increment or decrement would overflow"
        case .notFloat: "ERR value is not a valid float"
        case .nanOrInfinity: "ERR increment would produce NaN or Infinity"
        case .stringTooLong: "ERR string exceeds maximum allowed size"
        case .invalidExpireTime: "ERR invalid expire time"
        }
    }
}
