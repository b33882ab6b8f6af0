import PaxosCore

/// Operations on *families* of keys by the simulated clients (docs/design/coordination-api.md
/// §8), with `SimConfiguration.coordinationOps`: MSET, MSETNX, MGET and Redis's optimistic
/// update, WATCH then EXEC, so that the linearizability checker (`FamilyModel`) judges
/// multi-key atomicity and WATCH's conflict rule.
///
/// **Families.** There are no hash tags yet, so a family is drawn among the keys of one group
/// (`GroupMap`, the placement the simulated clients route by): every multi-key operation is
/// then within one group, as the server requires (CROSSSLOT otherwise). In each group with at
/// least two keys, a family of two or three of them is formed with probability one half (always
/// in the configuration aimed at `StateMachineBug.applyFailedWatch`), so runs keep plain and
/// counter keys too. Everything is drawn from the coordination stream, so
/// runs without `coordinationOps` draw what they always drew.
///
/// **What a family key's operations become.** The main stream still draws the key and the
/// kind: a write becomes MSET (of the whole family), MSETNX, a WATCH, or stays a put; a get
/// becomes MGET half of the time, a delete DEL of the whole family (so MSETNX succeeds and
/// WATCHes see absent keys). A WATCH is a linearizable read of the family's values and revisions (`ReadQuery`
/// `.both`, one read round); once it is answered, the client's next operation is its EXEC, one
/// `.txn` comparing each key's revision with the one seen and writing a fresh value to each,
/// as the server compiles WATCH/MULTI/SET/EXEC. A conflict answers
/// `.transaction(succeeded: false, [])`, Redis's nil array. Values stay unique per client,
/// sequence and key.
struct SimFamilies {
    /// Each family's keys, all in one group.
    let families: [[Bytes]]
    private let familyOfKey: [Bytes: Int]
    /// Per client index, the keys and revisions its answered WATCH saw, for its EXEC.
    var pendingExec: [Int: (keys: [Bytes], revisions: [Revision])] = [:]

    /// - Parameter always: forms a family in every group with two keys or more (the
    ///   configuration aimed at `StateMachineBug.applyFailedWatch`, fixed or not).
    init(keyspace: [Bytes], groupMap: GroupMap, always: Bool, using random: inout SeededGenerator) {
        let byGroup = Dictionary(grouping: keyspace) { groupMap.group(of: $0).index }
        var families: [[Bytes]] = []
        for group in byGroup.keys.sorted() {
            let formed = Bool.random(using: &random) || always
            guard let keys = byGroup[group], keys.count >= 2, formed else { continue }
            let size = keys.count >= 3 && Bool.random(using: &random) ? 3 : 2
            families.append(Array(keys.shuffled(using: &random).prefix(size)))
        }
        for family in families {
            precondition(Set(family.map { groupMap.group(of: $0) }).count == 1, "sim families: \(family) spans groups")
        }
        self.families = families
        self.familyOfKey = Dictionary(uniqueKeysWithValues: families.enumerated().flatMap { index, keys in keys.map { ($0, index) } })
    }

    func family(of key: Bytes) -> [Bytes]? { familyOfKey[key].map { families[$0] } }

    /// What `kind`, drawn by the main stream on a key of `family`, becomes.
    func substitute(_ kind: SimOperationKind, on family: [Bytes], using random: inout SeededGenerator) -> SimOperationKind {
        let roll = Int.random(in: 0..<20, using: &random)
        switch kind {
        case .put(_, let value):
            let values = family.indices.map { value + Array("-\($0)".utf8) }
            switch roll {
            case ..<4: return kind
            case ..<9: return .mset(keys: family, values: values, ifNoneExist: false)
            case ..<11: return .mset(keys: family, values: values, ifNoneExist: true)
            default: return .watch(keys: family)
            }
        case .get:
            return roll < 10 ? .mget(keys: family) : kind
        case .delete:
            return roll < 10 ? .mdelete(keys: family) : kind
        default:
            return kind
        }
    }
}

extension Simulation {
    /// Sends the EXEC that client `index`'s answered WATCH waits for, if any; returns whether
    /// it did. Called before the main stream draws, which it then does not.
    func issueFamilyExec(_ index: Int) -> Bool {
        guard let watched = coordination?.families.pendingExec.removeValue(forKey: index) else { return false }
        clients[index].sequence += 1
        let sequence = clients[index].sequence
        let values = watched.keys.indices.map { Array("x\(index)-\(sequence)-\($0)".utf8) }
        let kind = SimOperationKind.exec(keys: watched.keys, values: values, revisions: watched.revisions)
        records.append(SimRecord(client: index, kind: kind, invokedAt: now))
        let group = configuration.groupMap.group(of: kind.key).index
        clients[index].current = .init(op: records.count - 1, kind: kind, sequence: sequence, group: group)
        sendAttempt(index)
        return true
    }

    /// Notes a family read's answer: a WATCH's revisions wait for its EXEC.
    func noteFamilyAnswer(_ index: Int, _ kind: SimOperationKind, _ outcome: SimOutcome) {
        guard case .answer(let answer) = outcome else { return }
        stats.keyOperationAnswers[kind.isWatch ? "watch answer" : "mget answer", default: 0] += 1
        if case .watch(let keys) = kind {
            coordination?.families.pendingExec[index] = (keys, answer.entries.map { $0?.revision ?? .none })
        }
    }
}

extension SimOperationKind {
    /// The write a family operation sends, as the server compiles MSET, MSETNX and EXEC; nil
    /// for the reads.
    var familyOperation: Operation? {
        func puts(_ keys: [Bytes], _ values: [Bytes]) -> [Operation] { zip(keys, values).map { .put(key: $0, value: $1) } }
        switch self {
        case .mset(let keys, let values, false):
            return .all(puts(keys, values))
        case .mdelete(let keys):
            return .key(.delete(keys: keys, ifEquals: nil))
        case .mset(let keys, let values, true):
            return .txn(Transaction(compares: keys.map { Compare(key: $0, .exists(false)) }, success: puts(keys, values)))
        case .exec(let keys, let values, let revisions):
            let compares = zip(keys, revisions).map { Compare(key: $0, .revision($1)) }
            return .txn(Transaction(compares: compares, success: puts(keys, values)))
        default:
            return nil
        }
    }

    var familyHistoryKind: HistoryOperation.Kind {
        switch self {
        case .mset(let keys, let values, let ifNoneExist): .mset(keys: keys, values: values, ifNoneExist: ifNoneExist)
        case .mget(let keys): .mget(keys: keys)
        case .mdelete(let keys): .mdelete(keys: keys)
        case .watch(let keys): .watch(keys: keys)
        case .exec(let keys, let values, _): .exec(keys: keys, values: values)
        default: preconditionFailure("sim families: \(self) is not a family operation")
        }
    }

    var isWatch: Bool {
        if case .watch = self { true } else { false }
    }

    /// The query a read sends: GET's, MGET's, or WATCH's (values and revisions).
    var readQuery: ReadQuery {
        switch self {
        case .mget(let keys): .keys(keys, fields: .value)
        case .watch(let keys): .keys(keys, fields: .both)
        default: .value(of: key)
        }
    }
}
