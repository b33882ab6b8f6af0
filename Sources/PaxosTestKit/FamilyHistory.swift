import PaxosCore

/// How the linearizability checker finds *families*: sets of keys that multi-key operations
/// (MSET, MSETNX, MGET, WATCH and its EXEC) touch together, so that they must be checked as one
/// object (`FamilyModel`). Locality (Herlihy & Wing 1990) still splits the history, only by
/// family instead of by key: two keys are in one family when some multi-key operation names
/// both, or a chain of such operations links them. Every operation on a key of a family, the
/// single-key ones included, goes to that family's search; keys no multi-key operation names
/// stay on their own, with `RegisterModel` or `CounterRegisterModel` as before.
///
/// **EXEC and its WATCH.** A client's EXEC compares the revisions its WATCH read saw. The
/// history does not carry revisions (a client cannot know the revision its own write got), so
/// it links each `exec` to the same client's last `watch` invoked before it: a recorder MUST
/// record a client's EXEC right after the WATCH whose answer it used, with no other `watch`
/// of that client between them (the simulated clients do; `Simulation+Families.swift`).
enum FamilyHistory {
    /// One family's operations, with its first key (byte order) to name it in reports.
    struct Family {
        var key: Bytes
        var keys: [Bytes]
        var operations: [HistoryOperation]
    }

    /// Splits `operations` into the keys outside every family (by key) and the families.
    static func partition(_ operations: [HistoryOperation]) -> (byKey: [Bytes: [HistoryOperation]], families: [Family]) {
        var components = KeyComponents()
        for operation in operations where operation.kind.isFamilyOperation {
            components.join(operation.kind.keys)
        }
        var byKey: [Bytes: [HistoryOperation]] = [:]
        var byRoot: [Int: [HistoryOperation]] = [:]
        for operation in operations {
            if let root = components.root(of: operation.kind.key) {
                byRoot[root, default: []].append(operation)
            } else {
                byKey[operation.kind.key, default: []].append(operation)
            }
        }
        let families = byRoot.map { root, operations in
            let keys = components.members(of: root).sorted { $0.lexicographicallyPrecedes($1) }
            return Family(key: keys[0], keys: keys, operations: operations)
        }
        return (byKey, families.sorted { $0.key.lexicographicallyPrecedes($1.key) })
    }

    /// For each `exec` with a `watch` before it, that watch: the same client's last `watch`
    /// invoked before the exec.
    static func watchOfExec(in operations: [HistoryOperation]) -> [HistoryOperation.ID: HistoryOperation.ID] {
        var lastWatch: [ClientID: HistoryOperation.ID] = [:]
        var links: [HistoryOperation.ID: HistoryOperation.ID] = [:]
        for operation in operations.sorted(by: { ($0.invokedAt, $0.id) < ($1.invokedAt, $1.id) }) {
            switch operation.kind {
            case .watch: lastWatch[operation.client] = operation.id
            case .exec: links[operation.id] = lastWatch[operation.client]
            default: break
            }
        }
        return links
    }
}

/// Union-find over keys: which keys multi-key operations tie together.
private struct KeyComponents {
    private var index: [Bytes: Int] = [:]
    private var keys: [Bytes] = []
    private var parent: [Int] = []

    mutating func join(_ joined: [Bytes]) {
        guard let first = joined.first else { return }
        let root = insert(first)
        for key in joined.dropFirst() {
            // Inserted first, apart: `find` must see the grown `parent`.
            let inserted = insert(key)
            let other = find(inserted)
            let mine = find(root)
            if other != mine { parent[other] = mine }
        }
    }

    func root(of key: Bytes) -> Int? { index[key].map(find) }

    func members(of root: Int) -> [Bytes] { keys.indices.filter { find($0) == root }.map { keys[$0] } }

    private mutating func insert(_ key: Bytes) -> Int {
        if let existing = index[key] { return existing }
        index[key] = keys.count
        keys.append(key)
        parent.append(keys.count - 1)
        return keys.count - 1
    }

    private func find(_ node: Int) -> Int {
        var node = node
        while parent[node] != node { node = parent[node] }
        return node
    }
}

extension HistoryOperation.Kind {
    /// Every key the operation names, in its order.
    var keys: [Bytes] {
        switch self {
        case .mset(let keys, _, _), .mget(let keys), .mdelete(let keys), .watch(let keys), .exec(let keys, _): keys
        default: [key]
        }
    }

    /// Every value the operation writes when it writes, one per key for MSET, MSETNX and EXEC
    /// (`KeyHistory` bounds a lost write by the first read of one of them).
    var writtenValues: [Bytes] {
        switch self {
        case .mset(_, let values, _), .exec(_, let values): values
        default: writtenValue.map { [$0] } ?? []
        }
    }

    /// Whether this is an operation on a family (its keys are checked together).
    var isFamilyOperation: Bool {
        switch self {
        case .mset, .mget, .mdelete, .watch, .exec: true
        default: false
        }
    }

    var familyDescription: String {
        func pairs(_ keys: [Bytes], _ values: [Bytes]) -> String {
            zip(keys, values).map { "\(BytesFormat.render($0))=\(BytesFormat.render($1))" }.joined(separator: ", ")
        }
        func list(_ keys: [Bytes]) -> String { keys.map { BytesFormat.render($0) }.joined(separator: ", ") }
        return switch self {
        case .mset(let keys, let values, let nx): "\(nx ? "msetnx" : "mset")(\(pairs(keys, values)))"
        case .mget(let keys): "mget(\(list(keys)))"
        case .mdelete(let keys): "del(\(list(keys)))"
        case .watch(let keys): "watch(\(list(keys)))"
        case .exec(let keys, let values): "exec(\(pairs(keys, values)))"
        default: description
        }
    }
}

extension HistoryOperation {
    /// Every value this operation saw a key hold, MGET's and WATCH's included.
    var observedValues: [Bytes] {
        switch (kind, outcome) {
        case (.mget, .reply(let reply)), (.watch, .reply(let reply)): (reply.readValues ?? []).compactMap { $0 }
        default: observedValue.map { [$0] } ?? []
        }
    }
}

extension OpReply {
    /// MGET's or WATCH's values in a history: one `.bulk` or `.null` per key; nil for any
    /// other reply.
    var readValues: [Bytes?]? {
        guard case .array(let replies) = self else { return nil }
        var values: [Bytes?] = []
        for reply in replies {
            switch reply {
            case .bulk(let value): values.append(value)
            case .null: values.append(nil)
            default: return nil
            }
        }
        return values
    }

    /// MGET's reply for `values`.
    static func readReply(_ values: [Bytes?]) -> OpReply {
        .array(values.map { $0.map(OpReply.bulk) ?? .null })
    }
}
