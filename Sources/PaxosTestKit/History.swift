public import PaxosCore

/// One client operation on the key-value store as a client saw it: what it asked, when it
/// asked, when it heard back and what it heard.
///
/// Times are in any monotonic unit shared by every client of one history (simulator ticks,
/// or nanoseconds of one process's monotonic clock). Only their order matters to the checker.
///
/// An operation whose outcome is `.unknown` (the client timed out, or lost its connection)
/// may have taken effect at any instant after its invocation, including after the client gave
/// up, or never. Its `completedAt`, if any, is when the client stopped waiting; the checker
/// ignores it.
///
/// - Invariant: `completedAt == nil || invokedAt <= completedAt`.
/// - Invariant: `completedAt == nil` implies `outcome == .unknown`.
/// - Invariant: `outcome` is `.unknown` or matches `kind`: `.ok` for a put, `.deleted` for a
///   delete, `.value` for a get, and for a key operation the `.reply` shapes its case names.
public struct HistoryOperation: Hashable, Sendable, CustomStringConvertible {
    /// Names one operation within its history.
    public struct ID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
        public var rawValue: Int

        public init(rawValue: Int) { self.rawValue = rawValue }
        public init(_ rawValue: Int) { self.rawValue = rawValue }

        public static func < (lhs: ID, rhs: ID) -> Bool { lhs.rawValue < rhs.rawValue }
        public var description: String { "#\(rawValue)" }
    }

    /// What the client asked for.
    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        case put(key: Bytes, value: Bytes)
        case delete(key: Bytes)
        case get(key: Bytes)
        /// INCRBY: `.reply(.integer(new))`, or `.reply(.error(.notInteger | .overflow))`.
        case incrementBy(key: Bytes, by: Int64)
        /// SET NX | XX | IFEQ old: `.reply(.ok)` if it wrote, `.reply(.null)` if not.
        case setIf(key: Bytes, value: Bytes, condition: SetCondition)
        /// GETSET (SET … GET): `.reply(.bulk(old))` or `.reply(.null)` for an absent key.
        case getSet(key: Bytes, value: Bytes)
        /// DELIFEQ: `.reply(.integer(1))` if the key held `value` and is gone, else `.integer(0)`.
        case deleteIfEquals(key: Bytes, value: Bytes)
        /// GETDEL: `.reply(.bulk(old))` or `.reply(.null)`.
        case getDelete(key: Bytes)
        // Operations on a family of keys (FamilyModel, docs/design/coordination-api.md §8).
        /// MSET: `.reply(.array(_))`, one `.ok` per key; MSETNX (`ifNoneExist`):
        /// `.reply(.transaction(succeeded:_:))`, written iff no key existed.
        case mset(keys: [Bytes], values: [Bytes], ifNoneExist: Bool)
        /// MGET, one linearizable read: `.reply(.array(_))` of `.bulk(value)` or `.null` per key.
        case mget(keys: [Bytes])
        /// DEL of several keys: `.reply(.integer(n))`, how many existed.
        case mdelete(keys: [Bytes])
        /// WATCH's read of the keys' revisions and values, answered like `mget`; the client's
        /// next `exec` compares with the revisions it saw.
        case watch(keys: [Bytes])
        /// EXEC of the client's last `watch` (`FamilyHistory.watchOfExec`): writes `values` to
        /// `keys` iff no watched key was written since the watch read;
        /// `.reply(.transaction(succeeded:_:))`.
        case exec(keys: [Bytes], values: [Bytes])
        /// SET PX: `.reply(.ok)`; the key then expires about `milliseconds` later (`TTLWindow`).
        case setExpiring(key: Bytes, value: Bytes, milliseconds: Int64)
        /// PEXPIRE: `.reply(.integer(1))` if the key existed and now expires about `milliseconds`
        /// later, `.integer(0)` if it was absent.
        case expire(key: Bytes, milliseconds: Int64)
        /// Not a client's: the expiry an earlier SET PX or PEXPIRE (`of`) scheduled, which
        /// `TTLWindow` adds to a history with the window in which it must take effect. It
        /// deletes the key if that operation's deadline is still the key's; `.ok`.
        case expiry(key: Bytes, of: ID)

        public var key: Bytes {
            switch self {
            case .put(let key, _), .delete(let key), .get(let key): key
            case .incrementBy(let key, _), .setIf(let key, _, _), .getSet(let key, _),
                 .deleteIfEquals(let key, _), .getDelete(let key): key
            case .mset(let keys, _, _), .mget(let keys), .mdelete(let keys), .watch(let keys), .exec(let keys, _): keys.first ?? []
            case .setExpiring(let key, _, _), .expire(let key, _), .expiry(let key, _): key
            }
        }

        /// Whether a plain register (`RegisterModel`) specifies this operation; the others
        /// need `CounterRegisterModel`.
        public var isRegisterOperation: Bool {
            switch self {
            case .put, .delete, .get: true
            case .incrementBy, .setIf, .getSet, .deleteIfEquals, .getDelete: false
            case .mset, .mget, .mdelete, .watch, .exec: false
            case .setExpiring, .expire, .expiry: false
            }
        }

        public var description: String {
            switch self {
            case .put(let key, let value): "put(\(BytesFormat.render(key)), \(BytesFormat.render(value)))"
            case .delete(let key): "delete(\(BytesFormat.render(key)))"
            case .get(let key): "get(\(BytesFormat.render(key)))"
            case .incrementBy(let key, let by): "incrBy(\(BytesFormat.render(key)), \(by))"
            case .setIf(let key, let value, let condition):
                "set(\(BytesFormat.render(key)), \(BytesFormat.render(value)), \(BytesFormat.render(condition)))"
            case .getSet(let key, let value): "getSet(\(BytesFormat.render(key)), \(BytesFormat.render(value)))"
            case .deleteIfEquals(let key, let value): "delIfEq(\(BytesFormat.render(key)), \(BytesFormat.render(value)))"
            case .getDelete(let key): "getDel(\(BytesFormat.render(key)))"
            case .mset, .mget, .mdelete, .watch, .exec: familyDescription
            case .setExpiring(let key, let value, let ms): "set(\(BytesFormat.render(key)), \(BytesFormat.render(value)), PX \(ms))"
            case .expire(let key, let ms): "pexpire(\(BytesFormat.render(key)), \(ms))"
            case .expiry(let key, let of): "expiry(\(BytesFormat.render(key)) of \(of))"
            }
        }
    }

    /// What the client heard back.
    public enum Outcome: Hashable, Sendable, CustomStringConvertible {
        /// A put was applied.
        case ok
        /// A delete was applied; `existed` says whether the key was present.
        case deleted(existed: Bool)
        /// A get returned this value, or `nil` for an absent key.
        case value(Bytes?)
        /// A key operation's reply, decided at apply (never `.notRemembered`, which says
        /// nothing of what happened and so is `.unknown`).
        case reply(OpReply)
        /// No answer: the operation may or may not take effect, at any time after its invocation.
        case unknown

        /// Maps a replica's reply to an outcome. `.superseded` says the request was applied at
        /// some point but its reply is lost, which is exactly what `.unknown` allows.
        public init(_ result: OperationResult) {
            switch result {
            case .ok: self = .ok
            case .deleted(let existed): self = .deleted(existed: existed)
            case .superseded: self = .unknown
            // Refused, never applied; a client that sees it sends the operation again.
            case .expired: self = .unknown
            // Applied, but the reply was too large to keep for a retry: nothing is known of it.
            case .reply(.notRemembered): self = .unknown
            case .reply(let reply): self = .reply(reply)
            }
        }

        public var description: String {
            switch self {
            case .ok: "ok"
            case .deleted(let existed): "existed=\(existed)"
            case .value(let value): BytesFormat.render(value)
            case .reply(let reply): BytesFormat.render(reply)
            case .unknown: "unknown"
            }
        }
    }

    public let id: ID
    public let client: ClientID
    public let kind: Kind
    public let invokedAt: UInt64
    /// When the client heard back or gave up; `nil` if it never did.
    public let completedAt: UInt64?
    public let outcome: Outcome

    /// - Precondition: `completedAt`, if given, is not before `invokedAt`; an outcome other
    ///   than `.unknown` has a `completedAt`; and `outcome` is `.unknown` or matches `kind`.
    ///   Violating these is a bug in the recorder, not in the system under test, so it crashes
    ///   rather than being reported as a violation.
    public init(
        id: ID, client: ClientID, kind: Kind, invokedAt: UInt64, completedAt: UInt64?, outcome: Outcome
    ) {
        if let completedAt {
            precondition(invokedAt <= completedAt, "operation \(id): completed at \(completedAt) before invoked at \(invokedAt)")
        } else {
            precondition(outcome == .unknown, "operation \(id): outcome \(outcome) without a completion time")
        }
        precondition(Self.outcome(outcome, fits: kind), "operation \(id): outcome \(outcome) does not fit \(kind)")
        self.id = id
        self.client = client
        self.kind = kind
        self.invokedAt = invokedAt
        self.completedAt = completedAt
        self.outcome = outcome
    }

    public var description: String {
        let end = completedAt.map { "\($0)" } ?? "∞"
        return "\(id) \(client) \(kind) -> \(outcome) [\(invokedAt), \(end)]"
    }

    /// Whether `outcome` is one that `kind` can answer.
    static func outcome(_ outcome: Outcome, fits kind: Kind) -> Bool {
        switch (kind, outcome) {
        case (_, .unknown), (.put, .ok), (.delete, .deleted), (.get, .value): true
        case (.incrementBy, .reply(.integer)), (.incrementBy, .reply(.error(.notInteger))),
             (.incrementBy, .reply(.error(.overflow))): true
        case (.setIf, .reply(.ok)), (.setIf, .reply(.null)): true
        case (.getSet, .reply(.bulk)), (.getSet, .reply(.null)), (.getDelete, .reply(.bulk)), (.getDelete, .reply(.null)): true
        case (.deleteIfEquals, .reply(.integer(let count))): count == 0 || count == 1
        case (.mset(_, _, false), .reply(.array)), (.mset(_, _, true), .reply(.transaction)): true
        case (.mget, .reply(.array)), (.watch, .reply(.array)), (.exec, .reply(.transaction)): true
        case (.mdelete(let keys), .reply(.integer(let count))): count >= 0 && count <= keys.count
        case (.setExpiring, .reply(.ok)), (.expiry, .ok): true
        case (.expire, .reply(.integer(let count))): count == 0 || count == 1
        default: false
        }
    }
}

