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
    /// A stale read's answer: by the store's clock alone.
    public func answer<S: KVRowStore>(from store: S) throws(S.Failure) -> ReadAnswer {
        switch try read(from: store, at: nil) {
        case .answer(let answer): answer
        case .expiryDue: preconditionFailure("ReadQuery: a read with no read time found a deadline due")
        }
    }

    /// Reads the query's rows as of `readTime` (the leader's `max(logClock, wallTime)`; nil: the
    /// store's clock only). A key the store still holds whose deadline is at or before
    /// `readTime` makes the read `.expiryDue` instead: the leader's clock says the key is gone,
    /// the log does not yet say so, and an answer of "absent" now could be contradicted by a
    /// later leader whose clock is behind. The shell commits a clock slot first and reads
    /// again (docs/design/coordination-api.md §3). Keyspace queries (SCAN, DBSIZE) go by the
    /// store's clock: they list keys, not promise their absence.
    ///
    /// Inlinable so that SQLite's store gets a specialised copy: every GET runs this, and
    /// through a generic witness each row and error would cross the call indirectly.
    @inlinable
    public func read<S: KVRowStore>(from store: S, at readTime: LeaderTime?) throws(S.Failure) -> ReadResult {
        switch self {
        case .keys(let keys, let fields):
            var entries: [ReadAnswer.Entry?] = []
            entries.reserveCapacity(keys.count)
            var due: LeaderTime?
            for key in keys {
                let row = try store.row(key)
                if let readTime, let deadline = row?.deadline, deadline <= readTime {
                    due = max(due ?? deadline, deadline)
                }
                entries.append(row.map { ReadAnswer.Entry(row: $0, fields: fields) })
            }
            if let due { return .expiryDue(due) }
            return .answer(ReadAnswer(fields: fields, entries: entries))
        case .scan(let position, let count):
            return .answer(ReadAnswer(keyspace: .page(try store.scanPage(from: position, count: min(max(count, 1), Self.maxScanCount)))))
        case .keyCount:
            return .answer(ReadAnswer(keyspace: .count(try store.keyCount())))
        }
    }
}

/// What reading a `ReadQuery` gave: its answer, or that the read must wait for the log's clock.
public enum ReadResult: Hashable, Sendable {
    case answer(ReadAnswer)
    /// A key read is live by the log's clock but past its deadline by the read time: the
    /// latest such deadline, which a clock slot must reach before the read is answered.
    case expiryDue(LeaderTime)
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

        @usableFromInline
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
