/// A linearizable (or, on READONLY connections, stale) read of some keys of one group: GET,
/// STRLEN, EXISTS, MGET, GETREV, WATCH. It does not go through the log: the group's leader
/// confirms its leadership once (`Replica+Reads.swift`) and answers every key from its applied
/// state, so a query of n keys costs one read round, as one GET does.
///
/// Design: docs/design/coordination-api.md §5, §6.
public enum ReadQuery: Hashable, Sendable {
    /// The keys' rows, in the order given (a key may repeat, as in `MGET a a`).
    case keys([Bytes], fields: ReadFields)
    /// One SCAN page of the group (`KVRowStore.scanPage`); KEYS and RANDOMKEY walk pages too.
    case scan(position: UInt64, count: Int)
    /// DBSIZE's share: the group's live keys.
    case keyCount

    /// The most rows one page may be asked for (SCAN's COUNT is cut to it before).
    public static let maxScanCount = 10_000

    /// Whether the query reads the group's whole keyspace rather than given keys: it has no key
    /// to route by, so it names its group (`Node.submit(_:group:)`).
    public var isKeyspace: Bool {
        if case .keys = self { false } else { true }
    }

    /// GET's query.
    public static func value(of key: Bytes) -> ReadQuery { .keys([key], fields: .value) }

    public var keys: [Bytes] {
        switch self {
        case .keys(let keys, _): keys
        case .scan, .keyCount: []
        }
    }

    public var fields: ReadFields {
        switch self {
        case .keys(_, let fields): fields
        case .scan, .keyCount: .value
        }
    }

    /// Whether `answer` has the shape of an answer to this query: as many entries as keys with
    /// the fields asked for, or the keyspace answer of its kind. Anything else (a forged or
    /// confused forward reply) is not an answer to it.
    public func accepts(_ answer: ReadAnswer) -> Bool {
        switch (self, answer.keyspace) {
        case (.keys(let keys, let fields), nil): answer.entries.count == keys.count && answer.fields == fields
        case (.scan(_, let count), .page(let page)?): answer.entries.isEmpty && page.keys.count <= max(count, 1) + ReadAnswer.maxTiedKeys
        case (.keyCount, .count?): answer.entries.isEmpty
        default: false
        }
    }

    /// Reads the query's rows from a store: the one rule both stores and the simulator share.
    /// Fields not asked for are left empty (value `[]`, revision `.none`), so an answer's bytes
    /// depend only on what was asked.
    public func answer<S: KVRowStore>(from store: S) throws(S.Failure) -> ReadAnswer {
        switch self {
        case .keys: break
        case .scan(let position, let count):
            return ReadAnswer(keyspace: .page(try store.scanPage(from: position, count: min(max(count, 1), Self.maxScanCount))))
        case .keyCount:
            return ReadAnswer(keyspace: .count(try store.keyCount()))
        }
        var entries: [ReadAnswer.Entry?] = []
        entries.reserveCapacity(keys.count)
        for key in keys {
            entries.append(try store.row(key).map { ReadAnswer.Entry(row: $0, fields: fields) })
        }
        return ReadAnswer(fields: fields, entries: entries)
    }
}

/// What a `ReadQuery` reads of each row. Raw values are on the wire.
public enum ReadFields: UInt8, Hashable, Sendable, CaseIterable {
    case value = 0
    case revision = 1
    case both = 2
}

/// The answer to a `ReadQuery`: one entry per queried key, in order; nil for an absent key.
/// - Invariant: with `fields == .value` every revision is `.none`; with `.revision` every
///   value is empty (`ReadQuery.answer(from:)`).
public struct ReadAnswer: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var value: Bytes
        public var revision: Revision

        public init(value: Bytes, revision: Revision) {
            self.value = value
            self.revision = revision
        }

        init(row: KVRow, fields: ReadFields) {
            value = fields == .revision ? [] : row.value
            revision = fields == .value ? .none : row.revision
        }
    }

    public var fields: ReadFields
    public var entries: [Entry?]
    /// The answer to a keyspace query (`.scan`, `.keyCount`); nil for a query of keys.
    public var keyspace: KeyspaceAnswer?

    public init(fields: ReadFields, entries: [Entry?]) {
        self.fields = fields
        self.entries = entries
        self.keyspace = nil
    }

    public init(keyspace: KeyspaceAnswer) {
        self.fields = .value
        self.entries = []
        self.keyspace = keyspace
    }

    /// Rows sharing a page's last hash beyond its count that an answer may carry: 56-bit hashes
    /// practically never collide, so a larger tie is a forged answer, not a real page.
    public static let maxTiedKeys = 1_000

    /// What a keyspace query answers.
    public enum KeyspaceAnswer: Hashable, Sendable {
        case page(ScanPage)
        case count(UInt64)
    }

    /// The answer to a one-key value query (GET) holding `value`.
    public static func value(_ value: Bytes?) -> ReadAnswer {
        ReadAnswer(fields: .value, entries: [value.map { Entry(value: $0, revision: .none) }])
    }

    /// The first entry's value: GET's answer.
    public var firstValue: Bytes? { entries.first??.value }

    /// Value bytes (and a page's key bytes), for bounds.
    public var payloadBytes: Int {
        let keys = if case .page(let page)? = keyspace { page.keys.reduce(0) { $0 + $1.count } } else { 0 }
        return entries.reduce(keys) { $0 + ($1?.value.count ?? 0) }
    }
}