/// Names an operation recorded with `History.invoke`, to complete it later.
public struct OperationHandle: Hashable, Sendable {
    public let id: HistoryOperation.ID
    /// Position in `History.operations`.
    let index: Int
}

/// A recorded client history of key-value operations, the input of `LinearizabilityChecker`.
///
/// Recorders log as they go: `invoke` when a client sends a request, `complete` when it hears
/// back or gives up. Operations that are never completed count as `.unknown`, which is what a
/// crashed client or a test that stops mid-flight leaves behind. Tests may instead build one
/// directly from an array of operations.
///
/// - Invariant: operation IDs are unique.
public struct History: Sendable, CustomStringConvertible {
    public private(set) var operations: [HistoryOperation]
    private var nextID: Int

    public init() {
        self.operations = []
        self.nextID = 0
    }

    /// - Precondition: the operations' IDs are unique.
    public init(_ operations: [HistoryOperation]) {
        precondition(Set(operations.map(\.id)).count == operations.count, "history: duplicate operation IDs")
        self.operations = operations
        self.nextID = (operations.map(\.id.rawValue).max() ?? -1) + 1
    }

    /// Records that `client` sent `kind` at `time`; the operation's outcome is `.unknown` until
    /// `complete` is called.
    public mutating func invoke(client: ClientID, kind: HistoryOperation.Kind, at time: UInt64) -> OperationHandle {
        let id = HistoryOperation.ID(nextID)
        nextID += 1
        operations.append(
            HistoryOperation(id: id, client: client, kind: kind, invokedAt: time, completedAt: nil, outcome: .unknown)
        )
        return OperationHandle(id: id, index: operations.count - 1)
    }

