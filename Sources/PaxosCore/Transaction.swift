/// An etcd-style transaction: compares on the live rows of one group, then one of two branches,
/// decided and applied in one slot (`OperationExecutor+Transactions.swift`).
///
/// Redis's WATCH/MULTI/EXEC compiles to `compares` = the revision each watched key had when it
/// was watched, `success` = the queued commands, `failure` = nothing; MSETNX to "every key is
/// absent" then the writes; SETIFREV/DELIFREV to one revision compare. Because the compares and
/// the branch are one request, nothing can come between the check and the writes: this is what
/// makes the optimistic loop of WATCH linearizable without locks on the server.
///
/// Design: docs/design/coordination-api.md §1.1, §4.
public struct Transaction: Hashable, Sendable {
    /// All must hold for `success` to run.
    public var compares: [Compare]
    /// Applied in order if every compare holds.
    public var success: [Operation]
    /// Applied in order otherwise (empty for WATCH/EXEC, MSETNX, SETIFREV).
    public var failure: [Operation]

    public init(compares: [Compare], success: [Operation], failure: [Operation] = []) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }

    /// Every key compared or touched, for routing and CROSSSLOT.
    public var keys: [Bytes] {
        compares.map(\.key) + success.flatMap(\.keys) + failure.flatMap(\.keys)
    }

    /// Key and value bytes, for batch limits.
    public var payloadBytes: Int {
        compares.reduce(0) { $0 + $1.payloadBytes }
            + success.reduce(0) { $0 + $1.payloadBytes } + failure.reduce(0) { $0 + $1.payloadBytes }
    }
}

/// One condition on a key's live row.
public struct Compare: Hashable, Sendable {
    public var key: Bytes
    public var target: Target

    public enum Target: Hashable, Sendable {
        /// The key is present (true) or absent (false).
        case exists(Bool)
        /// The key is present and holds exactly these bytes.
        case value(equals: Bytes)
        /// The key's revision is exactly this; `Revision.none` means "absent", so a WATCH of a
        /// missing key fails once anything creates it.
        case revision(Revision)
    }

    public init(key: Bytes, _ target: Target) {
        self.key = key
        self.target = target
    }

    var payloadBytes: Int {
        if case .value(let value) = target { key.count + value.count } else { key.count + 10 }
    }

    /// Whether the compare holds for `row`, the key's live row (nil if absent).
    public func holds(for row: KVRow?) -> Bool {
        switch target {
        case .exists(let present): (row != nil) == present
        case .value(let expected): row?.value == expected
        case .revision(let expected): (row?.revision ?? .none) == expected
        }
    }
}

/// What `KeyOp.read` reads of one key, inside a slot (the reads queued in MULTI).
public enum ReadOp: UInt8, Hashable, Sendable, CaseIterable {
    /// GET: `.bulk(value)` or `.null`.
    case value = 0
    /// STRLEN: `.integer(length)`, 0 when absent.
    case length = 1
    /// EXISTS: `.integer(1)` or `.integer(0)`.
    case exists = 2
    /// The revision as `.integer(Revision.rawValue)`, or `.null` when absent.
    case revision = 3

    /// The reply for the key's live row (nil if absent).
    public func reply(for row: KVRow?) -> OpReply {
        switch self {
        case .value: row.map { .bulk($0.value) } ?? .null
        case .length: .integer(Int64(row?.value.count ?? 0))
        case .exists: .integer(row == nil ? 0 : 1)
        case .revision: row.map { .integer(Int64($0.revision.rawValue)) } ?? .null
        }
    }
}
