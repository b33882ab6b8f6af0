/// A linearizable (or, on READONLY connections, stale) read of some keys of one group: GET,
/// STRLEN, EXISTS, MGET, GETREV, WATCH. It does not go through the log: the group's leader
/// confirms its leadership once (`Replica+Reads.swift`) and answers every key from its applied
/// state, so a query of n keys costs one read round, as one GET does.
///
/// Design: docs/design/coordination-api.md §5, §6.
public enum ReadQuery: Hashable, Sendable {
    /// The keys' rows, in the order given (a key may repeat, as in `MGET a a`).
    case keys([Bytes], fields: ReadFields)

    /// GET's query.
    public static func value(of key: Bytes) -> ReadQuery { .keys([key], fields: .value) }

    public var keys: [Bytes] {
        switch self {
        case .keys(let keys, _): keys
        }
    }

    public var fields: ReadFields {
        switch self {
        case .keys(_, let fields): fields
        }
    }

    /// Reads the query's rows from a store: the one rule both stores and the simulator share.
    /// Fields not asked for are left empty (value `[]`, revision `.none`), so an answer's bytes
    /// depend only on what was asked.
    public func answer<S: KVRowStore>(from store: S) throws(S.Failure) -> ReadAnswer {
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

    public init(fields: ReadFields, entries: [Entry?]) {
        self.fields = fields
        self.entries = entries
    }

    /// The answer to a one-key value query (GET) holding `value`.
    public static func value(_ value: Bytes?) -> ReadAnswer {
        ReadAnswer(fields: .value, entries: [value.map { Entry(value: $0, revision: .none) }])
    }

    /// The first entry's value: GET's answer.
    public var firstValue: Bytes? { entries.first??.value }

    /// Value bytes, for bounds.
    public var payloadBytes: Int { entries.reduce(0) { $0 + ($1?.value.count ?? 0) } }
}