    /// Records that the operation behind `handle` returned `outcome` at `time`. Pass `.unknown`
    /// when the client gave up waiting.
    ///
    /// - Precondition: the operation was not completed before, `time` is not before its
    ///   invocation, and `outcome` fits its kind.
    public mutating func complete(_ handle: OperationHandle, outcome: HistoryOperation.Outcome, at time: UInt64) {
        let operation = operations[handle.index]
        precondition(operation.id == handle.id, "history: handle \(handle.id) does not belong to this history")
        precondition(operation.completedAt == nil, "history: operation \(handle.id) completed twice")
        operations[handle.index] = HistoryOperation(
            id: operation.id, client: operation.client, kind: operation.kind,
            invokedAt: operation.invokedAt, completedAt: time, outcome: outcome
        )
    }

    public var description: String {
        operations.map(\.description).joined(separator: "\n")
    }
}

/// Renders keys and values for failure reports: printable ASCII as a quoted string, anything
/// else as hex, so a report never prints raw control bytes.
enum BytesFormat {
    static func render(_ bytes: Bytes?) -> String {
        guard let bytes else { return "absent" }
        if bytes.allSatisfy({ (0x20...0x7E).contains($0) && $0 != UInt8(ascii: "\"") }) {
            return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        }
        let hexDigits = Array("0123456789abcdef")
        return "0x" + String(bytes.flatMap { [hexDigits[Int($0 >> 4)], hexDigits[Int($0 & 0x0F)]] })
    }

    static func render(_ condition: SetCondition) -> String {
        switch condition {
        case .always: "always"
        case .ifAbsent: "NX"
        case .ifPresent: "XX"
        case .ifEquals(let old): "IFEQ \(render(old))"
        }
    }

    static func render(_ reply: OpReply) -> String {
        switch reply {
        case .ok: "OK"
        case .null: "nil"
        case .integer(let value): "(integer) \(value)"
        case .bulk(let value): render(value)
        case .error(let error): "error \(error)"
        case .notRemembered: "not remembered"
        case .array(let replies): "[" + replies.map(render).joined(separator: ", ") + "]"
        case .transaction(let succeeded, let replies): (succeeded ? "then " : "else ") + render(.array(replies))
        }
    }
}
